// src/distill/scoring.h: the scoring rules and their context (internal to src/distill; the
// audit re-runs them to check the scorer's output).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/json.h"
#include "core/progress.h"
#include "core/status.h"
#include "distill/evidence_view.h"

namespace lakehouse {
class Roster;
}

namespace lakehouse::distill {

//! The roster as the firewall needs it: every worker's "first last" name (lower case) and
//! who is on the do-not-return list. A name of another worker than the example's subject
//! is third-party PII; naming a do-not-return worker (by id or name) keeps an example out.
struct RosterPeople {
  std::unordered_map<std::string, std::vector<std::string>> ids_by_name;  // "mei collins"
  std::unordered_set<std::string> dnr_ids;
  std::string digest;  // changes when the roster does (a re-score)

  static RosterPeople From(const Roster& roster);
  //! Workers named in `text` ("Mei Collins", capitalised first and last names) and worker
  //! ids ("W0000271") of the do-not-return list.
  void Find(std::string_view text, std::vector<std::string>* named_ids,
            std::vector<std::string>* dnr_mentions) const;
};

struct ScoreContext {
  struct Feedback {
    int positive = 0, negative = 0;
    std::vector<std::string> flags;  // the flag reasons
  };
  std::map<std::string, Feedback> feedback;            // by target id
  std::map<std::string, std::pair<int, int>> replays;  // playbook_id -> (valid, invalid)
  std::set<std::string> quarantined_requests;
  const RosterPeople* people = nullptr;  // null: no roster (names are not checked)

  //! Reads feedback and playbook evidence and `_quarantine/_kb/*.jsonl`.
  static Result<ScoreContext> Build(const std::filesystem::path& root);
  //! SHA-256 over the whole context: a change means every file is re-scored.
  std::string Digest() const;
};

struct ScoreResult {
  double score = 0;  // rounded to 4 decimals
  std::string category;
  std::vector<std::string> reasons;
  std::vector<std::string> firewall;  // non-empty: SftNever
};

ScoreResult ScoreEvidence(const EvidenceView& ev, const ScoreContext& context);
//! Appends the scored.v1 line (with '\n').
void AppendScoredLine(std::string& out, const EvidenceView& ev, const ScoreResult& r);

}  // namespace lakehouse::distill

namespace lakehouse::distill {

//! A scored.v1 line, parsed.
struct ScoredView {
  std::string_view evidence_id, category;
  double score = 0;
  std::vector<std::string_view> firewall;  // non-empty: SftNever
};

//! Walks the evidence of the given sources (every day's file of each), skipping lines that
//! do not parse (the audit's schema phase reports those).
Status ForEachEvidenceOf(const std::filesystem::path& root,
                         std::initializer_list<std::string_view> sources,
                         const std::function<Status(const EvidenceView&)>& fn);

//! A record RAG must not hold: any firewall reason (SftNever). RAG chunks go into model
//! prompts, so a third party's contact details or do-not-return notes must not either; the
//! facts themselves stay reachable through /v1/truth and the roster.
bool KeptOutOfRag(const ScoredView& scored);

//! Walks every evidence record with its score, file by file in path order (the order every
//! export is written in). Fails when a scored file is missing or does not match its
//! evidence line for line ("run lakehouse score"). `inputs`, when given, gets
//! {path, bytes, lines, crc32c} of every file read (for receipts); `progress`, when given,
//! counts the evidence bytes read against their total.
Status ForEachScoredEvidence(
    const std::filesystem::path& root,
    const std::function<Status(const EvidenceView&, const ScoredView&)>& fn, Json* inputs = nullptr,
    Progress* progress = nullptr);

}  // namespace lakehouse::distill
