#!/usr/bin/env bash
# scripts/fuzz.sh: builds fuzz/parsers_fuzz.cc with clang's libFuzzer + ASan/UBSan and runs
# it for FUZZ_SECONDS (default 60). The sources it needs are compiled in directly, so the
# fuzzer instruments them. Crashes are saved as fuzz/crash-*; a non-zero exit means a bug.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${FUZZ_SECONDS:-60}
OUT=build-fuzz
mkdir -p "$OUT" "$OUT/corpus"
CXX=${FUZZ_CXX:-clang++-14}
SOURCES=(
  fuzz/parsers_fuzz.cc
  src/core/status.cc src/core/json.cc src/core/crc32c.cc src/core/file_io.cc src/core/ids.cc
  src/vector/record_log.cc src/vector/payload_filter.cc
  src/gateway/http.cc
  src/embed/hash_embedder.cc
  src/validate/extract_json.cc src/validate/text_scan.cc src/core/text.cc
  src/memory/fields.cc src/core/clock.cc
)
"$CXX" -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -DSPDLOG_COMPILED_LIB -DSPDLOG_FMT_EXTERNAL -DSPDLOG_SHARED_LIB \
  -I src "${SOURCES[@]}" -lspdlog -lfmt -lcrypto -o "$OUT/parsers_fuzz"
"$OUT/parsers_fuzz" -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -timeout=10 \
  -artifact_prefix=fuzz/ "$OUT/corpus" 2>&1 | tail -n 5
