#include "query/query_engine.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/json.h"
#include "core/text.h"
#include "core/thread_annotations.h"
#include "query/duckdb_handle.h"
#include "query/result_cache.h"
#include "query/scan.h"

namespace lakehouse {

std::string DuckDbVersion() {
  return duckdb_library_version();
}
namespace {

using SteadyClock = std::chrono::steady_clock;

// Interrupts queries that pass their deadline. One thread serves every query: it sleeps
// until the earliest deadline, and duckdb_interrupt makes the running query fail with an
// INTERRUPT error, which Query reports as deadline_exceeded.
class Watchdog {
 public:
  Watchdog() : thread_([this] { Run(); }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  struct Ticket {
    uint64_t id;
    bool fired = false;
  };

  uint64_t Arm(SteadyClock::time_point deadline, duckdb_connection conn) {
    std::lock_guard lock(mu_);
    uint64_t id = ++next_id_;
    entries_.emplace(id, Entry{deadline, conn, false});
    cv_.notify_all();
    return id;
  }

  //! Removes the entry; true when it fired (the query was interrupted for time).
  bool Disarm(uint64_t id) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    bool fired = it != entries_.end() && it->second.fired;
    if (it != entries_.end()) entries_.erase(it);
    return fired;
  }

 private:
  struct Entry {
    SteadyClock::time_point deadline;
    duckdb_connection conn;
    bool fired;
  };

  void Run() {
    std::unique_lock lock(mu_);
    while (!stop_) {
      auto next = SteadyClock::time_point::max();
      const auto now = SteadyClock::now();
      for (auto& [id, e] : entries_) {
        if (e.fired) continue;
        if (e.deadline <= now) {
          e.fired = true;
          duckdb_interrupt(e.conn);
        } else {
          next = std::min(next, e.deadline);
        }
      }
      if (next == SteadyClock::time_point::max()) {
        cv_.wait(lock);
      } else {
        cv_.wait_until(lock, next);
      }
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Entry> entries_;
  uint64_t next_id_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

bool IsReadOnlyStatement(duckdb_statement_type t) {
  return t == DUCKDB_STATEMENT_TYPE_SELECT || t == DUCKDB_STATEMENT_TYPE_EXPLAIN;
}

std::string_view StatementTypeName(duckdb_statement_type t) {
  switch (t) {
    case DUCKDB_STATEMENT_TYPE_SELECT:
      return "SELECT";
    case DUCKDB_STATEMENT_TYPE_INSERT:
      return "INSERT";
    case DUCKDB_STATEMENT_TYPE_UPDATE:
      return "UPDATE";
    case DUCKDB_STATEMENT_TYPE_EXPLAIN:
      return "EXPLAIN";
    case DUCKDB_STATEMENT_TYPE_DELETE:
      return "DELETE";
    case DUCKDB_STATEMENT_TYPE_PREPARE:
      return "PREPARE";
    case DUCKDB_STATEMENT_TYPE_CREATE:
      return "CREATE";
    case DUCKDB_STATEMENT_TYPE_EXECUTE:
      return "EXECUTE";
    case DUCKDB_STATEMENT_TYPE_ALTER:
      return "ALTER";
    case DUCKDB_STATEMENT_TYPE_TRANSACTION:
      return "TRANSACTION";
    case DUCKDB_STATEMENT_TYPE_COPY:
      return "COPY";
    case DUCKDB_STATEMENT_TYPE_ANALYZE:
      return "ANALYZE";
    case DUCKDB_STATEMENT_TYPE_VARIABLE_SET:
      return "SET";
    case DUCKDB_STATEMENT_TYPE_CREATE_FUNC:
      return "CREATE FUNCTION";
    case DUCKDB_STATEMENT_TYPE_DROP:
      return "DROP";
    case DUCKDB_STATEMENT_TYPE_EXPORT:
      return "EXPORT";
    case DUCKDB_STATEMENT_TYPE_PRAGMA:
      return "PRAGMA";
    case DUCKDB_STATEMENT_TYPE_VACUUM:
      return "VACUUM";
    case DUCKDB_STATEMENT_TYPE_CALL:
      return "CALL";
    case DUCKDB_STATEMENT_TYPE_SET:
      return "SET";
    case DUCKDB_STATEMENT_TYPE_LOAD:
      return "LOAD/INSTALL";
    case DUCKDB_STATEMENT_TYPE_RELATION:
      return "RELATION";
    case DUCKDB_STATEMENT_TYPE_EXTENSION:
      return "EXTENSION";
    case DUCKDB_STATEMENT_TYPE_LOGICAL_PLAN:
      return "LOGICAL_PLAN";
    case DUCKDB_STATEMENT_TYPE_ATTACH:
      return "ATTACH";
    case DUCKDB_STATEMENT_TYPE_DETACH:
      return "DETACH";
    case DUCKDB_STATEMENT_TYPE_MULTI:
      return "MULTI";
    default:
      return "UNKNOWN";
  }
}

// The statement's first keyword, upper-cased, skipping blanks, comments and '('. Used
// only when DuckDB cannot prepare a statement (INSERT into a view fails to bind before
// its type is known), so a write still gets 403 rather than a binder error.
std::string LeadingKeyword(std::string_view sql) {
  size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c)) || c == '(') {
      ++i;
    } else if (sql.substr(i, 2) == "--") {
      i = sql.find('\n', i);
      if (i == std::string_view::npos) return "";
    } else if (sql.substr(i, 2) == "/*") {
      i = sql.find("*/", i + 2);
      if (i == std::string_view::npos) return "";
      i += 2;
    } else {
      break;
    }
  }
  std::string word;
  while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i]))) {
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i])));
    ++i;
  }
  return word;
}

bool IsWriteKeyword(std::string_view w) {
  static constexpr std::string_view kWrites[] = {
      "INSERT", "UPDATE",   "DELETE",  "CREATE",     "DROP",   "ALTER",    "COPY",
      "ATTACH", "DETACH",   "INSTALL", "LOAD",       "SET",    "RESET",    "PRAGMA",
      "EXPORT", "IMPORT",   "VACUUM",  "CHECKPOINT", "CALL",   "TRUNCATE", "BEGIN",
      "COMMIT", "ROLLBACK", "USE",     "MERGE",      "UPSERT", "ANALYZE"};
  for (auto k : kWrites)
    if (w == k) return true;
  return false;
}

struct PreparedHandle {
  duckdb_prepared_statement p = nullptr;
  ~PreparedHandle() { duckdb_destroy_prepare(&p); }
};
struct ExtractedHandle {
  duckdb_extracted_statements e = nullptr;
  ~ExtractedHandle() { duckdb_destroy_extracted(&e); }
};
struct ChunkHandle {
  duckdb_data_chunk c = nullptr;
  ~ChunkHandle() { duckdb_destroy_data_chunk(&c); }
};

}  // namespace

std::string QueryResult::ToJsonText() const {
  std::string out = "{\"columns\":";
  out += DumpJson(ColumnsToJson(columns));
  out += ",\"rows\":";
  out += rows_json;
  out += fmt::format(",\"row_count\":{},\"truncated\":{}", row_count, truncated ? "true" : "false");
  if (truncated) fmt::format_to(std::back_inserter(out), ",\"truncated_by\":\"{}\"", truncated_by);
  fmt::format_to(std::back_inserter(out), ",\"elapsed_ms\":{:.3f}}}", elapsed_ms);
  return out;
}

// Threads that run /v1/sql statements so the caller can stop waiting at the deadline. A
// thread is started when none is idle; each running statement holds a pooled connection,
// so there are at most pool_size + abandoned of them.
class Runner {
 public:
  ~Runner() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  void Submit(std::function<void()> task) {
    {
      std::lock_guard lock(mu_);
      tasks_.push_back(std::move(task));
      if (idle_ == 0) threads_.emplace_back([this] { Run(); });
    }
    cv_.notify_one();
  }

 private:
  void Run() {
    std::unique_lock lock(mu_);
    while (true) {
      ++idle_;
      cv_.wait(lock, [&] { return stop_ || !tasks_.empty(); });
      --idle_;
      if (tasks_.empty()) return;
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  bool stop_ = false;
};

struct QueryEngine::Impl {
  std::unique_ptr<duck::Database> db;
  std::unique_ptr<duck::Connection> admin;  // creates views; guarded by admin_mu
  std::mutex admin_mu;
  std::map<std::string, LiveOverlay> overlays;  // by dataset; guarded by admin_mu
  //! SetLiveFlush's hooks by dataset; called with flush_mu shared (never with admin_mu).
  SharedMutex flush_mu;
  std::vector<std::pair<std::string, std::function<Status()>>> flushes LH_GUARDED_BY(flush_mu);

  //! Runs the flush hook of every dataset `sql` names.
  Status FlushLive(std::string_view sql) LH_EXCLUDES(flush_mu) {
    ReaderLock lock(flush_mu);
    for (const auto& [dataset, flush] : flushes)
      if (ContainsIgnoreCase(sql, dataset)) LH_RETURN_IF_ERROR(flush());
    return Status::OK();
  }
  //! "name@vN" -> the SELECT its view was created with; guarded by admin_mu.
  std::unordered_map<std::string, std::string> version_views;
  std::string datasets_dir;
  std::function<Status(const std::vector<std::string>&)> fetch;
  std::unique_ptr<ResultCache> results;  // null: off
  //! "name@vN" named by statements prepared and not yet finished (a Lease each).
  mutable std::mutex reading_mu;
  std::multiset<std::string> reading;
  int64_t pool_size = 0;

  std::mutex pool_mu;
  std::condition_variable pool_cv;
  std::vector<std::unique_ptr<duck::Connection>> idle;
  int64_t abandoned = 0;  // statements still running after their caller answered 504

  Watchdog watchdog;
  std::unique_ptr<Runner> runner = std::make_unique<Runner>();

  duck::Connection* Acquire(SteadyClock::time_point deadline) {
    std::unique_lock lock(pool_mu);
    if (!pool_cv.wait_until(lock, deadline, [&] { return !idle.empty(); })) return nullptr;
    duck::Connection* c = idle.back().release();
    idle.pop_back();
    return c;
  }
  void Release(duck::Connection* c) {
    {
      std::lock_guard lock(pool_mu);
      idle.emplace_back(c);
    }
    pool_cv.notify_one();
  }
  //! The caller of a statement stopped waiting: open a connection in its place (up to
  //! pool_size abandoned at once), so the pool keeps its size meanwhile.
  void Abandon() {
    {
      std::lock_guard lock(pool_mu);
      if (++abandoned > pool_size) return;
    }
    auto conn = duck::Connection::Open(*db);
    if (!conn.ok()) {
      spdlog::error("SQL: cannot open a replacement connection: {}", conn.status().ToString());
      return;
    }
    Release(conn->release());
  }
  //! An abandoned statement finished: its connection is closed (a replacement took its
  //! place), unless the pool is short of one because too many were abandoned at once.
  void FinishAbandoned(duck::Connection* c) {
    bool keep;
    {
      std::lock_guard lock(pool_mu);
      keep = abandoned-- > pool_size;
    }
    if (keep) return Release(c);
    delete c;
  }
};

QueryEngine::QueryEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
QueryEngine::~QueryEngine() {
  // Abandoned statements finish first (their connections close), then the pool's, then
  // the database.
  impl_->runner.reset();
  impl_->idle.clear();
  impl_->admin.reset();
}

Result<std::unique_ptr<QueryEngine>> QueryEngine::Open(const QueryEngineOptions& options) {
  auto impl = std::make_unique<Impl>();
  std::string dir = options.datasets_dir;
  if (!dir.empty() && dir.back() != '/') dir += '/';
  impl->datasets_dir = dir;
  impl->fetch = options.fetch;
  if (options.result_cache_bytes > 0)
    impl->results = std::make_unique<ResultCache>(options.result_cache_bytes);
  impl->pool_size = options.pool_size;
  std::vector<std::pair<std::string, std::string>> settings;
  if (options.threads > 0) settings.emplace_back("threads", std::to_string(options.threads));
  if (!options.memory_limit.empty())
    settings.emplace_back("memory_limit", duck::QuoteString(options.memory_limit));
  settings.emplace_back("autoinstall_known_extensions", "false");
  settings.emplace_back("autoload_known_extensions", "false");
  settings.emplace_back("allowed_directories", "[" + duck::QuoteString(dir) + "]");
  settings.emplace_back("enable_external_access", "false");
  settings.emplace_back("lock_configuration", "true");
  LH_ASSIGN_OR_RETURN(impl->db, duck::Database::OpenInMemory(settings));
  LH_ASSIGN_OR_RETURN(impl->admin, duck::Connection::Open(*impl->db));
  for (int64_t i = 0; i < options.pool_size; ++i) {
    LH_ASSIGN_OR_RETURN(auto conn, duck::Connection::Open(*impl->db));
    impl->idle.push_back(std::move(conn));
  }
  return std::unique_ptr<QueryEngine>(new QueryEngine(std::move(impl)));
}

Status QueryEngine::RefreshDataset(const DatasetManifest& manifest) {
  std::lock_guard lock(impl_->admin_mu);
  Status st = RefreshLocked(manifest);
  // Again after the new views exist: an answer over the old ones is then never stored.
  if (impl_->results) impl_->results->Invalidate(manifest.name);
  return st;
}

Status QueryEngine::RefreshLocked(const DatasetManifest& manifest) {
  auto relation = [&](const DatasetVersion& v) {
    std::string files;
    for (const auto& f : v.files) {
      if (!files.empty()) files += ", ";
      // Keys are "datasets/<name>/v<N>/part-<k>.parquet"; the engine reads the local files.
      files += duck::QuoteString(impl_->datasets_dir + f.substr(std::string("datasets/").size()));
    }
    return fmt::format("read_parquet([{}])", files);
  };
  auto create = [&](const std::string& view, const std::string& select) {
    return impl_->admin->Exec(
        fmt::format("CREATE OR REPLACE VIEW {} AS {}", duck::QuoteIdent(view), select));
  };
  // Answers over the old version are stale.
  if (impl_->results) impl_->results->Invalidate(manifest.name);
  // A committed version never changes: its view is created once, not again at every later
  // commit (a dataset that compacts often, the fills ledger, has hundreds of versions).
  for (const auto& v : manifest.versions) {
    if (v.files.empty()) continue;
    const std::string view = fmt::format("{}@v{}", manifest.name, v.version);
    std::string select = "SELECT * FROM " + relation(v);
    auto& made = impl_->version_views[view];
    // The current version's parts are fetched (or marked used) at every refresh.
    if (impl_->fetch && (made != select || &v == manifest.Current()))
      LH_RETURN_IF_ERROR(impl_->fetch(v.files).WithContext("fetch parts of " + view));
    if (made == select) continue;
    LH_RETURN_IF_ERROR(create(view, select).WithContext("create view of " + manifest.name));
    made = std::move(select);
  }
  // Versions expired from the dataset (Catalog::ExpireVersions): their files are going.
  const std::string prefix = manifest.name + "@v";
  for (auto it = impl_->version_views.begin();
       !manifest.versions.empty() && it != impl_->version_views.end();) {
    const std::string& view = it->first;
    const bool listed =
        view.rfind(prefix, 0) != 0 ||
        std::any_of(manifest.versions.begin(), manifest.versions.end(), [&](const auto& v) {
          return view.size() == prefix.size() + std::to_string(v.version).size() &&
                 view.compare(prefix.size(), std::string::npos, std::to_string(v.version)) == 0;
        });
    if (listed) {
      ++it;
      continue;
    }
    LH_RETURN_IF_ERROR(impl_->admin->Exec("DROP VIEW IF EXISTS " + duck::QuoteIdent(view))
                           .WithContext("drop " + view));
    it = impl_->version_views.erase(it);
  }
  const DatasetVersion* cur = manifest.Current();
  if (cur != nullptr && cur->files.empty()) cur = nullptr;
  if (auto o = impl_->overlays.find(manifest.name); o != impl_->overlays.end()) {
    return create(manifest.name, o->second.view_sql(cur, cur ? relation(*cur) : ""))
        .WithContext("create view " + manifest.name);
  }
  if (cur != nullptr) {
    LH_RETURN_IF_ERROR(create(manifest.name, "SELECT * FROM " + relation(*cur))
                           .WithContext("create view " + manifest.name));
  }
  return Status::OK();
}

Status QueryEngine::SetLiveOverlay(const std::string& dataset, LiveOverlay overlay,
                                   const DatasetManifest* manifest) {
  std::lock_guard lock(impl_->admin_mu);
  LH_RETURN_IF_ERROR(impl_->admin->Exec(fmt::format(
      "CREATE TABLE IF NOT EXISTS {} {}", duck::QuoteIdent(overlay.table), overlay.columns)));
  impl_->overlays[dataset] = std::move(overlay);
  DatasetManifest empty;
  empty.name = dataset;
  return RefreshLocked(manifest != nullptr ? *manifest : empty);
}

Status QueryEngine::AppendLive(const std::string& dataset,
                               const std::vector<std::vector<LiveValue>>& rows) {
  std::lock_guard lock(impl_->admin_mu);
  auto overlay = impl_->overlays.find(dataset);
  if (overlay == impl_->overlays.end())
    return Status::Internal("no overlay for dataset " + dataset);
  const std::string& table = overlay->second.table;
  duckdb_appender appender = nullptr;
  if (duckdb_appender_create(impl_->admin->raw(), nullptr, table.c_str(), &appender) ==
      DuckDBError) {
    std::string e = appender ? duckdb_appender_error(appender) : "no appender";
    duckdb_appender_destroy(&appender);
    return Status::Internal("overlay " + table + ": " + e);
  }
  bool ok = true;
  for (const auto& row : rows) {
    for (const LiveValue& v : row) {
      if (std::holds_alternative<std::nullptr_t>(v)) {
        ok = ok && duckdb_append_null(appender) == DuckDBSuccess;
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        ok = ok && duckdb_append_varchar_length(appender, s->data(), s->size()) == DuckDBSuccess;
      } else if (const auto* i = std::get_if<int64_t>(&v)) {
        ok = ok && duckdb_append_int64(appender, *i) == DuckDBSuccess;
      } else {
        ok = ok &&
             duckdb_append_date(appender, duckdb_date{std::get<LiveDate>(v).days}) == DuckDBSuccess;
      }
    }
    ok = ok && duckdb_appender_end_row(appender) == DuckDBSuccess;
  }
  ok = ok && duckdb_appender_close(appender) == DuckDBSuccess;
  std::string error = ok ? "" : duckdb_appender_error(appender);
  duckdb_appender_destroy(&appender);
  // After the write: an answer computed before it is then never stored (result_cache.h).
  if (impl_->results) impl_->results->Invalidate(dataset);
  if (!ok) return Status::Internal("overlay " + table + ": " + error);
  return Status::OK();
}

void QueryEngine::SetLiveFlush(const std::string& dataset, std::function<Status()> flush) {
  WriterLock lock(impl_->flush_mu);
  auto& hooks = impl_->flushes;
  std::erase_if(hooks, [&](const auto& h) { return h.first == dataset; });
  if (flush) hooks.emplace_back(dataset, std::move(flush));
}

Status QueryEngine::ExecLive(const std::string& dataset, const std::string& sql) {
  std::lock_guard lock(impl_->admin_mu);
  Status st = impl_->admin->Exec(sql);
  // After the write: an answer computed before it is then never stored (result_cache.h).
  if (impl_->results) impl_->results->Invalidate(dataset);
  return st;
}

Status QueryEngine::Attach(Catalog& catalog) {
  catalog.AddListener([this](const DatasetManifest& m) {
    Status st = RefreshDataset(m);
    if (!st.ok()) spdlog::error("refreshing SQL views of dataset {}: {}", m.name, st.ToString());
  });
  for (const auto& m : catalog.List()) LH_RETURN_IF_ERROR(RefreshDataset(m));
  return Status::OK();
}

namespace {

// Parses `sql` as exactly one statement and prepares it; only SELECT and EXPLAIN pass.
Status PrepareReadOnly(duck::Connection& conn, const std::string& sql, PreparedHandle& prepared) {
  if (sql.find_first_not_of(" \t\r\n;") == std::string::npos)
    return Status::InvalidArgument("sql is empty");
  ExtractedHandle extracted;
  const idx_t n = duckdb_extract_statements(conn.raw(), sql.c_str(), &extracted.e);
  if (n == 0) {
    const char* err = duckdb_extract_statements_error(extracted.e);
    return duck::StatusFromDuckDBMessage(err ? err : "could not parse the statement");
  }
  if (n > 1) {
    return Status::InvalidArgument(
        fmt::format("send one statement per request; this one has {}", n));
  }
  if (duckdb_prepare_extracted_statement(conn.raw(), extracted.e, 0, &prepared.p) == DuckDBError) {
    if (const std::string kw = LeadingKeyword(sql); IsWriteKeyword(kw)) {
      return Status::PermissionDenied(fmt::format(
          "{} statements are not allowed: /v1/sql is read-only (SELECT and EXPLAIN only)", kw));
    }
    const char* err = duckdb_prepare_error(prepared.p);
    return duck::StatusFromDuckDBMessage(err ? err : "could not prepare the statement");
  }
  const duckdb_statement_type type = duckdb_prepared_statement_type(prepared.p);
  if (!IsReadOnlyStatement(type)) {
    return Status::PermissionDenied(
        fmt::format("{} statements are not allowed: /v1/sql is read-only (SELECT and EXPLAIN only)",
                    StatementTypeName(type)));
  }
  return Status::OK();
}

Status BindParams(duckdb_prepared_statement p, const std::vector<SqlParam>& params) {
  const idx_t wanted = duckdb_nparams(p);
  if (wanted != params.size())
    return Status::InvalidArgument(
        fmt::format("the statement has {} parameters, {} were given", wanted, params.size()));
  for (idx_t i = 0; i < params.size(); ++i) {
    const idx_t at = i + 1;
    const SqlParam& v = params[i];
    duckdb_state st = DuckDBSuccess;
    if (std::holds_alternative<std::nullptr_t>(v)) {
      st = duckdb_bind_null(p, at);
    } else if (const bool* b = std::get_if<bool>(&v)) {
      st = duckdb_bind_boolean(p, at, *b);
    } else if (const int64_t* n = std::get_if<int64_t>(&v)) {
      st = duckdb_bind_int64(p, at, *n);
    } else if (const double* d = std::get_if<double>(&v)) {
      st = duckdb_bind_double(p, at, *d);
    } else {
      const std::string& text = std::get<std::string>(v);
      st = duckdb_bind_varchar_length(p, at, text.data(), text.size());
    }
    if (st == DuckDBError)
      return Status::InvalidArgument(fmt::format("cannot bind parameter ${}", at));
  }
  return Status::OK();
}

// Each result column's type, resolved once (rendering a value then makes no C API calls).
std::vector<duck::TypeNode> ColumnTypes(duckdb_result* result) {
  const idx_t ncol = duckdb_column_count(result);
  std::vector<duck::TypeNode> types(ncol);
  for (idx_t c = 0; c < ncol; ++c) {
    duckdb_logical_type t = duckdb_column_logical_type(result, c);
    types[c] = duck::ResolveType(t);
    duckdb_destroy_logical_type(&t);
  }
  return types;
}

// One column's views for a chunk (scan.h).
ScanColumn MakeColumn(duckdb_vector vec, const duck::TypeNode& type) {
  ScanColumn::Raw raw;
  raw.type = type.id;
  raw.internal = type.internal;
  raw.scale = type.scale;
  raw.data = duckdb_vector_get_data(vec);
  raw.validity = duckdb_vector_get_validity(vec);
  raw.enum_values = &type.enum_values;
  raw.vector = vec;
  raw.type_node = &type;
  if (type.id == DUCKDB_TYPE_LIST && !type.children.empty()) {
    duckdb_vector child = duckdb_list_vector_get_child(vec);
    raw.child_type = type.children[0].id;
    raw.child_data = duckdb_vector_get_data(child);
    raw.child_validity = duckdb_vector_get_validity(child);
  }
  return ScanColumn(raw);
}

}  // namespace

// A pooled connection and the statement prepared on it; the connection goes back to the
// pool on scope exit.
struct QueryEngine::Lease {
  explicit Lease(Impl* i) : impl(i) {}
  Impl* impl;
  duck::Connection* conn = nullptr;
  PreparedHandle prepared;
  std::vector<std::string> versions;  // "name@vN" it reads, in impl->reading
  ~Lease() {
    duckdb_destroy_prepare(&prepared.p);  // before the connection serves anyone else
    if (conn != nullptr) impl->Release(conn);
    std::lock_guard lock(impl->reading_mu);
    for (const auto& v : versions) impl->reading.erase(impl->reading.find(v));
  }
};

namespace {
// Every "name@vN" in `sql` (quoted or not): the versions a statement reads by name.
std::vector<std::string> NamedVersions(const std::string& sql) {
  std::vector<std::string> out;
  auto word = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; };
  for (size_t at = sql.find("@v"); at != std::string::npos; at = sql.find("@v", at + 2)) {
    size_t begin = at, end = at + 2;
    while (begin > 0 && word(sql[begin - 1])) --begin;
    while (end < sql.size() && sql[end] >= '0' && sql[end] <= '9') ++end;
    if (begin < at && end > at + 2) out.push_back(sql.substr(begin, end - begin));
  }
  return out;
}
}  // namespace

std::vector<int64_t> QueryEngine::VersionsInUse(const std::string& dataset) const {
  std::vector<int64_t> out;
  const std::string prefix = dataset + "@v";
  std::lock_guard lock(impl_->reading_mu);
  for (auto it = impl_->reading.lower_bound(prefix);
       it != impl_->reading.end() && it->compare(0, prefix.size(), prefix) == 0; ++it)
    out.push_back(std::stoll(it->substr(prefix.size())));
  return out;
}

Status QueryEngine::Prepare(const std::string& sql, SteadyClock::time_point deadline,
                            std::chrono::milliseconds timeout, Lease& lease) {
  lease.versions = NamedVersions(sql);
  if (!lease.versions.empty()) {
    std::lock_guard lock(impl_->reading_mu);
    impl_->reading.insert(lease.versions.begin(), lease.versions.end());
  }
  lease.conn = impl_->Acquire(deadline);
  if (lease.conn == nullptr) {
    return Status::DeadlineExceeded(
        fmt::format("no SQL connection became free within {} ms (all busy)", timeout.count()));
  }
  return PrepareReadOnly(*lease.conn, sql, lease.prepared);
}

namespace {

// Streams a prepared statement's answer into `out` under the row and byte caps.
Status RenderRows(duckdb_prepared_statement prepared, const QueryOptions& options,
                  QueryResult& out) {
  duck::ResultHandle result;
  if (duckdb_execute_prepared_streaming(prepared, result.get()) == DuckDBError)
    return duck::StatusFromResult(result.get());
  out.columns = duck::ResultColumns(result.get());
  const idx_t ncol = out.columns.size();
  const std::vector<duck::TypeNode> types = ColumnTypes(result.get());
  const size_t max_bytes =
      options.max_bytes > 0 ? static_cast<size_t>(options.max_bytes) : SIZE_MAX;
  out.rows_json = "[";
  while (!out.truncated) {
    ChunkHandle chunk;
    chunk.c = duckdb_fetch_chunk(*result.get());
    if (chunk.c == nullptr) break;
    const idx_t size = duckdb_data_chunk_get_size(chunk.c);
    std::vector<duckdb_vector> vecs(ncol);
    for (idx_t c = 0; c < ncol; ++c) vecs[c] = duckdb_data_chunk_get_vector(chunk.c, c);
    for (idx_t r = 0; r < size; ++r) {
      if (out.row_count >= options.max_rows) {
        out.truncated = true;
        out.truncated_by = "rows";
        break;
      }
      const size_t row_start = out.rows_json.size();
      if (out.row_count > 0) out.rows_json += ',';
      out.rows_json += '[';
      for (idx_t c = 0; c < ncol; ++c) {
        if (c > 0) out.rows_json += ',';
        duck::AppendValueJson(out.rows_json, vecs[c], types[c], r);
      }
      out.rows_json += ']';
      if (out.rows_json.size() > max_bytes) {
        if (out.row_count == 0) {
          return Status::PayloadTooLarge(fmt::format(
              "the answer's first row alone is {} bytes, over the sql.max_answer_bytes cap of "
              "{} bytes: select fewer or smaller columns",
              out.rows_json.size() - row_start, max_bytes));
        }
        out.rows_json.resize(row_start);
        out.truncated = true;
        out.truncated_by = "bytes";
        break;
      }
      ++out.row_count;
    }
  }
  out.rows_json += ']';
  // A streaming result reports a failure that happens mid-stream on the result itself.
  if (duckdb_result_error(result.get()) != nullptr) return duck::StatusFromResult(result.get());
  return Status::OK();
}

// setseed() changes the connection's random state for whoever uses it next: after a
// statement that calls it, the connection is reseeded from a real random source.
void ResetSessionState(duck::Connection& conn, const std::string& sql) {
  if (AsciiLower(sql).find("setseed") == std::string::npos) return;
  std::random_device rd;
  const double seed = static_cast<double>(rd() % 1000000) / 1000000.0;
  Status st = conn.Exec(fmt::format("SELECT setseed({})", seed));
  if (!st.ok()) spdlog::warn("SQL: reseeding a pooled connection failed: {}", st.ToString());
}

// One statement run on the engine's runner; shared by the caller, who may stop waiting.
struct Job {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  bool abandoned = false;
  bool fired = false;  // the watchdog interrupted it
  Status status;
  QueryResult result;
};

}  // namespace

Result<QueryResult> QueryEngine::Query(const std::string& sql, const QueryOptions& options) {
  auto r = QueryOnce(sql, options);
  if (!r.ok() && impl_->fetch && FetchMissingParts(r.status().message()))
    r = QueryOnce(sql, options);
  return r;
}

bool QueryEngine::FetchMissingParts(const std::string& error) {
  const std::string& dir = impl_->datasets_dir;
  std::vector<std::string> keys;
  for (size_t at = error.find(dir); at != std::string::npos; at = error.find(dir, at + 1)) {
    const size_t end = error.find_first_of("\"' \n", at);
    const std::string path = error.substr(at, end == std::string::npos ? end : end - at);
    std::error_code ec;
    if (!path.ends_with(".parquet") || std::filesystem::exists(path, ec)) continue;
    keys.push_back("datasets/" + path.substr(dir.size()));
  }
  if (keys.empty()) return false;
  Status st = impl_->fetch(keys);
  if (!st.ok()) spdlog::warn("SQL: fetching parts the cache let go: {}", st.ToString());
  return st.ok();
}

Result<QueryResult> QueryEngine::QueryOnce(const std::string& sql, const QueryOptions& options) {
  const auto now = SteadyClock::now();
  const auto start = options.started.value_or(now);
  const auto deadline = start + options.timeout;
  auto exceeded = [&](std::string_view how) {
    const auto queued = std::chrono::duration_cast<std::chrono::milliseconds>(now - start);
    return Status::DeadlineExceeded(fmt::format(
        "query exceeded its time limit of {} ms{} and {}", options.timeout.count(),
        queued.count() > 0 ? fmt::format(" ({} ms of it waiting for a thread)", queued.count())
                           : "",
        how));
  };
  if (sql.find_first_not_of(" \t\r\n;") == std::string::npos)
    return Status::InvalidArgument("sql is empty");
  if (now >= deadline) return exceeded("was not started");
  // Rows an overlay's owner queued go in first: before the cache, so an answer stored
  // without them is dropped by the append's invalidation (result_cache.h).
  LH_RETURN_IF_ERROR(impl_->FlushLive(sql));
  ResultCache* cache =
      !impl_->results || !ResultCache::Cacheable(sql) ? nullptr : impl_->results.get();
  std::string cache_key;
  uint64_t cache_generation = 0;
  if (cache != nullptr) {
    cache_key = fmt::format("{}\x1f{}\x1f{}", options.max_rows, options.max_bytes, sql);
    cache_generation = cache->generation();
    if (auto hit = cache->Get(cache_key)) {
      hit->elapsed_ms = static_cast<double>(MicrosSince(start)) / 1000.0;
      return *std::move(hit);
    }
  }

  auto lease = std::make_shared<Lease>(impl_.get());
  lease->conn = impl_->Acquire(deadline);
  if (lease->conn == nullptr) return exceeded("found every SQL connection busy");

  // The statement is prepared and run on the runner (DuckDB folds constant expressions
  // while preparing: repeat('x', 2e9) costs its seconds there); this thread waits until it
  // is done or the deadline plus a grace for the interrupt to land, whichever comes first.
  auto job = std::make_shared<Job>();
  Impl* impl = impl_.get();
  impl->runner->Submit([impl, job, lease, deadline, sql, options]() mutable {
    const uint64_t ticket = impl->watchdog.Arm(deadline, lease->conn->raw());
    QueryResult result;
    Status st = PrepareReadOnly(*lease->conn, sql, lease->prepared);
    if (st.ok() && duckdb_nparams(lease->prepared.p) > 0) {
      st = Status::InvalidArgument(
          "the statement has parameters ($1, ?); send literal values instead");
    }
    if (st.ok()) st = RenderRows(lease->prepared.p, options, result);
    const bool fired = impl->watchdog.Disarm(ticket);
    duckdb_destroy_prepare(&lease->prepared.p);
    ResetSessionState(*lease->conn, sql);
    std::lock_guard lock(job->mu);
    job->done = true;
    job->fired = fired;
    job->status = std::move(st);
    job->result = std::move(result);
    if (job->abandoned) {
      impl->FinishAbandoned(std::exchange(lease->conn, nullptr));
    }
    lease.reset();  // back to the pool (unless abandoned: closed above)
    job->cv.notify_all();
  });
  lease.reset();
  constexpr auto kInterruptGrace = std::chrono::milliseconds(250);
  std::unique_lock lock(job->mu);
  if (!job->cv.wait_until(lock, deadline + kInterruptGrace, [&] { return job->done; })) {
    job->abandoned = true;
    lock.unlock();
    impl_->Abandon();
    spdlog::warn(
        "SQL: a statement ignored its interrupt {} ms past its deadline; answered 504 "
        "and left it to finish on its own connection",
        kInterruptGrace.count());
    return exceeded("was abandoned (it did not stop when interrupted)");
  }
  if (job->fired || job->status.code() == ErrorCode::kDeadlineExceeded) {
    // An interrupted statement's partial answer is not an answer, unless it was already cut
    // by a cap.
    if (!(job->status.ok() && job->result.truncated)) return exceeded("was interrupted");
  }
  if (!job->status.ok()) return job->status;
  QueryResult out = std::move(job->result);
  lock.unlock();
  out.elapsed_ms = static_cast<double>(MicrosSince(start)) / 1000.0;
  if (cache != nullptr) cache->Put(cache_key, out, cache_generation);
  return out;
}

Result<int64_t> QueryEngine::Scan(const std::string& sql, const ScanOptions& options,
                                  const ScanFn& fn) {
  const auto deadline = SteadyClock::now() + options.timeout;
  Lease lease(impl_.get());
  LH_RETURN_IF_ERROR(impl_->FlushLive(sql));
  LH_RETURN_IF_ERROR(Prepare(sql, deadline, options.timeout, lease));
  PreparedHandle& prepared = lease.prepared;
  LH_RETURN_IF_ERROR(BindParams(prepared.p, options.params));
  const uint64_t ticket = impl_->watchdog.Arm(deadline, lease.conn->raw());
  auto finish = [&](Status st) -> Status {
    if (impl_->watchdog.Disarm(ticket) || st.code() == ErrorCode::kDeadlineExceeded)
      return Status::DeadlineExceeded(fmt::format(
          "scan exceeded its time limit of {} ms and was interrupted", options.timeout.count()));
    return st;
  };
  duck::ResultHandle result;
  if (duckdb_execute_prepared_streaming(prepared.p, result.get()) == DuckDBError)
    return finish(duck::StatusFromResult(result.get()));
  const idx_t ncol = duckdb_column_count(result.get());
  const std::vector<duck::TypeNode> types = ColumnTypes(result.get());
  int64_t rows = 0;
  while (true) {
    ChunkHandle chunk;
    chunk.c = duckdb_fetch_chunk(*result.get());
    if (chunk.c == nullptr) break;
    std::vector<ScanColumn> columns;
    columns.reserve(ncol);
    for (idx_t c = 0; c < ncol; ++c)
      columns.push_back(MakeColumn(duckdb_data_chunk_get_vector(chunk.c, c), types[c]));
    const ScanBatch batch(duckdb_data_chunk_get_size(chunk.c), std::move(columns));
    rows += static_cast<int64_t>(batch.rows());
    if (Status st = fn(batch); !st.ok()) {
      impl_->watchdog.Disarm(ticket);
      return st;
    }
  }
  if (duckdb_result_error(result.get()) != nullptr)
    return finish(duck::StatusFromResult(result.get()));
  LH_RETURN_IF_ERROR(finish(Status::OK()));
  return rows;
}

QueryOptions SqlLimits::For(std::optional<int64_t> limit,
                            std::optional<SteadyClock::time_point> started) const {
  QueryOptions o;
  o.max_rows = max_rows;
  if (limit && *limit > 0) o.max_rows = std::min(*limit, max_rows);
  o.max_bytes = max_answer_bytes;
  o.timeout = std::chrono::milliseconds(timeout_ms);
  o.started = started;
  return o;
}

}  // namespace lakehouse
