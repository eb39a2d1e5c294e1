// src/validate/commit.h: a coordinator commits a fill or sends an email.
//
// Each commit is checked by its validator against the roster at that moment. The verdict,
// and the order (and the worker) as the roster saw them, go to `_kb/fills.jsonl` /
// `_kb/emails.jsonl` (fill.v1 / email.v1), valid or not: a rejected commit is evidence too.
// A valid one also becomes the order's `filled` / `emailed` step (order_steps.h). Nothing
// else is written when the verdict is invalid.
//
// Thread-safety: free functions; the components they are handed are thread-safe.
#pragma once

#include <string>

#include "core/json.h"
#include "core/status.h"
#include "validate/ledger.h"
#include "validate/order_steps.h"
#include "validate/roster.h"
#include "validate/validators.h"

namespace lakehouse {

class KbLog;

//! The optional {run_id, source} every commit may carry: which run proposed it (an
//! iterate run, a replay) and who committed it (default "coordinator").
struct CommitOrigin {
  Json run_id = nullptr;
  std::string source = "coordinator";
};

struct FillCommit {
  std::string order_id;
  Json worker_ids;  // an array; its elements are checked by the fill validator
  CommitOrigin origin;
  std::string fill_id;          // "" : "fil_<request id>"; a retry with the same one is one fill
  std::string idempotency_key;  // the Idempotency-Key header ("" none)
};

struct EmailCommit {
  std::string order_id, worker_id;
  Json to, subject, body;  // as sent (null when absent); checked by the email validator
  CommitOrigin origin;
};

//! {order_id, worker_ids: [...], fill_id?, run_id?, source?}; errors name the field.
Result<FillCommit> ParseFillCommit(const Json& body);
//! {status: "cancelled"|"ended", reason, source?, worker_ids?, ended_on?} for `fill_id`
//! (DELETE passes status "cancelled").
Result<FillChange> ParseFillChange(const std::string& fill_id, const Json& body);
//! {order_id, worker_id, to, subject, body, run_id?, source?}.
Result<EmailCommit> ParseEmailCommit(const Json& body);

struct CommitOutcome {
  std::string id;  // "fil_<request id>" / "eml_<request id>"
  Verdict verdict;
  //! {fill_id | email_id, valid, errors}: what the caller is answered (201 or 422); a fill
  //! recorded in the ledger adds {replayed, placements: [ledger rows]}.
  Json ToJson() const;

  std::string id_field;  // "fill_id" / "email_id"
  bool in_ledger = false;
  bool replayed = false;  // an earlier commit with the same key, answered again
  std::vector<LedgerRow> placements = {};
};

struct CommitDeps {
  RosterStore* roster = nullptr;
  const Validators* validators = nullptr;
  KbLog* kb = nullptr;
  OrderStepLog* steps = nullptr;  // null: no pathway steps (not open in this process)
  FillLedger* ledger = nullptr;   // null: fills are judged, not recorded (tools, tests)
};

//! Validates and records a fill. Not OK only when nothing could be judged (no roster:
//! 503) or the valid fill's step could not be stored.
Result<CommitOutcome> CommitFill(const CommitDeps& deps, const FillCommit& fill,
                                 const std::string& request_id);
Result<CommitOutcome> CommitEmail(const CommitDeps& deps, const EmailCommit& email,
                                  const std::string& request_id);
//! Cancels or ends a fill's placements in the ledger: a `_kb/fills.jsonl` line (op cancel /
//! end), and the order's `cancelled` / `ended` step. Answers the changed rows.
Result<std::vector<LedgerRow>> ChangeFill(const CommitDeps& deps, const FillChange& change);

}  // namespace lakehouse
