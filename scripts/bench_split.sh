#!/usr/bin/env bash
# scripts/bench_split.sh: loadgen throughput of the all-in-one server vs split services
# behind a gateway, on the same root, one after the other in one run (docs/BENCHMARKS.md).
#
#   scripts/bench_split.sh ROOT [DURATION_S=60] [CONCURRENCY=50]
# ROOT is a generated root with its workers index, e.g.
#   build/lakehouse gen --root /tmp/lh500 --workers 500000 --orders 20000 --seed 42
#   build/lakehouse index-workers --root /tmp/lh500
# Reports land in $OUT (default /tmp/bench_split): all_in_one.json, split.json.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=${1:?usage: scripts/bench_split.sh ROOT [DURATION_S] [CONCURRENCY]}
DURATION=${2:-60}
CONCURRENCY=${3:-50}
LAKEHOUSE=${LAKEHOUSE:-build/lakehouse}
BASE=${BENCH_PORT:-3400}
OUT=${OUT:-/tmp/bench_split}
mkdir -p "$OUT"
PIDS=()
stop_all() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
trap stop_all EXIT
# shellcheck source=scripts/bench_lib.sh
source scripts/bench_lib.sh
serve() {  # log-name, args...
  local name=$1
  shift
  "$LAKEHOUSE" serve --root "$ROOT" --no-access-log --log-level warn "$@" >"$OUT/$name.log" 2>&1 &
  PIDS+=($!)
}
run_loadgen() {  # name, url
  "$LAKEHOUSE" loadgen --target "$2" --concurrency "$CONCURRENCY" --duration "$DURATION" \
    --json "$OUT/$1.json" | tee "$OUT/$1.txt"
}

echo "== all-in-one: loadgen c=$CONCURRENCY for ${DURATION}s"
serve all_in_one --port "$BASE"
wait_ready "http://127.0.0.1:$BASE"
run_loadgen all_in_one "http://127.0.0.1:$BASE"
stop_all

echo "== split: eight services + a gateway, loadgen c=$CONCURRENCY for ${DURATION}s"
services=(sql embed vector chat validate retrieve memory journal)
journal="http://127.0.0.1:$((BASE + 8))"
upstreams=()
port=$BASE
for s in "${services[@]}"; do
  port=$((port + 1))
  extra=()
  [[ $s != journal ]] && extra=(--upstream "journal=$journal")
  serve "$s" --service "$s" --port "$port" "${extra[@]}"
  upstreams+=(--upstream "$s=http://127.0.0.1:$port")
done
serve gateway --port "$((BASE + 9))" "${upstreams[@]}"
for p in $(seq $((BASE + 1)) $((BASE + 9))); do wait_ready "http://127.0.0.1:$p"; done
run_loadgen split "http://127.0.0.1:$((BASE + 9))"
stop_all

total_rate() { tr -d ' \n' <"$1" | grep -o '"total":{[^}]*' | grep -o '"rate":[0-9.]*' | cut -d: -f2; }
a=$(total_rate "$OUT/all_in_one.json")
b=$(total_rate "$OUT/split.json")
echo "all-in-one $a scenarios/s, split $b scenarios/s, ratio $(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.2f", b/a}')"
