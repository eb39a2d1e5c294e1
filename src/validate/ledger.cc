#include "validate/ledger.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/background_thread.h"
#include "core/clock.h"
#include "core/file_io.h"
#include "core/stable_vector.h"
#include "core/thread_name.h"
#include "query/scan.h"
#include "query/sql_text.h"
#include "storage/record_log.h"

namespace lakehouse {
namespace {

constexpr std::string_view kLiveTable = "fills@live";
constexpr std::string_view kCompactionSource = "fills ledger compaction";

std::string DayText(int32_t day) {
  return FormatDate(CivilFromDays(day));
}

std::optional<int32_t> ParseDay(const Json& v) {
  if (!v.is_string()) return std::nullopt;
  auto ms = ParseRfc3339Millis(v.get<std::string>());
  if (!ms) return std::nullopt;
  return static_cast<int32_t>(*ms / 86400000);
}

int32_t Today() {
  return static_cast<int32_t>(SystemClock::Get().NowMillis() / 86400000);
}

// One row of the overlay table (column order of FillsLedgerColumns()).
std::vector<LiveValue> LiveRow(const LedgerRow& r) {
  auto text = [](const std::string& v) { return v.empty() ? LiveValue(nullptr) : LiveValue(v); };
  return {r.fill_id,
          r.order_id,
          r.worker_id,
          LiveDate{r.start_day},
          LiveDate{r.end_day},
          std::string(FillStatusName(r.status)),
          r.ended_on ? LiveValue(LiveDate{*r.ended_on}) : LiveValue(nullptr),
          text(r.committed_at),
          text(r.changed_at),
          text(r.source),
          text(r.reason),
          text(r.request_id),
          text(r.run_id),
          text(r.idempotency_key),
          r.seq};
}

// The ledger's columns with their types: one list for the versions it writes and the
// overlay table beside them.
std::vector<ColumnSpec> LedgerColumnSpecs() {
  std::vector<ColumnSpec> columns;
  for (const std::string& c : FillsLedgerColumns()) {
    const bool date = c == "start_date" || c == "end_date" || c == "ended_on";
    columns.push_back({c, date                ? ColumnKind::kDate
                          : c == "ledger_seq" ? ColumnKind::kInt
                                              : ColumnKind::kString});
  }
  return columns;
}

std::string LiveColumnsDdl() {
  std::string ddl = "(";
  for (const ColumnSpec& c : LedgerColumnSpecs()) {
    if (ddl.size() > 1) ddl += ", ";
    ddl += SqlIdent(c.name) + (c.kind == ColumnKind::kDate  ? " DATE"
                               : c.kind == ColumnKind::kInt ? " BIGINT"
                                                            : " VARCHAR");
  }
  return ddl + ")";
}

// The `fills` view: the current version's rows that no live row replaces, then the live
// rows. The overlay is append-only (a change appends the row's new state, which is cheap);
// the latest state of each (fill, worker) is the one with the highest ledger_seq.
std::string FillsViewSql(const DatasetVersion* current, const std::string& relation) {
  const std::string live = fmt::format(
      "(SELECT * FROM {} QUALIFY row_number() OVER (PARTITION BY fill_id, worker_id ORDER BY "
      "ledger_seq DESC) = 1)",
      SqlIdent(kLiveTable));
  if (current == nullptr) return "SELECT * FROM " + live;
  return fmt::format(
      "SELECT * FROM ({}) AS b WHERE NOT EXISTS (SELECT 1 FROM {} AS l WHERE l.fill_id = "
      "b.fill_id AND l.worker_id = b.worker_id) UNION ALL BY NAME SELECT * FROM {}",
      FillsLedgerSelect(*current, relation, /*keep_extra=*/true), live, live);
}

// Appends the ledger's rows to a compaction's writer (columns of LedgerColumnSpecs()).
Status StageRows(DatasetWriter& writer, const std::vector<LedgerRow>& rows) {
  auto text = [&](const std::string& s) {
    if (s.empty())
      writer.Null();
    else
      writer.String(s);
  };
  for (const LedgerRow& r : rows) {
    writer.String(r.fill_id);
    writer.String(r.order_id);
    writer.String(r.worker_id);
    writer.Date(r.start_day);
    writer.Date(r.end_day);
    writer.String(FillStatusName(r.status));
    if (r.ended_on)
      writer.Date(*r.ended_on);
    else
      writer.Null();
    text(r.committed_at);
    text(r.changed_at);
    text(r.source);
    text(r.reason);
    text(r.request_id);
    text(r.run_id);
    text(r.idempotency_key);
    writer.Int(r.seq);
    LH_RETURN_IF_ERROR(writer.EndRow());
  }
  return Status::OK();
}

std::vector<std::string> SortedWorkerIds(const Json& ids) {
  std::vector<std::string> out;
  if (ids.is_array())
    for (const auto& x : ids)
      if (x.is_string()) out.push_back(x.get<std::string>());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

int32_t LedgerRow::BookedUntil() const {
  return status == FillStatus::kEnded && ended_on ? std::min(end_day, *ended_on) : end_day;
}

Json LedgerRow::ToJson() const {
  auto or_null = [](const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); };
  Json j = Json::object();
  j["fill_id"] = fill_id;
  j["order_id"] = order_id;
  j["worker_id"] = worker_id;
  j["start_date"] = DayText(start_day);
  j["end_date"] = DayText(end_day);
  j["status"] = FillStatusName(status);
  j["ended_on"] = ended_on ? Json(DayText(*ended_on)) : Json(nullptr);
  j["committed_at"] = or_null(committed_at);
  j["changed_at"] = or_null(changed_at);
  j["source"] = or_null(source);
  j["reason"] = or_null(reason);
  j["request_id"] = or_null(request_id);
  j["run_id"] = or_null(run_id);
  j["ledger_seq"] = seq;
  return j;
}

struct FillLedger::Impl {
  LedgerOptions opt;
  QueryEngine& query;
  Catalog& catalog;
  Workspace* workspace;
  std::string log_path;
  std::string cut_path;  // a compaction's copy of the records it keeps (PrepareCut)

  // Lock order: compact_mu, commit_mu, mu, live_mu, queue_mu; sync_mu alone (never with mu).
  Mutex compact_mu;  // one compaction at a time
  Mutex commit_mu;   // one writer at a time: commits, changes, base reloads, log swaps
  // The state below; held briefly (readers: every validation; a compaction's snapshot
  // holds it a chunk at a time).
  mutable Mutex mu;
  // Rows never move as they grow (core/stable_vector.h): a vector's growth moved all of
  // them under `mu` (~300 ms at 280k rows, bench/ledger_rows_bench), and the fill
  // validations waiting for it on both I/O threads stopped every request class.
  StableVector<LedgerRow> rows LH_GUARDED_BY(mu);
  std::unordered_map<std::string, std::vector<uint32_t>> by_worker LH_GUARDED_BY(mu);
  std::unordered_map<std::string, std::vector<uint32_t>> by_order LH_GUARDED_BY(mu);
  std::unordered_map<std::string, std::vector<uint32_t>> by_fill LH_GUARDED_BY(mu);
  std::unordered_map<std::string, std::string> by_key LH_GUARDED_BY(mu);  // key -> fill_id
  // What the validations ask, kept apart from the histories above: a worker's rows that are
  // not cancelled (PlacementsOf) and an order's active rows (FilledCount), in row order. A
  // commit-and-cancel cycle grows a history by a row each time; these stay as long as the
  // live placements, so a validation's cost under `mu` does not grow with the ledger.
  std::unordered_map<std::string, std::vector<uint32_t>> placed_by_worker LH_GUARDED_BY(mu);
  std::unordered_map<std::string, std::vector<uint32_t>> active_by_order LH_GUARDED_BY(mu);
  int64_t active_rows LH_GUARDED_BY(mu) = 0;
  int64_t last_seq LH_GUARDED_BY(mu) = 0;
  int64_t compacted_seq LH_GUARDED_BY(mu) = 0;  // the base version's max(ledger_seq)
  int64_t base_version LH_GUARDED_BY(mu) = 0;
  int64_t pending LH_GUARDED_BY(mu) = 0;  // log records past compacted_seq
  int64_t oldest_pending_ms LH_GUARDED_BY(mu) = 0;
  int64_t compactions LH_GUARDED_BY(mu) = 0;
  int64_t last_compaction_ms LH_GUARDED_BY(mu) = 0;
  int64_t last_compaction_took_ms LH_GUARDED_BY(mu) = 0;
  // The log's byte offset just past the last applied record: a compaction through
  // last_seq drops the log's bytes before it (records are written in seq order).
  uint64_t applied_log_end LH_GUARDED_BY(mu) = 0;
  // While a compaction copies `rows` (TakeSnapshot), the rows each record changes: its last
  // hold copies those again instead of scanning every row for a newer seq.
  bool snapshot_tracking LH_GUARDED_BY(mu) = false;
  std::vector<uint32_t> snapshot_touched LH_GUARDED_BY(mu);
  std::atomic<bool> poisoned{false};  // a failed fsync: no more writes (see ledger.h)

  Mutex sync_mu;  // one fdatasync at a time
  // The log, opened O_APPEND. Written under commit_mu and synced under sync_mu at the same
  // time (a write does not wait for a sync: that is what lets one sync cover many commits);
  // replaced only with both held.
  std::atomic<int> fd{-1};
  int64_t durable_seq LH_GUARDED_BY(sync_mu) = 0;
  std::atomic<int64_t> written_seq{0};

  // The SQL overlay's appends, batched: rows queue under queue_mu (while commit_mu is held,
  // so in seq order) and are appended under live_mu, by the first statement naming `fills`
  // after them (FlushQueued) or by a compaction.
  Mutex live_mu;
  int64_t live_flushed LH_GUARDED_BY(live_mu) = 0;
  Mutex queue_mu;
  struct QueuedRow {
    int64_t seq;
    std::vector<LiveValue> values;
  };
  std::vector<QueuedRow> queued_live LH_GUARDED_BY(queue_mu);
  int64_t queued_through LH_GUARDED_BY(queue_mu) = 0;

  Mutex stop_mu;
  std::condition_variable_any stop_cv;  // waits on stop_mu
  bool stop LH_GUARDED_BY(stop_mu) = false;
  std::thread compactor;

  Impl(LedgerOptions o, QueryEngine& q, Catalog& c, Workspace* w)
      : opt(std::move(o)), query(q), catalog(c), workspace(w) {
    log_path = opt.dir + "/fills.log";
    cut_path = log_path + ".cut";
  }

  // ---- state ----

  void Index(uint32_t i) LH_REQUIRES(mu) {
    const LedgerRow& r = rows[i];
    by_worker[r.worker_id].push_back(i);
    by_order[r.order_id].push_back(i);
    by_fill[r.fill_id].push_back(i);
    if (!r.idempotency_key.empty()) by_key[r.idempotency_key] = r.fill_id;
    Place(i, true, r.status);
  }

  static bool Placed(FillStatus s) { return s != FillStatus::kCancelled; }
  static bool Active(FillStatus s) { return s == FillStatus::kActive; }

  //! Adds row i to (add) or drops it from the lists its status puts it in.
  void Place(uint32_t i, bool add, FillStatus status) LH_REQUIRES(mu) {
    const LedgerRow& r = rows[i];
    auto update = [&](std::vector<uint32_t>& list) {
      auto at = std::lower_bound(list.begin(), list.end(), i);
      if (add && (at == list.end() || *at != i))
        list.insert(at, i);
      else if (!add && at != list.end() && *at == i)
        list.erase(at);
    };
    if (Placed(status)) update(placed_by_worker[r.worker_id]);
    if (Active(status)) {
      update(active_by_order[r.order_id]);
      active_rows += add ? 1 : -1;
    }
  }

  //! Row i's status becomes `to`, and the lists follow.
  void Restatus(uint32_t i, FillStatus to) LH_REQUIRES(mu) {
    const FillStatus from = rows[i].status;
    if (from == to) return;
    Place(i, false, from);
    rows[i].status = to;
    Place(i, true, to);
  }

  void Clear() LH_REQUIRES(mu) {
    rows.clear();
    by_worker.clear();
    by_order.clear();
    by_fill.clear();
    by_key.clear();
    placed_by_worker.clear();
    active_by_order.clear();
    active_rows = 0;
    pending = 0;
    oldest_pending_ms = 0;
  }

  //! Applies one log record; answers the rows it touched (indexes into `rows`).
  Result<std::vector<uint32_t>> Apply(const Json& rec) LH_REQUIRES(mu) {
    const int64_t seq = rec.value("seq", int64_t{0});
    const std::string op = StringField(rec, "op"), at = StringField(rec, "at"),
                      fill_id = StringField(rec, "fill_id");
    std::vector<uint32_t> touched;
    if (op == "commit") {
      auto start = ParseDay(rec.value("start_date", Json(nullptr)));
      auto end = ParseDay(rec.value("end_date", Json(nullptr)));
      if (!start || !end) return Status::Corruption("fills log: a commit without its dates");
      for (const std::string& w : SortedWorkerIds(rec.value("worker_ids", Json::array()))) {
        LedgerRow r;
        r.fill_id = fill_id;
        r.order_id = StringField(rec, "order_id");
        r.worker_id = w;
        r.start_day = *start;
        r.end_day = *end;
        r.committed_at = at;
        r.changed_at = at;
        r.source = StringField(rec, "source");
        r.request_id = StringField(rec, "request_id");
        r.run_id = StringField(rec, "run_id");
        r.idempotency_key = StringField(rec, "idempotency_key");
        r.seq = seq;
        rows.push_back(std::move(r));
        touched.push_back(static_cast<uint32_t>(rows.size() - 1));
        Index(touched.back());
      }
    } else if (op == "cancel" || op == "end") {
      auto it = by_fill.find(fill_id);
      if (it == by_fill.end())
        return Status::Corruption("fills log: a change of unknown fill " + fill_id);
      const auto workers = SortedWorkerIds(rec.value("worker_ids", Json::array()));
      for (uint32_t i : it->second) {
        LedgerRow& r = rows[i];
        if (!std::binary_search(workers.begin(), workers.end(), r.worker_id)) continue;
        Restatus(i, op == "cancel" ? FillStatus::kCancelled : FillStatus::kEnded);
        r.ended_on = op == "end" ? ParseDay(rec.value("ended_on", Json(nullptr))) : std::nullopt;
        r.changed_at = at;
        r.reason = StringField(rec, "reason");
        r.source = StringField(rec, "source");
        r.request_id = StringField(rec, "request_id");
        r.seq = seq;
        touched.push_back(i);
      }
    } else {
      return Status::Corruption(fmt::format("fills log: unknown op '{}' at seq {}", op, seq));
    }
    last_seq = std::max(last_seq, seq);
    if (seq > compacted_seq) {
      if (pending++ == 0) oldest_pending_ms = SystemClock::Get().NowMillis();
    }
    return touched;
  }

  // ---- loading ----

  //! Reads the current `fills` version into `rows` (compacted_seq: its max(ledger_seq)).
  Status LoadBase() LH_REQUIRES(mu) {
    Clear();
    compacted_seq = 0;
    base_version = 0;
    auto m = catalog.Get("fills");
    if (!m.ok() || m->Current() == nullptr || m->Current()->files.empty()) return Status::OK();
    const DatasetVersion& v = *m->Current();
    base_version = v.version;
    const std::string sql = FillsLedgerSelect(v, SqlIdent(fmt::format("fills@v{}", v.version)));
    auto scanned = query.Scan(sql, ScanOptions{}, [&](const ScanBatch& b) LH_REQUIRES(mu) {
      for (size_t i = 0; i < b.rows(); ++i) {
        LedgerRow r;
        r.fill_id = b[0].String(i);
        r.order_id = b[1].String(i);
        r.worker_id = b[2].String(i);
        if (r.worker_id.empty() || r.order_id.empty()) continue;
        r.start_day = b[3].Day(i).value_or(0);
        r.end_day = b[4].Day(i).value_or(0);
        r.status = ParseFillStatus(b[5].String(i));
        if (!b[6].IsNull(i)) r.ended_on = b[6].Day(i);
        r.committed_at = b[7].String(i);
        r.changed_at = b[8].String(i);
        r.source = b[9].String(i);
        r.reason = b[10].String(i);
        r.request_id = b[11].String(i);
        r.run_id = b[12].String(i);
        r.idempotency_key = b[13].String(i);
        r.seq = static_cast<int64_t>(b[14].Number(i).value_or(0));
        compacted_seq = std::max(compacted_seq, r.seq);
        rows.push_back(std::move(r));
        Index(static_cast<uint32_t>(rows.size() - 1));
      }
      return Status::OK();
    });
    if (!scanned.ok())
      return scanned.status().WithContext("fills ledger: reading fills@v" +
                                          std::to_string(v.version));
    return Status::OK();
  }

  //! LoadBase, then the log's records past compacted_seq.
  Status Load() LH_REQUIRES(mu) {
    LH_RETURN_IF_ERROR(LoadBase());
    // Room for the next 64k keys of each index (a rehash relinks every entry under `mu`).
    // Rows need none: they grow a chunk at a time, never moved (`rows`).
    const size_t room = rows.size() + 65536;
    by_worker.reserve(room);
    by_order.reserve(room);
    by_fill.reserve(room);
    placed_by_worker.reserve(room);
    active_by_order.reserve(room);
    last_seq = compacted_seq;
    auto apply = [&](std::string_view body) LH_REQUIRES(mu) -> Status {
      Json rec = Json::parse(body, nullptr, /*allow_exceptions=*/false);
      if (!rec.is_object()) return Status::Corruption("fills log: a record that is not JSON");
      if (rec.value("seq", int64_t{0}) <= compacted_seq) return Status::OK();  // in the base
      return Apply(rec).status();
    };
    auto read = opt.writable ? RecoverRecords(log_path, "fills ledger", apply)
                             : ReadRecords(log_path, apply);
    if (!read.ok()) return read.status().WithContext("fills ledger: " + log_path);
    applied_log_end = read->valid_bytes;
    return Status::OK();
  }

  // ---- the overlay ----

  //! The overlay rebuilt from memory (at open, and after the base changed); anything queued
  //! is in memory already.
  Status SyncLive() LH_REQUIRES(mu) {
    MutexLock l(live_mu);
    {
      MutexLock q(queue_mu);
      queued_live.clear();
    }
    live_flushed = last_seq;
    LH_RETURN_IF_ERROR(
        query.ExecLive("fills", fmt::format("DELETE FROM {}", SqlIdent(kLiveTable))));
    std::vector<std::vector<LiveValue>> live;
    for (const LedgerRow& r : rows)
      if (r.seq > compacted_seq) live.push_back(LiveRow(r));
    return live.empty() ? Status::OK() : query.AppendLive("fills", live);
  }

  //! Queues changed rows for the overlay (call with commit_mu held, in seq order).
  void QueueLive(const std::vector<LedgerRow>& changed) {
    MutexLock q(queue_mu);
    for (const LedgerRow& r : changed) {
      queued_live.push_back(QueuedRow{r.seq, LiveRow(r)});
      queued_through = std::max(queued_through, r.seq);
    }
  }

  //! Puts every queued row into the overlay: the query engine calls this before a statement
  //! that names `fills` (QueryEngine::SetLiveFlush), so commits cost no DuckDB append of
  //! their own (each is a small transaction: it was 9% of the server's CPU under the
  //! loadgen) and one append covers every commit since the last reader.
  Status FlushQueued() LH_EXCLUDES(live_mu) {
    MutexLock l(live_mu);
    return FlushLiveLocked();
  }
  Status FlushLiveLocked() LH_REQUIRES(live_mu) {
    std::vector<QueuedRow> queued;
    int64_t through;
    {
      MutexLock q(queue_mu);
      if (queued_through <= live_flushed) return Status::OK();
      queued.swap(queued_live);
      through = queued_through;
    }
    std::vector<std::vector<LiveValue>> rows;
    rows.reserve(queued.size());
    for (QueuedRow& q : queued) rows.push_back(std::move(q.values));
    Status st = rows.empty() ? Status::OK() : query.AppendLive("fills", rows);
    if (!st.ok()) spdlog::error("fills ledger: the SQL overlay missed changes: {}", st.ToString());
    live_flushed = std::max(live_flushed, through);
    return st;
  }

  //! A compaction's trim of the overlay, once its version through `covered` is the base:
  //! the queued rows of records up to `covered` are dropped (the version holds them;
  //! appending them cost 0.3-0.5 s under load, rows about to be deleted), later ones stay
  //! queued for the next statement, and the overlay's rows up to `covered` are deleted, so
  //! no older state of a row is left to hide the version's newer one. It needs no commit
  //! lock: records past `covered` only add newer rows, and a base reload meanwhile rebuilds
  //! the overlay from records past its base, which are past `covered` (the log holds no
  //! other). Commits waited 20-180 ms for this (the DuckDB calls) when it ran under theirs.
  //! The queue is taken whole and its dropped rows freed without queue_mu, which every
  //! commit takes (QueueLive): late in a loadgen run it holds tens of thousands of rows,
  //! and erasing them under that lock held the commit queuing 58-240 ms, and the commits
  //! behind its commit lock up to 340 ms. live_mu, held throughout,
  //! keeps a flush from seeing the queue while its kept rows are out of it.
  void TrimLive(int64_t covered) LH_EXCLUDES(live_mu, queue_mu) {
    std::vector<QueuedRow> queued;  // declared first: its dropped rows are freed after live_mu
    MutexLock l(live_mu);
    {
      MutexLock q(queue_mu);
      queued.swap(queued_live);
    }
    auto kept = std::find_if(queued.begin(), queued.end(),
                             [&](const QueuedRow& r) { return r.seq > covered; });
    std::vector<QueuedRow> keep(std::make_move_iterator(kept),
                                std::make_move_iterator(queued.end()));
    {
      MutexLock q(queue_mu);  // the rows queued meanwhile come after the kept ones
      keep.insert(keep.end(), std::make_move_iterator(queued_live.begin()),
                  std::make_move_iterator(queued_live.end()));
      queued_live.swap(keep);
    }
    live_flushed = std::max(live_flushed, covered);
    Status st = query.ExecLive("fills", fmt::format("DELETE FROM {} WHERE ledger_seq <= {}",
                                                    SqlIdent(kLiveTable), covered));
    if (!st.ok()) spdlog::error("fills ledger: trimming the SQL overlay: {}", st.ToString());
  }

  // ---- compaction ----

  //! What a compaction writes: the rows as of `through`, with the log's bytes up to it.
  struct Snapshot {
    std::vector<LedgerRow> rows;
    int64_t through = 0;
    uint64_t log_end = 0;
    int64_t base_version = 0;  // the version the rows were read on top of
  };

  //! Copies `rows` for a new version. The copy is taken a chunk at a time, each under `mu`
  //! (validations and commits wait for one chunk, not for the whole ledger: copying 200k
  //! rows at once held them ~300 ms), then made consistent under one last hold, which copies
  //! again the rows records changed meanwhile (Record lists them while snapshot_tracking is
  //! set) and the rows appended since. Rows are only ever appended or changed in place by
  //! Record, except by a base reload, which changes base_version (checked last). The last
  //! hold is short whatever the ledger's size: scanning every row for a newer seq held `mu`
  //! 40-80 ms at 65k rows under load. The caller holds the `fills` dataset's writer lock, so
  //! the catalog's version read before that hold is still current during it. Answers false
  //! when nothing is pending.
  Result<bool> TakeSnapshot(Snapshot& snap) LH_EXCLUDES(mu) {
    constexpr size_t kChunk = 1024;
    std::vector<LedgerRow>& out = snap.rows;
    int64_t began_version;
    {
      MutexLock m(mu);
      if (pending == 0) return false;
      began_version = base_version;
      snapshot_tracking = true;
      snapshot_touched.clear();
      out.reserve(rows.size() + rows.size() / 4 + kChunk);  // no regrowth in the last hold
    }
    while (true) {
      {
        MutexLock m(mu);
        if (base_version != began_version) break;
        const size_t end = std::min(rows.size(), out.size() + kChunk);
        for (size_t i = out.size(); i < end; ++i) out.push_back(rows[i]);
        if (end + kChunk >= rows.size()) break;  // the rest is copied under the last hold
      }
      // The mutex is not fair: a pause lets the validations and commits waiting go first.
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    const int64_t current = [&] {
      auto now = catalog.Get("fills");
      return now.ok() ? now->current_version : 0;
    }();
    MutexLock m(mu);
    snapshot_tracking = false;
    std::vector<uint32_t> touched = std::move(snapshot_touched);
    snapshot_touched.clear();
    if (base_version != began_version || current != base_version)
      return Status::Conflict(
          fmt::format("fills v{} appeared since the ledger read v{}; compacting later", current,
                      began_version));
    for (uint32_t i : touched)
      if (i < out.size()) out[i] = rows[i];
    for (size_t i = out.size(); i < rows.size(); ++i) out.push_back(rows[i]);
    snap.through = last_seq;
    snap.log_end = applied_log_end;
    snap.base_version = began_version;
    return true;
  }

  // ---- the log ----

  Status OpenLog() LH_REQUIRES(sync_mu) {
    const int opened = ::open(log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (opened < 0) return StatusFromErrno(errno, "fills ledger: opening " + log_path);
    if (const int old = fd.exchange(opened); old >= 0) ::close(old);
    return Status::OK();
  }

  //! Writes one record (not yet durable: WaitDurable); answers the offset it ends at. A
  //! failed write is cut back.
  Result<uint64_t> Write(const Json& rec) LH_REQUIRES(commit_mu) {
    std::string buf;
    AppendRecord(buf, rec.dump());
    const int fd = this->fd.load();
    const off_t before = ::lseek(fd, 0, SEEK_END);
    if (before < 0) return StatusFromErrno(errno, "fills ledger: " + log_path);
    LH_RETURN_IF_ERROR(AppendOrCut(fd, buf, static_cast<uint64_t>(before), log_path));
    written_seq.store(rec.value("seq", int64_t{0}));
    return static_cast<uint64_t>(before) + buf.size();
  }

  //! Group commit: one fdatasync covers every record written before it.
  Status WaitDurable(int64_t seq) {
    MutexLock s(sync_mu);
    if (durable_seq >= seq) return Status::OK();
    const int64_t target = written_seq.load();
    if (::fdatasync(fd) != 0) {
      const int err = errno;
      poisoned = true;
      spdlog::error("fills ledger: fdatasync failed; taking no more writes until a restart");
      return StatusFromErrno(err, "fills ledger: syncing " + log_path);
    }
    durable_seq = std::max(durable_seq, target);
    return Status::OK();
  }

  //! The log without its first `cut` bytes (the records a version holds now:
  //! applied_log_end when the version's snapshot was taken), in two steps. PrepareCut,
  //! without the commit lock: the records applied since the snapshot are copied, not
  //! parsed, into `cut_path` and synced; answers the offset the copy reached. Late in a
  //! 5-minute loadgen run a compaction takes seconds, and the copy and its fsync were part
  //! of what commits waited for under their lock (76-294 ms with the overlay's trim).
  Result<uint64_t> PrepareCut(uint64_t cut) LH_EXCLUDES(commit_mu, mu) {
    uint64_t copied;
    {
      MutexLock m(mu);
      copied = applied_log_end;
    }
    std::error_code ec;
    std::filesystem::remove(cut_path, ec);
    LH_ASSIGN_OR_RETURN(MappedFile log, MappedFile::Open(log_path));
    if (log.data().size() < copied || copied < cut)
      return Status::Internal(fmt::format("fills ledger: {} is {} bytes, not {} to {}", log_path,
                                          log.data().size(), cut, copied));
    LH_RETURN_IF_ERROR(AppendToFile(cut_path, log.data().substr(cut, copied - cut), /*sync=*/true));
    return copied;
  }

  //! ...and SwapCut, under the commit lock: the records written since PrepareCut are
  //! appended to the copy, which is synced and renamed over the log.
  Status SwapCut(uint64_t cut, uint64_t copied) LH_REQUIRES(commit_mu) LH_EXCLUDES(mu) {
    {
      LH_ASSIGN_OR_RETURN(MappedFile log, MappedFile::Open(log_path));
      if (log.data().size() < copied)
        return Status::Internal(fmt::format("fills ledger: {} is {} bytes, shorter than {}",
                                            log_path, log.data().size(), copied));
      LH_RETURN_IF_ERROR(AppendToFile(cut_path, log.data().substr(copied), /*sync=*/true));
    }
    {
      MutexLock s(sync_mu);
      if (::rename(cut_path.c_str(), log_path.c_str()) != 0)
        return StatusFromErrno(errno, "fills ledger: renaming " + cut_path + " onto " + log_path);
      LH_RETURN_IF_ERROR(
          FsyncPath(std::filesystem::path(log_path).parent_path().string(), /*directory=*/true));
      durable_seq = written_seq.load();  // what is left was durable, and is again
      LH_RETURN_IF_ERROR(OpenLog());
    }
    MutexLock m(mu);
    applied_log_end -= cut;
    return Status::OK();
  }

  Status Writable() LH_REQUIRES(mu) {
    if (!opt.writable) return Status::Unavailable("the fills ledger is read-only in this process");
    if (poisoned)
      return Status::Unavailable(
          "the fills ledger stopped taking writes after a failed fsync; restart the server");
    return Status::OK();
  }

  std::vector<LedgerRow> RowsOf(const std::string& fill_id) const LH_REQUIRES(mu) {
    std::vector<LedgerRow> out;
    if (auto it = by_fill.find(fill_id); it != by_fill.end())
      for (uint32_t i : it->second) out.push_back(rows[i]);
    return out;
  }

  //! Writes `rec`, applies it and updates the overlay; answers the rows it changed. Call
  //! with commit_mu held; the caller then waits for WaitDurable(seq).
  Result<std::vector<LedgerRow>> Record(Json rec) LH_REQUIRES(commit_mu) {
    int64_t seq;
    {
      MutexLock m(mu);
      seq = last_seq + 1;
    }
    rec["seq"] = seq;
    LH_ASSIGN_OR_RETURN(const uint64_t end, Write(rec));
    std::vector<LedgerRow> changed;
    {
      MutexLock m(mu);
      LH_ASSIGN_OR_RETURN(auto touched, Apply(rec));
      applied_log_end = end;
      if (snapshot_tracking)
        snapshot_touched.insert(snapshot_touched.end(), touched.begin(), touched.end());
      for (uint32_t i : touched) changed.push_back(rows[i]);
    }
    QueueLive(changed);
    return changed;
  }

  void CompactorLoop() {
    while (true) {
      {
        MutexLock l(stop_mu);
        stop_cv.wait_for(stop_mu,
                         std::chrono::milliseconds(std::min<int64_t>(1000, opt.compact_age_ms / 2)),
                         [this]() LH_REQUIRES(stop_mu) { return stop; });
        if (stop) return;
      }
      bool due;
      {
        MutexLock m(mu);
        const int64_t now = SystemClock::Get().NowMillis();
        // Each compaction is a version (and every version a SQL view): under a steady
        // stream of commits, at most one per min(10 s, compact_age_ms). Each also rewrites
        // every row, so its cost grows with the ledger: they start at least 20 times the
        // last one's duration apart (under 5% of the time; at a fixed 10 s, a 200k-row
        // ledger spent 20% of it compacting). The age rule still bounds the overlay.
        const int64_t gap =
            std::max(std::min<int64_t>(10000, opt.compact_age_ms), 20 * last_compaction_took_ms);
        const bool spaced = now - last_compaction_ms >= gap;
        due = pending > 0 && (now - oldest_pending_ms >= opt.compact_age_ms ||
                              (pending >= opt.compact_rows && spaced));
      }
      if (!due) continue;
      {
        MutexLock m(mu);
        last_compaction_ms = SystemClock::Get().NowMillis();
      }
      const auto began = std::chrono::steady_clock::now();
      auto v = owner->Compact();
      if (!v.ok()) spdlog::error("fills ledger: compaction failed: {}", v.status().ToString());
      MutexLock m(mu);
      last_compaction_took_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - began)
                                    .count();
    }
  }
  FillLedger* owner = nullptr;
};

FillLedger::FillLedger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  impl_->owner = this;
}

FillLedger::~FillLedger() {
  impl_->query.SetLiveFlush("fills", nullptr);  // waits for a flush running now
  {
    MutexLock l(impl_->stop_mu);
    impl_->stop = true;
  }
  impl_->stop_cv.notify_all();
  if (impl_->compactor.joinable()) impl_->compactor.join();
  if (const int fd = impl_->fd.exchange(-1); fd >= 0) ::close(fd);
}

Result<std::unique_ptr<FillLedger>> FillLedger::Open(LedgerOptions options, QueryEngine& query,
                                                     Catalog& catalog, Workspace* workspace) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return Status::IOError("fills ledger: creating " + options.dir + ": " + ec.message());
  auto impl = std::make_unique<Impl>(std::move(options), query, catalog, workspace);
  Impl& d = *impl;
  {
    MutexLock c(d.commit_mu);
    MutexLock m(d.mu);
    LH_RETURN_IF_ERROR(d.Load());
    LH_RETURN_IF_ERROR(query.SetLiveOverlay(
        "fills", LiveOverlay{std::string(kLiveTable), LiveColumnsDdl(), FillsViewSql}, nullptr));
    if (auto m2 = catalog.Get("fills"); m2.ok()) LH_RETURN_IF_ERROR(query.RefreshDataset(*m2));
    LH_RETURN_IF_ERROR(d.SyncLive());
    d.written_seq.store(d.last_seq);
    query.SetLiveFlush("fills", [&d] { return d.FlushQueued(); });
    spdlog::info("fills ledger: {} rows (fills v{}, {} changes since)", d.rows.size(),
                 d.base_version, d.pending);
  }
  if (d.opt.writable) {
    MutexLock s(d.sync_mu);
    LH_RETURN_IF_ERROR(d.OpenLog());
    d.durable_seq = d.written_seq.load();
  }
  auto ledger = std::unique_ptr<FillLedger>(new FillLedger(std::move(impl)));
  // A fills version from elsewhere (an ingest) replaces the base; our own compactions do
  // not change what the ledger knows.
  FillLedger* self = ledger.get();
  catalog.AddListener([self](const DatasetManifest& m) {
    if (m.name != "fills" || m.Current() == nullptr) return;
    if (m.Current()->source.rfind(kCompactionSource, 0) == 0) return;
    Impl& d = *self->impl_;
    MutexLock c(d.commit_mu);
    MutexLock l(d.mu);
    Status st = d.Load();
    if (st.ok()) st = d.SyncLive();
    if (!st.ok())
      spdlog::error("fills ledger: reloading after fills v{}: {}", m.current_version,
                    st.ToString());
  });
  return ledger;
}

void FillLedger::StartCompactor() {
  if (!impl_->opt.writable || impl_->workspace == nullptr || impl_->compactor.joinable()) return;
  impl_->compactor = std::thread([this] { impl_->CompactorLoop(); });
  NameThread(impl_->compactor, "fills-compactor");
}

Result<LedgerCommit> FillLedger::Commit(const Roster& roster, const Validators& validators,
                                        const FillProposal& p, const AlsoRecord& also) {
  Impl& d = *impl_;
  LedgerCommit out;
  out.fill_id = p.fill_id.empty() ? "fil_" + p.request_id : p.fill_id;
  const std::string& key = p.idempotency_key;
  int64_t seq = 0;
  {
    // One critical section from the retry check to the record: two commits can never both
    // pass on the same slot, worker or key.
    MutexLock c(d.commit_mu);
    {
      MutexLock m(d.mu);
      LH_RETURN_IF_ERROR(d.Writable());
      // A retry: the same key, the same client-chosen fill_id, or the same request id.
      std::string earlier;
      if (!key.empty()) {
        if (auto it = d.by_key.find(key); it != d.by_key.end()) earlier = it->second;
      }
      if (earlier.empty() && d.by_fill.count(out.fill_id) != 0) earlier = out.fill_id;
      if (!earlier.empty()) {
        std::vector<LedgerRow> rows = d.RowsOf(earlier);
        std::vector<std::string> had;
        for (const auto& r : rows) had.push_back(r.worker_id);
        std::sort(had.begin(), had.end());
        const bool same = !rows.empty() && rows[0].order_id == p.order_id &&
                          had == SortedWorkerIds(p.worker_ids) &&
                          (p.fill_id.empty() || p.fill_id == earlier);
        if (!same)
          return Status::Conflict(
              fmt::format("{} was used by fill {} (order {}) for another order or other workers",
                          key.empty() ? "fill_id " + earlier : "Idempotency-Key " + key, earlier,
                          rows.empty() ? "?" : rows[0].order_id));
        out.fill_id = earlier;
        out.replayed = true;
        out.rows = std::move(rows);
        for (const LedgerRow& r : out.rows) seq = std::max(seq, r.seq);
      }
    }
    if (!out.replayed) {
      out.verdict =
          validators.Fill(roster, Json{{"order_id", p.order_id}, {"worker_ids", p.worker_ids}});
      if (!out.verdict.valid()) return out;
      const OrderRecord* order = roster.FindOrder(p.order_id);  // a valid fill names one
      Json rec = Json::object();
      rec["op"] = "commit";
      rec["at"] = FormatRfc3339Millis(SystemClock::Get().NowMillis());
      rec["fill_id"] = out.fill_id;
      rec["order_id"] = p.order_id;
      rec["worker_ids"] = p.worker_ids;
      rec["start_date"] = DayText(order->start_day);
      rec["end_date"] = DayText(order->end_day);
      rec["source"] = p.source;
      rec["request_id"] = p.request_id;
      rec["run_id"] = p.run_id;
      rec["idempotency_key"] = key;
      LH_ASSIGN_OR_RETURN(out.rows, d.Record(std::move(rec)));
      seq = out.rows.empty() ? 0 : out.rows.front().seq;
    }
  }
  // A retry is answered no sooner than the first commit is durable (it may still be
  // waiting for its sync). A new commit's own records (the caller's) are written while its
  // sync is pending: another thread's sync may well cover it meanwhile.
  Status recorded = !out.replayed && also ? also(out.rows) : Status::OK();
  LH_RETURN_IF_ERROR(d.WaitDurable(seq));
  LH_RETURN_IF_ERROR(recorded);
  return out;
}

Result<std::vector<LedgerRow>> FillLedger::Change(const FillChange& ch, const AlsoRecord& also) {
  Impl& d = *impl_;
  std::vector<LedgerRow> changed;
  {
    MutexLock c(d.commit_mu);
    Json rec = Json::object();
    {
      MutexLock m(d.mu);
      LH_RETURN_IF_ERROR(d.Writable());
      std::vector<LedgerRow> rows = d.RowsOf(ch.fill_id);
      if (rows.empty()) return Status::NotFound("unknown fill " + ch.fill_id);
      for (const std::string& w : ch.worker_ids) {
        if (std::none_of(rows.begin(), rows.end(),
                         [&](const LedgerRow& r) { return r.worker_id == w; }))
          return Status::NotFound(fmt::format("worker {} is not on fill {}", w, ch.fill_id));
      }
      Json workers = Json::array();
      std::set<std::string> wanted(ch.worker_ids.begin(), ch.worker_ids.end());
      std::optional<int32_t> ended_on;
      for (const LedgerRow& r : rows) {
        if (!wanted.empty() && wanted.count(r.worker_id) == 0) continue;
        if (r.status != FillStatus::kActive) continue;
        if (ch.to == FillStatus::kEnded) {
          const int32_t day = ch.ended_on.value_or(std::clamp(Today(), r.start_day, r.end_day));
          if (day < r.start_day || day > r.end_day)
            return Status::InvalidArgument(
                fmt::format("field 'ended_on': {} is outside the placement of worker {} ({} to {})",
                            DayText(day), r.worker_id, DayText(r.start_day), DayText(r.end_day)));
          ended_on = day;
        }
        workers.push_back(r.worker_id);
      }
      if (workers.empty())
        return Status::Conflict(fmt::format(
            "fill {} has no placed worker to {} (its status: {})", ch.fill_id,
            ch.to == FillStatus::kEnded ? "end" : "cancel", FillStatusName(rows.front().status)));
      rec["op"] = ch.to == FillStatus::kEnded ? "end" : "cancel";
      rec["at"] = FormatRfc3339Millis(SystemClock::Get().NowMillis());
      rec["fill_id"] = ch.fill_id;
      rec["worker_ids"] = workers;
      rec["reason"] = ch.reason;
      rec["source"] = ch.source;
      rec["request_id"] = ch.request_id;
      if (ended_on) rec["ended_on"] = DayText(*ended_on);
    }
    LH_ASSIGN_OR_RETURN(changed, d.Record(std::move(rec)));
  }
  const int64_t seq = changed.empty() ? 0 : changed.front().seq;
  Status recorded = also ? also(changed) : Status::OK();
  LH_RETURN_IF_ERROR(d.WaitDurable(seq));
  LH_RETURN_IF_ERROR(recorded);
  return changed;
}

std::vector<LedgerRow> FillLedger::List(const LedgerFilter& f) const {
  Impl& d = *impl_;
  MutexLock m(d.mu);
  const std::unordered_map<std::string, std::vector<uint32_t>>* index = nullptr;
  std::string key;
  if (!f.fill_id.empty()) {
    index = &d.by_fill;
    key = f.fill_id;
  } else if (!f.order_id.empty()) {
    index = &d.by_order;
    key = f.order_id;
  } else if (!f.worker_id.empty()) {
    index = &d.by_worker;
    key = f.worker_id;
  }
  auto keep = [&](const LedgerRow& r) {
    return (f.order_id.empty() || r.order_id == f.order_id) &&
           (f.worker_id.empty() || r.worker_id == f.worker_id) &&
           (f.fill_id.empty() || r.fill_id == f.fill_id) && (!f.status || r.status == *f.status);
  };
  std::vector<LedgerRow> out;
  if (index != nullptr) {
    if (auto it = index->find(key); it != index->end())
      for (uint32_t i : it->second)
        if (keep(d.rows[i])) out.push_back(d.rows[i]);
  } else {
    for (const LedgerRow& r : d.rows)
      if (keep(r)) out.push_back(r);
  }
  return out;
}

Result<int64_t> FillLedger::Compact() {
  Impl& d = *impl_;
  if (!d.opt.writable || d.workspace == nullptr)
    return Status::Conflict("the fills ledger does not compact in this process");
  MutexLock one(d.compact_mu);
  const auto began = std::chrono::steady_clock::now();
  // Holding the dataset's writer lock from here on, no ingest can slip in between the
  // snapshot and the commit.
  LH_ASSIGN_OR_RETURN(auto writer,
                      DatasetWriter::Begin(*d.workspace, "fills", LedgerColumnSpecs()));
  Impl::Snapshot snap;
  LH_ASSIGN_OR_RETURN(const bool any, d.TakeSnapshot(snap));
  if (!any) return int64_t{0};
  const std::vector<LedgerRow>& snapshot = snap.rows;
  const int64_t through = snap.through;
  // Staging the rows and writing their Parquet is most of a compaction's CPU (seconds at
  // 200k rows, during which requests had one core of two): it runs on a thread of its own
  // at opt.compact_nice, touching only the writer (its own DuckDB database when serve gives
  // the ledger one), the snapshot, the store, and the catalog for one copy of the table's
  // schema. The commit, whose catalog listeners take the query engine's locks, and the
  // log's cut stay on this thread, at its priority (core/background_thread.h).
  int64_t staged_us = 0;
  LH_RETURN_IF_ERROR(RunInBackground("fills-writer", d.opt.compact_nice, [&]() -> Status {
    LH_RETURN_IF_ERROR(StageRows(*writer, snapshot));
    staged_us = MicrosSince(began);
    return writer->WriteParts(fmt::format("{} through seq {}", kCompactionSource, through));
  }));
  LH_ASSIGN_OR_RETURN(DatasetVersion v, writer->CommitWritten());
  const int64_t written_us = MicrosSince(began);
  LH_ASSIGN_OR_RETURN(const uint64_t copied, d.PrepareCut(snap.log_end));
  int64_t held_us = 0;
  {
    MutexLock c(d.commit_mu);
    const auto held = std::chrono::steady_clock::now();
    {
      // An ingest of `fills` since the commit above replaced the base (the listener
      // reloaded it): the log is then its, not ours to cut.
      MutexLock m(d.mu);
      if (d.base_version != snap.base_version) {
        std::error_code ec;
        std::filesystem::remove(d.cut_path, ec);
        return Status::Conflict(
            fmt::format("fills v{} appeared while the ledger compacted into v{}; the log is kept",
                        d.base_version, v.version));
      }
    }
    LH_RETURN_IF_ERROR(d.SwapCut(snap.log_end, copied));
    {
      MutexLock m(d.mu);
      d.base_version = v.version;
      d.compacted_seq = through;
      // Records take consecutive seqs: those past `through` are the ones still pending
      // (counted without a scan of every row under `mu`).
      d.pending = std::max<int64_t>(0, d.last_seq - through);
      if (d.pending > 0) d.oldest_pending_ms = SystemClock::Get().NowMillis();
      ++d.compactions;
    }
    held_us = MicrosSince(held);
  }
  const auto trimming = std::chrono::steady_clock::now();
  d.TrimLive(through);
  const int64_t trim_us = MicrosSince(trimming);
  spdlog::info(
      "fills ledger: compacted {} rows into fills v{} (through seq {}): written in {} ms "
      "({} ms to snapshot and stage the rows), commits held {} ms, overlay trimmed in {} ms",
      snapshot.size(), v.version, through, written_us / 1000, staged_us / 1000, held_us / 1000,
      trim_us / 1000);
  return v.version;
}

std::vector<FillRecord> FillLedger::PlacementsOf(std::string_view worker_id, uint32_t index) const {
  const Impl& d = *impl_;
  std::vector<FillRecord> out;
  MutexLock m(d.mu);
  auto it = d.placed_by_worker.find(std::string(worker_id));
  if (it == d.placed_by_worker.end()) return out;
  out.reserve(it->second.size());
  for (uint32_t i : it->second) {
    const LedgerRow& r = d.rows[i];
    out.push_back(FillRecord{index, r.order_id, r.start_day, r.BookedUntil(), r.fill_id,
                             r.status == FillStatus::kActive});
  }
  return out;
}

int64_t FillLedger::FilledCount(std::string_view order_id,
                                std::vector<std::string>* fill_ids) const {
  const Impl& d = *impl_;
  MutexLock m(d.mu);
  auto it = d.active_by_order.find(std::string(order_id));
  if (it == d.active_by_order.end()) return 0;
  std::set<std::string_view> workers, fills;
  for (uint32_t i : it->second) {
    const LedgerRow& r = d.rows[i];
    workers.insert(r.worker_id);
    fills.insert(r.fill_id);
  }
  if (fill_ids != nullptr) fill_ids->assign(fills.begin(), fills.end());
  return static_cast<int64_t>(workers.size());
}

int64_t FillLedger::ActivePlacements() const {
  const Impl& d = *impl_;
  MutexLock m(d.mu);
  return d.active_rows;
}

Json FillLedger::StatsJson() const {
  const int64_t active = ActivePlacements();
  const Impl& d = *impl_;
  MutexLock m(d.mu);
  return Json{{"rows", d.rows.size()},
              {"active", active},
              {"pending", d.pending},
              {"last_seq", d.last_seq},
              {"compacted_seq", d.compacted_seq},
              {"base_version", d.base_version},
              {"compactions", d.compactions},
              {"poisoned", d.poisoned.load()}};
}

}  // namespace lakehouse
