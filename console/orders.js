// console/orders.js: the Orders screen (/ui/orders): open job orders, most urgent first,
// with their fill counts from the live ledger (GET /v1/orders). Filters live in the URL,
// so a filtered view is a link a coordinator can share.
import { get, enc } from './api.js';
import { h, set, table, badge, num, errorBox, debounce } from './dom.js';

const PAGE = 50;
const FILTERS = ['q', 'role', 'state', 'status', 'urgency', 'from', 'to', 'open'];

export async function render(main, _params, ctx) {
  const p = ctx.params;
  if (!p.has('status') && !p.has('q')) p.set('status', 'open');
  const list = h('div', { id: 'orderlist', 'aria-live': 'polite' });
  const summary = h('div', { class: 'chips', id: 'urgency' });
  const menus = {};
  const control = (name, el) => { el.name = name; el.value = p.get(name) || ''; return el; };
  const search = control('q', h('input', { type: 'search', placeholder: 'Order, client, role or city   ( / )', 'aria-label': 'Search orders', size: 32 }));
  for (const [name, label] of [['role', 'Role'], ['state', 'State'], ['status', 'Status'], ['urgency', 'Urgency']]) {
    menus[name] = control(name, h('select', { 'aria-label': label }, h('option', { value: '' }, `Any ${label.toLowerCase()}`)));
  }
  for (const u of ['urgent', 'upcoming', 'lapsed', 'none']) menus.urgency.append(h('option', { value: u }, u));
  menus.urgency.value = p.get('urgency') || '';
  const from = control('from', h('input', { type: 'date', 'aria-label': 'Dates from' }));
  const to = control('to', h('input', { type: 'date', 'aria-label': 'Dates to' }));
  const open = h('input', { type: 'checkbox', name: 'open', checked: p.get('open') === 'true' });
  const form = h('form', { class: 'filters', role: 'search', onsubmit: (e) => { e.preventDefault(); apply(); } },
    search, menus.role, menus.state, menus.status, menus.urgency,
    h('label', {}, 'From ', from), h('label', {}, 'To ', to),
    h('label', {}, open, ' open slots only'),
    h('button', { type: 'button', onclick: () => { ctx.navigate('/ui/orders?status=open', { replace: true }); } }, 'Reset'));
  main.append(h('div', { class: 'screenhead' }, h('h1', {}, 'Job orders'), summary), form, list);

  let offset = Number(p.get('offset') || 0);
  function apply() {
    const q = new URLSearchParams();
    for (const el of form.elements) {
      if (!FILTERS.includes(el.name)) continue;
      const v = el.type === 'checkbox' ? (el.checked ? 'true' : '') : el.value.trim();
      if (v) q.set(el.name, v);
    }
    if (!q.has('status')) q.set('status', '');
    offset = 0;
    history.replaceState(null, '', '/ui/orders?' + q.toString());
    load(q);
  }
  form.addEventListener('change', (e) => { if (e.target !== search) apply(); });
  search.addEventListener('input', debounce(apply, 250));

  let inflight = null;
  async function load(q) {
    inflight?.abort();
    inflight = new AbortController();
    ctx.signal.addEventListener('abort', () => inflight.abort());
    const query = new URLSearchParams([...q].filter(([, v]) => v));
    query.set('limit', PAGE);
    query.set('offset', offset);
    list.setAttribute('aria-busy', 'true');
    let board;
    try {
      board = await get('/v1/orders?' + query, { signal: inflight.signal });
    } catch (e) {
      if (e.name === 'AbortError') return;
      set(list, errorBox(e.message));
      ctx.ready('orders');
      return;
    }
    list.removeAttribute('aria-busy');
    fillMenus(board.facets);
    set(summary, ...['urgent', 'upcoming', 'lapsed'].map((u) =>
      h('button', { type: 'button', class: `chip ${u}`, onclick: () => { menus.urgency.value = u; apply(); } },
        `${num(board.urgency[u])} ${u}`)));
    set(list, 
      table([
        { label: 'Urgency', cell: (o) => badge(o.urgency) },
        { label: 'Order', cell: (o) => h('a', { href: `/ui/orders/${enc(o.order_id)}` }, o.order_id) },
        { label: 'Role', cell: (o) => o.role },
        { label: 'Client', cell: (o) => o.client_name },
        { label: 'City', cell: (o) => `${o.city}, ${o.state}` },
        { label: 'Shift', cell: (o) => o.shift },
        { label: 'Dates', cell: (o) => `${o.start_date} → ${o.end_date}` },
        { label: 'Starts', num: true, cell: (o) => o.days_to_start === 0 ? 'today' : o.days_to_start > 0 ? `in ${o.days_to_start} d` : `${-o.days_to_start} d ago` },
        { label: 'Filled', cell: (o) => fillBar(o.filled, o.headcount) },
        { label: 'Status', cell: (o) => o.status },
      ], board.orders, { empty: 'No order matches these filters.', rowAttrs: (o) => ({ dataset: { order: o.order_id } }) }),
      pager(board));
    ctx.ready('orders');
  }

  function pager(board) {
    const last = offset + board.orders.length;
    return h('div', { class: 'pager' },
      h('span', { class: 'muted' }, board.total ? `${num(offset + 1)}–${num(last)} of ${num(board.total)} orders` : ''),
      h('button', { type: 'button', disabled: offset === 0, onclick: () => { offset = Math.max(0, offset - PAGE); load(currentQuery()); } }, '← Previous'),
      h('button', { type: 'button', disabled: last >= board.total, onclick: () => { offset += PAGE; load(currentQuery()); } }, 'Next →'));
  }
  const currentQuery = () => new URLSearchParams(location.search);

  let menusFilled = false;
  function fillMenus(facets) {
    if (menusFilled) return;
    menusFilled = true;
    for (const [name, key] of [['role', 'roles'], ['state', 'states'], ['status', 'statuses']]) {
      const sel = menus[name];
      for (const f of facets[key]) sel.append(h('option', { value: f.value }, `${f.value} (${num(f.count)})`));
      sel.value = p.get(name) || '';
    }
  }

  load(p);
}

export function fillBar(filled, headcount) {
  const pct = headcount > 0 ? Math.min(100, Math.round((100 * filled) / headcount)) : 0;
  const bar = h('span', { class: 'barfill' });
  bar.style.width = `${pct}%`;  // CSSOM, which the page's Content-Security-Policy allows
  return h('span', { class: 'fill', title: `${filled} of ${headcount} filled` },
    h('span', { class: 'bar' }, bar), ` ${filled}/${headcount}`);
}
