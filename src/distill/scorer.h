// src/distill/scorer.h: `lakehouse score`: a score (4 decimals) and a category for every
// evidence record, in `scored/YYYY/MM/DD/<source>.jsonl`, line for line with the evidence
// file of the same path (scored.v1: evidence_id, kind, source, day, subject, score,
// category, reasons, firewall).
//
// The rules (docs/DISTILL.md, "Scoring") read one record plus a context built first from
// the whole evidence: coordinator feedback by target, replays by playbook, and the requests
// that had a quarantined line. Categories: SftNever (the firewall: firewall.h), Telemetry
// (what describes the system, not a task: validations, observer windows, feedback, chat
// turns judged by their run), Reference (facts and traces: truth claims, pathway steps),
// else Accepted (score >= 0.8), Partial (>= 0.5) or Rejected.
//
// Idempotent and resumable: a scored file is rewritten whole (temp + rename) only when its
// evidence file grew or the context changed (`scored/_checkpoint.json` keeps both); a crash
// leaves the previous file, and the next run redoes the rest.
//
// Thread-safety: one scorer per root at a time (the CLI).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "distill/evidence_view.h"

namespace lakehouse::distill {

//! The version of the scoring rules; part of the checkpoint (a change re-scores all).
//! score@2: every message of a conversation is scanned (the system prompt and the roster
//! context too), by the normalising scanners of firewall.h.
inline constexpr std::string_view kScoreRules = "score@2";

//! The addresses a record may carry (an email's `to`, a drafted email's recipient): the
//! firewall does not count them as a third party's. Exports scan with the same list.
std::vector<std::string> Addressees(const EvidenceView& ev);

struct RosterPeople;

//! Runs the scorer over `<root>/evidence`; returns the receipt body (with "receipt").
//! With `people` (the roster's names and do-not-return list), an example that names
//! another worker than its subject, or a do-not-return worker by id or name, is SftNever.
Result<Json> Score(const std::filesystem::path& root, const RosterPeople* people = nullptr);

}  // namespace lakehouse::distill
