#include "server/web_console.h"

namespace lakehouse {

std::string_view WebConsoleHtml() {
  static constexpr std::string_view kHtml = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Lakehouse</title>
<style>
 body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2733; background: #f6f8fa; }
 header { background: #1d2733; color: #fff; padding: 10px 20px; }
 header { display: flex; gap: 16px; align-items: center; }
 header h1 { font-size: 18px; margin: 0; flex: 1; }
 header input { font: 12px monospace; }
 main { display: grid; grid-template-columns: 260px 1fr; gap: 16px; padding: 16px 20px; }
 section { background: #fff; border: 1px solid #d8dee4; border-radius: 6px; padding: 12px; overflow: auto; }
 h2 { font-size: 14px; margin: 0 0 8px; }
 ul { list-style: none; padding: 0; margin: 0; }
 li { padding: 4px 0; cursor: pointer; }
 li small { color: #57606a; }
 textarea { width: 100%; height: 90px; font: 13px monospace; box-sizing: border-box; }
 button { margin-top: 6px; padding: 6px 14px; }
 table { border-collapse: collapse; margin-top: 10px; font-size: 13px; }
 th, td { border: 1px solid #d8dee4; padding: 3px 8px; text-align: left; white-space: nowrap; }
 th { background: #eef1f4; }
 #status { color: #57606a; margin-left: 10px; }
 .error { color: #b42318; }
</style>
</head>
<body>
<header><h1>Lakehouse &mdash; staffing data console</h1>
 <label>API key <input id="key" type="password" autocomplete="off" placeholder="lh_... (when auth is on)" size="30"></label>
 <span id="auth"></span></header>
<main>
 <section><h2>Datasets</h2><ul id="datasets"></ul></section>
 <section>
  <h2>SQL (read-only)</h2>
  <textarea id="sql">SELECT role, count(*) AS workers, round(avg(rating), 2) AS avg_rating
FROM workers WHERE status = 'active' GROUP BY role ORDER BY workers DESC</textarea>
  <button id="run">Run</button><span id="status"></span>
  <div id="result"></div>
 </section>
</main>
<script>
const el = (t, text) => { const e = document.createElement(t); if (text !== undefined) e.textContent = text; return e; };
// The API key lives in this tab's session only (never a cookie: other sites cannot use it).
const keyInput = document.getElementById('key');
keyInput.value = sessionStorage.getItem('lakehouse.key') || '';
keyInput.onchange = () => { sessionStorage.setItem('lakehouse.key', keyInput.value.trim()); loadDatasets(); };
async function api(path, init = {}) {
  const headers = Object.assign({}, init.headers || {});
  const key = sessionStorage.getItem('lakehouse.key');
  if (key) headers['authorization'] = 'Bearer ' + key;
  const r = await fetch(path, Object.assign({}, init, { headers }));
  document.getElementById('auth').textContent = r.status === 401 ? 'enter an API key' : (r.status === 403 ? 'this key lacks a scope' : '');
  return r;
}
async function loadDatasets() {
  const r = await api('/v1/datasets'); const j = await r.json();
  if (!r.ok) return;
  const ul = document.getElementById('datasets'); ul.innerHTML = '';
  for (const d of j.datasets) {
    const li = el('li'); li.append(el('b', d.name), ' ', el('small', `v${d.current_version} · ${d.row_count} rows`));
    li.onclick = () => { document.getElementById('sql').value = `SELECT * FROM ${d.name} LIMIT 50`; run(); };
    ul.append(li);
  }
}
async function run() {
  const status = document.getElementById('status'), out = document.getElementById('result');
  status.textContent = 'running...'; out.innerHTML = '';
  const r = await api('/v1/sql', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sql: document.getElementById('sql').value, limit: 500 }) });
  const j = await r.json();
  if (!r.ok) { status.textContent = ''; out.append(el('p', `${r.status} ${j.error.code}: ${j.error.message}`)); out.firstChild.className = 'error'; return; }
  status.textContent = `${j.row_count} rows${j.truncated ? ' (truncated)' : ''} in ${j.elapsed_ms} ms`;
  const table = el('table'), head = el('tr');
  for (const c of j.columns) head.append(el('th', `${c.name} (${c.type})`));
  table.append(head);
  for (const row of j.rows) {
    const tr = el('tr');
    for (const v of row) tr.append(el('td', v === null ? 'NULL' : (typeof v === 'object' ? JSON.stringify(v) : String(v))));
    table.append(tr);
  }
  out.append(table);
}
document.getElementById('run').onclick = run;
loadDatasets();
</script>
</body>
</html>
)HTML";
  return kHtml;
}

}  // namespace lakehouse
