// src/retrieve/workers_index.h: the `workers` vector index, built from the workers dataset.
//
// One item per worker: id = worker_id; text = role, skills, certifications, city/state and
// shift (embedded with the default embedding model); payload = the fields retrieval filters
// and ranks on (role, city, state, lat, lon, shift_pref, available, status, rating,
// reliability, years_experience, skills, certifications). `lakehouse index-workers` builds
// it in the foreground; `serve` builds it in the background when it is missing: the
// vector module reports not-ready (/readyz 503, with the build's progress) and searches of
// the index answer 503 with Retry-After until it is done.
//
// Thread-safety: one builder per process.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <string>
#include <thread>

#include "core/json.h"
#include "core/progress.h"
#include "core/status.h"
#include "core/thread_annotations.h"
#include "vector/side_store.h"

namespace lakehouse {

class Catalog;
class EmbedService;
class QueryEngine;
class VectorStore;

//! What building the index reads (the workers dataset) and writes (the `workers` index).
struct WorkersIndexDeps {
  QueryEngine* query = nullptr;
  Catalog* catalog = nullptr;
  EmbedService* embed = nullptr;
  VectorStore* vectors = nullptr;
  //! The index's storage when it is built (vectors.workers_quantization); an existing
  //! index stored otherwise is built again at start, unless `keep_existing` (`auto`: an
  //! upgrade does not rebuild an index it finds).
  Quantization quantization = Quantization::kInt8;
  bool keep_existing = false;
};

//! The text a worker is embedded from.
std::string WorkerText(const Json& row);

//! The index's read phase: one item (id, payload; no vector yet) and one embedding text per
//! worker, by worker_id, read with a typed scan (query/scan.h).
Status ReadWorkers(QueryEngine& query, std::vector<VectorItem>* items,
                   std::vector<std::string>* texts);
//! The same, `batch_size` workers at a time (the last batch may be smaller): `each` gets
//! the batch's items and texts to consume; a non-OK status from it stops the read.
using WorkersBatchFn = std::function<Status(std::vector<VectorItem>&, std::vector<std::string>&)>;
Status ReadWorkers(QueryEngine& query, size_t batch_size, const WorkersBatchFn& each);

//! How far a build has come; written by the builder, read by /readyz, 503 answers and the
//! terminal (`index-workers`). Phases "reading" (counting the workers), "indexing" (batch
//! by batch: read, embedded, inserted), "saving", counting workers; `work.Cancel()` stops
//! the build at its next batch (SIGTERM).
struct BuildProgress {
  Progress work;
  std::atomic<int64_t> workers{0};  // known after reading

  //! {phase, done, total, percent, elapsed_ms}; percent is of the whole build.
  Json ToJson() const;
  //! "indexing 40000/500000 workers, 8%, 12 s"
  std::string Describe() const;
};

//! (Re)builds the `workers` index; answers {count, embed_ms, index_ms, elapsed_ms} (embed_ms:
//! the time spent embedding; index_ms: the rest after reading began). The workers are
//! streamed: read, embedded and inserted a batch at a time, so a build holds one batch's
//! payloads and vectors besides the index itself (whose rows are the vector column).
//! `progress` (optional) is updated as it goes; when it is cancelled the build stops within
//! a batch (about a second), drops what it wrote and answers Unavailable. Until a
//! build finishes, the index is marked unfinished on disk (VectorStore::MarkUnfinished), so
//! a build cut short by a crash is redone rather than served half-filled.
Result<Json> BuildWorkersIndex(const WorkersIndexDeps& deps, BuildProgress* progress = nullptr);

//! Brings an existing `workers` index up to the current workers dataset, changed rows only:
//! a worker whose payload differs (any field the text is made of is in the payload) is
//! re-embedded and upserted, a new one added, one no longer in the dataset deleted; the
//! rest are not touched. Answers {added, updated, removed, unchanged, elapsed_ms}.
Result<Json> SyncWorkersIndex(const WorkersIndexDeps& deps);

class WorkersIndexBuilder {
 public:
  explicit WorkersIndexBuilder(WorkersIndexDeps deps) : deps_(deps) {}
  ~WorkersIndexBuilder();
  //! Starts a background build when the workers dataset exists and the index does not (or
  //! an earlier build of it did not finish);
  //! meanwhile the index answers 503 with the build's progress (VectorStore::BeginBuild).
  void StartIfMissing();
  //! Stops a running build at its next batch (shutdown); the destructor does too.
  void Cancel() { progress_.work.Cancel(); }
  //! From now on, each new workers version updates the index incrementally
  //! (SyncWorkersIndex) on a background thread, while the index keeps serving; commits
  //! that come in a burst are applied once.
  void Follow();
  bool running() const { return running_.load(); }
  //! The running build's progress (null when none runs).
  Json Progress() const;
  //! Incremental syncs done so far, and the last one's report (tests, /readyz).
  int64_t syncs() const { return syncs_.load(); }

 private:
  void FollowLoop();
  WorkersIndexDeps deps_;
  std::atomic<bool> running_{false};
  BuildProgress progress_;
  std::thread thread_;
  std::atomic<int64_t> syncs_{0};
  Mutex follow_mu_;
  std::condition_variable_any follow_cv_;  // waits on follow_mu_
  bool dirty_ LH_GUARDED_BY(follow_mu_) = false;
  bool stop_ LH_GUARDED_BY(follow_mu_) = false;
  std::thread follower_;
};

}  // namespace lakehouse
