// src/memory/pathways.h: pathway traces, the steps each job order went through.
//
// An order's pathway is the sequence retrieved -> proposed -> validated -> emailed ->
// filled (or cancelled), with loops where a proposal failed validation and was redone.
// Every appended step is a new version of the trace (version N = the first N steps), so
// the trace as it stood at any point can be read back (`?version=N`), and nothing is ever
// rewritten. Steps come from coordinators and tools (POST /v1/pathways/{order_id}/steps)
// and from the system itself (an iterate run or a playbook replay for an order appends
// what it proposed and how it validated).
//
// Durability: one CRC-framed record per step in `<dir>/pathways.log`, fdatasync'd before
// it is acknowledged (steps appended at the same time share one fdatasync: a commit storm
// is not one sync after another; a run's own steps, proposed then validated, go in as one
// AppendSteps with one sync); a torn tail is cut at Open. In split-service mode the memory and
// validate services both append to it: it is a SharedRecordLog (flock per append, and
// each process applies the others' steps before its own and before every read). Each step is also
// written to
// `_kb/pathway_traces.jsonl` (pathway_trace.v1, docs/KB.md) for distillation.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "core/thread_annotations.h"
#include "storage/kb_log.h"
#include "storage/record_log.h"
#include "validate/order_steps.h"

namespace lakehouse {

//! One step as stored: its version in the order's trace, when, from whom, and its data.
struct PathwayStepRecord {
  int64_t version = 0;
  std::string step, at, source, request_id;
  Json data = Json::object();
  //! {version, step, at, source, request_id, data}
  Json ToJson() const;
};

//! What an append answers: {order_id, version, step}.
struct PathwayAppended {
  std::string order_id;
  PathwayStepRecord step;
  Json ToJson() const;
};

//! An order's trace as of a version: its first `steps.size()` steps.
struct PathwayTrace {
  std::string order_id;
  int64_t latest_version = 0;
  std::vector<PathwayStepRecord> steps;
  //! {order_id, version, latest_version, status (the last step), steps}
  Json ToJson() const;
};

class PathwayStore final : public OrderStepLog {
 public:
  //! retrieved, proposed, validated, emailed, filled, cancelled, ended.
  static const std::vector<std::string_view>& StepNames();

  //! `kb` may be null (no _kb lines).
  static Result<std::unique_ptr<PathwayStore>> Open(const std::string& dir, KbLog* kb);

  //! Appends one step durably, as the trace's next version.
  Result<PathwayAppended> Append(const std::string& order_id, const PathwayStep& step);
  //! Appends steps as the trace's next versions, in order, with one sync for them all;
  //! answers them as stored.
  Result<std::vector<PathwayStepRecord>> AppendSteps(const std::string& order_id,
                                                     const std::vector<PathwayStep>& steps);
  Status RecordSteps(const std::string& order_id, const std::vector<PathwayStep>& steps) override {
    return AppendSteps(order_id, steps).status();
  }
  //! The trace, or its first `version` steps when given. 404 when the order has no trace
  //! (or `version` is beyond it).
  Result<PathwayTrace> Get(const std::string& order_id, std::optional<int64_t> version = {}) const;
  //! Orders with a trace.
  size_t size() const;
  //! fdatasyncs of the log by this process (SharedRecordLog::syncs).
  uint64_t syncs() const;

 private:
  explicit PathwayStore(KbLog* kb) : kb_(kb) {}
  // const: reads catch up with the shared log too (traces_ is mutable for that).
  Status Apply(const Json& record) const LH_REQUIRES(mu_);
  Status ApplyBody(std::string_view body) const LH_REQUIRES(mu_);
  //! Applies steps other processes appended.
  Status CatchUp() const LH_REQUIRES(mu_);

  mutable Mutex mu_;
  std::unique_ptr<SharedRecordLog> log_ LH_PT_GUARDED_BY(mu_);
  KbLog* kb_;
  // order_id -> steps
  mutable std::unordered_map<std::string, std::vector<PathwayStepRecord>> traces_
      LH_GUARDED_BY(mu_);
};

//! Parses {step, data?, source?}; errors name the field (the step names are listed).
Result<PathwayStep> ParsePathwayStep(const Json& body);

}  // namespace lakehouse
