// src/loadgen/loadgen.h: `lakehouse loadgen`: a multi-tier load generator whose every
// answer is checked.
//
// Six scenario classes, each a realistic request mix (SPEC "Load and parity"):
//   embed_cached           POST /v1/embed of one of 32 coordinator phrases: the vector has
//                          the model's dims and is the same every time (the cache serves it)
//   matrix_retrieve        POST /v1/matrix/retrieve "<role> <shift> shift in <city>, <state>"
//                          with the role given: every result is a worker of that role
//   surge_fill_validate    POST /v1/validate of a fill the local planner found valid (must
//                          be 200 valid) and of the same fill with an unknown worker (must
//                          be 422 with a Consistency error)
//   playbook_record_replay POST /v1/playbooks/record for an order with a valid fill, then
//                          /v1/playbooks/replay for another open order of that role: same
//                          role, steps with verdicts
//   sql_query              POST /v1/sql counting active workers of a role: the count the
//                          setup read
//   memory_trace           POST /v1/memory about an order (ADD/UPDATE/NOOP), then a pathway
//                          step for it (version >= 1, the step echoed)
// A wrong answer is a failure just like an error status or a timeout. The setup reads what
// the checks need from the target itself (open orders, role counts, valid fills through the
// local planner), so it works on any generated root.
//
// Loopback only: the target must be 127.0.0.1, ::1 or localhost. Bounded by --duration and
// by a scenario cap. The report: per class count, rate, p50/p95/p99/max latency of the
// whole scenario, failure %, the first failures; a total line; the machine's own stalls
// meanwhile (stall_watch.h), which explain a maximum the server did not cause.
//
// Thread-safety: RunLoadgen runs `concurrency` threads of its own; call it from one thread.
#pragma once

#include <string>
#include <vector>

#include "core/json.h"
#include "core/progress.h"
#include "core/status.h"

namespace lakehouse::loadgen {

struct LoadgenOptions {
  std::string target = "http://127.0.0.1:3100";
  int64_t concurrency = 50;
  double duration_s = 60;
  int64_t max_scenarios = 10'000'000;
  std::vector<std::string> scenarios;  // empty: all six
  uint64_t seed = 42;
  double timeout_s = 10;         // per request
  std::string api_key;           // sent as Authorization: Bearer (a server with auth required)
  Progress* progress = nullptr;  // scenarios done, against the planned duration
};

const std::vector<std::string>& ScenarioClasses();

//! InvalidArgument unless `url` is http://<loopback>[:port][/...].
Status CheckLoopbackTarget(const std::string& url);

//! Runs the load; the report (loadgen_report.v1):
//! {schema, target, concurrency, duration_s, classes: {name: {count, rate, p50_ms, p95_ms,
//!  p99_ms, max_ms, failures, failure_pct, first_failures}}, total: {...},
//!  machine_stalls: {probe, threshold_ms, count, longest_ms, total_ms, stalls: [{at_s,
//!  late_ms}]}} (stall_watch.h: when the machine itself stopped, at_s since the load began)
Result<Json> RunLoadgen(const LoadgenOptions& options);

//! The report as a table for a terminal.
std::string ReportTable(const Json& report);

}  // namespace lakehouse::loadgen
