// console/data.js: the Data screen (/ui/data): datasets with their versions and schemas,
// read-only SQL with the answer as a table, and CSV/JSONL/Parquet upload with the ingest
// report: rows landed, rows quarantined and why (the first ones, with their lines).
import { api, get, enc } from './api.js';
import { h, set, fact, table, section, num, when, toast, errorBox } from './dom.js';

const TYPES = { csv: 'text/csv', jsonl: 'application/x-ndjson', ndjson: 'application/x-ndjson', parquet: 'application/vnd.apache.parquet' };

export async function render(main, _params, ctx) {
  const list = h('div', { id: 'datasets' });
  const detail = h('div', { id: 'dataset' });
  const sql = h('textarea', { id: 'sql', rows: 5, spellcheck: 'false', 'aria-label': 'SQL' },
    'SELECT role, count(*) AS workers, round(avg(rating), 2) AS avg_rating\nFROM workers WHERE status = \'active\'\nGROUP BY role ORDER BY workers DESC');
  const sqlOut = h('div', { id: 'sqlresult', 'aria-live': 'polite' });
  const upName = h('input', { type: 'text', name: 'dataset', required: true, pattern: '[a-z][a-z0-9_]*', placeholder: 'dataset name', 'aria-label': 'Dataset name' });
  const upMode = h('select', { 'aria-label': 'Mode' }, h('option', { value: 'append' }, 'append rows'), h('option', { value: 'replace' }, 'replace the dataset'));
  const upFile = h('input', { type: 'file', required: true, accept: '.csv,.jsonl,.ndjson,.parquet', 'aria-label': 'File' });
  const upOut = h('div', { id: 'ingestreport', 'aria-live': 'polite' });
  main.append(h('div', { class: 'screenhead' }, h('h1', {}, 'Data')),
    h('div', { class: 'grid2' },
      h('div', {}, section('Datasets', list), section('Upload', h('form', { class: 'stack', onsubmit: upload },
        upName, upMode, upFile, h('button', { type: 'submit', class: 'primary' }, 'Upload')), upOut)),
      h('div', {}, detail, section('SQL (read-only)',
        h('form', { class: 'stack', onsubmit: (e) => { e.preventDefault(); run(); } }, sql,
          h('div', {}, h('button', { type: 'submit', class: 'primary' }, 'Run'), h('span', { class: 'muted' }, '  Ctrl+Enter runs'))), sqlOut))));
  sql.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); } });

  async function loadList() {
    const d = await get('/v1/datasets', { signal: ctx.signal });
    set(list, table([
      { label: 'Dataset', cell: (s) => h('button', { type: 'button', class: 'link', onclick: () => show(s.name) }, s.name) },
      { label: 'Version', num: true, cell: (s) => `v${s.current_version}` },
      { label: 'Rows', num: true, cell: (s) => num(s.row_count) },
      { label: 'Updated', cell: (s) => when(s.updated_at) },
    ], d.datasets, { empty: 'No datasets yet: upload one, or run `lakehouse gen`.' }));
  }

  async function show(name) {
    const r = await api(`/v1/datasets/${enc(name)}`);
    if (!r.ok) { set(detail, errorBox(r.error)); return; }
    const m = r.data;
    const versions = (m.versions || []).slice().reverse();
    const cur = versions[0] || {};
    set(detail, section(`Dataset ${name}`,
      h('p', { class: 'muted' }, `SQL names: ${(m.views || []).join(', ')}`),
      table([
        { label: 'Column', cell: (c) => c.name },
        { label: 'Type', cell: (c) => c.type },
      ], cur.columns || m.columns || [], { caption: 'Schema', empty: 'No schema recorded.' }),
      table([
        { label: 'Version', cell: (v) => `v${v.version}` },
        { label: 'Rows', num: true, cell: (v) => num(v.row_count) },
        { label: 'Created', cell: (v) => when(v.created_at) },
        { label: 'Source', cell: (v) => v.source || v.origin || '' },
        { label: '', cell: (v) => h('button', { type: 'button', class: 'small', onclick: () => { sql.value = `SELECT * FROM "${name}@v${v.version}" LIMIT 100`; run(); } }, 'Query') },
      ], versions, { caption: 'Versions' })));
  }

  async function run() {
    set(sqlOut, h('p', { class: 'muted' }, 'Running…'));
    const r = await api('/v1/sql', { method: 'POST', json: { sql: sql.value, limit: 500 } });
    if (!r.ok) { set(sqlOut, errorBox(r.error)); return; }
    const d = r.data;
    set(sqlOut, 
      h('p', { class: 'muted' }, `${num(d.row_count)} row(s)${d.truncated ? ` (truncated by ${d.truncated_by || 'rows'})` : ''} in ${d.elapsed_ms} ms`),
      table(d.columns.map((c, i) => ({ label: `${c.name} (${c.type})`, cell: (row) => cell(row[i]) })), d.rows, { empty: 'No rows.' }));
  }

  async function upload(e) {
    e.preventDefault();
    const file = upFile.files[0];
    const name = upName.value.trim();
    if (!file || !name) return;
    const ext = file.name.split('.').pop().toLowerCase();
    const type = TYPES[ext];
    if (!type) { set(upOut, errorBox(`Cannot tell the format of ${file.name}: use .csv, .jsonl or .parquet.`)); return; }
    set(upOut, h('p', { class: 'muted' }, `Uploading ${file.name} (${num(file.size)} bytes)…`));
    const r = await api(`/v1/datasets/${enc(name)}/ingest?mode=${upMode.value}&filename=${enc(file.name)}`, { method: 'POST', body: file, headers: { 'content-type': type } });
    if (!r.ok) { set(upOut, errorBox(r.error)); toast(`Upload refused: ${r.error}`, 'error'); return; }
    const d = r.data;
    toast(`${d.dataset} v${d.version}: ${num(d.rows_ingested)} row(s) landed, ${num(d.rows_quarantined)} quarantined.`, d.rows_quarantined ? 'info' : 'ok');
    set(upOut, 
      h('dl', { class: 'facts' },
        fact('Dataset', `${d.dataset} v${d.version} (${d.mode})`), fact('Rows read', num(d.rows_read)),
        fact('Landed', num(d.rows_ingested)), fact('Quarantined', num(d.rows_quarantined)), fact('Rows now', num(d.row_count))),
      d.rows_quarantined ? h('div', {},
        table([
          { label: 'Line', num: true, cell: (q) => num(q.line_offset) },
          { label: 'Reason', cell: (q) => q.reason },
          { label: 'Record', cell: (q) => h('code', {}, q.raw) },
        ], d.quarantined || [], { caption: 'Quarantined rows (nothing is lost: fix and upload them again)' }),
        d.rows_quarantined > (d.quarantined || []).length ? h('p', { class: 'muted' }, `First ${d.quarantined.length} shown; all ${num(d.rows_quarantined)} are in ${d.quarantine}.`) : h('p', { class: 'muted' }, `Kept in ${d.quarantine}.`)) : null);
    loadList();
    show(d.dataset);
  }

  try { await loadList(); } catch (e) { if (e.name === 'AbortError') return; set(list, errorBox(e.message)); }
  ctx.ready('data');
}

function cell(v) {
  if (v === null) return h('span', { class: 'muted' }, 'NULL');
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

