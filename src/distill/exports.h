// src/distill/exports.h: `lakehouse export sft|rag|preference`: training and retrieval data
// from scored evidence (docs/DISTILL.md, "Exports").
//
//   sft         exports/sft.jsonl: {"messages": [...], "metadata": {...}} (OpenAI chat
//               fine-tuning format; the assistant turn carries "weight": 1) from 8 source
//               classes: iterate_fill, iterate_email, iterate_playbook (valid iterate runs:
//               their prompt and the valid answer), chat (coordinator chats), email (sent
//               emails), playbook (recorded playbooks), replay (valid replay answers),
//               retrieval (query -> role, place, shift); score >= --min-score (0.6).
//   rag         exports/rag.jsonl: {"id", "text", "metadata"} chunks (<= 2000 characters,
//               split at whitespace) of playbooks, fills, emails, truth claims, pathway
//               steps and feedback notes.
//   preference  exports/preference.jsonl: {"prompt", "chosen", "rejected", "input",
//               "preferred_output", "non_preferred_output", "metadata"} (TRL's
//               conversational shape and OpenAI's DPO shape of the same pair) for every
//               failed attempt of an iterate run that a valid attempt followed.
//
// Shapes trainers accept: earlier assistant turns carry "weight": 0, every example has a
// user turn and never two assistant turns in a row (else dropped, "shape: ..."), and each
// line's metadata has a deterministic "split" (train or validation, 1 in 10, by a hash of
// its near-duplicate key, so near duplicates share a split).
//
// The firewall: SftNever evidence never reaches sft, preference or rag (RAG chunks go into
// model prompts), and every message of an example and every rag text is scanned again at
// export (firewall.h), whatever the record's score said. Exact
// duplicates (same content) and near duplicates (same text after case folding and removing
// punctuation and spacing) are dropped. Every dropped candidate is logged with its reason in
// exports/<kind>.dropped.jsonl. Outputs are written whole (temp + rename), in evidence order,
// with fixed key order: byte-identical between runs on the same evidence.
//
// Thread-safety: one export per root and kind at a time (the CLI).
#pragma once

#include <filesystem>
#include <string>

#include "core/json.h"
#include "core/progress.h"
#include "core/status.h"

namespace lakehouse::distill {

struct ExportOptions {
  std::filesystem::path root;
  std::string kind;              // sft | rag | preference
  double min_score = 0.6;        // sft only
  Progress* progress = nullptr;  // evidence bytes read (core/progress.h)
};

//! Writes the export; returns the receipt body (with "receipt").
Result<Json> Export(const ExportOptions& options);
//! The same export written to `out_dir` instead of <root>/exports, without a receipt: the
//! audit re-derives the exports this way and compares them byte for byte.
Result<Json> ExportTo(const ExportOptions& options, const std::filesystem::path& out_dir);

//! The SFT source classes, in documentation order.
const std::vector<std::string>& SftClasses();

}  // namespace lakehouse::distill
