// console/ops.js: the Operations screen (/ui/operations): what the server is doing.
// Charts (uPlot, shipped in the binary, loaded only on this screen) of requests, errors and
// latency percentiles over 1m / 15m / 1h from the observer's per-second buckets
// (GET /v1/observer/series); the busiest routes; provider health (circuit breakers);
// index, cache, ledger and journal figures; the distillation pipeline's last receipts; and
// the journal as a live feed (long-poll follow).
import { api, get } from './api.js';
import { h, set, fact, table, section, badge, num, fixed, when, errorBox } from './dom.js';

let uplotLoading = null;
function loadUplot() {
  if (window.uPlot) return Promise.resolve(window.uPlot);
  uplotLoading ||= new Promise((resolve, reject) => {
    document.head.append(h('link', { rel: 'stylesheet', href: '/ui/assets/uplot.css' }));
    const s = h('script', { src: '/ui/assets/uplot.js' });
    s.onload = () => resolve(window.uPlot);
    s.onerror = () => reject(new Error('could not load the charting library'));
    document.head.append(s);
  });
  return uplotLoading;
}

export async function render(main, _params, ctx) {
  let windowName = ctx.params.get('window') || '15m';
  const tabs = h('div', { class: 'tabs', role: 'group', 'aria-label': 'Time window' },
    ['1m', '15m', '1h'].map((w) => h('button', { type: 'button', 'aria-pressed': String(w === windowName), dataset: { window: w }, onclick: () => {
      windowName = w;
      for (const b of tabs.children) b.setAttribute('aria-pressed', String(b.dataset.window === w));
      history.replaceState(null, '', '/ui/operations?window=' + w);
      refresh();
    } }, w)));
  const reqChart = h('figure', { class: 'chart', id: 'chart-requests' });
  const latChart = h('figure', { class: 'chart', id: 'chart-latency' });
  const routes = h('div', { id: 'routes' });
  const providers = h('div', { id: 'providers' });
  const stats = h('div', { id: 'stats' });
  const distill = h('div', { id: 'distill' });
  const feed = h('ol', { class: 'feed', id: 'feed', 'aria-live': 'off' });
  const pause = h('button', { type: 'button', 'aria-pressed': 'false', onclick: () => {
    const on = pause.getAttribute('aria-pressed') !== 'true';
    pause.setAttribute('aria-pressed', String(on));
    pause.textContent = on ? 'Resume' : 'Pause';
  } }, 'Pause');
  main.append(h('div', { class: 'screenhead' }, h('h1', {}, 'Operations'), tabs),
    h('div', { class: 'grid2' },
      h('div', {}, section('Requests and errors', reqChart), section('Latency (ms)', latChart), section('Busiest routes', routes)),
      h('div', {}, section('Providers', providers), section('Indexes, caches and stores', stats), section('Distillation', distill),
        section('Journal (live)', h('div', { class: 'inline' }, pause, h('span', { class: 'muted' }, 'newest first')), feed))));

  const charts = {};
  async function drawCharts() {
    const [uPlot, series] = await Promise.all([loadUplot(), get('/v1/observer/series?window=' + windowName, { signal: ctx.signal })]);
    const pts = series.points;
    const xs = pts.map((p) => p.t);
    const width = Math.max(320, reqChart.parentElement.clientWidth - 24);
    const draw = (key, el, opts, data) => {
      if (charts[key]) { charts[key].setData(data); charts[key].setSize({ width, height: 200 }); return; }
      charts[key] = new uPlot({ width, height: 200, scales: { x: { time: true } }, legend: { live: false }, ...opts }, data, el);
    };
    draw('req', reqChart, {
      series: [{}, { label: 'requests', stroke: '#2a6f97', fill: 'rgba(42,111,151,0.12)' },
        { label: '4xx', stroke: '#e9a23b' }, { label: '5xx', stroke: '#c0392b', width: 2 }],
      axes: [{}, { label: `per ${series.step_seconds} s` }],
    }, [xs, pts.map((p) => p.requests), pts.map((p) => p.client_errors), pts.map((p) => p.errors)]);
    draw('lat', latChart, {
      series: [{}, { label: 'p50', stroke: '#2a9d8f' }, { label: 'p95', stroke: '#e9a23b' }, { label: 'p99', stroke: '#c0392b' }],
      scales: { x: { time: true }, y: { distr: 3 } },
      axes: [{}, { label: 'ms (log)' }],
    }, [xs, pts.map((p) => p.p50_ms), pts.map((p) => p.p95_ms), pts.map((p) => p.p99_ms)]);
  }

  async function loadSummary() {
    const s = await get('/v1/observer/summary', { signal: ctx.signal });
    const w = s.windows[windowName];
    const rows = Object.entries(w.by_route).map(([route, r]) => ({ route, ...r })).sort((a, b) => b.count - a.count).slice(0, 12);
    set(routes, table([
      { label: 'Route', cell: (r) => r.route },
      { label: 'Requests', num: true, cell: (r) => num(r.count) },
      { label: 'Errors', num: true, cell: (r) => num(Object.entries(r.by_status).filter(([c]) => c >= 500).reduce((a, [, n]) => a + n, 0)) },
      { label: 'p50', num: true, cell: (r) => r.p50_ms },
      { label: 'p95', num: true, cell: (r) => r.p95_ms },
      { label: 'p99', num: true, cell: (r) => r.p99_ms },
    ], rows, { empty: 'No requests in this window.' }),
    w.top_failure_reasons.length ? h('div', {}, h('h3', {}, 'Top validation failures'),
      h('ol', {}, w.top_failure_reasons.map((f) => h('li', {}, `${num(f.count)} × ${f.reason}`)))) : null);
    return s;
  }

  async function loadStats(summary) {
    const [p, idx, roster, fills, journal, memory] = await Promise.all([
      api('/v1/chat/providers', { signal: ctx.signal }), api('/v1/indexes', { signal: ctx.signal }),
      api('/v1/validate/roster', { signal: ctx.signal }), api('/v1/fills?limit=1', { signal: ctx.signal }),
      api('/v1/journal/stats', { signal: ctx.signal }), api('/v1/memory/stats', { signal: ctx.signal })]);
    set(providers, p.ok ? table([
      { label: 'Provider', cell: (x) => x.name },
      { label: 'Configured', cell: (x) => (x.configured ? 'yes' : 'no') },
      { label: 'Breaker', cell: (x) => (x.breaker ? badge(x.breaker.state, `breaker-${x.breaker.state}`) : '—') },
      { label: 'Failures', num: true, cell: (x) => (x.breaker ? num(x.breaker.consecutive_failures) : '—') },
      { label: 'Models', cell: (x) => (x.models || []).slice(0, 4).join(', ') },
    ], p.data.providers, { empty: 'No providers.' }) : errorBox(p.error));
    const cache = summary.windows[windowName].embed_cache;
    const facts = [
      ['Embedding cache hit rate', cache.hit_rate === null ? '—' : `${fixed(100 * cache.hit_rate)}% (${num(cache.hits)} hits, ${num(cache.misses)} misses)`],
      ['Observer queue', `${num(summary.queue.depth)} queued, ${num(summary.queue.dropped)} dropped`],
    ];
    if (roster.ok) facts.push(['Roster', `${num(roster.data.workers)} workers, ${num(roster.data.orders)} orders, loaded ${when(roster.data.loaded_at)}`]);
    if (fills.ok) facts.push(['Fills ledger', `${num(fills.data.ledger.rows)} rows, ${num(fills.data.ledger.active)} active, ${num(fills.data.ledger.pending)} pending compaction`]);
    if (journal.ok) facts.push(['Journal', `${num(journal.data.last_seq)} events, ${num(journal.data.segments)} segment(s)`]);
    if (memory.ok) facts.push(['Memory', `${num(memory.data.live)} live memories about ${num(memory.data.subjects)} subjects`]);
    set(stats, h('dl', { class: 'facts' }, facts.map(([k, v]) => fact(k, v))),
      idx.ok ? table([
        { label: 'Index', cell: (i) => i.name },
        { label: 'Vectors', num: true, cell: (i) => num(i.count ?? i.size) },
        { label: 'Dims', num: true, cell: (i) => i.dims },
        { label: 'Metric', cell: (i) => i.metric },
      ], idx.data.indexes, { empty: 'No vector index yet.' }) : errorBox(idx.error));
  }

  async function loadDistill() {
    const r = await api('/v1/distill/status', { signal: ctx.signal });
    if (!r.ok) { set(distill, errorBox(r.error)); return; }
    set(distill, table([
      { label: 'Step', cell: ([k]) => k },
      { label: 'Status', cell: ([, v]) => (v ? badge(receiptStatus(v)) : h('span', { class: 'muted' }, 'never run')) },
      { label: 'When', cell: ([, v]) => (v ? when(v.finished_at || v.at || v.started_at) : '—') },
      { label: 'Receipt', cell: ([, v]) => (v ? h('code', {}, brief(v)) : '') },
    ], Object.entries(r.data)));
  }

  async function refresh() {
    try {
      const [, summary] = await Promise.all([drawCharts(), loadSummary()]);
      await Promise.all([loadStats(summary), loadDistill()]);
    } catch (e) {
      if (e.name !== 'AbortError') main.prepend(errorBox(e.message));
    }
  }

  // The journal: the last events, then follow (long poll) until the screen closes.
  async function follow() {
    let after = 0;
    try {
      const stats = await get('/v1/journal/stats', { signal: ctx.signal });
      after = Math.max(0, (stats.last_seq || 0) - 30);
    } catch (e) { if (e.name === 'AbortError') return; }
    while (!ctx.signal.aborted) {
      const path = `/v1/journal/follow?after_seq=${after}&wait_ms=20000`;
      let r;
      try { r = await api(path, { signal: ctx.signal }); } catch (e) { if (e.name === 'AbortError') return; await sleep(2000); continue; }
      if (!r.ok) { feed.prepend(h('li', { class: 'error' }, r.error)); await sleep(5000); continue; }
      if (r.data.events.length) after = r.data.events[r.data.events.length - 1].seq;
      else if (r.data.last_seq) after = Math.max(after, r.data.last_seq);
      if (pause.getAttribute('aria-pressed') === 'true') continue;
      for (const ev of r.data.events) {
        feed.prepend(h('li', {}, h('span', { class: 'muted' }, `#${ev.seq} ${when(ev.ts)} `), h('strong', {}, ev.type), ` ${ev.subject || ''} `,
          h('code', {}, JSON.stringify(ev.payload || {}).slice(0, 160))));
      }
      while (feed.children.length > 200) feed.lastChild.remove();
    }
  }
  const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

  await refresh();
  ctx.ready('operations');
  const timer = setInterval(refresh, 5000);
  ctx.onCleanup(() => clearInterval(timer));
  follow();
}

//! An audit's PASS / FAIL, else "done" (a receipt is written when a step finishes).
function receiptStatus(v) { return v.result ? String(v.result).toLowerCase() : 'done'; }

function brief(v) {
  const keep = {};
  for (const [k, x] of Object.entries(v)) if (typeof x !== 'object' || x === null) keep[k] = x;
  return JSON.stringify(keep).slice(0, 240);
}
