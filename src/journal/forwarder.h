// src/journal/forwarder.h: a split service's journal is the journal service's.
//
// In split-service mode (server/topology.h) one process, the journal service, owns the
// journal; a service started with `--upstream journal=URL` hands every event it would
// have appended (its requests, its _kb lines, its dataset commits, memory writes) to a
// JournalForwarder, which sends them in batches to that service's
// `POST /v1/journal/events`, where they get their seq. So `GET /v1/journal` on the
// journal service shows what every service did, as it does on an all-in-one server.
//
// Delivery: Append never blocks the request; a sender thread posts what is queued, in
// batches of up to max_batch that gather for at most `linger` (the journal's own flush
// interval, 5 ms): one POST per few hundred events under load instead of one per event,
// and an event is in the journal within about linger + one loopback round trip. While the journal
// service is unreachable, batches are retried with backoff; the queue holds up to `capacity`
// events, and past that the oldest are dropped, counted (lakehouse_journal_forward_dropped_total)
// and logged. Events still queued at shutdown get one last try.
//
// Thread-safety: Append may be called concurrently.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "journal/journal.h"

namespace lakehouse {

struct JournalForwarderOptions {
  std::string url;  // the journal service: http://127.0.0.1:3108
  size_t max_batch = 1000;
  std::chrono::milliseconds linger{5};
  size_t capacity = 200000;
  std::chrono::milliseconds timeout{5000};
};

class JournalForwarder {
 public:
  explicit JournalForwarder(JournalForwarderOptions options);
  ~JournalForwarder();
  JournalForwarder(const JournalForwarder&) = delete;
  JournalForwarder& operator=(const JournalForwarder&) = delete;

  void Append(JournalEvent event);
  //! Waits until everything appended so far was delivered (or `timeout` passed); true
  //! when it was.
  bool Flush(std::chrono::milliseconds timeout);
  uint64_t delivered() const;

 private:
  void SendLoop();

  JournalForwarderOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;       // wakes the sender
  std::condition_variable done_cv_;  // wakes Flush
  std::deque<JournalEvent> queue_;
  uint64_t appended_ = 0, delivered_ = 0, dropped_ = 0;
  bool stopping_ = false;
  std::thread sender_;
};

//! The body of POST /v1/journal/events: {"events": [{type, subject?, trace_id?,
//! payload?}]}; seq and ts are the journal's. Errors name the event and field.
Result<std::vector<JournalEvent>> ParseEventBatch(const Json& body);

}  // namespace lakehouse
