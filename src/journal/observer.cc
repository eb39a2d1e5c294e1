#include "journal/observer.h"

#include <algorithm>
#include <cmath>

#include <spdlog/spdlog.h>

#include "core/clock.h"

namespace lakehouse {
namespace {

size_t LatencyBucket(double ms) {
  const auto& b = Observer::LatencyBoundsMs();
  return static_cast<size_t>(std::lower_bound(b.begin(), b.end(), ms) - b.begin());
}

void AddLatency(std::vector<int64_t>& hist, double ms) {
  if (hist.empty()) hist.assign(Observer::LatencyBoundsMs().size() + 1, 0);
  ++hist[LatencyBucket(ms)];
}

void MergeHist(std::vector<int64_t>& into, const std::vector<int64_t>& from) {
  if (from.empty()) return;
  if (into.empty()) into.assign(from.size(), 0);
  for (size_t i = 0; i < from.size(); ++i) into[i] += from[i];
}

// The upper bound of the bucket holding quantile q (the overflow bucket reports the last
// bound with a "+": it is only known to be above it).
Json Quantile(const std::vector<int64_t>& hist, double q) {
  int64_t total = 0;
  for (int64_t c : hist) total += c;
  if (total == 0) return nullptr;
  const auto rank = static_cast<int64_t>(std::ceil(q * static_cast<double>(total)));
  int64_t seen = 0;
  const auto& b = Observer::LatencyBoundsMs();
  for (size_t i = 0; i < hist.size(); ++i) {
    seen += hist[i];
    if (seen >= rank) return i < b.size() ? Json(b[i]) : Json(b.back());
  }
  return b.back();
}

}  // namespace

const std::vector<double>& Observer::LatencyBoundsMs() {
  static const std::vector<double> b = {0.1, 0.25, 0.5, 1,    2.5,  5,    10,    25,   50,
                                        100, 250,  500, 1000, 2500, 5000, 10000, 30000};
  return b;
}

Observer::Observer(ObserverOptions options) : options_(std::move(options)), buckets_(kSeconds) {
  if (options_.cache_counters) last_cache_ = options_.cache_counters();
  thread_ = std::thread([this] { Loop(); });
}

Observer::~Observer() {
  {
    std::lock_guard lock(queue_mu_);
    stop_ = true;
  }
  queue_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Observer::Offer(JournalEvent event) {
  ++offered_;
  {
    std::lock_guard lock(queue_mu_);
    if (stop_ || queue_.size() >= options_.queue_capacity) {
      ++dropped_;
      return false;
    }
    queue_.push_back(std::move(event));
    // No wake-up per event (a futex call and a context switch per request on a busy
    // 2-core machine): the observer polls every kPollMs, and is woken early only when
    // the queue is half full.
    if (queue_.size() < options_.queue_capacity / 2) return true;
    wake_ = true;
  }
  queue_cv_.notify_one();
  return true;
}

void Observer::SetHookForTest(std::function<void(const JournalEvent&)> hook) {
  std::lock_guard lock(queue_mu_);
  hook_ = std::move(hook);
}

void Observer::Drain() {
  std::unique_lock lock(queue_mu_);
  // A whole pass that starts after this call: it sees every event offered so far (and
  // closes the minutes that ended by now).
  const uint64_t target = passes_ + (busy_ ? 2 : 1);
  wake_ = true;
  queue_cv_.notify_one();
  drained_cv_.wait(lock, [&] { return passes_ >= target || stop_; });
}

void Observer::Loop() {
  std::unique_lock lock(queue_mu_);
  while (true) {
    queue_cv_.wait_for(lock, std::chrono::milliseconds(kPollMs), [&] { return stop_ || wake_; });
    wake_ = false;
    if (stop_) break;
    std::deque<JournalEvent> batch;
    batch.swap(queue_);
    auto hook = hook_;
    busy_ = true;
    lock.unlock();
    for (const JournalEvent& e : batch) {
      try {
        if (hook) hook(e);
        Process(e);
        ++processed_;
      } catch (const std::exception& ex) {
        ++errors_;
        spdlog::debug("observer: event {} ({}) failed: {}", e.seq, e.type, ex.what());
      } catch (...) {
        ++errors_;
      }
    }
    try {
      const int64_t now_s = options_.clock->NowMillis() / 1000;
      if (options_.cache_counters) {
        const auto now = options_.cache_counters();
        std::lock_guard data(data_mu_);
        Bucket& b = BucketFor(now_s);
        b.cache_hits += static_cast<int64_t>(now.first - last_cache_.first);
        b.cache_misses += static_cast<int64_t>(now.second - last_cache_.second);
        last_cache_ = now;
      }
      // Minutes that closed since the last pass go to _kb/observer_events.jsonl.
      const int64_t closed = now_s / 60 * 60 - 60;
      if (last_minute_emitted_ < 0) last_minute_emitted_ = closed;
      while (last_minute_emitted_ < closed) {
        last_minute_emitted_ += 60;
        EmitMinute(last_minute_emitted_);
      }
    } catch (...) {
      ++errors_;
    }
    lock.lock();
    busy_ = false;
    ++passes_;
    drained_cv_.notify_all();
  }
  busy_ = false;
  drained_cv_.notify_all();
}

Observer::Bucket& Observer::BucketFor(int64_t second) {
  Bucket& b = buckets_[static_cast<size_t>(second % kSeconds)];
  if (b.second != second) {
    b = Bucket();
    b.second = second;
  }
  return b;
}

void Observer::Process(const JournalEvent& e) {
  const Json& p = e.payload;
  std::lock_guard lock(data_mu_);
  Bucket& b = BucketFor(e.ts_ms / 1000);
  if (e.type == "http.request") {
    RouteStats& r = b.routes[p.value("method", "") + " " + p.value("route", "")];
    ++r.by_status[p.value("status", 0)];
    AddLatency(r.latency, p.value("latency_ms", 0.0));
  } else if (e.type == "validate") {
    const std::string kind = p.value("kind", "");
    ++b.validator_totals[kind];
    if (auto k = p.find("error_kinds"); k != p.end() && k->is_object())
      for (const auto& [name, n] : k->items()) b.validator_failures[kind][name] += n.get<int64_t>();
    if (auto r = p.find("reasons"); r != p.end() && r->is_array())
      for (const auto& reason : *r)
        if (reason.is_string()) ++b.failure_reasons[kind + ": " + reason.get<std::string>()];
  } else if (e.type == "chat.call") {
    ChatStats& c = b.chat[e.subject];
    ++c.calls;
    if (!p.value("ok", true)) ++c.errors;
    AddLatency(c.latency, p.value("latency_ms", 0.0));
  }
}

Json Observer::Window(int64_t now_s, int seconds) const {
  std::map<std::string, RouteStats> routes;
  std::map<std::string, std::map<std::string, int64_t>> failures;
  std::map<std::string, int64_t> totals, reasons;
  std::map<std::string, ChatStats> chat;
  int64_t hits = 0, misses = 0, requests = 0;
  for (int64_t s = now_s - seconds + 1; s <= now_s; ++s) {
    const Bucket& b = buckets_[static_cast<size_t>((s % kSeconds + kSeconds) % kSeconds)];
    if (b.second != s) continue;
    for (const auto& [name, r] : b.routes) {
      RouteStats& into = routes[name];
      for (const auto& [status, n] : r.by_status) {
        into.by_status[status] += n;
        requests += n;
      }
      MergeHist(into.latency, r.latency);
    }
    for (const auto& [kind, m] : b.validator_failures)
      for (const auto& [err, n] : m) failures[kind][err] += n;
    for (const auto& [kind, n] : b.validator_totals) totals[kind] += n;
    for (const auto& [reason, n] : b.failure_reasons) reasons[reason] += n;
    for (const auto& [model, c] : b.chat) {
      ChatStats& into = chat[model];
      into.calls += c.calls;
      into.errors += c.errors;
      MergeHist(into.latency, c.latency);
    }
    hits += b.cache_hits;
    misses += b.cache_misses;
  }
  Json by_route = Json::object();
  for (const auto& [name, r] : routes) {
    Json statuses = Json::object();
    int64_t n = 0;
    for (const auto& [status, c] : r.by_status) {
      statuses[std::to_string(status)] = c;
      n += c;
    }
    by_route[name] = Json{{"count", n},
                          {"by_status", statuses},
                          {"p50_ms", Quantile(r.latency, 0.50)},
                          {"p95_ms", Quantile(r.latency, 0.95)},
                          {"p99_ms", Quantile(r.latency, 0.99)}};
  }
  Json validators = Json::object();
  for (const auto& [kind, total] : totals) {
    Json kinds = Json::object();
    for (const auto& [err, n] : failures[kind]) kinds[err] = n;
    validators[kind] = Json{{"validations", total}, {"errors_by_kind", kinds}};
  }
  // The most frequent failure reasons, across validators.
  std::vector<std::pair<int64_t, std::string>> top;
  for (const auto& [reason, n] : reasons) top.emplace_back(-n, reason);
  std::sort(top.begin(), top.end());
  Json top_reasons = Json::array();
  for (size_t i = 0; i < top.size() && i < 10; ++i)
    top_reasons.push_back(Json{{"reason", top[i].second}, {"count", -top[i].first}});
  Json chats = Json::object();
  for (const auto& [model, c] : chat)
    chats[model] = Json{{"calls", c.calls},
                        {"errors", c.errors},
                        {"p50_ms", Quantile(c.latency, 0.50)},
                        {"p99_ms", Quantile(c.latency, 0.99)}};
  Json w = Json::object();
  w["seconds"] = seconds;
  w["requests"] = requests;
  w["by_route"] = std::move(by_route);
  w["validators"] = std::move(validators);
  w["top_failure_reasons"] = std::move(top_reasons);
  w["chat"] = std::move(chats);
  w["embed_cache"] =
      Json{{"hits", hits},
           {"misses", misses},
           {"hit_rate", hits + misses == 0 ? Json(nullptr)
                                           : Json(std::round(1e4 * static_cast<double>(hits) /
                                                             static_cast<double>(hits + misses)) /
                                                  1e4)}};
  return w;
}

void Observer::EmitMinute(int64_t minute_start_s) {
  if (options_.kb == nullptr) return;
  Json window;
  {
    std::lock_guard lock(data_mu_);
    window = Window(minute_start_s + 59, 60);
  }
  if (window["requests"] == 0 && window["validators"].empty() && window["chat"].empty()) return;
  Json line = Json::object();
  line["schema"] = KbSchema(KbSource::kObserverEvents);
  line["at"] = FormatRfc3339Millis(options_.clock->NowMillis());
  line["window_start"] = FormatRfc3339Millis(minute_start_s * 1000);
  line["window_s"] = 60;
  for (auto& [k, v] : window.items())
    if (k != "seconds") line[k] = v;
  line["dropped_total"] = dropped_.load();
  line["errors_total"] = errors_.load();
  options_.kb->Append(KbSource::kObserverEvents, line);
}

Json Observer::Summary() const {
  const int64_t now_s = options_.clock->NowMillis() / 1000;
  Json windows = Json::object();
  {
    std::lock_guard lock(data_mu_);
    windows["1m"] = Window(now_s, 60);
    windows["15m"] = Window(now_s, 900);
    windows["1h"] = Window(now_s, 3600);
  }
  size_t depth;
  {
    std::lock_guard lock(queue_mu_);
    depth = queue_.size();
  }
  Json out = Json::object();
  out["windows"] = std::move(windows);
  out["queue"] = Json{{"capacity", options_.queue_capacity}, {"depth", depth},
                      {"offered", offered_.load()},          {"dropped", dropped_.load()},
                      {"processed", processed_.load()},      {"errors", errors_.load()}};
  return out;
}

Json Observer::Series(int seconds, int points) const {
  const int64_t now_s = options_.clock->NowMillis() / 1000;
  const int step = std::max(1, seconds / std::max(1, points));
  const int n = seconds / step;
  Json out = Json::array();
  std::lock_guard lock(data_mu_);
  for (int p = 0; p < n; ++p) {
    // Point p covers the `step` seconds ending at its `t` (the newest point ends now).
    const int64_t last = now_s - static_cast<int64_t>(n - 1 - p) * step;
    int64_t requests = 0, errors = 0, client_errors = 0;
    std::vector<int64_t> latency;
    for (int64_t sec = last - step + 1; sec <= last; ++sec) {
      const Bucket& b = buckets_[static_cast<size_t>((sec % kSeconds + kSeconds) % kSeconds)];
      if (b.second != sec) continue;
      for (const auto& [name, r] : b.routes) {
        for (const auto& [status, count] : r.by_status) {
          requests += count;
          if (status >= 500)
            errors += count;
          else if (status >= 400)
            client_errors += count;
        }
        MergeHist(latency, r.latency);
      }
    }
    out.push_back(Json{{"t", last},
                       {"requests", requests},
                       {"errors", errors},
                       {"client_errors", client_errors},
                       {"p50_ms", Quantile(latency, 0.50)},
                       {"p95_ms", Quantile(latency, 0.95)},
                       {"p99_ms", Quantile(latency, 0.99)}});
  }
  return Json{{"seconds", seconds}, {"step_seconds", step}, {"points", std::move(out)}};
}

}  // namespace lakehouse
