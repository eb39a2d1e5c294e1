#include "journal/forwarder.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/http_client.h"
#include "core/metrics.h"

namespace lakehouse {
namespace {

Counter& DroppedCounter() {
  static Counter& c = MetricsRegistry::Global().GetCounter(
      "lakehouse_journal_forward_dropped_total",
      "events a split service could not hand to the journal service (queue full)", {}, {});
  return c;
}

Json EventJson(const JournalEvent& e) {
  Json j = Json::object();
  j["type"] = e.type;
  j["subject"] = e.subject;
  j["trace_id"] = e.trace_id;
  j["payload"] = e.payload;
  return j;
}

}  // namespace

JournalForwarder::JournalForwarder(JournalForwarderOptions options) : options_(std::move(options)) {
  sender_ = std::thread([this] { SendLoop(); });
}

JournalForwarder::~JournalForwarder() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  sender_.join();
}

void JournalForwarder::Append(JournalEvent event) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= options_.capacity) {
      queue_.pop_front();
      ++dropped_;
      DroppedCounter().Inc();
      if (dropped_ == 1 || dropped_ % 10000 == 0)
        spdlog::error("journal forwarder: {} events dropped so far ({} is not taking them)",
                      dropped_, options_.url);
    }
    queue_.push_back(std::move(event));
    ++appended_;
  }
  cv_.notify_one();
}

bool JournalForwarder::Flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  const uint64_t target = appended_;
  return done_cv_.wait_for(lock, timeout, [&] { return delivered_ + dropped_ >= target; });
}

uint64_t JournalForwarder::delivered() const {
  std::lock_guard lock(mu_);
  return delivered_;
}

void JournalForwarder::SendLoop() {
  HttpSession session;
  HttpCallOptions call;
  call.connect_timeout = std::chrono::milliseconds(1000);
  call.total_timeout = options_.timeout;
  const std::string url = options_.url + "/v1/journal/events";
  auto backoff = std::chrono::milliseconds(50);
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    if (!stopping_ && queue_.size() < options_.max_batch) {
      cv_.wait_for(lock, options_.linger,
                   [this] { return stopping_ || queue_.size() >= options_.max_batch; });
    }
    const size_t n = std::min(queue_.size(), options_.max_batch);
    Json events = Json::array();
    for (size_t i = 0; i < n; ++i) events.push_back(EventJson(queue_[i]));
    const bool last_try = stopping_;
    lock.unlock();
    auto r = session.Request("POST", url, DumpJson(Json{{"events", std::move(events)}}), call);
    lock.lock();
    if (r.ok() && r->status == 200) {
      // The queue may have lost its oldest events to the cap meanwhile: drop what was sent.
      const size_t sent = std::min(n, queue_.size());
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(sent));
      delivered_ += sent;
      backoff = std::chrono::milliseconds(50);
      done_cv_.notify_all();
      continue;
    }
    const std::string why =
        r.ok() ? fmt::format("{} answered {}: {}", url, r->status, r->body) : r.status().message();
    if (last_try) {
      spdlog::error("journal forwarder: {} events not delivered at shutdown: {}", queue_.size(),
                    why);
      dropped_ += queue_.size();
      DroppedCounter().Inc(queue_.size());
      queue_.clear();
      done_cv_.notify_all();
      return;
    }
    spdlog::warn("journal forwarder: {} (retrying in {} ms)", why, backoff.count());
    cv_.wait_for(lock, backoff, [this] { return stopping_; });
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
}

Result<std::vector<JournalEvent>> ParseEventBatch(const Json& body) {
  auto list = body.find("events");
  if (list == body.end() || !list->is_array() || list->empty() || list->size() > 10000)
    return Status::InvalidArgument("field 'events' must be an array of 1..10000 events");
  std::vector<JournalEvent> out;
  out.reserve(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& j = (*list)[i];
    auto bad = [&](const char* field, const char* what) {
      return Status::InvalidArgument(fmt::format("events[{}].{} {}", i, field, what));
    };
    if (!j.is_object())
      return Status::InvalidArgument(fmt::format("events[{}] must be an object", i));
    JournalEvent e;
    auto type = j.find("type");
    if (type == j.end() || !type->is_string() || type->get<std::string>().empty())
      return bad("type", "must be a non-empty string");
    e.type = type->get<std::string>();
    for (auto [field, slot] : {std::pair{"subject", &e.subject}, {"trace_id", &e.trace_id}}) {
      auto f = j.find(field);
      if (f == j.end()) continue;
      if (!f->is_string()) return bad(field, "must be a string");
      *slot = f->get<std::string>();
    }
    if (auto p = j.find("payload"); p != j.end()) {
      if (!p->is_object()) return bad("payload", "must be an object");
      e.payload = *p;
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace lakehouse
