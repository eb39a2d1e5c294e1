#include "server/component_lease.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/file_io.h"

namespace lakehouse {
namespace {

std::string HostName() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "unknown-host";
  return buf;
}

// Left in the cache by a standby that took the lease: the next start refills the mirror.
std::filesystem::path RefillMarker(const S3ObjectStore& store) {
  return store.LocalRoot() / ".refill";
}

}  // namespace

Result<std::unique_ptr<ComponentLease>> ComponentLease::Start(PgCatalog& catalog,
                                                              S3ObjectStore& store,
                                                              const std::string& root,
                                                              const std::string& address,
                                                              int64_t ttl_ms, Mode mode) {
  auto lease = std::unique_ptr<ComponentLease>(new ComponentLease(
      catalog, store, "components:" + root, store.CacheId() + "@" + HostName(), address, ttl_ms));
  LH_ASSIGN_OR_RETURN(auto got, catalog.AcquireLease(lease->name_, lease->owner_, address, ttl_ms));
  lease->holder_ = got.owner;
  lease->holder_address_ = got.address;
  std::error_code ec;
  if (got.held) {
    // Another cache wrote the components last (or this one was a standby): the bucket's
    // copy is the truth, not what this cache remembers.
    const bool taken_over = !got.previous_owner.empty() && got.previous_owner != lease->owner_;
    if (taken_over || std::filesystem::exists(RefillMarker(store), ec)) {
      spdlog::info("storage: this node now owns the components of {} (before: {})", root,
                   got.previous_owner.empty() ? "nobody" : got.previous_owner);
      LH_RETURN_IF_ERROR(store.Refill());
      std::filesystem::remove(RefillMarker(store), ec);
    }
    store.SetMirrorUploads(true);
    lease->held_ = true;
  } else {
    store.SetMirrorUploads(false);
    if (mode == Mode::kRequire)
      return Status::Conflict(fmt::format(
          "the components of {} (indexes, memory, journal) are owned by {}: run this on that "
          "node, or stop it",
          root, got.owner));
    spdlog::warn(
        "storage: the components of {} are owned by {} ({}): this node serves datasets and SQL, "
        "forwards the components' routes there, and stands by to take them over",
        root, got.owner, got.address.empty() ? "no address: a command" : got.address);
  }
  lease->thread_ = std::thread([l = lease.get()] { l->Run(); });
  return lease;
}

void ComponentLease::Run() {
  const auto period = std::chrono::milliseconds(std::max<int64_t>(ttl_ms_ / 3, 100));
  auto last_renewed = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, period, [&] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    if (held_) {
      auto renewed = catalog_.RenewLease(name_, owner_, ttl_ms_);
      const auto now = std::chrono::steady_clock::now();
      if (renewed.ok() && *renewed) {
        last_renewed = now;
      } else if ((renewed.ok() && !*renewed) ||
                 now - last_renewed > std::chrono::milliseconds(ttl_ms_ * 2 / 3)) {
        // Another node may own the components by now: write nothing more beside it.
        store_.SetMirrorUploads(false);
        spdlog::error("storage: lost the lease {} ({}): exiting ({}) to restart as a standby",
                      name_, renewed.ok() ? "taken" : renewed.status().ToString(),
                      kTakeoverExitCode);
        std::_Exit(kTakeoverExitCode);
      }
    } else {
      auto got = catalog_.AcquireLease(name_, owner_, address_, ttl_ms_);
      if (got.ok() && !got->held && (got->owner != holder_ || got->address != holder_address_)) {
        // The components moved (a takeover, or the owner restarted elsewhere): restart to
        // forward to where they are now.
        spdlog::warn(
            "storage: the components of {} moved from {} to {} ({}): exiting ({}) to "
            "restart following it",
            name_, holder_, got->owner, got->address, kTakeoverExitCode);
        std::_Exit(kTakeoverExitCode);
      }
      std::function<void()> tick;
      {
        std::lock_guard l(mu_);
        tick = standby_tick_;
      }
      if (tick) tick();
      if (got.ok() && got->held) {
        (void)WriteFileAtomically(RefillMarker(store_).string(), "");
        spdlog::warn(
            "storage: the owner of {} ({}) stopped renewing; this node took the lease: "
            "exiting ({}) to restart as the owner",
            name_, got->previous_owner, kTakeoverExitCode);
        std::_Exit(kTakeoverExitCode);
      }
    }
    lock.lock();
  }
}

void ComponentLease::OnStandbyTick(std::function<void()> tick) {
  std::lock_guard lock(mu_);
  standby_tick_ = std::move(tick);
}

Status ComponentLease::Advertise(const std::string& address) {
  if (!held_ || address == address_) return Status::OK();
  LH_RETURN_IF_ERROR(catalog_.SetLeaseAddress(name_, owner_, address));
  std::lock_guard lock(mu_);
  address_ = address;
  return Status::OK();
}

void ComponentLease::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

ComponentLease::~ComponentLease() {
  Stop();
  if (held_) {
    Status st = catalog_.ReleaseLease(name_, owner_);
    if (!st.ok()) spdlog::warn("storage: releasing {}: {}", name_, st.ToString());
  }
}

}  // namespace lakehouse
