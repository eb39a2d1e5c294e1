// src/catalog/pg_catalog.h: the catalog many nodes share, in PostgreSQL (libpq).
//
// Tables are Iceberg's JDBC catalog tables, so Spark, Trino and Flink configured with a JDBC
// catalog on the same database (catalog name `lakehouse`, namespace `lakehouse`) see the
// same tables as our REST catalog:
//   iceberg_tables (catalog_name, table_namespace, table_name, metadata_location,
//                   previous_metadata_location, iceberg_type)
//   iceberg_namespace_properties (catalog_name, namespace, property_key, property_value)
// A commit is `UPDATE iceberg_tables SET metadata_location = next ... WHERE
// metadata_location = expected` (one row: it won; none: another writer's commit came first).
// Writers of one table on every node queue on a session advisory lock (pg_advisory_lock),
// which PostgreSQL releases when its holder's connection ends, crash included.
//
// Leases (`lakehouse_leases`: name, owner, expires_at, address) name the node that owns a
// writable component and where it answers; a lease not renewed by its expiry may be taken by
// another node.
//
// Thread-safety: all methods may be called concurrently (one connection under a mutex, plus
// one connection per held table lock).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/status.h"
#include "core/thread_annotations.h"
#include "iceberg/table.h"

namespace lakehouse {

class PgCatalog final : public iceberg::SharedCatalog {
 public:
  //! Connects and creates the tables (idempotent, safe when nodes start together). An
  //! unreachable server or a refused login is Unavailable naming the redacted URI.
  static Result<std::unique_ptr<PgCatalog>> Open(const std::string& uri,
                                                 std::string catalog_name = "lakehouse",
                                                 std::string ns = "lakehouse");
  ~PgCatalog() override;

  std::string Describe() const override;
  Result<std::map<std::string, std::string>> Tables() override;
  Result<std::optional<std::string>> Current(const std::string& table) override;
  Status Publish(const std::string& table, const std::optional<std::string>& expected,
                 const std::string& next) override;
  Result<std::unique_ptr<Guard>> LockTable(const std::string& table) override;

  struct Lease {
    bool held = false;
    std::string owner;           // who holds it now
    std::string previous_owner;  // who held it before this acquisition ("" if nobody)
    std::string address;         // where the holder answers ("http://10.0.0.5:3100"; "" unknown)
  };
  //! Takes lease `name` for `owner` (answering at `address`) for `ttl_ms` if it is free,
  //! expired or already `owner`'s; otherwise answers who holds it and where.
  Result<Lease> AcquireLease(const std::string& name, const std::string& owner,
                             const std::string& address, int64_t ttl_ms);
  //! Extends `owner`'s lease; false when it is no longer `owner`'s (expired and taken).
  Result<bool> RenewLease(const std::string& name, const std::string& owner, int64_t ttl_ms);
  Status ReleaseLease(const std::string& name, const std::string& owner);
  //! Records where `owner`, holding `name`, answers (known once its server bound a port).
  Status SetLeaseAddress(const std::string& name, const std::string& owner,
                         const std::string& address);

 private:
  PgCatalog(std::string uri, std::string catalog_name, std::string ns, void* conn);
  struct Rows;
  Result<Rows> Exec(const std::string& sql, std::initializer_list<std::string> params);

  const std::string uri_;
  const std::string catalog_name_;
  const std::string ns_;
  Mutex mu_;
  void* conn_ LH_GUARDED_BY(mu_);  // PGconn*
};

}  // namespace lakehouse
