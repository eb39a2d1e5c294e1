#!/usr/bin/env bash
# scripts/parity/run.sh: the parity probe of split-service mode (docs/SPLIT.md).
#
# Generates one root (the contract fixtures' data: 200 workers, 40 orders, seed 42, with
# its workers index), copies it, serves one copy all-in-one and the other as eight split
# services behind a gateway, then sends every contract fixture to both
# (`lakehouse parity`): prints the diffs and "N/N match", exits 1 on a mismatch.
# Everything listens on 127.0.0.1 and is stopped on exit.
#
#   scripts/parity/run.sh [extra `lakehouse parity` flags, e.g. --json parity.json]
#   PARITY_PORT=3300 (first of the 10 ports used)   LAKEHOUSE=build/lakehouse
set -euo pipefail
cd "$(dirname "$0")/../.."
LAKEHOUSE=${LAKEHOUSE:-build/lakehouse}
BASE=${PARITY_PORT:-3300}
WORK=$(mktemp -d /tmp/lakehouse-parity.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

wait_ready() {  # url
  for _ in $(seq 1 600); do
    if curl -fsS -o /dev/null "$1/readyz" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "parity: $1 did not become ready; logs in $WORK" >&2
  tail -n 20 "$WORK"/*.log >&2 || true
  return 1
}

serve() {  # log-name, args...
  local name=$1
  shift
  "$LAKEHOUSE" serve --no-access-log --log-level warn "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
}

"$LAKEHOUSE" gen --root "$WORK/a" --workers 200 --orders 40 --seed 42 --log-level warn >/dev/null
"$LAKEHOUSE" index-workers --root "$WORK/a" --log-level warn >/dev/null
cp -a "$WORK/a" "$WORK/b"

serve all --root "$WORK/a" --port "$BASE"
services=(sql embed vector chat validate retrieve memory journal)
upstreams=()
port=$BASE
for s in "${services[@]}"; do
  port=$((port + 1))
  upstreams+=(--upstream "$s=http://127.0.0.1:$port")
done
# The journal service first: the others send their events to it.
journal_url="http://127.0.0.1:$((BASE + 8))"
port=$BASE
for s in "${services[@]}"; do
  port=$((port + 1))
  extra=()
  [[ $s != journal ]] && extra=(--upstream "journal=$journal_url")
  serve "$s" --root "$WORK/b" --service "$s" --port "$port" "${extra[@]}"
done
gateway=$((BASE + 9))
serve gateway --root "$WORK/b" --port "$gateway" "${upstreams[@]}"

wait_ready "http://127.0.0.1:$BASE"
for p in $(seq $((BASE + 1)) $((BASE + 9))); do wait_ready "http://127.0.0.1:$p"; done

"$LAKEHOUSE" parity --a "http://127.0.0.1:$BASE" --b "http://127.0.0.1:$gateway" "$@"
