#!/usr/bin/env bash
# scripts/check_units.sh BINARY: `systemd-analyze verify` over packaging/'s units (the
# all-in-one service, the split template as two instances, the gateway and the target), with
# ExecStart pointing at BINARY (verify checks that the program exists), and
# `systemd-sysusers --dry-run` over its user. Exit 1 on any finding.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$(realpath "${1:-$ROOT/build/lakehouse}")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for f in "$ROOT"/packaging/*.service "$ROOT"/packaging/*.target; do
  sed "s|/usr/local/bin/lakehouse|$BIN|g" "$f" > "$tmp/$(basename "$f")"
done
cd "$tmp"
out="$(systemd-analyze verify --man=no lakehouse.service lakehouse@sql.service \
  lakehouse@journal.service lakehouse-gateway.service lakehouse.target 2>&1)" || { echo "$out"; exit 1; }
# verify exits 0 on some warnings; a unit it had to complain about is a failure too, except
# for the units of the host itself it reads on the way (network-online.target's).
findings="$(echo "$out" | grep -v '^$' | grep -F "$tmp" || true)"
if [ -n "$findings" ]; then
  echo "$findings"
  exit 1
fi
# The dedicated user: systemd-sysusers reads the file and says what it would create.
users="$(systemd-sysusers --dry-run "$ROOT/packaging/lakehouse.sysusers" 2>&1)" || { echo "$users"; exit 1; }
echo "$users" | grep -q "user 'lakehouse'" || { echo "sysusers: no lakehouse user in: $users"; exit 1; }
echo "units: $(ls "$tmp" | wc -l) files verified clean; sysusers creates the lakehouse user"
