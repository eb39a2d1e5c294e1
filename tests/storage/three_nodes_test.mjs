// Three nodes on one bucket and one PostgreSQL catalog (issue 23, docs/SCALE.md): the first
// node owns the components (memory, journal, indexes, fills, keys); the two others are
// standbys that serve datasets and SQL themselves and forward the components' routes to it.
// Every HTTP contract fixture sent through a standby answers as a local root's all-in-one
// server does (`lakehouse parity`); a memory written through one standby is read on every
// node; the owner killed with -9: one standby takes over, the other follows it, and a node
// started on an empty cache answers the same. Each node runs under a supervisor that
// restarts it when it exits 75, as systemd's Restart=on-failure does.
// Usage: node tests/storage/three_nodes_test.mjs build/lakehouse   (exit 1 on a failure)
import { mkdtempSync, existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, check, verdict, runAsync, must as mustRun } from '../console/harness.mjs';
import { startCluster } from './cluster.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const binary = resolve(process.argv[2] ?? join(repo, 'build', 'lakehouse'));
const cluster = await startCluster('nodes');
const { work, env } = cluster;
const ROOT = 's3://lake/three';
const LOCAL = join(work, 'local');
const noCatalog = { LAKEHOUSE_CATALOG: '' };
const must = (args, extraEnv = {}) => mustRun(binary, args, { ...env, ...extraEnv });
let caches = 0;
const freshCache = () => mkdtempSync(join(work, `cache-${++caches}-`));
// Every node requires API keys (the same flag on every node, docs/SCALE.md).
env.LAKEHOUSE_AUTH = 'required';
let KEY = '';
const auth = (key = KEY) => ({ authorization: `Bearer ${key}` });
const get = (base, path, key = KEY) => fetch(`${base}${path}`, { headers: auth(key) });
const post = (base, path, body, key = KEY) => fetch(`${base}${path}`, { method: 'POST',
  headers: { 'content-type': 'application/json', ...auth(key) }, body: JSON.stringify(body) });
const sqlRows = async (base, q) => (await (await post(base, '/v1/sql', { sql: q })).json()).rows;
const newKey = async (root, extra, cache = []) => JSON.parse(await must(['keys', 'create', '--root', root, ...cache,
  '--name', 'test', '--scopes', 'read,write,admin'], extra)).key;
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

// A node under a supervisor: restarted whenever it exits 75 (took the lease, or its owner
// moved), as systemd restarts a unit with Restart=on-failure.
function supervise(label, cache) {
  const node = { label, cache, server: null, exits: [], stopped: false, logs: '' };
  const start = async () => {
    for (;;) {
      try {
        node.server = await startServer(binary, ROOT, ['--cache', cache], { env });
        break;
      } catch (e) {
        node.logs += e.message;
        if (node.stopped || !/server exited 75/.test(e.message)) throw e;
        node.exits.push(75);
      }
    }
    const s = node.server;
    s.proc.once('exit', (code) => {
      node.logs += s.log();
      node.exits.push(code);
      if (code === 75 && !node.stopped) node.ready = start();
    });
    return node;
  };
  node.ready = start();
  node.base = () => node.server.base;
  node.log = () => node.logs + (node.server ? node.server.log() : '');
  // A restart in flight (the node exited 75 just before) is let finish, then stopped: else
  // the restarted server would hold the lease after every node was stopped.
  node.stop = async () => {
    node.stopped = true;
    await node.ready.catch(() => {});
    if (node.server && node.server.proc.exitCode === null) await node.server.stop();
  };
  node.kill = () => { node.stopped = true; node.server.proc.kill('SIGKILL'); };
  return node;
}

const nodes = [];
let local = null;
try {
  // The contract fixtures' data, once on a local root and once in the bucket.
  const keys = {};
  for (const [root, extra] of [[LOCAL, noCatalog], [ROOT, {}]]) {
    const cache = root === ROOT ? ['--cache', freshCache()] : [];
    await must(['gen', '--root', root, ...cache, '--workers', '200', '--orders', '40', '--seed', '42'], extra);
    await must(['index-workers', '--root', root, ...cache], extra);
    keys[root] = await newKey(root, extra, cache);
  }
  KEY = keys[ROOT];
  local = await startServer(binary, LOCAL, [], { env: { ...env, ...noCatalog } });
  const a = supervise('a', freshCache());
  nodes.push(a);
  await a.ready;
  const b = supervise('b', freshCache());
  const c = supervise('c', freshCache());
  nodes.push(b, c);
  await Promise.all([b.ready, c.ready]);
  for (const s of [b, c]) {
    const ready = await (await fetch(`${s.base()}/readyz`)).json();
    check(ready.service === 'standby' && ready.upstreams?.[0]?.url === a.base(),
      `node ${s.label} is a standby forwarding to the owner`, JSON.stringify(ready));
    check(!existsSync(join(s.cache, 'vectors')), `and downloaded no index (node ${s.label})`);
  }

  // Every contract fixture through a standby answers as the local root's server does.
  const parity = await runAsync(binary, ['parity', '--a', local.base, '--b', b.base(),
    '--fixtures', join(repo, 'contracts', 'http'), '--key', keys[LOCAL], '--key-b', KEY], env);
  const summary = parity.out.split('\n').filter((l) => /match/.test(l)).slice(-1)[0];
  check(parity.code === 0, `the contract fixtures through a standby answer as a local root does (${summary})`,
    parity.out.slice(-3000) + parity.err.slice(-1000));

  // Reads agree on every node, datasets (local) and components (forwarded) alike.
  const order = (await sqlRows(a.base(), 'SELECT min(order_id) FROM job_orders'))[0][0];
  const wrote = await post(c.base(), '/v1/memory', { subject: `order:${order}`,
    text: 'crew lead wants forklift certificates checked at the gate', source: 'coordinator' });
  check(wrote.status === 201, 'a memory written through a standby', `${wrote.status} ${await wrote.text()}`);
  const answers = async () => Promise.all(nodes.map(async (n) => JSON.stringify([
    await sqlRows(n.base(), 'SELECT count(*), sum(pay_rate)::BIGINT FROM workers'),
    await sqlRows(n.base(), 'SELECT count(*) FROM fills'),
    (await (await get(n.base(), `/v1/memory?subject=order:${order}`)).json()).memories?.map((m) => m.text),
  ])));
  // A fill committed on the owner reaches the others' SQL with its ledger's next compaction
  // (within a second with a shared catalog) and their next catalog poll.
  const agree = async () => {
    const t0 = Date.now();
    let seen = await answers();
    while (!seen.every((x) => x === seen[0]) && Date.now() - t0 < 5000) {
      await sleep(100);
      seen = await answers();
    }
    return { seen, ms: Date.now() - t0 };
  };
  let { seen, ms } = await agree();
  check(seen.every((x) => x === seen[0]) && seen[0].includes('forklift certificates') && seen[0].includes('[[1]]'),
    `every node answers the same SQL (the fill included, after ${ms} ms) and the same memory`, seen.join('\n'));

  // One gateway in front of the nodes: every service's upstream names all three, taken in
  // turn; it serves nothing itself and takes no lease. Split services are refused here.
  const services = ['sql', 'embed', 'vector', 'chat', 'validate', 'retrieve', 'memory', 'journal'];
  const all = nodes.map((n) => n.base()).join(',');
  const gateway = await startServer(binary, ROOT, ['--cache', freshCache(),
    ...services.flatMap((sv) => ['--upstream', `${sv}=${all}`])], { env });
  const viaGateway = [];
  for (let i = 0; i < 6; i++) {
    viaGateway.push(JSON.stringify(await sqlRows(gateway.base, 'SELECT count(*) FROM workers')));
    viaGateway.push(JSON.stringify((await (await get(gateway.base, `/v1/memory?subject=order:${order}`)).json()).memories?.length));
  }
  check(viaGateway.every((x, i) => x === viaGateway[i % 2]) && viaGateway[0] === '[[200]]' && viaGateway[1] === '1',
    'a gateway over the three nodes answers SQL and memory alike on every turn', viaGateway.join(' '));
  await gateway.stop();
  const split = await runAsync(binary, ['serve', '--root', ROOT, '--cache', freshCache(), '--service', 'memory', '--port', '0'], env);
  check(split.code !== 0 && split.err.includes('do not run on a root with a shared catalog'),
    'a split service on a shared catalog is refused, saying what to run instead', split.err.slice(-400));

  // Keys live on the owner (their routes are forwarded); each standby follows its key log:
  // a key made through one standby is admitted by the other, and refused once revoked.
  const made = await post(c.base(), '/v1/admin/keys', { name: 'branch-east', scopes: ['read'] });
  const madeKey = await made.json();
  check(made.status === 201, 'a key created through a standby', JSON.stringify(madeKey));
  const until = async (what, ok) => {
    const t0 = Date.now();
    while (Date.now() - t0 < 15000) { if (await ok()) return Date.now() - t0; await sleep(100); }
    return null;
  };
  const admitted = await until('admitted', async () => (await get(b.base(), '/v1/datasets', madeKey.key)).status === 200);
  check(admitted !== null, `the other standby admits it (${admitted} ms)`);
  const revoked = await fetch(`${b.base()}/v1/admin/keys/${madeKey.id}`, { method: 'DELETE', headers: auth() });
  check(revoked.status === 200, 'revoked through that standby', revoked.status);
  const refused = await until('refused', async () => (await get(c.base(), '/v1/datasets', madeKey.key)).status === 401);
  check(refused !== null, `and the first standby refuses it (${refused} ms)`);

  // The owner dies: one standby takes the lease and restarts as the owner, the other
  // restarts to follow it; both answer what the dead owner held.
  await sleep(1500);  // past one sync interval: the memory is in the bucket
  a.kill();
  const killedAt = Date.now();
  while (Date.now() - killedAt < 30000 && !(b.exits.includes(75) && c.exits.includes(75))) await sleep(100);
  check(b.exits.includes(75) && c.exits.includes(75), `both standbys exit 75 once the owner is gone (${Date.now() - killedAt} ms)`,
    `b ${b.exits} c ${c.exits}`);
  // Settle: each restart is awaited until neither node restarts any more.
  for (let settled = false; !settled;) {
    const before = b.exits.length + c.exits.length;
    await Promise.all([b.ready, c.ready]);
    await sleep(2500);
    settled = b.exits.length + c.exits.length === before;
  }
  const owner = [b, c].find((n) => n.log().includes('now owns the components'));
  check(owner !== undefined, 'one standby owns the components now', b.log().slice(-600) + c.log().slice(-600));
  const other = owner === b ? c : b;
  const ready = await (await get(other.base(), '/readyz')).json();
  check(ready.upstreams?.[0]?.url === owner?.base(), 'the other standby forwards to the new owner', JSON.stringify(ready));
  nodes.splice(0, 1);
  ({ seen } = await agree());
  check(seen.every((x) => x === seen[0]) && seen[0].includes('forklift certificates'),
    'after the takeover both nodes answer the memory the dead owner held', seen.join('\n'));

  // A node started on an empty cache answers the same.
  const d = supervise('d', freshCache());
  nodes.push(d);
  await d.ready;
  const after = (await agree()).seen;
  check(after.every((x) => x === seen[0]), 'a node on an empty cache answers the same', after.join('\n'));

  // The distillation commands on the bucket, the nodes stopped: the same counts as on the
  // local root that answered the same fixtures, and their files in the bucket.
  for (const n of nodes.splice(0)) await n.stop();
  await local.stop();
  local = null;
  const distill = async (root, extra, cache) => {
    const out = {};
    for (const cmd of [['materialize'], ['score'], ['export', 'sft'], ['export', 'rag'], ['audit', 'baselines']]) {
      const r = JSON.parse(await must([...cmd, '--root', root, ...cache], extra));
      out[cmd.join(' ')] = r.counts ?? r.outputs?.map((o) => o.lines) ?? r;
      if (cmd[0] === 'export') out[`${cmd[1]} sha256`] = r.outputs?.[0]?.sha256;
    }
    return out;
  };
  const onLocal = await distill(LOCAL, noCatalog, []);
  const onBucket = await distill(ROOT, {}, ['--cache', freshCache()]);
  console.log(`distill on the bucket: ${JSON.stringify(onBucket)}`);
  check(onBucket.materialize?.evidence_added > 0, 'materialize turns the nodes\' _kb into evidence on the bucket', JSON.stringify(onBucket.materialize));
  // (dropped_by_reason names the evidence a duplicate repeats: ids differ by nature.)
  const counts = (c) => JSON.stringify({ ...c, dropped_by_reason: undefined });
  check(counts(onBucket['export sft']) === counts(onLocal['export sft']),
    'export sft counts the same on the bucket as on the local root', `${counts(onBucket['export sft'])} vs ${counts(onLocal['export sft'])}`);
  const reader = freshCache();
  await must(['sql', '--root', ROOT, '--cache', reader, 'SELECT 1']);
  const sha = createHash('sha256').update(readFileSync(join(reader, 'exports', 'sft.jsonl'))).digest('hex');
  check(sha === onBucket['sft sha256'], 'the export reached the bucket: another cache reads the same bytes', `${sha} vs ${onBucket['sft sha256']}`);
} catch (e) {
  verdict.failures++;
  console.log(`FAIL ${e.stack}`);
} finally {
  for (const n of nodes) await n.stop().catch(() => {});
  if (local) await local.stop();
  await cluster.stop();
}
console.log(verdict.failures === 0 ? 'all passed' : `${verdict.failures} failure(s)`);
process.exit(verdict.failures === 0 ? 0 : 1);
