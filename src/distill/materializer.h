// src/distill/materializer.h: `lakehouse materialize`: `_kb/<source>.jsonl` -> evidence.
//
// For each of the 12 sources (evidence.h) it reads only what was appended since the last
// run, transforms each line into `evidence/YYYY/MM/DD/<source>.jsonl` (the record's own
// day) and each bad line into `_quarantine/_kb/<source>.jsonl` (quarantine.v1: source,
// origin, line_offset, reason, raw, quarantined_at).
//
// Resumable and idempotent by a checkpoint, `evidence/_checkpoint.json`: per source, the
// bytes and lines consumed, the CRC-32C of those bytes, and the size of every output file
// at that point. It is rewritten atomically after each committed batch (outputs fsync'd
// first). At start, a source's outputs longer than the checkpoint says are a crashed run's
// uncommitted tail and are cut back, so no line is ever written twice. A source whose
// consumed prefix no longer has the recorded CRC (rewritten in place, or shorter) is read
// again from line 0, skipping evidence ids and quarantined lines already on disk (ids are
// content hashes), so nothing is duplicated. New lines are checked against the ids on disk
// too: a client's retry (same X-Request-Id, same content) or an exact duplicate line is
// the evidence already there, counted in duplicates_skipped. A last line without '\n' is a writer
// mid-append: left for the next run (`pending_bytes` in the receipt).
//
// Sources are independent, so they are processed a few at a time (one thread each, the
// biggest first). Memory is bounded by the batch size (32 MiB of output per running
// source) except when a rewritten source is re-read: then 8 bytes per evidence record of it.
//
// Thread-safety: one materializer per root at a time (the CLI).
#pragma once

#include <filesystem>

#include "core/json.h"
#include "core/progress.h"
#include "core/status.h"

namespace lakehouse::distill {

struct MaterializeOptions {
  std::filesystem::path root;
  int64_t recorded_at_millis = 0;  // provenance.recorded_at; 0 = now
  size_t batch_bytes = 32 << 20;   // per source: commit (fsync + checkpoint) after this much
  size_t threads = 0;              // sources processed at once; 0 = the CPU count
  Progress* progress = nullptr;    // bytes of _kb/ read (core/progress.h)
};

//! Runs the materializer; returns the receipt body (also written under
//! `_receipts/materialize/`), with "receipt" naming its file.
Result<Json> Materialize(const MaterializeOptions& options);

}  // namespace lakehouse::distill
