#!/usr/bin/env bash
# scripts/bench_retrieve.sh: the filtered place retrieve ("forklift drivers nights in
# Dayton", k=10) on two binaries side by side (docs/BENCHMARKS.md, issue 21): each serves its
# own copy of ROOT, both answers are printed as a checksum (they must agree), then
# `wrk -t1 -c4` alternates between them, ROUNDS rounds of DURATION seconds.
#
#   scripts/bench_retrieve.sh OLD_BINARY NEW_BINARY ROOT [ROUNDS=5] [DURATION_S=4]
# ROOT is a generated root with its workers index; it is not modified. NEW_ROOT=DIR gives
# the new binary its own root (the same data in a later layout: an old binary's root
# migrated, its index converted) when the two cannot read one layout.
set -euo pipefail
OLD=${1:?usage: scripts/bench_retrieve.sh OLD NEW ROOT [ROUNDS] [DURATION_S]}
NEW=${2:?usage}
ROOT=${3:?usage}
ROUNDS=${4:-5}
DURATION=${5:-4}
WORK=${WORK:-/tmp/bench_retrieve}
source "$(dirname "$0")/bench_lib.sh"
BODY='{"query":"forklift drivers nights in Dayton","k":10}'
LUA="$WORK.lua"
rm -rf "$WORK.old" "$WORK.new"
cp -r "$ROOT" "$WORK.old" && cp -r "${NEW_ROOT:-$ROOT}" "$WORK.new"
# COLD=1 (root only): the page cache is dropped after the copies, so each server reads its
# files as after a reboot, in the page sizes its own mappings ask for (a copy's pages are
# cached as the copy wrote them).
if [ "${COLD:-0}" = 1 ]; then sync && echo 3 > /proc/sys/vm/drop_caches; fi
printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = %s\n' \
  "'$BODY'" > "$LUA"
"$OLD" serve --root "$WORK.old" --port 18081 --no-access-log > "$WORK.old.log" 2>&1 &
PA=$!
"$NEW" serve --root "$WORK.new" --port 18082 --no-access-log > "$WORK.new.log" 2>&1 &
PB=$!
trap 'kill $PA $PB 2> /dev/null; wait $PA $PB 2> /dev/null' EXIT
wait_ready http://127.0.0.1:18081
wait_ready http://127.0.0.1:18082
for p in 18081 18082; do
  wrk -t1 -c4 -d2s -s "$LUA" "http://127.0.0.1:$p/v1/matrix/retrieve" > /dev/null
  echo "port $p answer $(curl -s -X POST -H content-type:application/json -d "$BODY" \
    "http://127.0.0.1:$p/v1/matrix/retrieve" | md5sum | cut -c1-12)"
done
for r in $(seq 1 "$ROUNDS"); do
  a=$(wrk -t1 -c4 -d"${DURATION}s" -s "$LUA" http://127.0.0.1:18081/v1/matrix/retrieve |
    awk '/Requests\/sec/ {print $2}')
  b=$(wrk -t1 -c4 -d"${DURATION}s" -s "$LUA" http://127.0.0.1:18082/v1/matrix/retrieve |
    awk '/Requests\/sec/ {print $2}')
  echo "round $r old $a new $b"
done
