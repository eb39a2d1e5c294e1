// console/dom.js: the few DOM helpers every screen uses. Text always goes in as text
// (textContent), never as HTML: a name or a model's answer cannot inject markup.

//! h('a', {href, class, onclick, dataset: {...}}, child, [children], 'text', null)
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked' || k === 'disabled' || k === 'selected') el[k] = true;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, kids);
  return el;
}

//! Replaces el's children (null, false and undefined children are left out).
export function set(el, ...kids) {
  el.replaceChildren();
  append(el, kids);
  return el;
}

function append(el, kids) {
  for (const k of kids) {
    if (k === null || k === undefined || k === false) continue;
    if (Array.isArray(k)) append(el, k);
    else el.append(k instanceof Node ? k : String(k));
  }
}

//! A table: columns [{label, cell: row => node|text, class?, num?}], rows; `rowAttrs(row)`.
export function table(columns, rows, { rowAttrs, empty = 'Nothing to show.', caption } = {}) {
  if (!rows.length) return h('p', { class: 'muted' }, empty);
  return h('div', { class: 'tablewrap' },
    h('table', {},
      caption ? h('caption', {}, caption) : null,
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : c.class }, c.label)))),
      h('tbody', {}, rows.map((r) => h('tr', rowAttrs ? rowAttrs(r) : {},
        columns.map((c) => h('td', { class: c.num ? 'num' : c.class }, c.cell(r))))))));
}

export function section(title, ...kids) {
  return h('section', { class: 'card' }, h('h2', {}, title), ...kids);
}

//! A message that says what happened: kind ok | error | info. Stays 6 s (errors 12 s).
let toastTimer = 0;
export function toast(message, kind = 'ok') {
  const t = document.getElementById('toast');
  t.textContent = message;
  t.className = 'toast show ' + kind;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.className = 'toast'; }, kind === 'error' ? 12000 : 6000);
}

//! One entry of a facts list (<dl class="facts">): its label and value.
export function fact(label, value) {
  return h('div', {}, h('dt', {}, label), h('dd', {}, value));
}

export function errorBox(message) {
  return h('p', { class: 'error', role: 'alert' }, message);
}

export function badge(text, kind) { return h('span', { class: `badge ${kind || text}` }, text); }

export const num = (n) => (n === null || n === undefined ? '—' : Number(n).toLocaleString('en-US'));
export const fixed = (n, d = 1) => (n === null || n === undefined ? '—' : Number(n).toFixed(d));
export function when(ts) {
  if (!ts) return '—';
  const d = new Date(ts);
  return isNaN(d) ? String(ts) : d.toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'medium' });
}

//! Runs `fn` `ms` after the last call.
export function debounce(fn, ms) {
  let t = 0;
  return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
}

export function workerName(p) {
  const n = [p.first_name, p.last_name].filter(Boolean).join(' ');
  return n || p.worker_id || p.id || '';
}
