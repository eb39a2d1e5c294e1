// What the many-node tests start (issue 23, docs/SCALE.md): a throwaway PostgreSQL 15
// cluster for the shared catalog and an @20minutes/s3rver bucket, both on 127.0.0.1, and the
// environment a node needs to use them. initdb refuses root, so as root the cluster runs as
// Debian's `postgres` user.
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(join(repo, 'third_party', 'node', 'package.json'));
const S3rver = require('@20minutes/s3rver');
const PG_BIN = process.env.LAKEHOUSE_PG_BIN || '/usr/lib/postgresql/15/bin';

export const freePort = () => new Promise((res) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
});

//! Starts PostgreSQL and s3rver (bucket `lake`) under a new temp directory. Answers
//! { work, env, psql(sql), stop() }; env has AWS_* for the bucket, LAKEHOUSE_CATALOG and a
//! short lease (LAKEHOUSE_LEASE_MS 2000) so takeovers happen within seconds.
export async function startCluster(name) {
  const work = mkdtempSync(join(tmpdir(), `lakehouse-${name}-`));
  chmodSync(work, 0o777);
  const pgdata = join(work, 'pgdata');
  const asPg = (cmd, args) => (process.getuid() === 0
    ? execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8', cwd: work })
    : execFileSync(cmd, args, { encoding: 'utf8', cwd: work }));
  const pgPort = await freePort();
  asPg(join(PG_BIN, 'initdb'), ['-D', pgdata, '-A', 'trust', '-U', 'lakehouse', '--no-sync', '-E', 'UTF8']);
  asPg(join(PG_BIN, 'pg_ctl'), ['-D', pgdata, '-w', '-l', join(pgdata, 'log'), '-o',
    `-p ${pgPort} -k ${work} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  const catalog = `postgresql://lakehouse:not-a-secret-pw@127.0.0.1:${pgPort}/postgres`;
  const s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(work, 's3rver'),
    configureBuckets: [{ name: 'lake' }] });
  const { port } = await s3.run();
  return {
    work,
    catalog,
    env: { ...process.env, AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`, AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER', LAKEHOUSE_CATALOG: catalog, LAKEHOUSE_LEASE_MS: '2000' },
    psql: (sql) => execFileSync('psql', [catalog, '-Atc', sql], { encoding: 'utf8' }).trim(),
    stop: async () => {
      await s3.close();
      try { asPg(join(PG_BIN, 'pg_ctl'), ['-D', pgdata, '-m', 'immediate', 'stop']); } catch { /* gone */ }
      rmSync(work, { recursive: true, force: true });
    },
  };
}
