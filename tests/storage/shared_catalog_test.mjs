// Many nodes on one bucket and one PostgreSQL catalog (issue 23): a throwaway PostgreSQL 15
// cluster (initdb as a non-root user) holds Iceberg's JDBC catalog tables, @20minutes/s3rver
// the bucket. Writers on different nodes get distinct, dense versions and lose nothing; a
// commit on one serving node is visible on another within a second; the JDBC rows are what
// Spark's or Trino's JDBC catalog would read.
// Usage: node tests/storage/shared_catalog_test.mjs build/lakehouse   (exit 1 on a failure)
import { writeFileSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, check, verdict, runAsync, must as mustRun } from '../console/harness.mjs';
import { startCluster } from './cluster.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const binary = resolve(process.argv[2] ?? join(repo, 'build', 'lakehouse'));
const cluster = await startCluster('pg');
const { work, env, psql } = cluster;
const ROOT = 's3://lake/multi';
let caches = 0;
const freshCache = () => join(work, `cache-${++caches}`);
const lh = (args, extraEnv = {}) => runAsync(binary, args, { ...env, ...extraEnv });
const must = (args, extraEnv = {}) => mustRun(binary, args, { ...env, ...extraEnv });
const sqlRows = async (base, q) => (await (await fetch(`${base}/v1/sql`, { method: 'POST',
  headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: q }) })).json()).rows;

const servers = [];
try {
  // 1. A root written without a catalog joins it: its tables are registered, not lost.
  await must(['gen', '--root', ROOT, '--cache', freshCache(), '--workers', '300', '--orders', '50', '--seed', '7'],
    { LAKEHOUSE_CATALOG: '' });
  const n = JSON.parse(await must(['sql', '--root', ROOT, '--cache', freshCache(), 'SELECT count(*) FROM workers'])).rows;
  check(JSON.stringify(n) === '[[300]]', 'a root written without a catalog is served with one', JSON.stringify(n));
  const rows = psql("SELECT table_name, metadata_location, iceberg_type FROM iceberg_tables WHERE catalog_name = 'lakehouse' AND table_namespace = 'lakehouse' ORDER BY 1");
  check(rows.includes(`workers|${ROOT}/datasets/workers/metadata/v1.metadata.json|TABLE`),
    "iceberg_tables names each table's metadata as Iceberg's JDBC catalog does", rows);
  check(psql("SELECT property_value FROM iceberg_namespace_properties WHERE namespace = 'lakehouse' AND property_key = 'exists'") === 'true',
    'the namespace is in iceberg_namespace_properties');

  // 2. Two nodes appending to one dataset at once: distinct, dense versions, nothing lost.
  const writers = [1, 2].map((w) => (async () => {
    const cache = freshCache();
    for (let i = 0; i < 6; i++) {
      const f = join(work, `e-${w}-${i}.csv`);
      writeFileSync(f, `event_id,node\nE${w}-${i},${w}\n`);
      await must(['ingest', '--root', ROOT, '--cache', cache, '--dataset', 'events', '--mode', i === 0 && w === 1 ? 'append' : 'append', f]);
    }
  })());
  await Promise.all(writers);
  const ds = JSON.parse(await must(['datasets', '--root', ROOT, '--cache', freshCache(), 'events']));
  const versions = (ds.versions ?? []).map((v) => v.version);
  check(JSON.stringify(versions) === JSON.stringify([...Array(12).keys()].map((i) => i + 1)),
    'two writers on two nodes: 12 commits are versions 1..12', JSON.stringify(versions));
  const ev = JSON.parse(await must(['sql', '--root', ROOT, '--cache', freshCache(),
    'SELECT count(*), count(DISTINCT event_id), sum(node::INT) FROM events'])).rows;
  check(JSON.stringify(ev) === '[[12,12,18]]', 'every appended row is there once', JSON.stringify(ev));
  const ptr = psql("SELECT metadata_location || ' ' || previous_metadata_location FROM iceberg_tables WHERE table_name = 'events'");
  check(ptr === `${ROOT}/datasets/events/metadata/v12.metadata.json ${ROOT}/datasets/events/metadata/v11.metadata.json`,
    'the JDBC row points at the last commit and the one before', ptr);

  // 3. Two serving nodes: a commit on one is answered by the other within a second.
  const a = await startServer(binary, ROOT, ['--cache', freshCache()], { env });
  servers.push(a);
  const bCache = freshCache();
  let b = await startServer(binary, ROOT, ['--cache', bCache], { env });
  servers.push(b);
  for (const [from, to, name] of [[a, b, 'shifts_a'], [b, a, 'shifts_b']]) {
    const up = await fetch(`${from.base}/v1/datasets/${name}/ingest?format=csv`, { method: 'POST',
      headers: { 'content-type': 'text/csv' }, body: 'shift_id,hours\nS1,8\nS2,10\n' });
    const t0 = Date.now();
    check(up.status === 201, `ingest ${name} over HTTP`, `${up.status} ${await up.text()}`);
    let seen = null;
    while (Date.now() - t0 < 5000) {
      const r = await fetch(`${to.base}/v1/sql`, { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sql: `SELECT sum(hours) FROM ${name}` }) });
      if (r.status === 200 && JSON.stringify((await r.json()).rows) === '[[18]]') { seen = Date.now() - t0; break; }
      await new Promise((res) => setTimeout(res, 20));
    }
    check(seen !== null && seen < 1000, `a commit on one node answers on the other within a second (${name}: ${seen} ms)`);
  }
  // Commit-to-visible latency, a few rounds (docs/BENCHMARKS.md runs it with
  // VISIBILITY_ROUNDS=20): each a new version on one node, polled on the other every 10 ms.
  const rounds = Number(process.env.VISIBILITY_ROUNDS ?? 3);
  const lat = [];
  for (let i = 0; i < rounds; i++) {
    const [from, to] = i % 2 ? [b, a] : [a, b];
    const up = await fetch(`${from.base}/v1/datasets/ticks/ingest?format=csv&mode=append`, { method: 'POST',
      headers: { 'content-type': 'text/csv' }, body: `tick\n${i}\n` });
    const t0 = Date.now();
    if (up.status !== 201) { lat.push(Infinity); continue; }
    while (Date.now() - t0 < 5000) {
      const r = await fetch(`${to.base}/v1/sql`, { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sql: 'SELECT count(*) FROM ticks' }) });
      if (r.status === 200 && (await r.json()).rows[0][0] === i + 1) break;
      await new Promise((res) => setTimeout(res, 10));
    }
    lat.push(Date.now() - t0);
  }
  lat.sort((x, y) => x - y);
  console.log(`visibility ms over ${rounds} commits: min ${lat[0]} median ${lat[Math.floor(lat.length / 2)]} max ${lat[lat.length - 1]}`);
  check(lat[lat.length - 1] < 1000, 'every commit answers on the other node within a second', lat.join(' '));
  // Both nodes append to one dataset at once over HTTP: still dense.
  await Promise.all([a, b].flatMap((s, i) => [0, 1, 2].map((k) => fetch(`${s.base}/v1/datasets/shifts_a/ingest?format=csv&mode=append`,
    { method: 'POST', headers: { 'content-type': 'text/csv' }, body: `shift_id,hours\nX${i}${k},1\n` }))));
  await new Promise((res) => setTimeout(res, 800));
  for (const s of [a, b]) {
    const r = await sqlRows(s.base, 'SELECT count(*), sum(hours) FROM shifts_a');
    check(JSON.stringify(r) === '[[8,24]]', 'concurrent appends from two nodes: every row, on every node', JSON.stringify(r));
  }
  const d = await (await fetch(`${a.base}/v1/datasets/shifts_a`)).json();
  check(JSON.stringify(d.versions.map((v) => v.version)) === '[1,2,3,4,5,6,7]', 'and dense versions', JSON.stringify(d.versions.map((v) => v.version)));

  // 4. The owner of the components (a, started first) dies: the standby (b) takes the lease
  // once it expires, restarts as the owner (as systemd would restart it) with its mirror
  // refilled from the bucket, and serves what a wrote.
  check(b.log().includes('stands by'), 'the second node stands by for the components', b.log().slice(-500));
  const order = (await sqlRows(a.base, 'SELECT min(order_id) FROM job_orders'))[0][0];
  const mem = await fetch(`${a.base}/v1/memory`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ subject: `order:${order}`, text: 'prefers night shift crews', source: 'coordinator' }) });
  check(mem.status === 201, 'a memory written on the owner', mem.status);
  await new Promise((res) => setTimeout(res, 2000));  // past one sync interval
  a.proc.kill('SIGKILL');
  servers.splice(servers.indexOf(a), 1);
  const killedAt = Date.now();
  const code = await Promise.race([new Promise((res) => b.proc.once('exit', res)),
    new Promise((res) => setTimeout(() => res('still running'), 20000))]);
  check(code === 75, `the standby took the lease ${Date.now() - killedAt} ms after the owner died and exits 75 to restart`, code);
  servers.splice(servers.indexOf(b), 1);
  b = await startServer(binary, ROOT, ['--cache', bCache], { env });
  servers.push(b);
  const found = await (await fetch(`${b.base}/v1/memory?subject=order:${order}`)).json();
  check(JSON.stringify(found).includes('prefers night shift crews'), 'the new owner serves the memory the dead owner wrote', JSON.stringify(found));
  check(b.log().includes('now owns the components'), 'and says it owns the components now', b.log().slice(-800));

  // 5. The password of the catalog URI never shows.
  const cfg = await must(['config', '--root', ROOT]);
  const logs = servers.map((s) => s.log()).join('\n');
  check(!cfg.includes('not-a-secret-pw') && !logs.includes('not-a-secret-pw'), 'the catalog password is never printed');
} catch (e) {
  verdict.failures++;
  console.log(`FAIL ${e.stack}`);
} finally {
  for (const s of servers) await s.stop();
  await cluster.stop();
}
console.log(verdict.failures === 0 ? 'all passed' : `${verdict.failures} failure(s)`);
process.exit(verdict.failures === 0 ? 0 : 1);
