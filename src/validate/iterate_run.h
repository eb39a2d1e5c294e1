// src/validate/iterate_run.h: one /v1/iterate run, recorded.
//
// RunIterate (iterate.h) is the validate-and-retry loop; this is what the system keeps of
// a run: each attempt's validation in `_kb/validations.jsonl` (origin "iterate"), the run
// in `_kb/iterate_runs.jsonl` (iterate_run.v1, also when a chat call failed, with the
// error), and for a fill run of a known order its `proposed` and `validated` steps
// (order_steps.h). Chat turns are recorded by the dispatcher that makes the calls.
//
// Thread-safety: a free function; the components it is handed are thread-safe.
#pragma once

#include <string>

#include "core/json.h"
#include "core/status.h"
#include "validate/iterate.h"
#include "validate/order_steps.h"

namespace lakehouse {

class KbLog;

struct IterateRunDeps {
  RosterStore* roster = nullptr;
  const Validators* validators = nullptr;
  KbLog* kb = nullptr;
  OrderStepLog* steps = nullptr;  // null: no pathway steps
};

//! Runs `request` (its run_id set) with `chat` and records it; `default_model` is the
//! model a request without one asks for. Answers the run (IterateResult::ToJson), or the
//! failure that ended it (no roster, a chat error before any attempt, a step that could not
//! be stored). A chat error after some attempts answers the run with its `error`, and sets
//! `*http_status` (optional; 200 otherwise) to that error's status.
Result<Json> RecordIterateRun(const IterateRunDeps& deps, const IterateRequest& request,
                              const IterateChatFn& chat, const std::string& default_model,
                              const std::string& request_id, int* http_status = nullptr);

}  // namespace lakehouse
