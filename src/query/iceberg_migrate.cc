#include "query/iceberg_migrate.h"

#include <fmt/format.h>

#include <chrono>

#include "catalog/catalog.h"
#include "core/clock.h"
#include "query/duckdb_handle.h"
#include "query/parquet_stats.h"

namespace lakehouse {
namespace {

// One dataset: the versions the table lacks, committed in order.
Result<Json> MigrateOne(ObjectStore& store, duck::Connection& conn, const std::string& key) {
  LH_ASSIGN_OR_RETURN(std::string text, store.Get(key));
  auto parsed = ParseJson(text);
  if (!parsed.ok())
    return Status::Corruption(fmt::format("{}: {}", key, parsed.status().message()));
  auto legacy = DatasetManifest::FromJson(*parsed);
  if (!legacy.ok()) return legacy.status().WithContext(key);
  const std::string prefix = "datasets/" + legacy->name;
  LH_ASSIGN_OR_RETURN(std::optional<iceberg::Table> table, iceberg::LoadTable(store, prefix));
  Json out{{"name", legacy->name}, {"versions", legacy->versions.size()}};
  int64_t written = 0, parts = 0;
  const DatasetVersion* previous = nullptr;
  for (const DatasetVersion& v : legacy->versions) {
    if (table && table->metadata.FindSnapshot(v.version) != nullptr) {
      previous = &v;  // committed by an earlier run
      continue;
    }
    iceberg::NewSnapshot snap;
    snap.snapshot_id = v.version;
    snap.timestamp_ms = ParseRfc3339Millis(v.created_at).value_or(0);
    for (const auto& c : v.columns) snap.columns.emplace_back(c.name, c.type);
    snap.append = previous != nullptr && previous->AppendedBy(v.files);
    for (size_t i = snap.append ? previous->files.size() : 0; i < v.files.size(); ++i) {
      LH_ASSIGN_OR_RETURN(auto path, store.LocalPath(v.files[i]));
      auto stats = ParquetFileStats(conn, path.string(), v.files[i], v.columns);
      if (!stats.ok())
        return stats.status().WithContext(
            fmt::format("{} v{}: part {}", legacy->name, v.version, v.files[i]));
      snap.added.push_back(std::move(stats).value());
      ++parts;
    }
    snap.summary["lakehouse.source"] = v.source;
    snap.summary["lakehouse.quarantined-rows"] = std::to_string(v.quarantined_rows);
    LH_ASSIGN_OR_RETURN(iceberg::Table next, iceberg::CommitSnapshot(store, prefix, table, snap));
    table = std::move(next);
    ++written;
    previous = &v;
  }
  if (!table) return Status::Corruption(fmt::format("{} lists no versions", key));
  // catalog.v1 could name an older version current (never written so by us, but honoured).
  if (table->metadata.current_snapshot_id != legacy->current_version) {
    iceberg::TableMetadata m = table->metadata;
    m.current_snapshot_id = legacy->current_version;
    m.snapshot_log.emplace_back(m.last_updated_ms, legacy->current_version);
    LH_ASSIGN_OR_RETURN(table, iceberg::CommitMetadata(store, *table, std::move(m),
                                                       SystemClock::Get().NowMillis()));
  }
  // The table is whole: only now does the old manifest go.
  LH_RETURN_IF_ERROR(store.Delete(key));
  out["snapshots_written"] = written;
  out["parts"] = parts;
  out["status"] = written > 0 ? "migrated" : "already";
  return out;
}

}  // namespace

Result<Json> MigrateToIceberg(ObjectStore& store) {
  const auto start = std::chrono::steady_clock::now();
  LH_ASSIGN_OR_RETURN(auto objects, store.List("catalog/"));
  LH_ASSIGN_OR_RETURN(auto db,
                      duck::Database::OpenInMemory({{"autoinstall_known_extensions", "false"}}));
  LH_ASSIGN_OR_RETURN(auto conn, duck::Connection::Open(*db));
  Json datasets = Json::array();
  std::vector<std::string> failed;
  for (const auto& o : objects) {
    if (o.key.size() < 5 || o.key.substr(o.key.size() - 5) != ".json") continue;
    auto one = MigrateOne(store, *conn, o.key);
    if (one.ok()) {
      datasets.push_back(std::move(one).value());
    } else {
      failed.push_back(o.key);
      datasets.push_back(
          Json{{"manifest", o.key}, {"status", "failed"}, {"error", one.status().message()}});
    }
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  Json out{{"datasets", std::move(datasets)}, {"elapsed_ms", std::round(ms * 10) / 10}};
  if (!failed.empty())
    return Status::Corruption(fmt::format("{} dataset(s) not migrated ({}): {}", failed.size(),
                                          failed.front(), DumpJson(out)));
  return out;
}

}  // namespace lakehouse
