#!/usr/bin/env bash
# scripts/bench_nodes.sh: loadgen throughput of one node vs three nodes behind one gateway,
# all on one S3 root (an s3rver bucket) with the catalog in PostgreSQL (docs/SCALE.md,
# docs/BENCHMARKS.md), one after the other in one run, everything on this machine.
#
#   [REPS=1] scripts/bench_nodes.sh [WORKERS=100000] [DURATION_S=60] [CONCURRENCY=50]
# Needs what `make setup` installs (postgresql, the npm test packages). The root is generated
# into the bucket (gen + index-workers); the one-node run and the three nodes' owner use the
# same warm cache. Rounds alternate one node, three nodes with every route to any node, and
# three nodes with the components' routes sent straight to the owner; reports land in $OUT
# (default /tmp/bench_nodes) as one_node-N.json, three_any-N.json, three_owner-N.json, and
# the medians are printed last.
set -euo pipefail
cd "$(dirname "$0")/.."
WORKERS=${1:-100000}
DURATION=${2:-60}
CONCURRENCY=${3:-50}
REPS=${REPS:-1}
LAKEHOUSE=${LAKEHOUSE:-build/lakehouse}
BASE=${BENCH_PORT:-3500}
OUT=${OUT:-/tmp/bench_nodes}
rm -rf "$OUT"
mkdir -p "$OUT"
PIDS=()
CLUSTER=""
stop_nodes() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
cleanup() {
  stop_nodes
  [[ -n $CLUSTER ]] && kill "$CLUSTER" 2>/dev/null && wait "$CLUSTER" 2>/dev/null
  true
}
trap cleanup EXIT
# shellcheck source=scripts/bench_lib.sh
source scripts/bench_lib.sh

node tests/storage/cluster_serve.mjs "$OUT/cluster.env" &
CLUSTER=$!
for _ in $(seq 1 300); do [[ -s $OUT/cluster.env ]] && break; sleep 0.2; done
# shellcheck disable=SC1091
source "$OUT/cluster.env"
ROOT=s3://lake/bench
"$LAKEHOUSE" gen --root "$ROOT" --cache "$OUT/cache-1" --workers "$WORKERS" \
  --orders $((WORKERS / 20)) --seed 42 --log-level warn >/dev/null
"$LAKEHOUSE" index-workers --root "$ROOT" --cache "$OUT/cache-1" --log-level warn >/dev/null

serve() {  # log-name, cache, port, args...
  local name=$1 cache=$2 port=$3
  shift 3
  "$LAKEHOUSE" serve --root "$ROOT" --cache "$cache" --port "$port" --no-access-log \
    --log-level warn "$@" >"$OUT/$RUN-$name.log" 2>&1 &
  PIDS+=($!)
}
run_loadgen() {  # name, url
  "$LAKEHOUSE" loadgen --target "$2" --concurrency "$CONCURRENCY" --duration "$DURATION" \
    --json "$OUT/$1.json" | tee "$OUT/$1.txt"
}

RUN=""
one_node() {  # report name
  RUN=$1
  serve one "$OUT/cache-1" "$BASE"
  wait_ready "http://127.0.0.1:$BASE"
  run_loadgen "$1" "http://127.0.0.1:$BASE"
  stop_nodes
  sleep 1  # the lease is released at stop
}
three_nodes() {  # report name, routing: any (every route to any node) | owner (components to the owner)
  RUN=$1
  serve owner "$OUT/cache-1" $((BASE + 1))
  wait_ready "http://127.0.0.1:$((BASE + 1))"
  serve standby-2 "$OUT/cache-2" $((BASE + 2))
  serve standby-3 "$OUT/cache-3" $((BASE + 3))
  wait_ready "http://127.0.0.1:$((BASE + 2))"
  wait_ready "http://127.0.0.1:$((BASE + 3))"
  local owner="http://127.0.0.1:$((BASE + 1))"
  local nodes="$owner,http://127.0.0.1:$((BASE + 2)),http://127.0.0.1:$((BASE + 3))"
  local upstreams=() s
  for s in sql embed vector chat validate retrieve memory journal; do
    if [[ $2 == owner && $s != sql && $s != embed ]]; then
      upstreams+=(--upstream "$s=$owner")
    else
      upstreams+=(--upstream "$s=$nodes")
    fi
  done
  serve gateway "$OUT/cache-g" $((BASE + 9)) "${upstreams[@]}"
  wait_ready "http://127.0.0.1:$((BASE + 9))"
  run_loadgen "$1" "http://127.0.0.1:$((BASE + 9))"
  stop_nodes
  sleep 1
}

# A B C A B C ...: one node; three nodes with every route to any node (standbys forward the
# components' routes); three nodes with the components' routes sent straight to the owner.
for rep in $(seq 1 "$REPS"); do
  echo "== round $rep: one node, loadgen c=$CONCURRENCY for ${DURATION}s"
  one_node "one_node-$rep"
  echo "== round $rep: three nodes behind a gateway, every route to any node"
  three_nodes "three_any-$rep" any
  echo "== round $rep: three nodes behind a gateway, component routes to the owner"
  three_nodes "three_owner-$rep" owner
done

total_rate() { tr -d ' \n' <"$1" | grep -o '"total":{[^}]*' | grep -o '"rate":[0-9.]*' | cut -d: -f2; }
median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
summary() {  # kind
  local rates=() f
  for f in "$OUT/$1"-*.json; do rates+=("$(total_rate "$f")"); done
  printf '%s: median %s scenarios/s (%s)\n' "$1" "$(printf '%s\n' "${rates[@]}" | median)" "${rates[*]}"
}
summary one_node
summary three_any
summary three_owner
