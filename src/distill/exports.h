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
//   preference  exports/preference.jsonl: {"prompt", "chosen", "rejected", "metadata"}
//               (TRL conversational shape) for every failed attempt of an iterate run that
//               a valid attempt followed.
//
// The firewall: SftNever evidence never reaches sft or preference (RAG keeps PII and dnr
// notes, which coordinators need, but not flagged or quarantined records). Exact
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
#include "core/status.h"

namespace lakehouse::distill {

struct ExportOptions {
  std::filesystem::path root;
  std::string kind;        // sft | rag | preference
  double min_score = 0.6;  // sft only
};

//! Writes the export; returns the receipt body (with "receipt").
Result<Json> Export(const ExportOptions& options);

//! The SFT source classes, in documentation order.
const std::vector<std::string>& SftClasses();

}  // namespace lakehouse::distill
