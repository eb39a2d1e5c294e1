// The console's time to interactive and download size (issue 20), in Debian's Chromium on
// loopback against a real server over a root you generated (500k workers / 20k orders for
// the figures in docs/BENCHMARKS.md):
//   build/lakehouse gen --root R --workers 500000 --orders 20000 && build/lakehouse index-workers --root R
//   node bench/console_tti.mjs build/lakehouse R [loads per screen, default 15]
// Each load is a new browser context (an empty HTTP cache: what a coordinator's first visit
// costs), timed from the navigation's start to the screen's own ready mark (its data
// rendered, its controls live); a second series reuses the context (a revisit: 304s).
// Prints the median, min and max per screen, and the bytes the browser downloaded.
import { join, resolve } from 'node:path';
import { repo, startServer, launchBrowser } from '../tests/console/harness.mjs';

const binary = resolve(process.argv[2] ?? join(repo, 'build', 'lakehouse'));
const root = resolve(process.argv[3] ?? 'data');
const loads = Number(process.argv[4] ?? 15);
const server = await startServer(binary, root, []);
const browser = await launchBrowser();

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
};
const fmt = (s) => `median ${s.median.toFixed(0)} ms (min ${s.min.toFixed(0)}, max ${s.max.toFixed(0)})`;

async function load(page, url, screen) {
  await page.goto(url);
  await page.waitForFunction((s) => document.body.dataset.ready === '1' && document.body.dataset.screen === s, screen, { timeout: 60000 });
  return page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const res = performance.getEntriesByType('resource');
    const sum = (k, f = () => true) => res.filter(f).reduce((a, r) => a + r[k], nav[k] ?? 0);
    const asset = (r) => r.name.includes('/ui/assets/');
    return {
      tti: window.lhReady.at,
      transfer: sum('transferSize'),
      assetsTransfer: res.filter(asset).reduce((a, r) => a + r.transferSize, nav.transferSize),
      assetsDecoded: res.filter(asset).reduce((a, r) => a + r.decodedBodySize, nav.decodedBodySize),
      apiTransfer: res.filter((r) => !asset(r)).reduce((a, r) => a + r.transferSize, 0),
      requests: res.length + 1,
    };
  });
}

try {
  const board = await (await fetch(`${server.base}/v1/orders?limit=1`)).json();
  const orderId = board.orders[0].order_id;
  console.log(`server ${server.base}, ${board.total} orders; order screen: ${orderId}; ${loads} loads per point`);
  for (const [name, url, screen] of [['Orders', '/ui/orders', 'orders'], ['Order', `/ui/orders/${orderId}`, 'order'],
                                     ['Operations', '/ui/operations', 'operations']]) {
    const cold = [], warm = [];
    let last = null;
    const ctx = await browser.newContext();
    const warmPage = await ctx.newPage();
    await load(warmPage, server.base + url, screen);
    for (let i = 0; i < loads; ++i) {
      const c = await browser.newContext();
      const p = await c.newPage();
      last = await load(p, server.base + url, screen);
      cold.push(last.tti);
      await c.close();
      warm.push((await load(warmPage, server.base + url, screen)).tti);
    }
    await ctx.close();
    console.log(`${name.padEnd(10)} first visit: ${fmt(stats(cold))}; revisit: ${fmt(stats(warm))}`);
    console.log(`${''.padEnd(10)} downloaded on a first visit: ${last.transfer} bytes in ${last.requests} requests ` +
                `(page and assets ${last.assetsTransfer} bytes gzip'd, ${last.assetsDecoded} decoded; API answers ${last.apiTransfer})`);
  }
} finally {
  await browser.close();
  await server.stop();
}
