#!/bin/bash
# scripts/fills_bench/fills_bench.sh: what a committed fill costs (docs/BENCHMARKS.md,
# "The staffing loop"). Loopback only; every run is bounded in time.
#
#   fills_bench.sh root BIN DIR          gen 20k workers + 5,000 one-day orders at the place of
#                                        the largest group of free eligible workers -> DIR/root
#   fills_bench.sh commits BIN DIR C S   S seconds of wrk, C clients, each request a new valid
#                                        commit, on a fresh copy of DIR/root: one result line
#   fills_bench.sh visible BIN DIR N     N commits, each followed at once by /v1/sql looking
#                                        for it: how many the first statement saw, its latency
#   fills_bench.sh loadgen SRV LG DIR    20 s of `LG loadgen` (50 clients) against `SRV serve`
#                                        on a fresh copy of DIR/lg (gen 20k + index-workers)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PORT=${PORT:-3931}

serve() {  # serve BIN ROOT: starts the server, waits for /readyz, sets PID
  "$1" serve --root "$2" --port "$PORT" > "$2.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 300); do curl -sf "127.0.0.1:$PORT/readyz" > /dev/null && return; sleep 0.2; done
  echo "server did not get ready" >&2; exit 1
}
stop() { kill "$PID"; wait "$PID" 2> /dev/null || true; }
fresh() { rm -rf "$2" && cp -a "$1" "$2"; }

case "${1:-}" in
root)
  BIN=$2 DIR=$3
  mkdir -p "$DIR" && rm -rf "$DIR/root" && "$BIN" gen --root "$DIR/root" --workers 20000 --orders 2000 > /dev/null
  serve "$BIN" "$DIR/root"
  Q="SELECT role, city, state, avg(lat), avg(lon), string_agg(worker_id, ',' ORDER BY worker_id) FROM workers WHERE status = 'active' AND available AND shift_pref IN ('day', 'any') AND worker_id NOT IN (SELECT worker_id FROM fills) GROUP BY role, city, state ORDER BY count(*) DESC LIMIT 1"
  ROW=$(curl -s -XPOST "127.0.0.1:$PORT/v1/sql" -H 'content-type: application/json' -d "$(jq -n --arg q "$Q" '{sql: $q}')" | jq -c '.rows[0]')
  echo "$ROW" | jq -r '.[5]' > "$DIR/workers"
  for i in $(seq 0 4999); do
    D=$(date -u -d "2030-01-01 + $i days" +%F)
    echo "$ROW" | jq -c --arg id "$(printf 'O9%05d' "$i")" --arg d "$D" '{order_id: $id, client_id: "C9",
      client_name: "Bench Co", role: .[0], headcount: 100000, shift: "day", start_date: $d, end_date: $d,
      city: .[1], state: .[2], lat: .[3], lon: .[4], pay_rate: 20.0, required_certifications: [],
      required_skills: [], status: "open"}'
  done > "$DIR/orders.jsonl"
  curl -s -XPOST "127.0.0.1:$PORT/v1/datasets/job_orders/ingest?format=jsonl&mode=append" \
    -H 'content-type: application/x-ndjson' --data-binary @"$DIR/orders.jsonl" > /dev/null
  sleep 1
  stop
  rm -rf "$DIR/lg" && "$BIN" gen --root "$DIR/lg" --workers 20000 --orders 2000 > /dev/null
  "$BIN" index-workers --root "$DIR/lg" > /dev/null
  echo "workers: $(cat "$DIR/workers")"
  ;;
commits)
  BIN=$2 DIR=$3 C=$4 S=$5
  fresh "$DIR/root" "$DIR/run"
  serve "$BIN" "$DIR/run"
  T=$((C < 2 ? C : 2))
  OUT=$(wrk -t"$T" -c"$C" -d"${S}s" --latency -s "$HERE/commit.lua" "http://127.0.0.1:$PORT" -- "$(cat "$DIR/workers")" 5000 "$T")
  stop
  echo "$OUT" | awk -v c="$C" '/Requests\/sec/ {r=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} /Non-2xx/ {bad=$5}
    END {printf "clients=%s commits/s=%s p50=%s p99=%s non2xx=%d\n", c, r, p50, p99, bad}'
  ;;
visible)
  BIN=$2 DIR=$3 N=$4
  fresh "$DIR/root" "$DIR/vis"
  serve "$BIN" "$DIR/vis"
  W=$(cut -d, -f1 "$DIR/workers")
  SEEN=0
  : > "$DIR/vis.times"
  for i in $(seq 1 "$N"); do
    ID=$(curl -s -XPOST "127.0.0.1:$PORT/v1/fills" -H 'content-type: application/json' \
      -d "{\"order_id\":\"O9$(printf %05d "$i")\",\"worker_ids\":[\"$W\"]}" | jq -r .fill_id)
    R=$(curl -s -w ' %{time_total}' -XPOST "127.0.0.1:$PORT/v1/sql" -H 'content-type: application/json' \
      -d "{\"sql\":\"SELECT count(*) FROM fills WHERE fill_id = '$ID'\"}")
    [ "$(echo "${R% *}" | jq '.rows[0][0]')" = "1" ] && SEEN=$((SEEN + 1))
    echo "${R##* }" >> "$DIR/vis.times"
  done
  stop
  sort -n "$DIR/vis.times" | awk -v n="$N" -v s="$SEEN" '{a[NR]=$1*1000} END {printf "visible at the next statement: %d/%d; that statement: median %.2f ms, p99 %.2f ms\n", s, n, a[int(NR/2)+1], a[int(NR*0.99)]}'
  ;;
loadgen)
  SRV=$2 LG=$3 DIR=$4
  fresh "$DIR/lg" "$DIR/lgrun"
  serve "$SRV" "$DIR/lgrun"
  "$LG" loadgen --target "http://127.0.0.1:$PORT" --concurrency 50 --duration 20 --json "$DIR/lg.json" > /dev/null
  stop
  jq -r '"scenarios/s=\(.total.rate) p99=\(.total.p99_ms) failures=\(.total.failures) surge p50/p99=\(.classes.surge_fill_validate.p50_ms)/\(.classes.surge_fill_validate.p99_ms)"' "$DIR/lg.json"
  ;;
*)
  sed -n '2,16p' "$0"
  exit 2
  ;;
esac
