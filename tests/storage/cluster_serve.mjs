// Starts the many-node test cluster (tests/storage/cluster.mjs: PostgreSQL + an s3rver
// bucket `lake`) for a script, writes its environment as shell `export` lines to the file
// named by the first argument, and keeps it up until SIGTERM/SIGINT (then removes it).
// Used by scripts/bench_nodes.sh.
// Usage: node tests/storage/cluster_serve.mjs ENV_FILE
import { writeFileSync } from 'node:fs';
import { startCluster } from './cluster.mjs';

const cluster = await startCluster('bench');
const keys = ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'LAKEHOUSE_CATALOG'];
writeFileSync(process.argv[2], keys.map((k) => `export ${k}='${cluster.env[k]}'\n`).join(''));
const stop = async () => { await cluster.stop(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setInterval(() => {}, 1 << 30);
