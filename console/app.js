// console/app.js: the shell. Every screen is a deep link the server answers with this page
// (/ui/orders, /ui/orders/{id}, /ui/workers/{id}, /ui/search, /ui/data, /ui/operations);
// links inside the console switch screens without reloading (History API), and each
// screen's module renders into <main>. A screen that finishes loading marks the body
// data-ready="1" (and window.lhReady with its time since navigation start), which is what
// the browser tests and the time-to-interactive measurement wait for.
import { apiKey, setApiKey, onAuthProblem } from './api.js';
import { h, errorBox, toast } from './dom.js';

const screens = [
  [/^\/ui\/orders\/?$/, 'orders', () => import('./orders.js')],
  [/^\/ui\/orders\/([^/]+)$/, 'orders', () => import('./order.js')],
  [/^\/ui\/workers\/([^/]+)$/, 'orders', () => import('./worker.js')],
  [/^\/ui\/search\/?$/, 'search', () => import('./search.js')],
  [/^\/ui\/data\/?$/, 'data', () => import('./data.js')],
  [/^\/ui\/operations\/?$/, 'operations', () => import('./ops.js')],
];

const main = document.getElementById('main');
let current = null;  // {controller, cleanups}
let firstRender = true;

export function navigate(url, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', url); else history.pushState(null, '', url);
  render();
}

async function render() {
  if (current) {
    current.controller.abort();
    for (const fn of current.cleanups) fn();
  }
  if (location.pathname === '/' || location.pathname === '/ui' || location.pathname === '/ui/') {
    history.replaceState(null, '', '/ui/orders');
  }
  const path = location.pathname;
  const match = screens.map(([re, nav, load]) => [path.match(re), nav, load]).find(([m]) => m);
  document.body.dataset.ready = '0';
  const ctx = {
    controller: new AbortController(),
    cleanups: [],
    navigate,
    params: new URLSearchParams(location.search),
    onCleanup(fn) { this.cleanups.push(fn); },
    get signal() { return this.controller.signal; },
    ready(screen) {
      if (this.controller.signal.aborted) return;
      document.body.dataset.screen = screen;
      document.body.dataset.ready = '1';
      window.lhReady = { screen, at: performance.now() };
    },
  };
  current = ctx;
  for (const a of document.querySelectorAll('nav a')) {
    a.classList.toggle('active', !!match && a.dataset.nav === match[1]);
    if (match && a.dataset.nav === match[1]) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!match) {
    main.replaceChildren(errorBox(`No screen at ${path}.`), h('p', {}, h('a', { href: '/ui/orders' }, 'Go to the orders')));
    ctx.ready('none');
    return;
  }
  const [m, , load] = match;
  try {
    const mod = await load();
    if (ctx.signal.aborted) return;
    main.replaceChildren();
    await mod.render(main, m.slice(1).map(decodeURIComponent), ctx);
  } catch (e) {
    if (e.name === 'AbortError' || ctx.signal.aborted) return;
    main.replaceChildren(errorBox(e.message || String(e)));
    ctx.ready('error');
  }
  if (!firstRender) main.focus({ preventScroll: true });
  firstRender = false;
}

// Links inside the console switch screens in place; a modified click opens a tab as usual.
document.addEventListener('click', (e) => {
  const a = e.target.closest && e.target.closest('a[href]');
  if (!a || a.target || e.defaultPrevented || e.button !== 0) return;
  if (e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith('/ui/')) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener('popstate', render);

// "/" focuses the screen's search or filter box, as in most consoles.
document.addEventListener('keydown', (e) => {
  if (e.key !== '/' || e.target.closest('input, textarea, select')) return;
  const box = main.querySelector('input[type=search]');
  if (box) { e.preventDefault(); box.focus(); }
});

// The key: entered once, kept for this tab's session.
const keyInput = document.getElementById('apikey');
const keyState = document.getElementById('keystate');
function showKeyState(problem) {
  keyState.textContent = problem || (apiKey() ? 'key in use' : 'no key');
  keyState.className = problem ? 'error' : 'muted';
  keyInput.classList.toggle('attention', !!problem);
}
document.getElementById('keyform').addEventListener('submit', (e) => {
  e.preventDefault();
  setApiKey(keyInput.value.trim());
  keyInput.value = '';
  showKeyState();
  toast(apiKey() ? 'API key saved for this browser tab.' : 'No API key.', 'info');
  render();
});
document.getElementById('forgetkey').addEventListener('click', () => {
  setApiKey('');
  showKeyState();
  toast('API key forgotten.', 'info');
});
onAuthProblem((status, message) => {
  showKeyState(status === 401 ? 'this server needs an API key' : 'this key lacks the scope');
  if (status === 401 && !apiKey()) keyInput.focus();
  toast(message, 'error');
});
showKeyState();
render();
