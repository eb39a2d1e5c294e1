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
  src/core/status.cc src/core/json.cc src/core/crc32c.cc src/core/file_io.cc src/core/writeback.cc src/core/ids.cc
  src/storage/record_log.cc src/vector/payload_filter.cc src/vector/payload_columns.cc
  src/gateway/http.cc
  src/embed/hash_embedder.cc
  src/validate/extract_json.cc src/validate/text_scan.cc src/core/text.cc
  src/core/fields.cc src/core/clock.cc
  src/distill/evidence.cc src/distill/evidence_view.cc src/distill/jsonl.cc src/distill/firewall.cc
  src/storage/kb_sources.cc src/query/csv_scan.cc
  src/auth/keys.cc src/auth/limits.cc src/api/guard.cc src/core/metrics.cc src/core/config.cc src/core/redact.cc
  src/core/http_client.cc
  src/iceberg/schema.cc src/iceberg/table.cc src/iceberg/manifest.cc
)
"$CXX" -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -DSPDLOG_COMPILED_LIB -DSPDLOG_FMT_EXTERNAL -DSPDLOG_SHARED_LIB -DTOML_HEADER_ONLY=0 -DTOML_SHARED_LIB=1 \
  -I src "${SOURCES[@]}" -lspdlog -lfmt -lcrypto -lsimdjson -licuuc -lphonenumber -ltomlplusplus -lcurl -lavro -o "$OUT/parsers_fuzz"
# Seeds for case 8 (the distill transforms): every fixture line, as "\x08<source index><line>".
i=0
for src in chat_turns validations iterate_runs fills emails playbooks pathway_traces replay_runs \
  retrievals observer_events truth_claims feedback; do
  n=0
  while IFS= read -r line; do
    seed="$OUT/corpus/distill-$src-$n"
    [ -f "$seed" ] || { printf "\\x08\\x$(printf %02x $i)"; printf '%s' "$line"; } > "$seed"
    n=$((n + 1))
  done < "contracts/distill/kb/$src.jsonl"
  i=$((i + 1))
done
"$OUT/parsers_fuzz" -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -timeout=10 \
  -artifact_prefix=fuzz/ "$OUT/corpus" 2>&1 | tail -n 5
