// bench/ledger_rows_bench.cc: the longest single append while the fills ledger's rows grow,
// held in a std::vector (reserved as the ledger once did: the rows loaded plus 262,144) or
// in core/stable_vector.h. The ledger appends under the mutex every fill validation takes
// (and validations run on the I/O threads), so the longest append is how long every
// request class can stall. Usage: ledger_rows_bench vector|stable [ROWS=500000]
// (18,376 rows loaded first, as the 500k demo root has). Prints one JSON object.
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/stable_vector.h"
#include "validate/ledger.h"

using namespace lakehouse;
using Steady = std::chrono::steady_clock;

namespace {

constexpr size_t kLoaded = 18376;

LedgerRow Row(size_t i) {
  LedgerRow r;
  r.fill_id = "fil_e4bd0e79-" + std::to_string(100000 + i);
  r.order_id = "O" + std::to_string(100000 + i % 20000);
  r.worker_id = "W" + std::to_string(1000000 + i % 500000);
  r.committed_at = "2026-12-04T12:59:47.385Z";
  r.changed_at = r.committed_at;
  r.source = "loadgen";
  r.request_id = "e4bd0e79-" + std::to_string(i);
  r.seq = static_cast<int64_t>(i);
  return r;
}

template <typename Rows>
Json Grow(Rows& rows, size_t n, const char* name) {
  double max_us = 0;
  size_t max_at = 0;
  const auto began = Steady::now();
  for (size_t i = kLoaded; i < n; ++i) {
    LedgerRow r = Row(i);
    const auto t = Steady::now();
    rows.push_back(std::move(r));
    const double us = std::chrono::duration<double, std::micro>(Steady::now() - t).count();
    if (us > max_us) max_us = us, max_at = i;
  }
  const double ms = std::chrono::duration<double, std::milli>(Steady::now() - began).count();
  return Json{{"rows", name},
              {"appended", n - kLoaded},
              {"longest_append_ms", std::round(max_us) / 1000},
              {"at_row", max_at},
              {"total_ms", std::round(ms)}};
}

}  // namespace

int main(int argc, char** argv) {
  const std::string which = argc > 1 ? argv[1] : "";
  const size_t n = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 500000;
  if (which == "vector") {
    std::vector<LedgerRow> rows;
    for (size_t i = 0; i < kLoaded; ++i) rows.push_back(Row(i));
    rows.reserve(rows.size() + 262144);
    std::cout << Grow(rows, n, "vector").dump() << "\n";
  } else if (which == "stable") {
    StableVector<LedgerRow> rows;
    for (size_t i = 0; i < kLoaded; ++i) rows.push_back(Row(i));
    std::cout << Grow(rows, n, "stable").dump() << "\n";
  } else {
    std::cerr << "usage: ledger_rows_bench vector|stable [ROWS=500000]\n";
    return 2;
  }
  return 0;
}
