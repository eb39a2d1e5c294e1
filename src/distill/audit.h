// src/distill/audit.h: `lakehouse audit baselines|full`: is the pipeline's output what its
// inputs and rules say it must be?
//
// baselines  appends one audit_baseline.v1 line to `audit/audit_baselines.jsonl`: counts
//            per source, kind and category, a score histogram, export counts, quarantine
//            count and firewall violations (must be 0). Comparing lines over time shows
//            drift.
// full       phases, each PASS, FAIL or SKIP (nothing to check), appended as one
//            audit_full.v1 line to `audit/audit_full.jsonl`:
//              0 inventory     sources, evidence, scores, exports, receipts present
//              1 schema        every line of every source, evidence, scored, quarantine,
//                              export and receipt file against its schema
//              2 materializer  every source re-derived and compared with the evidence
//              3 scorer        every record re-scored and compared
//              4 exports       firewall, dedup and shape of sft, rag and preference
//              5 run summaries iterate runs, replay runs and receipts agree with themselves
//              6 acceptance    the invariants of docs/DISTILL.md (26), each PASS/FAIL
//              7 replay        replay runs re-validated against the current roster
//            The result is FAIL when any phase fails (the CLI exits 1).
//
// Thread-safety: one audit per root at a time (the CLI); it only reads, apart from its
// own audit/ and _receipts/ lines.
#pragma once

#include <filesystem>

#include "core/json.h"
#include "core/progress.h"
#include "core/status.h"
#include "validate/roster.h"
#include "validate/validators.h"

namespace lakehouse::distill {

//! Appends and returns the baseline line.
Result<Json> AuditBaselines(const std::filesystem::path& root);

struct AuditOptions {
  std::filesystem::path root;
  // For phase 7 (replay runs re-validated): both set, or phase 7 checks shapes only.
  const Roster* roster = nullptr;
  const Validators* validators = nullptr;
  Progress* progress = nullptr;  // phases done (core/progress.h)
};

//! Runs every phase; the line also written to audit/audit_full.jsonl. `result` is PASS or
//! FAIL.
Result<Json> AuditFull(const AuditOptions& options);

//! The PASS/FAIL table of an audit_full line, for a terminal.
std::string AuditTable(const Json& audit);

}  // namespace lakehouse::distill
