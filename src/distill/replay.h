// src/distill/replay.h: `lakehouse replay`: run one task again through the whole loop,
// retrieve -> bundle -> chat -> validate, and log it as `replay_run.v1` in
// `_kb/replay_runs.jsonl` (the scorer's "replay agreement", the audit's phase 7).
//
//   retrieve  a matrix retrieve for the task's order ("<role> <shift> shift in <city>,
//             <state>", role given), k results over the corpora that exist;
//   bundle    the iterate prompt for the task (validator rules, the order, its eligible
//             candidates) plus the retrieved ids;
//   chat      one call through the dispatcher (origin "replay": a chat_turn line too);
//   validate  extract_json, then the task kind's validator against the roster.
// The line: run_id, at, task, retrieved ([{corpus, id, score}]), prompt_sha256 (of the
// messages as sent, compact JSON), messages, model, response, extracted, validation
// ({valid, errors}), roster_versions, latency_ms, error (a chat failure, else null).
// Works offline with the `local` provider. A failed retrieve (no index yet) is not fatal:
// `retrieved` is empty and `retrieve_error` says why.
//
// Thread-safety: RunReplay is reentrant.
#pragma once

#include "chat/dispatcher.h"
#include "core/json.h"
#include "core/status.h"
#include "retrieve/matrix.h"
#include "storage/kb_log.h"
#include "validate/iterate.h"
#include "validate/roster.h"
#include "validate/validators.h"

namespace lakehouse::distill {

struct ReplayDeps {
  const Roster& roster;
  const Validators& validators;
  ChatDispatcher& chat;
  MatrixRetriever* retriever;  // null: no retrieval
  KbLog& kb;
};

//! {kind, task, model?} (the /v1/iterate body); `model` overrides the task's when set.
Result<Json> RunReplay(const IterateRequest& request, int64_t k, ReplayDeps& deps);

//! The query a replay retrieves with for an order.
std::string ReplayQuery(const OrderRecord& order);

}  // namespace lakehouse::distill
