// src/validate/ledger.h: the fills ledger, live: a committed fill is a fact at once.
//
// The ledger is the `fills` dataset's current version (the base) plus every change since,
// kept in a durable log (`<root>/ledger/fills.log`, CRC-framed JSON records, storage/
// record_log.h). A commit does not rewrite Parquet:
//  1. under the commit lock (one writer at a time), the Fill validator judges the proposal
//     against the roster, whose placements come from this ledger (PlacementSource), so
//     two commits can never both pass on the same free slot or the same worker;
//  2. a valid commit is appended to the log and applied in memory, and its rows are queued
//     for the SQL overlay table `"fills@live"`, which takes them before the next statement
//     naming `fills` (QueryEngine::SetLiveFlush): the `fills` view is the base minus the
//     rows the overlay replaces plus the overlay (query_engine.h LiveOverlay), so /v1/sql
//     sees it;
//  3. the lock is released and the caller waits until the log is fsync'd (group commit:
//     one fdatasync covers every record written before it), then answers 201.
// Status changes (cancel, end) follow the same path. Every record carries a sequence
// number; the ledger's rows carry the seq of the record that last changed them.
//
// Compaction folds the changes into a new `fills` version in the background (when
// `compact_rows` changes are pending, at most once per min(10 s, compact_age_ms) and no
// sooner than 20 times the last one's duration, or when the oldest is `compact_age_ms`
// old; POST /v1/fills/compact forces one): the version is written from a snapshot (copied
// a chunk of rows at a time: validations and commits wait for a chunk, not the ledger),
// staged and written as Parquet on a thread of its own at `compact_nice` (so it takes the
// CPU requests leave rather than a core of two), committed through the catalog, and only
// then are the log's records up to the snapshot's seq dropped, by byte offset (the
// version's max(ledger_seq) says which are in it, so a crash between the two replays
// nothing twice). Old versions stay queryable as "fills@vN". A `fills` version ingested
// from outside replaces the base: the ledger re-reads it and keeps the log's changes past
// its max(ledger_seq) on top.
//
// Idempotency: a commit may name its fill (`fill_id`) or carry an Idempotency-Key; the
// same key with the same order and workers answers the first commit again (replayed), with
// anything else 409. Keys live as long as their fill (they are ledger columns).
//
// If an fsync fails the ledger stops taking writes (every later commit answers 503 until
// a restart re-reads what is durable): memory may hold a change the disk does not.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "catalog/catalog.h"
#include "core/json.h"
#include "core/status.h"
#include "core/thread_annotations.h"
#include "query/query_engine.h"
#include "query/workspace.h"
#include "validate/fill_status.h"
#include "validate/roster.h"
#include "validate/validators.h"

namespace lakehouse {

//! One worker on one fill.
struct LedgerRow {
  std::string fill_id, order_id, worker_id;
  int32_t start_day = 0, end_day = 0;
  FillStatus status = FillStatus::kActive;
  std::optional<int32_t> ended_on;
  std::string committed_at, changed_at;  // RFC 3339 (ms); "" when unknown (older versions)
  std::string source, reason, request_id, run_id, idempotency_key;
  int64_t seq = 0;  // the log record that last changed the row; 0: from an older version

  //! The last day the row books its worker (end_day, or ended_on when it ended early).
  int32_t BookedUntil() const;
  //! {fill_id, order_id, worker_id, start_date, end_date, status, ended_on, committed_at,
  //!  changed_at, source, reason, request_id, run_id, ledger_seq}
  Json ToJson() const;
};

struct LedgerOptions {
  std::string dir;        // <root>/ledger
  bool writable = false;  // false: read the log (no recovery cut), refuse commits
  int64_t compact_rows = 1000;
  int64_t compact_age_ms = 300000;
  //! The nice value (1-19) a compaction stages and writes its Parquet at, on a thread of its
  //! own (core/background_thread.h); 0: on the compacting thread, at its priority.
  int compact_nice = 0;
};

//! A commit as the ledger takes it.
struct FillProposal {
  std::string order_id;
  Json worker_ids = Json::array();  // as sent; the validator checks the elements
  std::string source = "coordinator";
  std::string request_id;
  std::string run_id;           // "" none
  std::string fill_id;          // "" : "fil_<request_id>"
  std::string idempotency_key;  // "" none
};

struct LedgerCommit {
  std::string fill_id;
  Verdict verdict;
  bool replayed = false;        // an earlier commit with this key/fill_id answered again
  std::vector<LedgerRow> rows;  // the fill's rows (empty when not valid)
};

//! A status change of a fill (all of its workers, or those named).
struct FillChange {
  std::string fill_id;
  FillStatus to = FillStatus::kCancelled;  // kCancelled or kEnded
  std::string reason, source = "coordinator", request_id;
  std::vector<std::string> worker_ids;  // empty: every worker of the fill still placed
  std::optional<int32_t> ended_on;      // kEnded: default today, within the placement
};

struct LedgerFilter {
  std::string order_id, worker_id, fill_id;
  std::optional<FillStatus> status;
};

class FillLedger final : public PlacementSource {
 public:
  //! Reads the current `fills` version and the log's later changes, and installs the
  //! `fills` overlay in `query`. `workspace` (null: never compacts) writes new versions.
  static Result<std::unique_ptr<FillLedger>> Open(LedgerOptions options, QueryEngine& query,
                                                  Catalog& catalog, Workspace* workspace);
  ~FillLedger() override;

  //! What the caller records about a change (its _kb line, its pathway step), run once
  //! the change is in the ledger and while its sync is pending: the two syncs overlap
  //! instead of queueing. Its error is answered after the change is durable.
  using AlsoRecord = std::function<Status(const std::vector<LedgerRow>& changed)>;

  //! Judges and, when valid, records a fill (see the top of this file); `also` runs for a
  //! valid new fill only.
  Result<LedgerCommit> Commit(const Roster& roster, const Validators& validators,
                              const FillProposal& proposal, const AlsoRecord& also = nullptr);
  //! Cancels or ends a fill's placements; answers the changed rows. 404 for an unknown
  //! fill or worker, 409 when none of the named rows is still placed.
  Result<std::vector<LedgerRow>> Change(const FillChange& change, const AlsoRecord& also = nullptr);
  std::vector<LedgerRow> List(const LedgerFilter& filter) const;

  //! Writes pending changes into a new `fills` version now; answers the version (0 when
  //! there was nothing to compact).
  Result<int64_t> Compact();
  //! Starts the background compactor (serve).
  void StartCompactor();

  // PlacementSource.
  std::vector<FillRecord> PlacementsOf(std::string_view worker_id, uint32_t index) const override;
  int64_t FilledCount(std::string_view order_id,
                      std::vector<std::string>* fill_ids = nullptr) const override;
  int64_t ActivePlacements() const override;

  //! {rows, active, pending, last_seq, compacted_seq, base_version, compactions, poisoned}
  Json StatsJson() const;

 private:
  struct Impl;
  explicit FillLedger(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lakehouse
