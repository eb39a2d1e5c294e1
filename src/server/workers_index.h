// src/server/workers_index.h: the `workers` vector index, built from the workers dataset.
//
// One item per worker: id = worker_id; text = role, skills, certifications, city/state and
// shift (embedded with the default embedding model); payload = the fields retrieval filters
// and ranks on (role, city, state, lat, lon, shift_pref, available, status, rating,
// reliability, years_experience, skills, certifications). `lakehouse index-workers` builds
// it in the foreground; `serve` builds it in the background when it is missing, and the
// vector module reports not-ready (/readyz 503) until it is done.
//
// Thread-safety: one builder per process.
#pragma once

#include <atomic>
#include <thread>

#include "core/json.h"
#include "server/services.h"

namespace lakehouse {

//! The text a worker is embedded from.
std::string WorkerText(const Json& row);

//! (Re)builds the `workers` index; answers {count, embed_ms, index_ms, elapsed_ms}.
Result<Json> BuildWorkersIndex(Services& services);

class WorkersIndexBuilder {
 public:
  explicit WorkersIndexBuilder(Services& services) : services_(services) {}
  ~WorkersIndexBuilder();
  //! Starts a background build when the workers dataset exists and the index does not.
  void StartIfMissing();
  bool running() const { return running_.load(); }

 private:
  Services& services_;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace lakehouse
