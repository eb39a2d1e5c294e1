// src/validate/fill_status.h: what a fills ledger row is, shared by the roster (which reads
// a `fills` version) and the live ledger (validate/ledger.h, which writes them).
//
// A `fills` dataset written by the ledger has these columns, in this order:
//   fill_id, order_id, worker_id, start_date, end_date, status, ended_on, committed_at,
//   changed_at, source, reason, request_id, run_id, idempotency_key, ledger_seq
// Older versions (generated or ingested) may have only order_id, worker_id, start_date and
// end_date: their rows read as active fills whose fill_id is "fil_<order_id>" (one fill per
// order, as the generator places its workers), with ledger_seq 0.
//
// Thread-safety: free functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"

namespace lakehouse {

//! active: the worker is placed; cancelled: the placement never happened (books nothing);
//! ended: the placement ended early (books the worker up to ended_on).
enum class FillStatus : uint8_t { kActive, kCancelled, kEnded };
std::string_view FillStatusName(FillStatus s);
//! "active" (and "" for old versions), "cancelled", "ended"; anything else reads as active.
FillStatus ParseFillStatus(std::string_view s);
//! True for "active", "cancelled" and "ended".
bool IsFillStatus(std::string_view s);

//! The ledger's columns, in order (the list above).
const std::vector<std::string>& FillsLedgerColumns();
//! SELECT of the ledger's columns, in order, from `relation` (a view or read_parquet(...)),
//! whose columns are `version`'s: a column the version lacks reads as its default.
//! `keep_extra`: the version's other columns follow (the SQL view keeps what was ingested).
std::string FillsLedgerSelect(const DatasetVersion& version, const std::string& relation,
                              bool keep_extra = false);

}  // namespace lakehouse
