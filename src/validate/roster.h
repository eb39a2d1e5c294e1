// src/validate/roster.h: the roster, orders and fills ledger the validators check against.
//
// Loaded from the catalog's `workers`, `job_orders` and `fills` datasets into compact,
// immutable structures (SPEC: "the Rust side held 500k rows in 75 MB"):
//  - workers as columns (struct of arrays), sorted by worker_id so an id lookup is a
//    binary search over one string arena (no per-worker std::string, no hash table);
//  - repeated strings (names, roles, cities, states, certifications) interned once;
//  - emails and phones indexed by sorted 64-bit keys, so the Email validator can spot any
//    roster worker's address or number in a body without scanning the roster;
//  - the fills ledger sorted by worker, the workers of each role as one list.
// A Roster never changes after Build; RosterStore swaps in a new one when a new version
// of one of the three datasets is committed. Readers take the current shared_ptr under a
// short mutex (a pointer copy, never held while reading) and then read without any lock.
//
// Thread-safety: Roster is immutable. RosterStore methods may be called concurrently.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "catalog/catalog.h"
#include "core/json.h"
#include "core/status.h"
#include "core/thread_annotations.h"
#include "query/query_engine.h"

namespace lakehouse {

enum class WorkerStatus : uint8_t { kActive, kInactive, kDnr, kOther };
enum class ShiftKind : uint8_t { kDay, kNight, kSwing, kAny, kOther };

std::string_view ShiftName(ShiftKind s);
ShiftKind ParseShift(std::string_view s);
std::string_view WorkerStatusName(WorkerStatus s);

//! Interned strings with stable ids (std::deque keeps the bytes in place).
class StringPool {
 public:
  uint32_t Intern(std::string_view s);
  std::optional<uint32_t> Find(std::string_view s) const;
  std::string_view Get(uint32_t id) const { return strings_[id]; }
  size_t size() const { return strings_.size(); }
  size_t Bytes() const;

 private:
  std::deque<std::string> strings_;
  std::unordered_map<std::string_view, uint32_t> ids_;
};

struct OrderRecord {
  std::string order_id, client_id, client_name, role, shift, city, state, status;
  int64_t headcount = 0;
  int32_t start_day = 0;  // days since 1970-01-01
  int32_t end_day = 0;
  double lat = 0, lon = 0, pay_rate = 0;
  std::vector<std::string> required_certifications;
  std::vector<std::string> required_skills;
};

//! One placement of a worker that books their days: an active fill, or an ended one up to
//! the day it ended (a cancelled fill books nothing and is never one of these).
struct FillRecord {
  uint32_t worker;  // roster index
  std::string order_id;
  int32_t start_day;
  int32_t end_day;  // the last booked day (the day an ended placement ended)
  std::string fill_id;
  bool active = true;  // false: ended (the worker is free after end_day)
};

//! Who is placed where, when something newer than the loaded `fills` version knows (the
//! live fills ledger, validate/ledger.h). The interface lives here so a Roster can answer
//! from it without knowing how it is kept.
//! Thread-safety: implementations must allow concurrent calls.
class PlacementSource {
 public:
  virtual ~PlacementSource() = default;
  //! The placements of `worker_id` that book days; `index` goes into each FillRecord.
  virtual std::vector<FillRecord> PlacementsOf(std::string_view worker_id,
                                               uint32_t index) const = 0;
  //! Distinct workers actively placed on the order, and the fills placing them.
  virtual int64_t FilledCount(std::string_view order_id,
                              std::vector<std::string>* fill_ids = nullptr) const = 0;
  //! Rows that place a worker now (status active).
  virtual int64_t ActivePlacements() const = 0;
};

//! One worker, as views into the roster (valid while the Roster is alive).
struct WorkerView {
  uint32_t index = 0;
  std::string_view worker_id, first_name, last_name, email, role, city, state;
  ShiftKind shift = ShiftKind::kOther;
  bool available = false;
  WorkerStatus status = WorkerStatus::kOther;
  float rating = 0, reliability = 0, pay_rate = 0, lat = 0, lon = 0;
  int years_experience = 0;
};

//! What the loader saw; also the GET /v1/validate/roster answer.
struct RosterStats {
  int64_t workers = 0, orders = 0, fills = 0;
  int64_t skipped_rows = 0;    // rows without a usable id (logged with the reason)
  int64_t dangling_fills = 0;  // fills naming a worker the roster does not have
  int64_t workers_version = 0, job_orders_version = 0, fills_version = 0;  // 0: absent
  double load_ms = 0;
  size_t bytes = 0;  // heap held by the structures (measured, not estimated)
  std::string loaded_at;
};

class Roster {
 public:
  //! Loads the current versions of workers, job_orders and fills through `query`. A
  //! dataset that does not exist yet loads as empty; one that lacks a needed column is an
  //! error naming the column.
  //! With `live` the fills dataset is not read: placements come from `live` at each call
  //! (so a commit is seen at once, without a reload).
  static Result<std::shared_ptr<const Roster>> Load(QueryEngine& query, const Catalog& catalog,
                                                    const PlacementSource* live = nullptr);

  size_t worker_count() const { return worker_id_off_.size(); }
  std::optional<uint32_t> FindWorker(std::string_view worker_id) const;
  WorkerView Worker(uint32_t index) const;
  // Single columns, for scans that look at a few fields of many workers (a WorkerView
  // touches every column: ~15 cache misses per worker).
  WorkerStatus StatusOf(uint32_t i) const { return static_cast<WorkerStatus>(status_[i]); }
  bool AvailableOf(uint32_t i) const { return available_[i] != 0; }
  ShiftKind ShiftOf(uint32_t i) const { return static_cast<ShiftKind>(shift_[i]); }
  float LatOf(uint32_t i) const { return lat_[i]; }
  float LonOf(uint32_t i) const { return lon_[i]; }
  float RatingOf(uint32_t i) const { return rating_[i]; }
  float ReliabilityOf(uint32_t i) const { return reliability_[i]; }
  std::string_view WorkerIdOf(uint32_t i) const { return ArenaString(worker_id_off_[i]); }
  std::span<const uint16_t> Certifications(uint32_t index) const;
  std::string_view CertificationName(uint16_t id) const { return certs_.Get(id); }
  bool HasCertification(uint32_t index, std::string_view cert) const;

  const OrderRecord* FindOrder(std::string_view order_id) const;
  const std::vector<OrderRecord>& orders() const { return orders_; }
  //! The placements of one worker that book days (the live ledger's when attached).
  std::vector<FillRecord> FillsOfWorker(uint32_t index) const;
  //! Distinct workers actively placed on an order; `fill_ids` (optional) gets their fills.
  int64_t FilledCount(std::string_view order_id,
                      std::vector<std::string>* fill_ids = nullptr) const;
  //! Roster indexes of the workers whose role is `role`, by latitude (workers without
  //! coordinates last).
  std::span<const uint32_t> WorkersWithRole(std::string_view role) const;
  //! The workers of `role` whose latitude lies in [lat_lo, lat_hi] (none without coordinates),
  //! in latitude order, with their coordinates beside them: a radius search scans the band
  //! its radius spans (a great-circle distance is never shorter than the latitude between
  //! the two points) instead of every worker of the role, and reads it sequentially.
  struct RoleBand {
    std::span<const uint32_t> workers;
    std::span<const float> lat, lon;
  };
  RoleBand WorkersWithRoleBetween(std::string_view role, double lat_lo, double lat_hi) const;

  // PII lookups for the Email validator.
  //! The worker whose roster email is `email` (case-insensitive).
  std::optional<uint32_t> WorkerByEmail(std::string_view email) const;
  //! The workers whose phone has these 10 digits (national number).
  std::vector<uint32_t> WorkersByPhone(uint64_t digits) const;
  //! True when some worker is named "first last" (case-insensitive).
  bool IsWorkerName(std::string_view first, std::string_view last) const;

  const RosterStats& stats() const { return stats_; }

  //! The 10-digit national number of a phone string ("+1-513-555-0101" -> 5135550101), or 0.
  static uint64_t PhoneDigits(std::string_view phone);

 private:
  friend struct RosterBuilder;
  Roster() = default;
  std::string_view ArenaString(uint32_t off) const;

  // Workers, column by column, sorted by worker_id.
  std::string arena_;  // [u16 length][bytes] records: worker ids and emails
  std::vector<uint32_t> worker_id_off_, email_off_, first_, last_, city_;
  std::vector<uint16_t> role_, state_;
  std::vector<uint8_t> shift_, status_, available_, years_;
  std::vector<float> rating_, reliability_, pay_rate_, lat_, lon_;
  std::vector<uint32_t> cert_begin_;  // CSR: certs of worker i are cert_ids_[begin[i], begin[i+1])
  std::vector<uint16_t> cert_ids_;
  StringPool names_, roles_, cities_, states_, certs_;

  // Indexes.
  // Sorted keys with the worker of each in a parallel array (no pair padding): emails by a
  // 32-bit hash of the lower-cased address (a hit is confirmed against the arena), phones
  // by their 10 digits.
  std::vector<uint32_t> email_keys_, email_workers_;
  std::vector<uint64_t> phone_keys_;
  std::vector<uint32_t> phone_workers_;
  std::vector<uint64_t> name_pairs_;  // hashes of lower-case "first last", sorted
  // CSR by role id, each role sorted by latitude (no coordinates: +inf, last), with the
  // coordinates in parallel arrays.
  std::vector<uint32_t> role_begin_, role_workers_;
  std::vector<float> role_lat_, role_lon_;

  std::vector<OrderRecord> orders_;  // sorted by order_id
  std::vector<FillRecord> fills_;    // sorted by worker (empty when `live_` answers)
  std::unordered_map<std::string, int64_t> filled_count_;
  const PlacementSource* live_ = nullptr;

  RosterStats stats_;
};

//! Holds the current Roster and reloads it when a new version of workers, job_orders or
//! fills is committed (catalog listener -> background thread -> atomic swap). Until the
//! first successful load, Current() is null and LastError() says why.
class RosterStore {
 public:
  RosterStore(QueryEngine& query, Catalog& catalog);
  ~RosterStore();
  //! Placements come from `live` (which must outlive the store) instead of the fills
  //! dataset, and a new fills version no longer reloads the roster. Call before Start.
  void SetPlacements(const PlacementSource* live) { live_ = live; }
  //! Loads now (blocking) and starts following the catalog.
  Status Start();
  std::shared_ptr<const Roster> Current() const;
  //! The roster, or 503 naming why there is none.
  Result<std::shared_ptr<const Roster>> Require() const;
  //! Reloads now (blocking); used by the watcher and tests.
  Status Reload();
  //! Loads completed so far (tests wait on it after an ingest).
  int64_t generation() const { return generation_.load(); }
  //! {loaded, workers, orders, fills, versions, load_ms, bytes, loaded_at, last_error}
  Json StatusJson() const;

 private:
  void WatchLoop() LH_EXCLUDES(mu_);

  QueryEngine& query_;
  Catalog& catalog_;
  const PlacementSource* live_ = nullptr;  // set before Start
  mutable Mutex mu_;
  std::condition_variable_any cv_;  // waits on mu_
  std::shared_ptr<const Roster> current_ LH_GUARDED_BY(mu_);
  std::string last_error_ LH_GUARDED_BY(mu_);
  bool dirty_ LH_GUARDED_BY(mu_) = false;
  bool stop_ LH_GUARDED_BY(mu_) = false;
  bool started_ LH_GUARDED_BY(mu_) = false;
  std::atomic<int64_t> generation_{0};
  std::thread watcher_;
  Mutex reload_mu_;  // one load at a time
};

}  // namespace lakehouse
