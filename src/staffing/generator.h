// src/staffing/generator.h: deterministic synthetic staffing data (`lakehouse gen`).
//
// Writes four datasets through the Workspace: `workers`, `job_orders`, `clients` and the
// `fills` ledger (seeded with the fills of orders whose status is "filled"). The same seed
// gives the same rows, byte for byte in every value: every row draws from its own
// splitmix64 stream keyed by (seed, table, row), so the output does not depend on thread
// timing or library versions. Dates are relative to a fixed anchor (kAnchorDate), not
// today, for the same reason.
//
// Distributions (docs/DATA.md): ~46 roles weighted by how common they are in light
// industrial, healthcare, hospitality and trades staffing; ~220 US cities weighted by
// labor market; 93% active, 5% inactive, 2% dnr; 70% available; ratings around 4.0.
//
// Thread-safety: Generate may run concurrently for different roots only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/progress.h"
#include "query/workspace.h"

namespace lakehouse::staffing {

//! 2026-12-01: "today" in generated data.
constexpr int kAnchorYear = 2026, kAnchorMonth = 12, kAnchorDay = 1;

struct GenOptions {
  int64_t workers = 10000;
  int64_t orders = 1000;
  int64_t clients = 0;  // 0: max(10, orders / 20)
  uint64_t seed = 42;
  Progress* progress = nullptr;  // phases "workers", "clients", "job_orders", "fills"
};

struct GenReport {
  struct Table {
    std::string dataset;
    int64_t version = 0;
    int64_t rows = 0;
  };
  std::vector<Table> tables;
  double elapsed_ms = 0;
  Json ToJson() const;
};

Result<GenReport> Generate(Workspace& workspace, const GenOptions& options);

}  // namespace lakehouse::staffing
