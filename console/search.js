// console/search.js: one box over workers, orders, memories and playbooks. The query goes to
// matrix retrieve (every corpus that exists: workers, playbooks, fills, emails, notes, with
// the role gate and place/shift filters the query implies), memory search and the order
// board's text match, side by side; each hit links to its screen.
import { api, enc, loadNames, nameOf } from './api.js';
import { h, set, table, section, num, fixed, errorBox } from './dom.js';

export async function render(main, _params, ctx) {
  const q = ctx.params.get('q') || '';
  const box = h('input', { type: 'search', name: 'q', value: q, size: 50, 'aria-label': 'Search', placeholder: 'forklift drivers nights in Dayton · O000123 · a note   ( / )' });
  const out = h('div', { id: 'results', 'aria-live': 'polite' });
  main.append(h('div', { class: 'screenhead' }, h('h1', {}, 'Search')),
    h('form', { role: 'search', class: 'filters', onsubmit: (e) => {
      e.preventDefault();
      ctx.navigate('/ui/search?q=' + enc(box.value.trim()));
    } }, box, h('button', { type: 'submit', class: 'primary' }, 'Search')), out);
  if (!q) { box.focus(); ctx.ready('search'); return; }

  const opts = { signal: ctx.signal };
  const [matrix, memories, orders] = await Promise.all([
    api('/v1/matrix/retrieve', { ...opts, method: 'POST', json: { query: q, k: 15 } }),
    api('/v1/memory/search', { ...opts, method: 'POST', json: { query: q, k: 10 } }),
    api(`/v1/orders?q=${enc(q)}&limit=10`, opts),
  ]);
  const byCorpus = {};
  if (matrix.ok) for (const r of matrix.data.results) (byCorpus[r.corpus] ||= []).push(r);
  if (byCorpus.workers) await loadNames(byCorpus.workers.map((r) => r.id), ctx.signal);
  const link = (r) => h('a', { href: `/ui/workers/${enc(r.id)}` }, nameOf(r.id) || r.id);
  set(out,
    matrix.ok ? h('p', { class: 'muted' }, describeQuery(matrix.data)) : null,
    section('Workers', matrix.ok ? table([
      { label: 'Worker', cell: link },
      { label: 'Id', cell: (r) => r.id },
      { label: 'Role', cell: (r) => r.payload.role },
      { label: 'City', cell: (r) => `${r.payload.city || ''}, ${r.payload.state || ''}` },
      { label: 'Shift', cell: (r) => r.payload.shift_pref || '' },
      { label: 'Miles', num: true, cell: (r) => fixed(r.reasons.distance_miles) },
      { label: 'Rating', num: true, cell: (r) => fixed(r.reasons.rating) },
      { label: 'Score', num: true, cell: (r) => fixed(r.score, 4) },
    ], byCorpus.workers || [], { empty: 'No worker matches.' }) : errorBox(matrix.error)),
    section('Orders', orders.ok ? table([
      { label: 'Order', cell: (o) => h('a', { href: `/ui/orders/${enc(o.order_id)}` }, o.order_id) },
      { label: 'Role', cell: (o) => o.role },
      { label: 'Client', cell: (o) => o.client_name },
      { label: 'City', cell: (o) => `${o.city}, ${o.state}` },
      { label: 'Filled', cell: (o) => `${o.filled}/${o.headcount}` },
    ], orders.data.orders, { empty: 'No order id, client, role or city contains this text.' }) : errorBox(orders.error)),
    section('Memories', memories.ok ? table([
      { label: 'Subject', cell: (m) => subjectLink(m.subject) },
      { label: 'Memory', cell: (m) => m.text },
      { label: 'Score', num: true, cell: (m) => fixed(m.score, 3) },
    ], memories.data.results, { empty: 'No memory matches.' }) : errorBox(memories.error)),
    section('Playbooks and past work', matrix.ok ? table([
      { label: 'Corpus', cell: (r) => r.corpus },
      { label: 'Id', cell: (r) => r.id },
      { label: 'About', cell: (r) => summary(r.payload) },
      { label: 'Score', num: true, cell: (r) => fixed(r.score, 4) },
    ], Object.entries(byCorpus).filter(([c]) => c !== 'workers').flatMap(([, rs]) => rs), { empty: 'No playbook, fill, email or note matches.' }) : errorBox(matrix.error)));
  ctx.ready('search');
}

function describeQuery(d) {
  const parts = [];
  if (d.role) parts.push(`role ${d.role} (${d.role_source})`);
  if (d.place) parts.push(`near ${d.place.city}, ${d.place.state} (${d.place.scope})`);
  if (d.shift) parts.push(`${d.shift} shift`);
  if (d.gated) parts.push(`${num(d.gated)} other-role results kept out`);
  return parts.length ? `Understood: ${parts.join(' · ')}.` : 'No role, place or shift recognised: ranked by similarity.';
}

function subjectLink(s) {
  const [kind, id] = String(s).split(':');
  if (kind === 'worker' && id) return h('a', { href: `/ui/workers/${enc(id)}` }, s);
  if (kind === 'order' && id) return h('a', { href: `/ui/orders/${enc(id)}` }, s);
  return s;
}

function summary(p) {
  if (!p) return '';
  for (const k of ['name', 'subject', 'text', 'order_id', 'role']) if (typeof p[k] === 'string') return p[k].slice(0, 140);
  return JSON.stringify(p).slice(0, 140);
}
