#include "catalog/pg_catalog.h"

#include <libpq-fe.h>

#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/redact.h"

namespace lakehouse {
namespace {

PGconn* Conn(void* p) {
  return static_cast<PGconn*>(p);
}

Result<PGconn*> Connect(const std::string& uri) {
  PGconn* c = PQconnectdb(uri.c_str());
  if (c == nullptr || PQstatus(c) != CONNECTION_OK) {
    std::string why = c != nullptr ? PQerrorMessage(c) : "out of memory";
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    if (c != nullptr) PQfinish(c);
    return Status::Unavailable(
        fmt::format("catalog {}: cannot connect: {}", RedactUriPassword(uri), why));
  }
  // The server's notices ("relation ... already exists, skipping") are not ours to print.
  PQsetNoticeProcessor(
      c, [](void*, const char* message) { spdlog::debug("catalog: {}", message); }, nullptr);
  return c;
}

// The table lock: a connection holding a session advisory lock; closing it releases the lock.
struct PgGuard final : iceberg::SharedCatalog::Guard {
  explicit PgGuard(PGconn* c) : conn(c) {}
  ~PgGuard() override { PQfinish(conn); }
  PGconn* conn;
};

}  // namespace

struct PgCatalog::Rows {
  std::vector<std::vector<std::optional<std::string>>> rows;
  int64_t affected = 0;
};

PgCatalog::PgCatalog(std::string uri, std::string catalog_name, std::string ns, void* conn)
    : uri_(std::move(uri)),
      catalog_name_(std::move(catalog_name)),
      ns_(std::move(ns)),
      conn_(conn) {}

PgCatalog::~PgCatalog() {
  MutexLock lock(mu_);
  PQfinish(Conn(conn_));
}

std::string PgCatalog::Describe() const {
  return RedactUriPassword(uri_);
}

Result<PgCatalog::Rows> PgCatalog::Exec(const std::string& sql,
                                        std::initializer_list<std::string> params) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  MutexLock lock(mu_);
  for (int attempt = 0;; ++attempt) {
    PGresult* r = PQexecParams(Conn(conn_), sql.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0);
    const ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
      Rows out;
      for (int i = 0; i < PQntuples(r); ++i) {
        auto& row = out.rows.emplace_back();
        for (int j = 0; j < PQnfields(r); ++j)
          row.push_back(PQgetisnull(r, i, j) ? std::nullopt
                                             : std::optional<std::string>(PQgetvalue(r, i, j)));
      }
      const char* n = PQcmdTuples(r);
      out.affected = n != nullptr && *n != '\0' ? std::stoll(n) : 0;
      PQclear(r);
      return out;
    }
    std::string why = PQresultErrorMessage(r);
    PQclear(r);
    // The server restarted or the connection broke: one reconnect, then the error.
    if (PQstatus(Conn(conn_)) == CONNECTION_BAD && attempt == 0) {
      PQreset(Conn(conn_));
      if (PQstatus(Conn(conn_)) == CONNECTION_OK) continue;
    }
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return Status::Unavailable(fmt::format("catalog {}: {}", Describe(), why));
  }
}

Result<std::unique_ptr<PgCatalog>> PgCatalog::Open(const std::string& uri, std::string catalog_name,
                                                   std::string ns) {
  LH_ASSIGN_OR_RETURN(PGconn * conn, Connect(uri));
  auto catalog =
      std::unique_ptr<PgCatalog>(new PgCatalog(uri, std::move(catalog_name), std::move(ns), conn));
  // Nodes starting together: the DDL runs under a transaction-scoped advisory lock, so two
  // CREATE TABLE IF NOT EXISTS never race on PostgreSQL's catalogs.
  LH_RETURN_IF_ERROR(catalog->Exec("BEGIN", {}).status());
  Status st =
      catalog->Exec("SELECT pg_advisory_xact_lock(hashtext('lakehouse:schema'))", {}).status();
  if (st.ok())
    st = catalog
             ->Exec(
                 "CREATE TABLE IF NOT EXISTS iceberg_tables ("
                 "catalog_name VARCHAR(255) NOT NULL, table_namespace VARCHAR(255) NOT NULL, "
                 "table_name VARCHAR(255) NOT NULL, metadata_location VARCHAR(1000), "
                 "previous_metadata_location VARCHAR(1000), iceberg_type VARCHAR(5), "
                 "PRIMARY KEY (catalog_name, table_namespace, table_name))",
                 {})
             .status();
  if (st.ok())
    st = catalog
             ->Exec(
                 "CREATE TABLE IF NOT EXISTS iceberg_namespace_properties ("
                 "catalog_name VARCHAR(255) NOT NULL, namespace VARCHAR(255) NOT NULL, "
                 "property_key VARCHAR(255), property_value VARCHAR(1000), "
                 "PRIMARY KEY (catalog_name, namespace, property_key))",
                 {})
             .status();
  if (st.ok())
    st = catalog
             ->Exec(
                 "INSERT INTO iceberg_namespace_properties VALUES ($1, $2, 'exists', 'true') "
                 "ON CONFLICT DO NOTHING",
                 {catalog->catalog_name_, catalog->ns_})
             .status();
  if (st.ok())
    st = catalog
             ->Exec(
                 "CREATE TABLE IF NOT EXISTS lakehouse_leases (name TEXT PRIMARY KEY, "
                 "owner TEXT NOT NULL, expires_at TIMESTAMPTZ NOT NULL)",
                 {})
             .status();
  // Where the owner answers (other nodes forward component requests there); added to
  // tables made before it existed. Only then: ALTER TABLE locks the table exclusively, and
  // every node's lease thread uses it.
  if (st.ok()) {
    auto has = catalog->Exec(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND "
        "table_name = 'lakehouse_leases' AND column_name = 'address'",
        {});
    st = has.status();
    if (st.ok() && has->rows.empty())
      st =
          catalog
              ->Exec("ALTER TABLE lakehouse_leases ADD COLUMN address TEXT NOT NULL DEFAULT ''", {})
              .status();
  }
  if (!st.ok()) {
    (void)catalog->Exec("ROLLBACK", {});
    return st;
  }
  LH_RETURN_IF_ERROR(catalog->Exec("COMMIT", {}).status());
  return catalog;
}

Result<std::map<std::string, std::string>> PgCatalog::Tables() {
  LH_ASSIGN_OR_RETURN(Rows r, Exec("SELECT table_name, metadata_location FROM iceberg_tables "
                                   "WHERE catalog_name = $1 AND table_namespace = $2",
                                   {catalog_name_, ns_}));
  std::map<std::string, std::string> out;
  for (auto& row : r.rows)
    if (row[0] && row[1]) out[*row[0]] = *row[1];
  return out;
}

Result<std::optional<std::string>> PgCatalog::Current(const std::string& table) {
  LH_ASSIGN_OR_RETURN(Rows r, Exec("SELECT metadata_location FROM iceberg_tables WHERE "
                                   "catalog_name = $1 AND table_namespace = $2 AND table_name = $3",
                                   {catalog_name_, ns_, table}));
  if (r.rows.empty()) return std::optional<std::string>();
  return r.rows[0][0];
}

Status PgCatalog::Publish(const std::string& table, const std::optional<std::string>& expected,
                          const std::string& next) {
  Rows r;
  if (!expected) {
    LH_ASSIGN_OR_RETURN(r, Exec("INSERT INTO iceberg_tables (catalog_name, table_namespace, "
                                "table_name, metadata_location, previous_metadata_location, "
                                "iceberg_type) VALUES ($1, $2, $3, $4, NULL, 'TABLE') "
                                "ON CONFLICT DO NOTHING",
                                {catalog_name_, ns_, table, next}));
  } else {
    LH_ASSIGN_OR_RETURN(
        r, Exec("UPDATE iceberg_tables SET metadata_location = $4, previous_metadata_location = $5 "
                "WHERE catalog_name = $1 AND table_namespace = $2 AND table_name = $3 AND "
                "metadata_location = $5",
                {catalog_name_, ns_, table, next, *expected}));
  }
  if (r.affected == 1) return Status::OK();
  return Status::Conflict(fmt::format(
      "table {}.{} moved on in {} while this commit was written (another writer committed first)",
      ns_, table, Describe()));
}

Result<std::unique_ptr<iceberg::SharedCatalog::Guard>> PgCatalog::LockTable(
    const std::string& table) {
  LH_ASSIGN_OR_RETURN(PGconn * conn, Connect(uri_));
  auto guard = std::make_unique<PgGuard>(conn);
  const std::string key = "lakehouse:" + catalog_name_ + "." + ns_ + "." + table;
  const char* values[] = {key.c_str()};
  PGresult* r = PQexecParams(conn, "SELECT pg_advisory_lock(hashtext($1))", 1, nullptr, values,
                             nullptr, nullptr, 0);
  const bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
  std::string why = ok ? "" : PQresultErrorMessage(r);
  PQclear(r);
  if (!ok)
    return Status::Unavailable(fmt::format("catalog {}: lock {}: {}", Describe(), table, why));
  return std::unique_ptr<iceberg::SharedCatalog::Guard>(std::move(guard));
}

Result<PgCatalog::Lease> PgCatalog::AcquireLease(const std::string& name, const std::string& owner,
                                                 const std::string& address, int64_t ttl_ms) {
  // One statement: take it when free, expired or ours; the old row tells who had it, and
  // (a CTE reads the snapshot before the upsert) who holds it when it was not taken.
  LH_ASSIGN_OR_RETURN(
      Rows r,
      Exec("WITH old AS (SELECT owner, address FROM lakehouse_leases WHERE name = $1 FOR "
           "UPDATE), up AS (INSERT INTO lakehouse_leases (name, owner, expires_at, address) "
           "VALUES ($1, $2, now() + $3 * interval '1 millisecond', $4) ON CONFLICT (name) DO "
           "UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at, address = "
           "EXCLUDED.address WHERE lakehouse_leases.expires_at < now() OR "
           "lakehouse_leases.owner = EXCLUDED.owner RETURNING owner) "
           "SELECT (SELECT owner FROM up), (SELECT owner FROM old), (SELECT address FROM old)",
           {name, owner, std::to_string(ttl_ms), address}));
  Lease lease;
  if (r.rows.empty()) return lease;
  lease.held = r.rows[0][0].has_value();
  lease.previous_owner = r.rows[0][1].value_or("");
  lease.owner = lease.held ? owner : lease.previous_owner;
  lease.address = lease.held ? address : r.rows[0][2].value_or("");
  return lease;
}

Result<bool> PgCatalog::RenewLease(const std::string& name, const std::string& owner,
                                   int64_t ttl_ms) {
  LH_ASSIGN_OR_RETURN(Rows r, Exec("UPDATE lakehouse_leases SET expires_at = now() + $3 * "
                                   "interval '1 millisecond' WHERE name = $1 AND owner = $2",
                                   {name, owner, std::to_string(ttl_ms)}));
  return r.affected == 1;
}

Status PgCatalog::SetLeaseAddress(const std::string& name, const std::string& owner,
                                  const std::string& address) {
  return Exec("UPDATE lakehouse_leases SET address = $3 WHERE name = $1 AND owner = $2",
              {name, owner, address})
      .status();
}

Status PgCatalog::ReleaseLease(const std::string& name, const std::string& owner) {
  return Exec("DELETE FROM lakehouse_leases WHERE name = $1 AND owner = $2", {name, owner})
      .status();
}

}  // namespace lakehouse
