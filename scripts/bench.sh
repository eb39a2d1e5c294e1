#!/usr/bin/env bash
# scripts/bench.sh: the core benchmarks, on loopback, bounded in time. Figures go to
# docs/BENCHMARKS.md. Needs a built tree (make build).
#   1. gen: 500,000 workers + 20,000 orders (hyperfine, 3 runs)
#   2. SQL engine vs raw DuckDB on the same Parquet (Google Benchmark)
#   3. ANN recall/QPS of our vector index vs plain hnswlib (build/bench/ann_bench)
#   4. HTTP: /healthz, POST /v1/sql GROUP BY role over 500k rows, warm /v1/embed (wrk, 10 s each)
#   5. validators: roster load time and memory over 500k workers (build/bench/roster_bench),
#      POST /v1/validate of a 12-worker fill (wrk, 10 s); the workers index's read phase,
#      JSON text path vs typed scan (build/bench/scan_bench, 5 interleaved repetitions)
#   6. matrix retrieve over 500k workers (1 and 3 corpora, a place query), pathway memory
#      write throughput and search (build/bench/memory_bench), POST /v1/memory (wrk, 10 s)
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
echo "== workers index read phase: JSON text vs typed scan =="
SCAN_BENCH_ROOT="$ROOT/http" ./build/bench/scan_bench --benchmark_repetitions=5 \
  --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true
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

echo "== matrix retrieve, memory, playbooks (issue 5) =="
echo "-- waiting for the workers index (built in the background at serve, ~2 min for 500k)"
for _ in $(seq 600); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.5; done
# 3 corpora: workers (500k) + fills (1k, role-bearing) + notes (1k), made from the datasets.
mkindex() {  # name, SQL producing {id, text, payload} rows as JSON
  curl -s -o /dev/null -H 'content-type: application/json' -d "{\"name\": \"$1\"}" "http://127.0.0.1:$PORT/v1/indexes"
  curl -s -H 'content-type: application/json' -d "$(jq -nc --arg sql "$2" '{sql: $sql, limit: 1000}')" \
    "http://127.0.0.1:$PORT/v1/sql" | jq -c '{items: [.rows[] | {id: .[0], text: .[1], payload: (.[2] | fromjson)}]}' \
    > "$ROOT/items.json"
  curl -s -o /dev/null -H 'content-type: application/json' -d @"$ROOT/items.json" "http://127.0.0.1:$PORT/v1/indexes/$1/upsert"
}
mkindex fills "SELECT f.order_id || '-' || f.worker_id, o.role || ' fill in ' || o.city || ', ' || o.state || ', ' || o.shift || ' shift', json_object('role', o.role, 'city', o.city, 'state', o.state) FROM fills f JOIN job_orders o USING (order_id) ORDER BY 1 LIMIT 1000"
mkindex notes "SELECT 'n' || worker_id, 'note: ' || role || ' in ' || city || ' prefers ' || shift_pref || ' shifts', json_object('worker_id', worker_id) FROM workers ORDER BY worker_id LIMIT 1000"
for q in '{"query": "forklift operators with reach truck experience", "role": "forklift operator", "corpora": ["workers"], "k": 20}' \
         '{"query": "forklift operators with reach truck experience", "role": "forklift operator", "corpora": ["workers", "fills", "notes"], "k": 20}' \
         '{"query": "need 12 forklift drivers nights in Dayton", "corpora": ["workers"], "k": 20}'; do
  printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[%s]]\n' "$q" > "$ROOT/retrieve.lua"
  echo "-- POST /v1/matrix/retrieve $q, wrk -t1 -c4 -d10s"
  wrk -t1 -c4 -d10s --latency -s "$ROOT/retrieve.lua" "http://127.0.0.1:$PORT/v1/matrix/retrieve" | grep -E "Requests/sec|50%|99%|Non-2xx"
done
echo "-- memory: durable ADD/UPDATE throughput and search latency, in process (build/bench/memory_bench)"
./build/bench/memory_bench 5000 4
cat > "$ROOT/memory.lua" <<'LUA'
counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"subject": "worker:W%07d", "text": "note %d: prefers night shifts", "source": "bench"}',
    counter % 400000 + 1, counter)
  return wrk.format("POST", "/v1/memory", {["Content-Type"] = "application/json"}, body)
end
LUA
echo "-- POST /v1/memory (distinct facts: ADD), wrk -t1 -c8 -d10s"
wrk -t1 -c8 -d10s --latency -s "$ROOT/memory.lua" "http://127.0.0.1:$PORT/v1/memory" | grep -E "Requests/sec|50%|99%|Non-2xx"

echo "== journal, observer (issue 6) =="
echo "-- journal appends under group commit, recovery of a 1 GB journal (build/bench/journal_bench)"
./build/bench/journal_bench 1
echo "-- observer overhead: the same server with and without it, POST /v1/validate, wrk -t1 -c50 -d10s, two rounds"
kill $SERVER_PID 2>/dev/null || true
wait $SERVER_PID 2>/dev/null || true
$BIN gen --root "$ROOT/obs" --workers 20000 --orders 2000 --log-level warn >/dev/null
printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[{"kind": "fill", "payload": {"order_id": "O000007", "worker_ids": ["W9999999"]}}]]\n' \
  > "$ROOT/validate_bad.lua"
for round in 1 2; do
  for enabled in true false; do
    LAKEHOUSE_OBSERVER_ENABLED=$enabled $BIN serve --root "$ROOT/obs" --port "$PORT" --no-access-log --log-level warn &
    SERVER_PID=$!
    for _ in $(seq 600); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
    echo "-- round $round, observer.enabled=$enabled"
    wrk -t1 -c50 -d10s --latency -s "$ROOT/validate_bad.lua" "http://127.0.0.1:$PORT/v1/validate" | grep -E "Requests/sec|50%|99%"
    kill $SERVER_PID; wait $SERVER_PID 2>/dev/null || true
  done
done

echo "== distillation pipeline (issue 7) =="
echo "-- materialize, score, exports over 1M _kb lines (build/bench/distill_bench)"
./build/bench/distill_bench 1000000
