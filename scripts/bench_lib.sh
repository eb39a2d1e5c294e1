# scripts/bench_lib.sh: what the multi-process benchmark scripts share (sourced).

# wait_ready URL: until URL/readyz answers 200 (10 minutes at most: an index build).
wait_ready() {
  for _ in $(seq 1 3000); do
    curl -fsS -o /dev/null "$1/readyz" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "$1 did not become ready" >&2
  return 1
}
