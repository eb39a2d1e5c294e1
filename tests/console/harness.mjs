// tests/console/harness.mjs: what the node tests (the console's browser test, the SDK
// judges) and the console's time-to-interactive benchmark share: a real `lakehouse serve` on loopback (a free port read from its log) and
// Debian's Chromium driven by playwright-core (pinned, installed by scripts/setup.sh into
// third_party/node; no browser download).
import { spawn, execFileSync } from 'node:child_process';
import { join, dirname, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(join(repo, 'third_party', 'node', 'package.json'));
export const { chromium } = require('playwright-core');
export const CHROMIUM = process.env.LAKEHOUSE_CHROMIUM || '/usr/bin/chromium';

//! The node tests' verdicts: `check(ok, what, detail)` prints ok/FAIL and counts failures.
export const verdict = { failures: 0 };
export function check(ok, what, detail = '') {
  if (ok) return console.log(`ok   ${what}`);
  verdict.failures++;
  console.log(`FAIL ${what} ${String(detail).slice(0, 2000)}`);
}

//! Runs the binary without blocking the event loop (an in-process server, s3rver, must keep
//! answering): resolves {code, out, err}. `must` throws unless it exits 0, and answers stdout.
export function runAsync(binary, args, env = process.env) {
  return new Promise((done) => {
    const p = spawn(binary, args, { env });
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('close', (code) => done({ code, out, err }));
  });
}
export async function must(binary, args, env = process.env) {
  const r = await runAsync(binary, args, env);
  if (r.code !== 0) throw new Error(`lakehouse ${args.join(' ')} exited ${r.code}: ${r.err}`);
  return r.out;
}

export function run(binary, args) {
  return execFileSync(binary, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

//! Starts `lakehouse serve` and waits for /readyz 200 (the workers index built).
//! `env` adds to the environment (provider URLs, keys).
export async function startServer(binary, root, extra = [], { readyTimeoutMs = 600000, env = {} } = {}) {
  const proc = spawn(binary, ['serve', '--root', root, '--port', '0', '--no-access-log', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let log = '';
  const port = await new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`no port in 120 s:\n${log}`)), 120000);
    const onData = (d) => {
      log += d;
      const m = log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) { clearTimeout(timer); resolvePort(Number(m[1])); }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`server exited ${code}:\n${log}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    const r = await fetch(`${base}/readyz`).catch(() => null);
    if (r && r.status === 200) break;
    if (Date.now() > deadline) throw new Error(`not ready after ${readyTimeoutMs} ms:\n${log.slice(-2000)}`);
    await new Promise((res) => setTimeout(res, 200));
  }
  return { proc, base, log: () => log, stop: () => new Promise((res) => { proc.once('exit', res); proc.kill('SIGTERM'); }) };
}

export async function launchBrowser() {
  // Running as root (CI) needs --no-sandbox; the pages are our own, on loopback.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

//! Opens `url` and waits until the screen marks itself ready; answers the time from the
//! navigation's start to that mark (ms), as the page measured it.
export async function openScreen(page, url, screen, timeout = 30000) {
  await page.goto(url);
  await page.waitForFunction((s) => document.body.dataset.ready === '1' && document.body.dataset.screen === s, screen, { timeout });
  return page.evaluate(() => window.lhReady.at);
}
