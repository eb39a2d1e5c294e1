#!/usr/bin/env bash
# scripts/setup.sh: installs everything Lakehouse needs on a bare Debian 12 machine.
#
# Idempotent: a second run checks and returns in about a second. Every third-party
# dependency enters the project here (SPEC "Dependencies enter through one place"):
#   - Debian packages (compilers, Boost.Beast, simdjson, hnswlib, GoogleTest, ...);
#   - DuckDB v1.4.4, which Debian does not ship: the prebuilt libduckdb.so from the npm
#     package @duckdb/node-bindings-linux-x64 and the matching C API header from the
#     duckdb npm package, fetched with `npm pack` (no install scripts run) into the
#     git-ignored third_party/duckdb/, and verified against pinned sha1 sums.
#   - hnswlib's headers (0.8 line) from the npm package hnswlib-node@3.0.0 into
#     third_party/hnswlib/: Debian's libhnswlib-dev is 0.6.2, which has neither filtered
#     search (BaseFilterFunctor) nor slot reuse (replace_deleted). See docs/DECISIONS.md.
#
# Two profiles: `setup.sh run` installs what building and running the binary needs (what
# `make run` calls); `setup.sh test` (the default; `make test`) adds what the test suite,
# the benchmarks and CI use: GoogleTest, Google Benchmark, clang, Chromium, systemd's
# checkers, wrk, hyperfine, the SDKs that judge our wire formats, promtool.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DUCKDB_DIR="$ROOT/third_party/duckdb"
PROFILE="${1:-test}"
case "$PROFILE" in
  run | test) ;;
  *) echo "usage: scripts/setup.sh [run|test]" >&2; exit 2 ;;
esac

# Building and running: compiler and build tools, the libraries the binary links.
APT_RUN=(
  build-essential cmake ninja-build git ca-certificates curl
  libboost-dev libsimdjson-dev nlohmann-json3-dev
  libcurl4-openssl-dev libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libssl-dev libicu-dev libphonenumber-dev
  libavro-dev libpq-dev
)
# Tests, benchmarks and CI on top.
APT_TEST=(
  clang-format clang-14 libclang-rt-14-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  wrk hyperfine jq
  chromium systemd
  postgresql
)
APT_PACKAGES=("${APT_RUN[@]}")
[ "$PROFILE" = test ] && APT_PACKAGES+=("${APT_TEST[@]}")

DUCKDB_BINDINGS_PKG="@duckdb/node-bindings-linux-x64@1.4.4-r.4"
DUCKDB_HEADER_PKG="duckdb@1.4.4"
DUCKDB_LIB_SHA1="8e6c51838fb178dfd3257ea4eea7bfdc6e4ee48a"
DUCKDB_HEADER_SHA1="ab615fdc2b55504eed252aed9283d3c55e7fa1fc"

log() { printf '[setup] %s\n' "$*" >&2; }

install_apt() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "Debian packages: all present"
    return
  fi
  log "Debian packages: installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# npm may come from Debian's npm package or with a nodejs build that bundles it; only
# install Debian's when no npm is on PATH at all.
install_npm() {
  command -v npm >/dev/null 2>&1 && return
  log "npm: installing Debian's npm"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq npm >/dev/null
}

sha1_of() { sha1sum "$1" | cut -d' ' -f1; }

install_duckdb() {
  if [ -f "$DUCKDB_DIR/lib/libduckdb.so" ] && [ -f "$DUCKDB_DIR/include/duckdb.h" ] &&
     [ "$(sha1_of "$DUCKDB_DIR/lib/libduckdb.so")" = "$DUCKDB_LIB_SHA1" ] &&
     [ "$(sha1_of "$DUCKDB_DIR/include/duckdb.h")" = "$DUCKDB_HEADER_SHA1" ]; then
    log "DuckDB 1.4.4: present, checksums match"
    return
  fi
  log "DuckDB 1.4.4: fetching with npm pack"
  local tmp
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  (cd "$tmp" && npm pack --ignore-scripts --silent "$DUCKDB_BINDINGS_PKG" "$DUCKDB_HEADER_PKG" >/dev/null)
  mkdir -p "$tmp/bindings" "$tmp/header"
  tar -xzf "$tmp"/duckdb-node-bindings-linux-x64-*.tgz -C "$tmp/bindings" package/libduckdb.so
  tar -xzf "$tmp"/duckdb-1.4.4.tgz -C "$tmp/header" package/src/duckdb/src/include/duckdb.h
  local lib="$tmp/bindings/package/libduckdb.so"
  local hdr="$tmp/header/package/src/duckdb/src/include/duckdb.h"
  [ "$(sha1_of "$lib")" = "$DUCKDB_LIB_SHA1" ] || { log "libduckdb.so checksum mismatch"; exit 1; }
  [ "$(sha1_of "$hdr")" = "$DUCKDB_HEADER_SHA1" ] || { log "duckdb.h checksum mismatch"; exit 1; }
  mkdir -p "$DUCKDB_DIR/lib" "$DUCKDB_DIR/include"
  install -m 0644 "$lib" "$DUCKDB_DIR/lib/libduckdb.so"
  install -m 0644 "$hdr" "$DUCKDB_DIR/include/duckdb.h"
  log "DuckDB 1.4.4: installed into third_party/duckdb"
}

HNSWLIB_PKG="hnswlib-node@3.0.0"
HNSWLIB_DIR="$ROOT/third_party/hnswlib/hnswlib"
HNSWLIB_SHA1S="e8f60b3628ddd43ac5b6148f9913a669bdfe6b38  bruteforce.h
ddc0d168be74ab783352549a09907d8a1556b266  hnswalg.h
98f1335fced45dc714a027f43e03818a3d236a66  hnswlib.h
0d5593795613868a89236cb93d83f360f840d545  space_ip.h
4647d749820552c6343482f25b942048b38ee4b8  space_l2.h
6103284dfd72edb138d3b933768cabb9e9d6562f  stop_condition.h
cdeafef9a11c52d58c78cb71a730e1f426a2b500  visited_list_pool.h"

install_hnswlib() {
  if [ -d "$HNSWLIB_DIR" ] && (cd "$HNSWLIB_DIR" && echo "$HNSWLIB_SHA1S" | sha1sum --quiet -c - >/dev/null 2>&1); then
    log "hnswlib 0.8 headers: present, checksums match"
    return
  fi
  log "hnswlib 0.8 headers: fetching with npm pack"
  local tmp
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  (cd "$tmp" && npm pack --ignore-scripts --silent "$HNSWLIB_PKG" >/dev/null)
  tar -xzf "$tmp"/hnswlib-node-*.tgz -C "$tmp" package/src/hnswlib
  (cd "$tmp/package/src/hnswlib" && echo "$HNSWLIB_SHA1S" | sha1sum --quiet -c -) || { log "hnswlib checksum mismatch"; exit 1; }
  rm -rf "$HNSWLIB_DIR"
  mkdir -p "$HNSWLIB_DIR"
  install -m 0644 "$tmp"/package/src/hnswlib/*.h "$HNSWLIB_DIR/"
  log "hnswlib 0.8 headers: installed into third_party/hnswlib"
}

# npm packages used by tests and by the console, pinned, installed without their scripts into
# third_party/node (git-ignored): `npm_pinned WHAT name@version...` installs those not there
# at exactly that version.
SDK_DIR="$ROOT/third_party/node"
npm_pinned() {
  local what="$1" missing=()
  shift
  for spec in "$@"; do
    [ "$(node -p "require('$SDK_DIR/node_modules/${spec%@*}/package.json').version" 2>/dev/null)" = "${spec##*@}" ] ||
      missing+=("$spec")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "$what: present"
    return
  fi
  log "$what: installing ${missing[*]}"
  mkdir -p "$SDK_DIR"
  [ -f "$SDK_DIR/package.json" ] || echo '{"private": true}' > "$SDK_DIR/package.json"
  npm install --prefix "$SDK_DIR" --ignore-scripts --no-audit --no-fund --silent "${missing[@]}" >/dev/null
}

# The judges of our OpenAI- and Ollama-compatible wire (tests/sdk/sdk_test.mjs): the official SDKs.
install_sdks() { npm_pinned "openai and ollama SDKs" openai@7.59.0 ollama@0.6.4; }
# Independent Iceberg readers: icebird reads tables over HTTP, iceberg-js is a REST catalog client.
install_iceberg_clients() { npm_pinned "Iceberg clients" icebird@0.3.1 iceberg-js@1.0.0; }
# An S3 server that verifies SigV4 signatures, and MinIO's client as an independent reader of
# what an s3:// root writes (tests/storage/s3_root_test.mjs).
install_s3_peers() { npm_pinned "S3 server and client" @20minutes/s3rver@5.0.0 minio@8.0.7; }

# The console (issue 20): uPlot, its charting library, compiled into the binary (so its two
# files are checksummed: what ships is what was reviewed), and playwright-core, which drives
# Debian's chromium in the browser tests (no browser download: --ignore-scripts).
UPLOT_SHA1S="5b16e85a17eecc7bac76f68229682e426083ee3f  uPlot.iife.min.js
67765ea7ba4809bf6f4bb691fac615673891c53c  uPlot.min.css"
install_console_deps() {
  npm_pinned "uplot" uplot@1.6.32
  (cd "$SDK_DIR/node_modules/uplot/dist" && echo "$UPLOT_SHA1S" | sha1sum --quiet -c -) ||
    { log "uplot checksum mismatch"; exit 1; }
}
install_test_console_deps() { npm_pinned "playwright-core" playwright-core@1.64.1; }

# promtool, Prometheus's linter of /metrics (tests/e2e/server_e2e_test.cc), taken out of
# Debian's prometheus package without installing it: installing would start a Prometheus
# server on every interface, and only its checker is wanted.
PROMTOOL="$ROOT/third_party/prometheus/promtool"
install_promtool() {
  if [ -x "$PROMTOOL" ] && "$PROMTOOL" --version >/dev/null 2>&1; then
    log "promtool: present"
    return
  fi
  log "promtool: extracting it from Debian's prometheus package"
  local tmp
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  (cd "$tmp" && apt-get download prometheus >/dev/null 2>&1) ||
    { [ "$(id -u)" -eq 0 ] && apt-get update -qq && (cd "$tmp" && apt-get download prometheus >/dev/null); }
  dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/x"
  mkdir -p "$(dirname "$PROMTOOL")"
  install -m 0755 "$tmp/x/usr/bin/promtool" "$PROMTOOL"
}

install_apt
install_npm
install_duckdb
install_hnswlib
install_console_deps
if [ "$PROFILE" = test ]; then
  install_sdks
  install_iceberg_clients
  install_s3_peers
  install_test_console_deps
  install_promtool
fi
