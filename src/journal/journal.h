// src/journal/journal.h: the append-only event journal every service writes to.
//
// An event is {seq, ts, type, subject, trace_id, payload}: seq is assigned here, dense and
// increasing across restarts; ts is when it was appended. Events live in segment files
// `<dir>/seg-<first seq, 20 digits>.log`, each a sequence of CRC-32C framed records
// (storage/record_log.h: u32 length, u32 crc, JSON body). The active segment rotates at
// segment_bytes; closed segments are deleted, oldest first, past retention_bytes or
// retention_hours.
//
// Durability policy (group commit): Append never waits for the disk. A flusher thread
// writes everything appended since its last pass with one write(2) and one fdatasync:
//  - when a caller waits (AppendDurable, Sync), at once: callers that arrive during an
//    fsync share the next one, so N concurrent durable appends cost ~1 fsync, not N;
//  - otherwise every flush_interval_ms (default 5): an event appended with Append is on
//    disk within that window, and a crash loses at most the last window.
// State-changing services keep their own durable stores (catalog, vectors, memory); the
// journal records what happened, for the observer, the audit trail and distillation.
//
// Recovery: only the last segment can have a torn tail (earlier ones were closed after
// their last fsync). It is scanned at Open, the tail after the last intact record is cut
// and logged, and seq continues from that record: no gap, no repeat. Recovery reads one
// segment, so it costs the same for a 1 GB journal as for a 64 MB one.
//
// A seq, once handed out, never names another event: readers see durable events only (a
// crash loses at most events nobody has read), POST /v1/journal/events answers after its
// events are durable, and recovery continues after the last durable event.
//
// Reads: recent events come from an in-memory ring (follow mode, the observer's catch-up);
// older ones are scanned from their segments, entered through a sparse seq -> offset index
// built per segment on first use.
//
// Thread-safety: all methods may be called concurrently. Listeners run on the appending
// thread, after the event is in the buffer, and must not block (the observer only tries a
// bounded queue).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace lakehouse {

struct JournalEvent {
  uint64_t seq = 0;
  int64_t ts_ms = 0;
  std::string type;      // "http.request", "memory.write", "validate", "chat.call", ...
  std::string subject;   // what it is about: a route, "worker:W0000042", a dataset, ...
  std::string trace_id;  // the request id that caused it ("" when none)
  Json payload = Json::object();
  //! {seq, ts (RFC 3339 ms), type, subject, trace_id, payload}
  Json ToJson() const;
  static Result<JournalEvent> FromJson(const Json& j);
};

struct JournalOptions {
  std::string dir;  // <root>/journal
  int64_t segment_bytes = 64LL << 20;
  int64_t retention_bytes = 1LL << 30;
  int64_t retention_hours = 24 * 7;
  int64_t flush_interval_ms = 5;
  size_t ring_events = 20000;  // recent events kept in memory
};

struct JournalQuery {
  uint64_t after_seq = 0;           // events with seq > after_seq
  std::optional<int64_t> since_ms;  // ts >= since
  std::optional<int64_t> until_ms;  // ts < until
  std::string type;                 // exact, or a prefix ending in '.' ("memory.")
  std::string subject;              // exact
  size_t limit = 100;
  bool Matches(const JournalEvent& e) const;
};

class Journal {
 public:
  static Result<std::unique_ptr<Journal>> Open(JournalOptions options);
  //! Flushes and fsyncs what is buffered, then stops the flusher.
  ~Journal();

  //! Appends (seq and ts assigned here) and returns the seq. Never waits for the disk.
  uint64_t Append(JournalEvent event);
  //! Appends and waits until the event is durable (group commit).
  Result<uint64_t> AppendDurable(JournalEvent event);
  //! Waits until every event appended so far is durable.
  Status Sync();

  //! Matching events in seq order, at most q.limit.
  Result<std::vector<JournalEvent>> Read(const JournalQuery& q) const;
  //! Like Read, but when nothing matches yet waits up to `wait` for a matching append.
  Result<std::vector<JournalEvent>> Follow(const JournalQuery& q, std::chrono::milliseconds wait);

  using Listener = std::function<void(const JournalEvent&)>;
  void Subscribe(Listener listener);

  //! The newest seq handed out (durable or not).
  uint64_t last_seq() const;
  //! The newest seq on disk: Read and Follow return events up to it and no further, so a
  //! reader never sees an event a crash could take back (and its seq then name another).
  uint64_t durable_seq() const;
  //! {dir, segments, bytes, first_seq, last_seq, durable_seq, appended, batches, fsyncs,
  //!  recovery: {segment, records, cut_bytes, ms}, policy: {...}}
  Json Stats() const;

 private:
  struct Segment {
    uint64_t first_seq = 0;
    std::string path;
    uint64_t bytes = 0;
    int64_t first_ts_ms = 0;  // 0: unknown (empty)
    // Sparse index, built on first read of a closed segment: (seq, offset) every ~256 KiB.
    mutable std::vector<std::pair<uint64_t, uint64_t>> marks;
    mutable bool marks_built = false;
  };

  explicit Journal(JournalOptions options) : options_(std::move(options)) {}
  Status Recover();
  Status OpenActive(uint64_t first_seq);
  void FlushLoop();
  //! Writes and fsyncs `batch`; rotates and applies retention. Flusher thread only.
  Status WriteBatch(const std::string& batch, uint64_t last_seq, int64_t first_ts);
  void ApplyRetention();
  Status ScanSegment(const Segment& seg, uint64_t from_offset, uint64_t end_offset,
                     const std::function<bool(uint64_t, const JournalEvent&)>& fn) const;
  uint64_t WaitDurable(uint64_t seq);

  JournalOptions options_;
  std::vector<Listener> listeners_;  // set before serving; read without the lock after

  mutable std::mutex mu_;
  std::condition_variable flush_cv_;    // flusher: work arrived / stop
  std::condition_variable durable_cv_;  // waiters: durable_seq_ advanced
  std::string pending_;                 // framed records not yet written
  uint64_t pending_last_seq_ = 0;
  int64_t pending_first_ts_ = 0;  // ts of the first event in pending_
  uint64_t last_seq_ = 0;
  uint64_t durable_seq_ = 0;
  int waiters_ = 0;
  bool stop_ = false;
  Status flush_error_;
  std::deque<JournalEvent> ring_;
  uint64_t appended_ = 0, batches_ = 0, fsyncs_ = 0;

  mutable std::mutex segments_mu_;  // guards segments_ (flusher rotates, readers scan)
  std::vector<Segment> segments_;   // oldest first; the last is active
  int fd_ = -1;                     // the active segment (flusher thread)
  Json recovery_ = Json::object();

  std::thread flusher_;
};

}  // namespace lakehouse
