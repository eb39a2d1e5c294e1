#include "validate/fill_status.h"

#include <set>

#include <fmt/format.h>

#include "query/sql_text.h"

namespace lakehouse {

std::string_view FillStatusName(FillStatus s) {
  switch (s) {
    case FillStatus::kActive:
      return "active";
    case FillStatus::kCancelled:
      return "cancelled";
    case FillStatus::kEnded:
      return "ended";
  }
  return "active";
}

FillStatus ParseFillStatus(std::string_view s) {
  if (s == "cancelled") return FillStatus::kCancelled;
  if (s == "ended") return FillStatus::kEnded;
  return FillStatus::kActive;
}

bool IsFillStatus(std::string_view s) {
  return s == "active" || s == "cancelled" || s == "ended";
}

const std::vector<std::string>& FillsLedgerColumns() {
  static const std::vector<std::string> c = {
      "fill_id", "order_id",   "worker_id",    "start_date",      "end_date",
      "status",  "ended_on",   "committed_at", "changed_at",      "source",
      "reason",  "request_id", "run_id",       "idempotency_key", "ledger_seq"};
  return c;
}

std::string FillsLedgerSelect(const DatasetVersion& version, const std::string& relation,
                              bool keep_extra) {
  std::set<std::string, std::less<>> have;
  for (const auto& c : version.columns) have.insert(c.name);
  std::string sql = "SELECT ";
  bool first = true;
  for (const std::string& name : FillsLedgerColumns()) {
    if (!first) sql += ", ";
    first = false;
    if (have.count(name) != 0) {
      sql += SqlIdent(name);
      continue;
    }
    std::string_view def = "NULL::VARCHAR";
    if (name == "fill_id") def = "'fil_' || order_id";
    if (name == "status") def = "'active'";
    if (name == "ended_on") def = "NULL::DATE";
    if (name == "ledger_seq") def = "0::BIGINT";
    sql += fmt::format("{} AS {}", def, SqlIdent(name));
  }
  if (keep_extra) {
    const auto& ledger = FillsLedgerColumns();
    for (const auto& c : version.columns)
      if (std::find(ledger.begin(), ledger.end(), c.name) == ledger.end())
        sql += ", " + SqlIdent(c.name);
  }
  return sql + " FROM " + relation;
}

}  // namespace lakehouse
