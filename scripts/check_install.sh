#!/usr/bin/env bash
# scripts/check_install.sh BUILD_DIR: `cmake --install` into a fresh prefix, then the installed
# binary runs from another directory with the libduckdb.so installed beside it (RUNPATH
# $ORIGIN/../lib/lakehouse, not the checkout's third_party/), generates and queries a root,
# and the installed units name the installed binary. Exit 1 on any failure.
set -euo pipefail
BUILD="$(realpath "${1:-build}")"
prefix="$(mktemp -d)"
work="$(mktemp -d)"
trap 'rm -rf "$prefix" "$work"' EXIT
cmake --install "$BUILD" --prefix "$prefix" >/dev/null
bin="$prefix/bin/lakehouse"
lib="$(ldd "$bin" | awk '/libduckdb/ {print $3}')"
[ "$lib" = "$prefix/bin/../lib/lakehouse/libduckdb.so" ] || { echo "libduckdb resolves to '$lib', not the prefix's"; exit 1; }
cd "$work"
"$bin" --version | grep -q '^duckdb: v1.4.4' || { echo "installed --version is wrong"; exit 1; }
"$bin" gen --root data --workers 200 --orders 20 >/dev/null 2>&1
n="$("$bin" sql --root data "SELECT count(*) AS n FROM workers" 2>/dev/null | grep -o '\[\[200\]\]' || true)"
[ -n "$n" ] || { echo "the installed binary did not answer SQL over its own root"; exit 1; }
grep -q "^ExecStart=$prefix/bin/lakehouse serve" "$prefix/lib/systemd/system/lakehouse.service" ||
  { echo "the installed unit does not name the installed binary"; exit 1; }
[ -f "$prefix/lib/sysusers.d/lakehouse.conf" ] && [ -f "$prefix/share/doc/lakehouse/docs/CONSOLE.md" ] ||
  { echo "sysusers or docs not installed"; exit 1; }
echo "install: $(find "$prefix" -type f | wc -l) files; the binary runs from $work with $lib"
