#!/usr/bin/env bash
# scripts/bench_first_wave.sh: the first loadgen run after a fresh start, two binaries
# alternating (docs/BENCHMARKS.md, "ready means ready"): each round copies ROOT afresh,
# starts `serve`, times exec to /readyz 200, runs one loadgen and prints each class's max,
# p99 and the scenarios/s.
#
#   scripts/bench_first_wave.sh OLD_BINARY NEW_BINARY ROOT [ROUNDS=5] [DURATION_S=10]
# ROOT is a generated root with its workers index (see scripts/bench_split.sh); it is not
# modified (each run gets a copy in $WORK, default /tmp/bench_first_wave). NEW_ROOT=DIR
# gives the new binary its own root (as in scripts/bench_retrieve.sh); LOADGEN=BINARY runs
# that binary's loadgen against both servers (one scenario mix when the two binaries'
# loadgens differ).
set -euo pipefail
OLD=${1:?usage: scripts/bench_first_wave.sh OLD NEW ROOT [ROUNDS] [DURATION_S]}
NEW=${2:?usage}
ROOT=${3:?usage}
ROUNDS=${4:-5}
DURATION=${5:-10}
WORK=${WORK:-/tmp/bench_first_wave}
PORT=${BENCH_PORT:-3320}
for r in $(seq 1 "$ROUNDS"); do
  for which in old new; do
    bin=$OLD root=$ROOT
    [ "$which" = new ] && bin=$NEW root=${NEW_ROOT:-$ROOT}
    rm -rf "$WORK" && cp -r "$root" "$WORK" && sync
    t0=$(date +%s.%N)
    "$bin" serve --root "$WORK" --port "$PORT" --no-access-log > "$WORK.server.log" 2>&1 &
    pid=$!
    until curl -sf "http://127.0.0.1:$PORT/readyz" > /dev/null; do sleep 0.05; done
    t1=$(date +%s.%N)
    "${LOADGEN:-$bin}" loadgen --target "http://127.0.0.1:$PORT" --concurrency 50 --duration "$DURATION" \
      > "$WORK.loadgen.log" 2>&1
    echo "round $r $which ready_s $(echo "$t1 - $t0" | bc)" \
      "$(grep -E '^[a-z_]+ +[0-9]' "$WORK.loadgen.log" |
        awk '{printf "%s max %s p99 %s; ", $1, $7, $6} END {printf "rate %s", $3}')"
    kill "$pid"
    wait "$pid" || true
  done
done
