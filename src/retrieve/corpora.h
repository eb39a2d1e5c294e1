// src/retrieve/corpora.h: the fills, emails and notes corpora follow what is committed.
//
// Matrix retrieve searches `fills`, `emails` and `notes` beside `workers` and `playbooks`;
// nobody should have to build those indexes by hand. The feeder takes every valid fill and
// email commit (their `_kb` lines, handed over by the kb listener) and every memory write,
// and embeds it into its corpus on a background thread (an embedding may be a network call,
// and the committing request must not wait for it): one item per fill (id fill_id; text:
// the order's role, client, place, shift and workers; payload: order_id, role, city, state,
// shift, worker_ids, status), per email (id email_id; text: subject and body; payload:
// order_id, worker_id, role, city, state, subject) and per note (id: the memory id; text:
// the memory; payload: subject, source, version). A fill cancelled for all its workers
// leaves the corpus (no precedent for anything); a partial cancel or an end updates its
// payload (status, cancelled_worker_ids); a deleted memory leaves the notes corpus. An
// index is created on first use with the default embedding model, and written without an
// fdatasync per item. The queue is bounded: past `max_queue` pending items new ones are
// dropped and counted (the corpora are derived state; the `_kb` lines and the memory log
// stay the record).
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <thread>

#include "core/json.h"
#include "core/status.h"
#include "core/thread_annotations.h"
#include "embed/embed_service.h"
#include "storage/kb_sources.h"
#include "vector/vector_store.h"

namespace lakehouse {

class CorpusFeeder {
 public:
  CorpusFeeder(EmbedService& embed, VectorStore& vectors, size_t max_queue = 10000);
  ~CorpusFeeder();
  CorpusFeeder(const CorpusFeeder&) = delete;
  CorpusFeeder& operator=(const CorpusFeeder&) = delete;

  //! A `_kb` line: valid fill and email commits (and fill status changes) are queued.
  void OfferKbLine(KbSource source, const Json& line);
  //! A memory as it is now (Memory::ToJson); a deleted one is removed from `notes`.
  void OfferNote(const Json& memory);
  //! Waits until everything queued so far is indexed (tests, shutdown).
  void Drain();
  //! {queued, indexed, dropped, failed}
  Json StatsJson() const;

 private:
  using Task = std::function<Status()>;
  void Enqueue(Task task);
  void Loop();
  //! The corpus `name`, created with the default model when missing.
  Result<std::shared_ptr<VectorIndex>> Corpus(const std::string& name);
  Status Put(const std::string& corpus, const std::string& id, const std::string& text,
             Json payload);

  EmbedService& embed_;
  VectorStore& vectors_;
  const size_t max_queue_;
  mutable Mutex mu_;
  std::condition_variable_any cv_;  // waits on mu_
  std::deque<Task> queue_ LH_GUARDED_BY(mu_);
  bool busy_ LH_GUARDED_BY(mu_) = false;
  bool stop_ LH_GUARDED_BY(mu_) = false;
  int64_t indexed_ LH_GUARDED_BY(mu_) = 0;
  int64_t dropped_ LH_GUARDED_BY(mu_) = 0;
  int64_t failed_ LH_GUARDED_BY(mu_) = 0;
  Mutex create_mu_;  // one creator of a missing corpus at a time
  std::thread thread_;
};

}  // namespace lakehouse
