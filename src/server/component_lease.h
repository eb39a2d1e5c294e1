// src/server/component_lease.h: which node owns a shared root's components.
//
// On an s3:// root with a shared catalog (docs/SCALE.md), datasets commit from any node, but
// the components that keep their own files (vector indexes, memory and pathway logs, the
// journal, the ledger's log, API keys) have one owner: the node holding the lease
// `components:<root>` in PostgreSQL, renewed every third of storage.lease_ms. Only the owner
// uploads the cache's mirror; another node serves datasets and reads what the owner last
// uploaded.
//
// A serving node that is not the owner is a standby: it serves datasets and SQL itself and
// forwards the components' routes to the owner at the address the lease records
// (storage.advertise_url; server/app.cc). When the owner changes, a standby exits with code
// 75 as below and restarts forwarding to the new one.
//
// Takeover: a standby waits; once the lease has
// expired (the owner died) it takes it, marks its cache for a refill and exits with code 75,
// so its supervisor (systemd: Restart=on-failure) starts it again as the owner, its mirror
// refilled from the bucket before any component opens. An owner that cannot renew exits
// the same way rather than write beside a new owner.
//
// Thread-safety: the renewing thread is the lease's own; the methods are for its creator.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
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

  //! `address`: where this process answers HTTP (a server's advertise URL; "" a command).
  static Result<std::unique_ptr<ComponentLease>> Start(PgCatalog& catalog, S3ObjectStore& store,
                                                       const std::string& root,
                                                       const std::string& address, int64_t ttl_ms,
                                                       Mode mode);
  ~ComponentLease();  // releases a held lease
  //! Stops renewing and uploading checks (before the store's last sync, then destruction).
  void Stop();
  bool held() const { return held_; }
  //! The owner's address once its server has bound a port (`serve --port 0`); standbys
  //! that saw none restart to forward there.
  Status Advertise(const std::string& address);
  //! A standby runs `tick` on the lease's thread once a period (a third of the lease):
  //! following what the owner appends to files this node reads (its API keys).
  void OnStandbyTick(std::function<void()> tick);
  const std::string& owner() const { return owner_; }
  //! A standby's view of the holder at start: who, and where it answers ("" a command, or
  //! a server whose port was 0 without an advertise URL: nowhere to forward to).
  const std::string& holder() const { return holder_; }
  const std::string& holder_address() const { return holder_address_; }

 private:
  ComponentLease(PgCatalog& catalog, S3ObjectStore& store, std::string name, std::string owner,
                 std::string address, int64_t ttl_ms)
      : catalog_(catalog),
        store_(store),
        name_(std::move(name)),
        owner_(std::move(owner)),
        address_(std::move(address)),
        ttl_ms_(ttl_ms) {}
  void Run();

  PgCatalog& catalog_;
  S3ObjectStore& store_;
  const std::string name_;
  const std::string owner_;
  std::string address_;  // written by Advertise before the node serves, then read-only
  const int64_t ttl_ms_;
  std::string holder_, holder_address_;  // set before the thread starts, then read-only
  std::atomic<bool> held_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::function<void()> standby_tick_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace lakehouse
