// The coordinator's console in a real browser (issue 20): Debian's Chromium, driven by
// playwright-core, against a real `lakehouse serve` (auth required) on generated data. It
// opens every screen, follows the main flow (open an order -> select a candidate -> a
// validation error shown -> fix -> commit -> the order's filled count and pathway update ->
// the worker's placements show it), uploads a file with a bad row and sees its quarantine
// reason, checks the keyboard path, checks there are no console errors, and saves a
// screenshot of each screen. A second server with auth off shows the orders without a key.
// Usage: node tests/console/console_test.mjs build/lakehouse [screenshot dir]
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { repo, run, startServer, launchBrowser, openScreen } from './harness.mjs';

const binary = resolve(process.argv[2] ?? join(repo, 'build', 'lakehouse'));
const shots = resolve(process.argv[3] ?? join(repo, 'build', 'console-screens'));
mkdirSync(shots, { recursive: true });
let failures = 0;
function check(ok, what, detail = '') {
  if (ok) return console.log(`ok   ${what}`);
  failures++;
  console.log(`FAIL ${what} ${detail}`);
}

const root = mkdtempSync(join(tmpdir(), 'lakehouse-console-'));
run(binary, ['gen', '--root', root, '--workers', '3000', '--orders', '300', '--seed', '11']);
const key = JSON.parse(run(binary, ['keys', 'create', '--root', root, '--name', 'console', '--scopes', 'read,write'])).key;
const server = await startServer(binary, root, ['--auth', 'required']);
const { base } = server;
const browser = await launchBrowser();

// The server's own answers, with the key: to pick an order whose first candidate is valid.
async function call(path, json) {
  const r = await fetch(base + path, {
    method: json ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${key}`, ...(json ? { 'content-type': 'application/json' } : {}) },
    body: json ? JSON.stringify(json) : undefined,
  });
  return { status: r.status, data: await r.json() };
}

try {
  const page = await browser.newPage({ viewport: { width: 1366, height: 860 } });
  // Every console error, page error and failed answer, judged at the end.
  const consoleErrors = [];
  const badAnswers = [];
  let keyEntered = false;
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  page.on('response', (r) => {
    const path = new URL(r.url()).pathname;
    const s = r.status();
    if (s < 400) return;
    const expected = (s === 401 && !keyEntered) || (s === 404 && /^\/v1\/(pathways|truth)\//.test(path)) ||
      (s === 422 && (path === '/v1/validate' || path === '/v1/fills'));
    if (!expected) badAnswers.push(`${s} ${r.request().method()} ${path}`);
  });

  // ---- Orders, before and after the key.
  await page.goto(`${base}/ui/orders`);
  await page.waitForFunction(() => document.getElementById('keystate').textContent.includes('needs an API key'));
  check(true, 'without a key the console asks for one');
  keyEntered = true;
  await page.fill('#apikey', key);
  await page.press('#apikey', 'Enter');
  await page.waitForFunction(() => document.body.dataset.ready === '1' && document.querySelector('#orderlist tbody tr'));
  const firstUrgency = await page.textContent('#orderlist tbody tr td .badge');
  check(firstUrgency === 'urgent', 'orders sorted by urgency (most urgent first)', firstUrgency);
  check(await page.evaluate(() => sessionStorage.getItem('lakehouse.key') !== null), 'the key is kept in the tab session');
  await page.screenshot({ path: join(shots, 'orders.png'), fullPage: true });

  // Filters: a role from the menu narrows the list, and the URL carries it.
  const roleOption = await page.$eval('select[name=role] option:nth-child(2)', (o) => o.value);
  await page.selectOption('select[name=role]', roleOption);
  await page.waitForFunction((r) => location.search.includes('role=') &&
    [...document.querySelectorAll('#orderlist tbody tr td:nth-child(3)')].every((td) => td.textContent === r), roleOption);
  check(true, `role filter narrows to ${roleOption} and is in the URL`);

  // ---- Pick an order whose best candidate is valid on its own, and a worker of another role.
  const board = (await call('/v1/orders?status=open&open=true&limit=200')).data.orders;
  let order = null, good = null;
  for (const o of board) {
    if (o.open_slots < 1) continue;
    const c = await call('/v1/matrix/retrieve', { order_id: o.order_id, corpora: ['workers'], k: 10 });
    for (const cand of c.data.results || []) {
      const v = await call('/v1/validate', { kind: 'fill', payload: { order_id: o.order_id, worker_ids: [cand.id] } });
      if (v.status === 200) { order = o; good = cand.id; break; }
    }
    if (order) break;
  }
  check(order !== null, 'an open order with a valid candidate exists');
  const other = (await call('/v1/sql', { sql: `SELECT worker_id FROM workers WHERE role <> '${order.role.replace(/'/g, "''")}' ORDER BY worker_id LIMIT 1` })).data.rows[0][0];

  // ---- Keyboard: "/" focuses the search box; typing the order id finds it; Enter on its link opens it.
  await page.goto(`${base}/ui/orders?status=`);
  await page.waitForFunction(() => document.body.dataset.ready === '1');
  await page.keyboard.press('/');
  check(await page.evaluate(() => document.activeElement?.name === 'q'), '"/" focuses the search box');
  await page.keyboard.type(order.order_id);
  await page.waitForFunction((id) => { const rows = document.querySelectorAll('#orderlist tbody tr'); return rows.length === 1 && rows[0].dataset.order === id; }, order.order_id);
  await page.focus(`#orderlist a[href="/ui/orders/${order.order_id}"]`);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.body.dataset.screen === 'order' && document.body.dataset.ready === '1');
  check(new URL(page.url()).pathname === `/ui/orders/${order.order_id}`, 'search and Enter open the order (a deep link)');

  // ---- The main flow on the Order screen.
  const filledBefore = order.filled;
  await page.waitForSelector(`#candidates tr[data-worker="${good}"]`);
  const reasons = await page.textContent(`#candidates tr[data-worker="${good}"]`);
  check(/\d/.test(reasons), 'candidates show their reasons (distance, shift, rating)', reasons);
  await page.check(`#candidates tr[data-worker="${good}"] input[type=checkbox]`);
  await page.waitForFunction(() => document.querySelector('#verdict')?.textContent.startsWith('Valid'));
  check(true, 'selecting a good candidate validates live');
  await page.fill('#selection input[type=text]', other);
  await page.press('#selection input[type=text]', 'Enter');
  await page.waitForFunction((id) => (document.querySelector(`#selected .rowerror[data-for="${id}"]`)?.textContent || '') !== '', other);
  const errText = await page.textContent(`#selected .rowerror[data-for="${other}"]`);
  check(errText.includes(`Consistency: worker ${other}`), 'the validation error is shown beside the worker it names', errText);
  check(await page.isDisabled('#commit'), 'commit is disabled while the selection is invalid');
  await page.screenshot({ path: join(shots, 'order-invalid.png'), fullPage: true });
  await page.click(`button[aria-label="Remove ${other}"]`);
  await page.waitForFunction(() => document.querySelector('#verdict')?.textContent.startsWith('Valid'));
  await page.click('#commit');
  await page.waitForFunction(() => document.getElementById('toast').textContent.startsWith('Committed'));
  const toastText = await page.textContent('#toast');
  await page.waitForFunction((n) => document.querySelector('#filled')?.textContent.includes(`${n}/`), filledBefore + 1);
  check(true, `commit says what happened (${toastText}) and the filled count rises to ${filledBefore + 1}`);
  await page.waitForSelector('#pathway li[data-step="filled"]');
  check(true, 'the pathway shows the filled step');
  check(await page.$(`#candidates tr[data-worker="${good}"]`) === null, 'the placed worker left the candidates');
  const ledger = await call(`/v1/fills?order_id=${order.order_id}`);
  check(ledger.data.fills.some((f) => f.worker_id === good && f.status === 'active'), 'the fill is in the ledger');

  // Draft a fill with the planner: every attempt shown with its verdict; a valid draft is
  // taken into the selection, where it is validated live again.
  await page.click('#draftfill');
  await page.waitForSelector('#attempts ol.attempts li');
  const attempts = await page.$$eval('#attempts ol.attempts > li', (li) => li.length);
  const useDraft = await page.$('#attempts button.primary');
  if (useDraft) {
    await useDraft.click();
    await page.waitForFunction(() => document.querySelectorAll('#selected li').length > 0 &&
      document.querySelector('#verdict')?.textContent !== '');
  }
  check(attempts >= 1, `the planner's draft shows its ${attempts} attempt(s)${useDraft ? ' and is taken into the selection' : ''}`);

  // Outreach email to the placed worker: drafted, validated live, recorded.
  await page.selectOption('#email select', good);
  await page.click('#email button >> text=Draft');
  await page.waitForFunction(() => (document.querySelector('#emailverdict')?.textContent || '') !== '');
  const emailVerdict = await page.textContent('#emailverdict');
  check(emailVerdict === 'Valid.', 'the drafted email is validated live', emailVerdict);
  await page.fill('#email textarea', 'Hi {{name}}, want a shift?');
  await page.waitForFunction(() => (document.querySelector('#emailverdict')?.textContent || '').includes('placeholder'));
  check(await page.isDisabled('#email button >> text=Record email'), 'an edited email with a placeholder is refused live');
  await page.click('#email button >> text=Draft');
  await page.waitForFunction(() => document.querySelector('#emailverdict')?.textContent === 'Valid.');
  await page.click('#email button >> text=Record email');
  await page.waitForFunction(() => document.getElementById('toast').textContent.startsWith('Recorded'));
  await page.waitForSelector('#pathway li[data-step="emailed"]');
  check(true, 'the email is recorded and the pathway shows it');
  await page.screenshot({ path: join(shots, 'order.png'), fullPage: true });

  // ---- The worker's placements show it; truth shows the roster winning over a claim.
  const claim = await call('/v1/truth/claims', { claims: [{ subject: `worker:${good}`, attribute: 'phone',
    value: '+1-555-000-1111', source: 'email', observed_at: '2026-11-20', confidence: 0.7 }] });
  check(claim.status === 201, 'a conflicting phone claim is recorded', JSON.stringify(claim.data));
  await page.click(`#placements a[href="/ui/workers/${good}"]`);
  await page.waitForFunction(() => document.body.dataset.screen === 'worker' && document.body.dataset.ready === '1');
  check((await page.textContent('#workerplacements')).includes(order.order_id), "the worker's placements show the order");
  const truthText = await page.textContent('#truth');
  check(/phone.*roster.*email: "\+1-555-000-1111"/s.test(truthText), 'truth shows the winning source and the conflicting claim', truthText.slice(0, 400));
  // A memory about the worker, and its history.
  await page.fill('#memories textarea', 'Prefers early starts; has own safety boots.');
  await page.click('#memories button[type=submit]');
  await page.waitForSelector('#memories li[data-memory]');
  await page.click('#memories li[data-memory] button');
  await page.waitForSelector('#memories .history li');
  check(true, 'a memory is added and its history shown');
  await page.screenshot({ path: join(shots, 'worker.png'), fullPage: true });

  // ---- Search.
  await openScreen(page, `${base}/ui/search?q=${encodeURIComponent(`${order.role} in ${order.city}`)}`, 'search');
  check(await page.$$eval('#results table', (t) => t.length) >= 1, 'search answers workers and orders');
  await page.screenshot({ path: join(shots, 'search.png'), fullPage: true });

  // ---- Data: SQL, then an upload with a bad row.
  await openScreen(page, `${base}/ui/data`, 'data');
  await page.click('#sql ~ div button[type=submit], form.stack button.primary >> text=Run');
  await page.waitForSelector('#sqlresult table');
  check(true, 'SQL answers as a table');
  const upload = async (name, csv, mode) => {
    await page.fill('input[name=dataset]', name);
    await page.selectOption('select[aria-label=Mode]', mode);
    await page.setInputFiles('input[type=file]', { name: `${name}.csv`, mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.click('form.stack button.primary >> text=Upload');
  };
  await upload('console_upload', 'id,score\n1,5\n2,6\n', 'replace');
  await page.waitForFunction(() => document.getElementById('ingestreport').textContent.includes('Landed'));
  await upload('console_upload', 'id,score\n3,not-a-number\n4,8\n', 'append');
  await page.waitForFunction(() => document.getElementById('ingestreport').textContent.includes('Quarantined rows'));
  const report = await page.textContent('#ingestreport');
  check(report.includes('not-a-number'), 'the quarantine report shows the bad row and its reason', report.slice(0, 300));
  await page.screenshot({ path: join(shots, 'data.png'), fullPage: true });

  // ---- Operations: charts as pictures, and the journal feed.
  await openScreen(page, `${base}/ui/operations`, 'operations');
  check(await page.$$eval('#chart-requests canvas, #chart-latency canvas', (c) => c.length) === 2, 'operations draws two charts');
  await page.waitForSelector('#feed li');
  check(true, 'the journal feed shows events');
  await page.click('button[data-window="1h"]');
  await page.waitForFunction(() => location.search === '?window=1h');
  await page.screenshot({ path: join(shots, 'operations.png'), fullPage: true });

  const unexpected = consoleErrors.filter((t) => !/^Failed to load resource: the server responded with a status of (401|404|422)/.test(t));
  check(unexpected.length === 0, 'no console errors', JSON.stringify(unexpected));
  check(badAnswers.length === 0, 'no unexpected error answers', JSON.stringify(badAnswers));
  await page.close();

  // ---- Auth off: the same console needs no key.
  const openRoot = mkdtempSync(join(tmpdir(), 'lakehouse-console-open-'));
  run(binary, ['gen', '--root', openRoot, '--workers', '500', '--orders', '40', '--seed', '3']);
  const open = await startServer(binary, openRoot, []);
  try {
    const p2 = await browser.newPage();
    await openScreen(p2, `${open.base}/`, 'orders');
    check(new URL(p2.url()).pathname === '/ui/orders' && await p2.$('#orderlist tbody tr') !== null, 'auth off: / opens the orders without a key');
    await p2.close();
  } finally {
    await open.stop();
    rmSync(openRoot, { recursive: true, force: true });
  }
} catch (e) {
  failures++;
  console.log(`FAIL ${e.stack || e}`);
  for (const p of browser.contexts().flatMap((c) => c.pages())) {
    await p.screenshot({ path: join(shots, 'failure.png'), fullPage: true }).catch(() => {});
    console.log(`page ${p.url()}:\n${(await p.textContent('main').catch(() => '')).slice(0, 3000)}`);
  }
} finally {
  await browser.close();
  await server.stop();
  rmSync(root, { recursive: true, force: true });
}
console.log(failures ? `${failures} check(s) failed` : `all checks passed; screenshots in ${shots}`);
process.exit(failures ? 1 : 0);
