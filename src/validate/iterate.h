// src/validate/iterate.h: generate -> extract_json -> validate -> feed errors back -> retry.
//
// The loop behind POST /v1/iterate. The first prompt is a system message with the
// validator's rules (Validators::RulesText, so instructions and checks cannot drift) and a
// user message with the task in a ```json block plus context from the roster (the order;
// for fills, the eligible candidates, nearest first). Each answer goes through ExtractJson
// (no object: a Parse error) and the validator; on failure the answer and its errors are
// appended to the conversation as the next turns and the model is asked again, up to
// max_attempts. Every attempt is kept: raw text, extracted value, errors, latency.
//
// The loop does not know about providers: it calls a ChatFn, so the chat subsystem (which
// depends on this one) is plugged in by the route.
//
// Thread-safety: RunIterate is reentrant.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "validate/roster.h"
#include "validate/validators.h"

namespace lakehouse {

struct IterateTurn {
  std::string role;  // system | user | assistant
  std::string content;
};

struct IterateChatAnswer {
  std::string content;
  std::string model;  // the provider/model that answered
};

//! One chat call: the conversation so far and the requested model ("" = default).
using IterateChatFn =
    std::function<Result<IterateChatAnswer>(const std::vector<IterateTurn>&, const std::string&)>;

struct IterateRequest {
  std::string kind;  // fill | email | playbook
  Json task;         // fill/playbook: {order_id}; email: {order_id, worker_id}
  std::string model;
  int64_t max_attempts = 3;
  std::string run_id;  // empty: a new "run_<id>"
};

struct IterateAttempt {
  std::string raw;
  Json extracted;  // null when nothing was extracted
  Verdict verdict;
  double latency_ms = 0;
  std::string model;
};

struct IterateResult {
  std::string run_id;
  std::vector<IterateTurn> prompt;  // the first two turns (system, user)
  bool valid = false;
  std::vector<IterateAttempt> attempts;
  //! The valid payload; when no attempt was valid, the last one's extracted payload (null
  //! when it had none).
  Json final;
  std::string model;  // the model of the last attempt
  //! A chat call that failed ended the run: the attempts before it are kept.
  std::optional<Status> error;
  //! {run_id, kind, model, valid, attempts: [{raw, extracted, errors, latency_ms}], final}
  //! (+ error: {code, message} when a chat call ended the run)
  Json ToJson(const IterateRequest& request) const;
};

//! Parses and checks a /v1/iterate body: kind, task (with its required fields), model?,
//! max_attempts? (1..10, default 3).
Result<IterateRequest> ParseIterateRequest(const Json& body);

//! The conversation's first two turns for `request`.
std::vector<IterateTurn> BuildIteratePrompt(const IterateRequest& request, const Roster& roster,
                                            const Validators& validators);

//! The roster's view of an order / a worker as the prompts show them (also written into
//! _kb/fills.jsonl and _kb/emails.jsonl lines, so evidence is self-contained).
Json OrderJson(const OrderRecord& order);
Json WorkerJson(const WorkerView& worker);
//! [{role, content}] of turns.
Json TurnsJson(const std::vector<IterateTurn>& turns);

//! Runs the loop. `on_attempt` is called after each validation (for _kb logging). A chat
//! failure ends the run: the result keeps the attempts before it and says the error.
Result<IterateResult> RunIterate(const IterateRequest& request, const Roster& roster,
                                 const Validators& validators, const IterateChatFn& chat,
                                 const std::function<void(const IterateAttempt&)>& on_attempt = {});

}  // namespace lakehouse
