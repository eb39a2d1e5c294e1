// console/order.js: one job order (/ui/orders/{order_id}): its facts and fill count, the
// ledger's placements, its pathway, and the candidates matrix retrieve finds for it with
// their reasons (workers already placed are left out by the server). The coordinator
// selects workers, sees the Fill validator's verdict live (each error beside the worker it
// names), and commits; or asks the planner/model for a draft (POST /v1/iterate) and sees
// every attempt with its errors before committing. Outreach emails are drafted, validated
// live and recorded the same way.
import { api, get, enc, loadNames, nameOf } from './api.js';
import { h, set, fact, table, section, badge, num, fixed, when, toast, errorBox, debounce } from './dom.js';
import { fillBar } from './orders.js';

export async function render(main, [orderId], ctx) {
  const state = { order: null, selected: [], placed: [], verdict: null, runId: null };
  const head = h('div', { id: 'orderhead' });
  const placements = h('div', { id: 'placements' });
  const pathway = h('div', { id: 'pathway' });
  const candidates = h('div', { id: 'candidates' });
  const selection = h('div', { id: 'selection' });
  const draft = h('div', { id: 'draft' });
  const email = h('div', { id: 'email' });
  main.append(head,
    h('div', { class: 'grid2' },
      h('div', {}, section('Candidates', candidates)),
      h('div', {},
        section('Selection', selection),
        section('Draft a fill with the model', draft),
        section('Placements', placements),
        section('Pathway', pathway),
        section('Outreach email', email))));

  async function loadOrder() {
    const d = await get(`/v1/orders/${enc(orderId)}`, { signal: ctx.signal });
    await loadNames(d.placements.map((r) => r.worker_id), ctx.signal);
    state.order = d.order;
    const o = d.order;
    set(head, 
      h('div', { class: 'screenhead' },
        h('h1', {}, `${o.order_id} · ${o.role}`), badge(o.urgency),
        h('span', { class: 'muted' }, `${o.client_name} · ${o.city}, ${o.state}`)),
      h('dl', { class: 'facts' },
        fact('Shift', o.shift), fact('Dates', `${o.start_date} → ${o.end_date}`),
        fact('Headcount', num(o.headcount)), fact('Filled', h('span', { id: 'filled' }, fillBar(o.filled, o.headcount))),
        fact('Open slots', h('span', { id: 'openslots' }, num(o.open_slots))),
        fact('Pay', `$${fixed(o.pay_rate, 2)}/h`), fact('Status', o.status),
        fact('Certifications', o.required_certifications.join(', ') || 'none'),
        fact('Skills', o.required_skills.join(', ') || 'none')));
    set(placements, table([
      { label: 'Worker', cell: (r) => workerLink(r.worker_id) },
      { label: 'Fill', cell: (r) => r.fill_id },
      { label: 'Status', cell: (r) => badge(r.status) },
      { label: 'Committed', cell: (r) => when(r.committed_at) },
      { label: 'By', cell: (r) => r.source || '—' },
      { label: '', cell: (r) => r.status === 'active'
        ? h('button', { type: 'button', class: 'small', onclick: () => cancel(r) }, 'Cancel…') : '' },
    ], d.placements, { empty: 'No one is placed on this order yet.' }));
    state.placed = d.placements.filter((r) => r.status === 'active').map((r) => r.worker_id);
    emailWorkers();
  }

  async function loadPathway() {
    const r = await api(`/v1/pathways/${enc(orderId)}`, { signal: ctx.signal });
    if (r.status === 404) { set(pathway, h('p', { class: 'muted' }, 'No steps recorded yet.')); return; }
    if (!r.ok) { set(pathway, errorBox(r.error)); return; }
    set(pathway, h('ol', { class: 'steps' }, r.data.steps.map((s) =>
      h('li', { dataset: { step: s.step } }, badge(s.step, 'step'), ' ', h('time', { datetime: s.at }, when(s.at)),
        h('span', { class: 'muted' }, ` · ${s.source || ''}`)))));
  }

  let candidateRows = [];
  async function loadCandidates() {
    set(candidates, h('p', { class: 'muted' }, 'Finding candidates…'));
    const r = await api('/v1/matrix/retrieve', { method: 'POST', json: { order_id: orderId, corpora: ['workers'], k: 25 }, signal: ctx.signal });
    if (!r.ok) { set(candidates, errorBox(r.error)); return; }
    candidateRows = r.data.results;
    await loadNames(candidateRows.map((c) => c.id), ctx.signal);
    const place = r.data.place ? `near ${r.data.place.city}, ${r.data.place.state} (${r.data.place.scope})` : '';
    set(candidates, 
      h('p', { class: 'muted' }, `${candidateRows.length} candidates ${place}; ${num(r.data.excluded)} already placed on this or an overlapping order left out.`),
      table([
        { label: 'Select', cell: (c) => h('input', { type: 'checkbox', 'aria-label': `Select ${c.id}`, checked: state.selected.includes(c.id), onchange: (e) => toggle(c.id, e.target.checked) }) },
        { label: 'Worker', cell: (c) => workerLink(c.id) },
        { label: 'City', cell: (c) => `${c.payload.city || ''}, ${c.payload.state || ''}` },
        { label: 'Miles', num: true, cell: (c) => fixed(c.reasons.distance_miles) },
        { label: 'Certifications', cell: (c) => certs(c.reasons) },
        { label: 'Shift', cell: (c) => shift(c.reasons.shift) },
        { label: 'Rating', num: true, cell: (c) => fixed(c.reasons.rating) },
        { label: 'Reliability', num: true, cell: (c) => fixed(c.reasons.reliability, 2) },
        { label: 'Available', cell: (c) => (c.reasons.available ? 'yes' : 'no') },
        { label: 'Match', num: true, cell: (c) => fixed(c.reasons.similarity, 3) },
        { label: '', class: 'why', cell: (c) => h('span', { class: 'rowerror', dataset: { for: c.id } }) },
      ], candidateRows, { empty: 'No candidate found for this order.', rowAttrs: (c) => ({ dataset: { worker: c.id } }) }));
    showVerdict();
  }

  function certs(r) {
    return h('span', {}, r.certifications_matched.map((c) => h('span', { class: 'ok' }, `✓ ${c} `)),
      r.certifications_missing.map((c) => h('span', { class: 'bad' }, `✗ ${c} `)),
      !r.certifications_matched.length && !r.certifications_missing.length ? '—' : null);
  }
  function shift(s) {
    return h('span', { class: s.match ? 'ok' : 'bad', title: s.needed ? `the order needs ${s.needed}` : '' },
      `${s.match ? '✓' : '✗'} ${s.worker || '?'}${s.match ? '' : ` (needs ${s.needed})`}`);
  }

  // Selection and live validation.
  const addInput = h('input', { type: 'text', placeholder: 'Worker id, e.g. W0000042', 'aria-label': 'Add a worker by id', size: 18 });
  const chips = h('ul', { class: 'chips', id: 'selected', 'aria-label': 'Selected workers' });
  const verdictBox = h('div', { id: 'verdict', 'aria-live': 'polite' });
  const commitBtn = h('button', { type: 'button', class: 'primary', id: 'commit', disabled: true, onclick: commit }, 'Commit fill');
  selection.append(
    h('form', { class: 'inline', onsubmit: async (e) => {
      e.preventDefault();
      const id = addInput.value.trim();
      addInput.value = '';
      if (!id) return;
      await loadNames([id]);
      toggle(id, true);
    } },
      addInput, h('button', { type: 'submit' }, 'Add')),
    chips, verdictBox, commitBtn);

  function toggle(id, on) {
    state.selected = on ? [...new Set([...state.selected, id])] : state.selected.filter((x) => x !== id);
    for (const box of candidates.querySelectorAll(`tr[data-worker="${CSS.escape(id)}"] input[type=checkbox]`)) box.checked = on;
    if (!on && state.selected.length === 0) state.runId = null;
    renderChips();
    validate();
  }
  function renderChips() {
    set(chips, ...state.selected.map((id, i) => h('li', { class: 'chip', dataset: { worker: id, index: i } },
      workerLink(id),
      h('button', { type: 'button', class: 'x', 'aria-label': `Remove ${id}`, onclick: () => toggle(id, false) }, '×'),
      h('span', { class: 'rowerror', dataset: { for: id } }))));
    emailWorkers();
  }

  let validation = null;
  const validate = debounce(async () => {
    validation?.abort();
    state.verdict = null;
    commitBtn.disabled = true;
    if (!state.selected.length) { showVerdict(); return; }
    validation = new AbortController();
    set(verdictBox, h('p', { class: 'muted' }, 'Validating…'));
    const r = await api('/v1/validate', { method: 'POST', signal: validation.signal,
      json: { kind: 'fill', payload: { order_id: orderId, worker_ids: state.selected } } }).catch((e) => e);
    if (r.name === 'AbortError') return;
    if (r instanceof Error) { set(verdictBox, errorBox(r.message)); return; }
    if (r.status !== 200 && r.status !== 422) { set(verdictBox, errorBox(r.error)); return; }
    state.verdict = r.data;
    showVerdict();
  }, 120);

  //! Each error beside what it names: "worker_ids[i]" is the i-th selected worker.
  function showVerdict() {
    for (const el of main.querySelectorAll('.rowerror')) el.textContent = '';
    for (const el of main.querySelectorAll('.invalid')) el.classList.remove('invalid');
    const v = state.verdict;
    if (!v) { set(verdictBox, state.selected.length ? '' : h('p', { class: 'muted' }, 'Select candidates, or add a worker by id.')); return; }
    const general = [];
    for (const e of v.errors) {
      const [kind, detail] = Object.entries(e)[0];
      const m = /^worker_ids\[(\d+)\]/.exec(detail.field || '');
      const id = m ? state.selected[Number(m[1])] : null;
      if (id) {
        for (const el of main.querySelectorAll(`.rowerror[data-for="${CSS.escape(id)}"]`)) {
          el.textContent += `${el.textContent ? ' · ' : ''}${kind}: ${detail.reason}`;
          el.closest('tr, li')?.classList.add('invalid');
        }
      } else {
        general.push({ kind, ...detail });
      }
    }
    if (v.valid) {
      const after = state.order.filled + state.selected.length;
      set(verdictBox, h('p', { class: 'okbox' }, `Valid: ${state.selected.length} worker(s); ${after} of ${state.order.headcount} filled after commit.`));
    } else {
      set(verdictBox, h('p', { class: 'error', role: 'alert' }, `${v.errors.length} problem(s): fix them before committing.`),
        general.length ? h('ul', { class: 'errors' }, general.map((g) => h('li', {}, `${g.kind}${g.field ? ` (${g.field})` : ''}: ${g.reason}`))) : null);
    }
    commitBtn.disabled = !v.valid || !state.selected.length;
  }

  async function commit() {
    commitBtn.disabled = true;
    const json = { order_id: orderId, worker_ids: state.selected };
    if (state.runId) json.run_id = state.runId;
    const r = await api('/v1/fills', { method: 'POST', json });
    if (r.status === 201) {
      toast(`Committed ${r.data.fill_id}: ${r.data.placements.length} worker(s) placed on ${orderId}.`);
      state.selected = [];
      state.verdict = null;
      state.runId = null;
      renderChips();
      await refresh();
    } else if (r.status === 422) {
      state.verdict = r.data;
      showVerdict();
      toast('Not committed: the validator found problems (shown beside each worker).', 'error');
    } else {
      toast(`Not committed: ${r.error}`, 'error');
      commitBtn.disabled = false;
    }
  }

  async function cancel(row) {
    const reason = prompt(`Cancel ${row.fill_id}? Say why (kept in the ledger):`);
    if (!reason) return;
    const r = await api(`/v1/fills/${enc(row.fill_id)}?reason=${enc(reason)}`, { method: 'DELETE' });
    if (r.ok) { toast(`Cancelled ${row.fill_id}: ${r.data.placements.length} placement(s) freed.`); await refresh(); }
    else toast(`Not cancelled: ${r.error}`, 'error');
  }

  async function refresh() {
    await Promise.all([loadOrder(), loadPathway(), loadCandidates()]).catch((e) => toast(e.message, 'error'));
  }

  // Draft with the model: every attempt and its errors, then use the valid one.
  draft.append(h('p', { class: 'muted' }, 'The planner (or the configured model) proposes workers; each attempt is checked by the Fill validator.'),
    h('button', { type: 'button', id: 'draftfill', onclick: draftFill }, 'Draft a fill'), h('div', { id: 'attempts' }));
  async function draftFill() {
    const out = draft.querySelector('#attempts');
    set(out, h('p', { class: 'muted' }, 'Asking the model…'));
    const r = await api('/v1/iterate', { method: 'POST', json: { kind: 'fill', task: { order_id: orderId } } });
    if (!r.ok && !(r.data && r.data.attempts)) { set(out, errorBox(r.error)); return; }
    set(out, attemptsView(r.data), r.data.valid && r.data.final
      ? h('button', { type: 'button', class: 'primary', onclick: () => {
        state.selected = [...r.data.final.worker_ids];
        state.runId = r.data.run_id;
        for (const box of candidates.querySelectorAll('input[type=checkbox]')) box.checked = state.selected.includes(box.closest('tr').dataset.worker);
        renderChips();
        validate();
        toast(`Draft ${r.data.run_id} selected: review and commit.`, 'info');
      } }, 'Use this draft')
      : h('p', { class: 'error' }, `No valid draft after ${r.data.attempts.length} attempt(s).`));
  }

  // Outreach email: draft, edit, validate live, record.
  const who = h('select', { 'aria-label': 'Worker to email' });
  const to = h('input', { type: 'email', 'aria-label': 'To', placeholder: 'To' });
  const subject = h('input', { type: 'text', 'aria-label': 'Subject', placeholder: 'Subject' });
  const body = h('textarea', { 'aria-label': 'Body', rows: 7, placeholder: 'Body' });
  const emailVerdict = h('div', { id: 'emailverdict', 'aria-live': 'polite' });
  const emailAttempts = h('div');
  const sendBtn = h('button', { type: 'button', disabled: true, onclick: sendEmail }, 'Record email');
  let emailRun = null;
  email.append(h('div', { class: 'inline' }, who, h('button', { type: 'button', onclick: draftEmail }, 'Draft')),
    emailAttempts, to, subject, body, emailVerdict, sendBtn);
  function emailWorkers() {
    const keep = who.value;
    set(who, ...[...new Set([...state.placed, ...state.selected])].map((id) => h('option', { value: id }, id)));
    if (!who.options.length) who.append(h('option', { value: '' }, 'no placed worker yet'));
    if (keep) who.value = keep;
  }
  async function draftEmail() {
    if (!who.value) { toast('Pick a worker to write to.', 'error'); return; }
    set(emailAttempts, h('p', { class: 'muted' }, 'Asking the model…'));
    const r = await api('/v1/iterate', { method: 'POST', json: { kind: 'email', task: { order_id: orderId, worker_id: who.value } } });
    if (!r.ok && !(r.data && r.data.attempts)) { set(emailAttempts, errorBox(r.error)); return; }
    emailRun = r.data.run_id;
    set(emailAttempts, attemptsView(r.data));
    const f = r.data.final || {};
    to.value = f.to || ''; subject.value = f.subject || ''; body.value = f.body || '';
    validateEmail();
  }
  const emailPayload = () => ({ order_id: orderId, worker_id: who.value, to: to.value, subject: subject.value, body: body.value });
  const validateEmail = debounce(async () => {
    sendBtn.disabled = true;
    const r = await api('/v1/validate', { method: 'POST', json: { kind: 'email', payload: emailPayload() } });
    if (r.status !== 200 && r.status !== 422) { set(emailVerdict, errorBox(r.error)); return; }
    set(emailVerdict, verdictList(r.data));
    sendBtn.disabled = !r.data.valid;
  }, 250);
  for (const el of [to, subject, body]) el.addEventListener('input', validateEmail);
  async function sendEmail() {
    const json = emailPayload();
    if (emailRun) json.run_id = emailRun;
    const r = await api('/v1/emails', { method: 'POST', json });
    if (r.status === 201) { toast(`Recorded ${r.data.email_id} to ${json.to}.`); set(emailVerdict); sendBtn.disabled = true; loadPathway(); }
    else if (r.status === 422) { set(emailVerdict, verdictList(r.data)); toast('Not recorded: the email validator found problems.', 'error'); }
    else toast(`Not recorded: ${r.error}`, 'error');
  }

  try {
    await loadOrder();
  } catch (e) {
    if (e.name === 'AbortError') return;
    set(main, errorBox(e.message), h('p', {}, h('a', { href: '/ui/orders' }, 'Back to the orders')));
    ctx.ready('order');
    return;
  }
  showVerdict();
  await Promise.all([loadPathway(), loadCandidates()]).catch((e) => { if (e.name !== 'AbortError') toast(e.message, 'error'); });
  ctx.ready('order');
}

//! A worker's link: "First Last" with the id beside it (the id alone when the roster has no name).
function workerLink(id) {
  const name = nameOf(id);
  return h('span', { class: 'who' }, h('a', { href: `/ui/workers/${enc(id)}` }, name || id), name ? h('small', { class: 'muted' }, ` ${id}`) : null);
}


//! A verdict's errors as a list (or "valid").
export function verdictList(v) {
  if (v.valid) return h('p', { class: 'okbox' }, 'Valid.');
  return h('ul', { class: 'errors', role: 'alert' }, v.errors.map((e) => {
    const [kind, d] = Object.entries(e)[0];
    return h('li', {}, `${kind}${d.field ? ` (${d.field})` : ''}: ${d.reason}`);
  }));
}

//! An iterate run's attempts, each with what it proposed and its errors.
function attemptsView(run) {
  return h('ol', { class: 'attempts' }, run.attempts.map((a, i) => h('li', {},
    h('div', {}, h('strong', {}, `Attempt ${i + 1}`), h('span', { class: 'muted' }, ` · ${a.model || run.model} · ${num(Math.round(a.latency_ms))} ms`)),
    h('pre', {}, a.extracted ? JSON.stringify(a.extracted, null, 1) : (a.raw || '').slice(0, 600)),
    a.errors.length ? verdictList({ valid: false, errors: a.errors }) : h('p', { class: 'okbox' }, 'Valid.'))));
}
