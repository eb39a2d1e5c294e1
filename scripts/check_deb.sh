#!/usr/bin/env bash
# scripts/check_deb.sh BUILD_DIR: builds the .deb (cpack -G DEB) into a temp directory, checks
# its control fields and contents, unpacks it (without installing: the machine is not
# changed) and runs the packaged binary with the packaged libduckdb.so. Exit 1 on any failure.
set -euo pipefail
BUILD="$(realpath "${1:-build}")"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
(cd "$BUILD" && cpack -G DEB -B "$out" >/dev/null)
deb="$(ls "$out"/lakehouse_*_amd64.deb)"
fail() { echo "deb: $*"; exit 1; }
[ "$(dpkg-deb -f "$deb" Package)" = lakehouse ] || fail "Package is not lakehouse"
dpkg-deb -f "$deb" Depends | grep -q 'libcurl4' || fail "Depends lacks libcurl4: $(dpkg-deb -f "$deb" Depends)"
dpkg-deb -f "$deb" Depends | grep -q 'libduckdb' && fail "Depends names libduckdb (it ships inside)"
list="$(dpkg-deb -c "$deb")"
for f in ./usr/bin/lakehouse ./usr/lib/lakehouse/libduckdb.so ./usr/lib/systemd/system/lakehouse.service \
         ./usr/lib/systemd/system/lakehouse@.service ./usr/lib/systemd/system/lakehouse.target \
         ./usr/lib/sysusers.d/lakehouse.conf; do
  grep -q " $f\$" <<<"$list" || fail "$f is not in the package"
done
dpkg-deb -I "$deb" postinst >/dev/null || fail "no postinst"
dpkg-deb -x "$deb" "$out/root"
grep -q '^ExecStart=/usr/bin/lakehouse serve' "$out/root/usr/lib/systemd/system/lakehouse.service" ||
  fail "the packaged unit does not name /usr/bin/lakehouse"
lib="$(ldd "$out/root/usr/bin/lakehouse" | awk '/libduckdb/ {print $3}')"
[ "$lib" = "$out/root/usr/bin/../lib/lakehouse/libduckdb.so" ] || fail "libduckdb resolves to '$lib'"
"$out/root/usr/bin/lakehouse" --version | grep -q '^duckdb: v1.4.4' || fail "the packaged binary does not run"
echo "deb: $(basename "$deb"), $(du -h "$deb" | cut -f1), Depends: $(dpkg-deb -f "$deb" Depends)"
