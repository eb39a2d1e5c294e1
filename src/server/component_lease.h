// src/server/component_lease.h: which node owns a shared root's components.
//
// On an s3:// root with a shared catalog (docs/SCALE.md), datasets commit from any node, but
// the components that keep their own files (vector indexes, memory and pathway logs, the
// journal, the ledger's log, API keys) have one owner: the node holding the lease
// `components:<root>` in PostgreSQL, renewed every third of storage.lease_ms. Only the owner
// uploads the cache's mirror; another node serves datasets and reads what the owner last
// uploaded.
//
// Takeover: a serving node that is not the owner waits as a standby; once the lease has
// expired (the owner died) it takes it, marks its cache for a refill and exits with code 75,
// so its supervisor (systemd: Restart=on-failure) starts it again as the owner, its mirror
// refilled from the bucket before any component opens. An owner that cannot renew exits
// the same way rather than write beside a new owner.
//
// Thread-safety: the renewing thread is the lease's own; the methods are for its creator.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "catalog/pg_catalog.h"
#include "core/status.h"
#include "storage/s3_object_store.h"

namespace lakehouse {

class ComponentLease {
 public:
  enum class Mode {
    kServe,    // not free: wait as a standby, take over when it expires
    kRequire,  // not free: an error naming the owner (a command that writes components)
  };
  //! The exit code of a node that took the lease over and restarts to open as the owner.
  static constexpr int kTakeoverExitCode = 75;

  static Result<std::unique_ptr<ComponentLease>> Start(PgCatalog& catalog, S3ObjectStore& store,
                                                       const std::string& root, int64_t ttl_ms,
                                                       Mode mode);
  ~ComponentLease();  // releases a held lease
  //! Stops renewing and uploading checks (before the store's last sync, then destruction).
  void Stop();
  bool held() const { return held_; }
  const std::string& owner() const { return owner_; }

 private:
  ComponentLease(PgCatalog& catalog, S3ObjectStore& store, std::string name, std::string owner,
                 int64_t ttl_ms)
      : catalog_(catalog),
        store_(store),
        name_(std::move(name)),
        owner_(std::move(owner)),
        ttl_ms_(ttl_ms) {}
  void Run();

  PgCatalog& catalog_;
  S3ObjectStore& store_;
  const std::string name_;
  const std::string owner_;
  const int64_t ttl_ms_;
  std::atomic<bool> held_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace lakehouse
