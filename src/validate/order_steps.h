// src/validate/order_steps.h: the steps a job order goes through, as the flows in this
// folder produce them (an iterate run proposes and validates, a commit fills or emails).
//
// The validating side only says "this order took this step"; where steps are kept is
// memory's business (memory/pathways.h's PathwayStore implements OrderStepLog). The
// interface lives here, with its callers, so validate/ never includes memory/ (which
// itself builds on validate/: playbooks replay fills against the roster).
//
// Thread-safety: implementations must allow concurrent Append calls.
#pragma once

#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace lakehouse {

struct PathwayStep {
  std::string step;  // one of PathwayStore::StepNames()
  Json data = Json::object();
  std::string source;  // "coordinator", "iterate", "playbook_replay", ...
  std::string request_id;
};

class OrderStepLog {
 public:
  virtual ~OrderStepLog() = default;
  //! Records the order's next steps durably, in order, with one sync for them all (a run's
  //! "proposed" and "validated" do not wait for two device flushes). When one cannot be
  //! written, the ones before it are still made durable and the error is returned.
  virtual Status RecordSteps(const std::string& order_id,
                             const std::vector<PathwayStep>& steps) = 0;
  Status RecordStep(const std::string& order_id, const PathwayStep& step) {
    return RecordSteps(order_id, {step});
  }
};

}  // namespace lakehouse
