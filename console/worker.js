// console/worker.js: one worker (/ui/workers/{worker_id}): the roster row, the reconciled
// truth about them (which source won each attribute, and the claims that disagree), their
// memories with each one's version history, and their placements from the fills ledger.
import { api, get, enc } from './api.js';
import { h, set, fact, table, section, badge, num, fixed, when, toast, errorBox } from './dom.js';

export async function render(main, [workerId], ctx) {
  const subject = `worker:${workerId}`;
  let d;
  try {
    d = await get(`/v1/workers/${enc(workerId)}`, { signal: ctx.signal });
  } catch (e) {
    if (e.name === 'AbortError') return;
    main.append(errorBox(e.message), h('p', {}, h('a', { href: '/ui/orders' }, 'Back to the orders')));
    ctx.ready('worker');
    return;
  }
  const w = d.worker;
  const truth = h('div', { id: 'truth' });
  const memories = h('div', { id: 'memories' });
  main.append(
    h('div', { class: 'screenhead' }, h('h1', {}, `${w.first_name} ${w.last_name}`), badge(w.status),
      h('span', { class: 'muted' }, `${w.worker_id} · ${w.role} · ${w.city}, ${w.state}`)),
    h('dl', { class: 'facts' },
      fact('Email', w.email), fact('Shift', w.shift_pref), fact('Available', w.available ? 'yes' : 'no'),
      fact('Rating', fixed(w.rating)), fact('Reliability', fixed(w.reliability, 2)),
      fact('Experience', `${w.years_experience} years`), fact('Pay', `$${fixed(w.pay_rate, 2)}/h`),
      fact('Certifications', w.certifications.join(', ') || 'none')),
    h('div', { class: 'grid2' },
      h('div', {},
        section('Placements', h('div', { id: 'workerplacements' }, table([
          { label: 'Order', cell: (r) => h('a', { href: `/ui/orders/${enc(r.order_id)}` }, r.order_id) },
          { label: 'Fill', cell: (r) => r.fill_id },
          { label: 'Dates', cell: (r) => `${r.start_date} → ${r.end_date}` },
          { label: 'Status', cell: (r) => badge(r.status) },
          { label: 'Committed', cell: (r) => when(r.committed_at) },
        ], d.placements, { empty: 'No placements.' }))),
        section('Reconciled truth', truth)),
      h('div', {}, section('Memories', memories))));

  async function loadTruth() {
    const r = await api(`/v1/truth/${enc(subject)}`, { signal: ctx.signal });
    if (r.status === 404) { set(truth, h('p', { class: 'muted' }, 'No claims about this worker.')); return; }
    if (!r.ok) { set(truth, errorBox(r.error)); return; }
    const rows = Object.entries(r.data.attributes || {}).map(([name, a]) => ({ name, ...a }));
    set(truth, table([
      { label: 'Attribute', cell: (a) => a.name },
      { label: 'Value', cell: (a) => JSON.stringify(a.value) },
      { label: 'Won by', cell: (a) => a.source },
      { label: 'Observed', cell: (a) => when(a.observed_at) },
      { label: 'Conflicts', cell: (a) => a.conflicts && a.conflicts.length
        ? h('ul', { class: 'conflicts' }, a.conflicts.map((c) => h('li', {}, `${c.source}: ${JSON.stringify(c.value)} (${when(c.observed_at)})`)))
        : 'none' },
    ], rows, { empty: 'No claims about this worker.' }),
    r.data.source_priority ? h('p', { class: 'muted' }, `Source priority: ${[].concat(r.data.source_priority).join(' > ')}`) : null);
  }

  const noteText = h('textarea', { rows: 3, 'aria-label': 'New memory about this worker', placeholder: 'What should the team remember about this worker?' });
  async function loadMemories() {
    const r = await api(`/v1/memory?subject=${enc(subject)}`, { signal: ctx.signal });
    if (!r.ok) { set(memories, errorBox(r.error)); return; }
    set(memories, 
      r.data.memories.length ? h('ul', { class: 'memories' }, r.data.memories.map(memoryItem)) : h('p', { class: 'muted' }, 'No memories yet.'),
      h('form', { onsubmit: addMemory }, noteText, h('button', { type: 'submit' }, 'Remember')));
  }
  function memoryItem(m) {
    const history = h('div', { class: 'history' });
    return h('li', { dataset: { memory: m.id } },
      h('p', {}, m.text),
      h('div', { class: 'muted' }, `v${m.version} · ${m.source || ''} · ${when(m.recorded_at)} `,
        h('button', { type: 'button', class: 'small', 'aria-expanded': 'false', onclick: async (e) => {
          const btn = e.target;
          if (btn.getAttribute('aria-expanded') === 'true') { set(history); btn.setAttribute('aria-expanded', 'false'); return; }
          const hr = await api(`/v1/memory/${enc(m.id)}/history`);
          if (!hr.ok) { set(history, errorBox(hr.error)); return; }
          btn.setAttribute('aria-expanded', 'true');
          set(history, h('ol', {}, hr.data.versions.map((v) =>
            h('li', {}, `v${v.version} ${v.op} · ${when(v.recorded_at)} · ${v.source || ''}: `, h('q', {}, v.text || '')))));
        } }, 'History')),
      history);
  }
  async function addMemory(e) {
    e.preventDefault();
    const text = noteText.value.trim();
    if (!text) return;
    const r = await api('/v1/memory', { method: 'POST', json: { subject, text, source: 'coordinator' } });
    if (r.ok) { toast(`Remembered (${r.data.op || 'ADD'} ${r.data.memory ? r.data.memory.id : ''}).`); noteText.value = ''; loadMemories(); }
    else toast(`Not remembered: ${r.error}`, 'error');
  }

  await Promise.all([loadTruth(), loadMemories()]).catch((e) => { if (e.name !== 'AbortError') toast(e.message, 'error'); });
  ctx.ready('worker');
}

