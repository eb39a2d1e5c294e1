#!/usr/bin/env bash
# The cost of authentication on a warm POST /v1/embed (docs/BENCHMARKS.md, "Authentication").
# Two servers side by side on empty roots: A with auth off (no key sent), B with auth
# required and a read key. wrk alternates A B A B ... (REPS each, SECONDS each); prints each
# run's requests/s, then the medians, spreads and the ratio B/A.
# Usage: scripts/auth_bench/auth_bench.sh [REPS=5] [SECONDS=3] [CONNECTIONS=32]
set -euo pipefail
cd "$(dirname "$0")/../.."
REPS=${1:-5}
SECS=${2:-3}
CONNS=${3:-32}
BIN=build/lakehouse
WORK=$(mktemp -d /tmp/auth-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
$BIN serve --root "$WORK/a" --port 3311 --no-access-log --log-level warn &
KEY=$($BIN keys create --root "$WORK/b" --name bench --scopes read --log-level warn | jq -r .key)
$BIN serve --root "$WORK/b" --port 3312 --auth required --no-access-log --log-level warn &
for port in 3311 3312; do
  for _ in $(seq 100); do curl -sf "127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
done
# Warm both caches (and check the key works).
curl -sf 127.0.0.1:3311/v1/embed -H 'content-type: application/json' \
  -d '{"input":"night shift forklift operator near Dayton"}' >/dev/null
curl -sf 127.0.0.1:3312/v1/embed -H 'content-type: application/json' -H "authorization: Bearer $KEY" \
  -d '{"input":"night shift forklift operator near Dayton"}' >/dev/null
run() {  # port key -> requests/s
  wrk -t2 -c"$CONNS" -d"${SECS}s" -s scripts/auth_bench/embed.lua "http://127.0.0.1:$1" -- "$2" |
    awk '/Requests\/sec/ {print $2}'
}
A=() B=()
for i in $(seq "$REPS"); do
  A+=("$(run 3311 "")")
  B+=("$(run 3312 "$KEY")")
  echo "rep $i: off ${A[-1]} req/s, required+key ${B[-1]} req/s"
done
stats() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.0f (min %.0f, max %.0f)", m, v[1], v[NR]}'; }
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2}'; }
echo "auth off, no key:        $(stats "${A[@]}") req/s"
echo "auth required, read key: $(stats "${B[@]}") req/s"
awk -v a="$(median "${A[@]}")" -v b="$(median "${B[@]}")" 'BEGIN {printf "ratio required/off: %.3f\n", b / a}'
