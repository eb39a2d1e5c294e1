// tests/validate/roster_fixture.h: a small, hand-written roster where every worker exists
// to break exactly one Fill rule, loaded through the real ingest + DuckDB + Roster path.
#pragma once

#include <memory>

#include "server/services.h"
#include "support/test_support.h"
#include "validate/roster.h"

namespace lakehouse::testing {

class RosterFixture {
 public:
  RosterFixture();
  const Roster& roster() const { return *roster_; }
  Services& services() { return *services_; }
  //! Ingests `jsonl` as a new version of `dataset`.
  void Ingest(const std::string& dataset, const std::string& jsonl);

 private:
  TempDir dir_;
  std::unique_ptr<Services> services_;
  std::shared_ptr<const Roster> roster_;
};

}  // namespace lakehouse::testing
