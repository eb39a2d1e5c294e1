// console/api.js: every call the console makes to the server. The API key lives in this
// tab's sessionStorage only (never a cookie: another site cannot make the browser send it),
// entered once per session. Failures become words: "<status> <code>: <message>", the
// server's own JSON error.
const KEY = 'lakehouse.key';

export function apiKey() { return sessionStorage.getItem(KEY) || ''; }
export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY, key); else sessionStorage.removeItem(KEY);
}

let authListener = () => {};
//! Called with (status, message) when the server refuses the key (401) or its scope (403).
export function onAuthProblem(fn) { authListener = fn; }

//! The error of a failed answer, in words.
export function describe(status, data) {
  const e = data && typeof data === 'object' ? data.error : null;
  if (e) return `${status} ${e.code ? e.code + ': ' : ''}${e.message || ''}`.trim();
  if (typeof data === 'string' && data) return `${status}: ${data.slice(0, 300)}`;
  return `${status}: the server gave no reason`;
}

export class ApiError extends Error {
  constructor(status, message, data) { super(message); this.status = status; this.data = data; }
}

//! fetch with the key; answers {ok, status, data, error} and never throws for an HTTP status
//! (a 422 carries the validator's errors): only a network failure or an abort throws.
export async function api(path, { method = 'GET', json, body, headers = {}, signal } = {}) {
  const h = { ...headers };
  const key = apiKey();
  if (key) h.authorization = 'Bearer ' + key;
  let payload = body;
  if (json !== undefined) { h['content-type'] = 'application/json'; payload = JSON.stringify(json); }
  let r;
  try {
    r = await fetch(path, { method, headers: h, body: payload, signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, `The server did not answer (${e.message}). Is it running?`);
  }
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  const error = r.ok ? null : describe(r.status, data);
  if (r.status === 401 || r.status === 403) authListener(r.status, error);
  return { ok: r.ok, status: r.status, data, error };
}

//! A read that must succeed: its data, or an ApiError with the server's words.
export async function get(path, opts) {
  const r = await api(path, opts);
  if (!r.ok) throw new ApiError(r.status, r.error, r.data);
  return r.data;
}

//! A POST with a JSON body that must succeed.
export async function post(path, json, opts = {}) {
  const r = await api(path, { ...opts, method: 'POST', json });
  if (!r.ok) throw new ApiError(r.status, r.error, r.data);
  return r.data;
}

export const enc = encodeURIComponent;

// Worker names, for lists of ids (candidates, placements): asked once per id per page load.
const names = new Map();
//! Makes sure the names of `ids` are known (one GET /v1/workers?ids=... for the new ones).
export async function loadNames(ids, signal) {
  const want = [...new Set(ids)].filter((id) => id && !names.has(id));
  for (let i = 0; i < want.length; i += 500) {
    const r = await api('/v1/workers?ids=' + want.slice(i, i + 500).map(enc).join(','), { signal });
    if (!r.ok) return;
    for (const w of r.data.workers) names.set(w.worker_id, `${w.first_name} ${w.last_name}`);
    for (const id of r.data.missing) names.set(id, null);
  }
}
//! "First Last", or '' when unknown.
export function nameOf(id) { return names.get(id) || ''; }
