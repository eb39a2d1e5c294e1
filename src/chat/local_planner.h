// src/chat/local_planner.h: the built-in `local/planner` provider: no network, no model.
//
// A deterministic planner that answers the tasks the iterate loop sends, from the roster:
//  - fill {order_id}: active, available workers of the order's role holding its
//    certifications, on its shift, within the radius, not booked on overlapping dates,
//    nearest first (then rating, reliability, worker_id), up to the open headcount;
//  - email {order_id, worker_id}: an outreach email that passes the Email validator (the
//    order's role, shift, dates, place and pay; the worker's own address and first name);
//  - playbook {order_id}: the standard fill playbook for the order's role.
// It reads the task from the first user message holding a JSON object {"kind", "task"}
// (the iterate prompt puts it in a ```json block) and answers in the chat shape with the
// JSON in a ```json block, so its output goes through extract_json like any model's.
// Without a task it answers in prose with what it can do. Usage is counted in words.
//
// Thread-safety: Complete may be called concurrently (the roster is an immutable snapshot).
#pragma once

#include "chat/chat.h"
#include "validate/roster.h"
#include "validate/validators.h"

namespace lakehouse {

class LocalPlanner final : public ChatProvider {
 public:
  LocalPlanner(RosterStore& roster, const Validators& validators)
      : roster_(roster), validators_(validators) {}
  std::string_view name() const override { return "local"; }
  std::vector<std::string> models() const override { return {"planner"}; }
  ProviderCall Complete(const ChatRequest& request) override;
  //! The answer in pieces of a few words (TextPieces), as a remote model would stream it.
  ProviderCall Stream(const ChatRequest& request, const ChatDeltaSink& sink) override;

  //! The planner's answer for one task, as the JSON object it would send.
  Result<Json> Plan(std::string_view kind, const Json& task) const;

 private:
  RosterStore& roster_;
  const Validators& validators_;
};

}  // namespace lakehouse
