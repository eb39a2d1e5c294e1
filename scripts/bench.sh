#!/usr/bin/env bash
# scripts/bench.sh: the core benchmarks, on loopback, bounded in time. Figures go to
# docs/BENCHMARKS.md. Needs a built tree (make build).
#   1. gen: 500,000 workers + 20,000 orders (hyperfine, 3 runs)
#   2. SQL engine vs raw DuckDB on the same Parquet (Google Benchmark)
#   3. ANN recall/QPS of our vector index vs plain hnswlib (build/bench/ann_bench)
#   4. HTTP: /healthz, POST /v1/sql GROUP BY role over 500k rows, warm /v1/embed (wrk, 10 s each)
#   5. validators: roster load time and memory over 500k workers (build/bench/roster_bench),
#      POST /v1/validate of a 12-worker fill (wrk, 10 s)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=./build/lakehouse
PORT=${BENCH_PORT:-3190}
ROOT=$(mktemp -d /tmp/lakehouse-bench.XXXXXX)
trap 'kill $SERVER_PID 2>/dev/null || true; rm -rf "$ROOT"' EXIT

echo "== gen 500k workers =="
hyperfine --runs 3 --prepare "rm -rf $ROOT/gen" "$BIN gen --root $ROOT/gen --workers 500000 --orders 20000 --log-level warn"

echo "== SQL engine vs raw DuckDB =="
./build/bench/sql_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true

echo "== embedding cache lookup =="
./build/bench/embed_cache_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true

echo "== ANN: VectorIndex vs plain hnswlib (100k x 384, two datasets; several minutes) =="
./build/bench/ann_bench 100000 1000

echo "== HTTP =="
$BIN gen --root "$ROOT/http" --workers 500000 --orders 20000 --log-level warn >/dev/null
$BIN serve --root "$ROOT/http" --port "$PORT" --no-access-log --log-level warn &
SERVER_PID=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
echo "-- GET /healthz, wrk -t1 -c50 -d10s"
wrk -t1 -c50 -d10s --latency "http://127.0.0.1:$PORT/healthz" | grep -E "Requests/sec|50%|99%"
cat > "$ROOT/sql.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"sql":"SELECT role, count(*) AS n FROM workers GROUP BY role ORDER BY n DESC"}'
LUA
echo "-- POST /v1/sql GROUP BY role over 500k workers, wrk -t1 -c4 -d10s"
wrk -t1 -c4 -d10s --latency -s "$ROOT/sql.lua" "http://127.0.0.1:$PORT/v1/sql" | grep -E "Requests/sec|50%|99%"
cat > "$ROOT/embed.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"input":"forklift operator night shift Dayton OH"}'
LUA
curl -s -o /dev/null -H 'content-type: application/json' -d '{"input":"forklift operator night shift Dayton OH"}' \
  "http://127.0.0.1:$PORT/v1/embed"
for round in 1 2; do
  echo "-- round $round: GET /healthz vs warm POST /v1/embed, wrk -t1 -c10 -d10s"
  wrk -t1 -c10 -d10s --latency "http://127.0.0.1:$PORT/healthz" | grep -E "Requests/sec|50%|99%"
  wrk -t1 -c10 -d10s --latency -s "$ROOT/embed.lua" "http://127.0.0.1:$PORT/v1/embed" | grep -E "Requests/sec|50%|99%"
done
echo "== validators =="
./build/bench/roster_bench "$ROOT/http" | tee "$ROOT/roster.json" | grep -v '"W'
jq -c '{kind: "fill", payload: .fill12}' "$ROOT/roster.json" > "$ROOT/fill12.json"
printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[%s]]\n' \
  "$(cat "$ROOT/fill12.json")" > "$ROOT/validate.lua"
echo "-- POST /v1/validate 12-worker fill vs GET /healthz, wrk -t1 -c50 -d10s"
wrk -t1 -c50 -d10s --latency -s "$ROOT/validate.lua" "http://127.0.0.1:$PORT/v1/validate" | grep -E "Requests/sec|50%|99%|Non-2xx"
wrk -t1 -c50 -d10s --latency "http://127.0.0.1:$PORT/healthz" | grep -E "Requests/sec|50%|99%"
echo "-- single request latency (curl, 20 runs, median)"
for _ in $(seq 20); do
  curl -s -o /dev/null -w "%{time_total}\n" -H 'content-type: application/json' \
    -d '{"sql":"SELECT role, count(*) AS n FROM workers GROUP BY role ORDER BY n DESC"}' "http://127.0.0.1:$PORT/v1/sql"
done | sort -n | awk '{a[NR]=$1} END {printf "median %.2f ms\n", a[int((NR+1)/2)]*1000}'
