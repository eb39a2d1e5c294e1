#include "gateway/proxy.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/metrics.h"

namespace lakehouse {
namespace {

// Hop-by-hop headers and those the client library or our server writes itself.
bool PassesThrough(std::string_view name) {
  static const std::set<std::string, std::less<>> kDropped = {
      "host",         "connection", "keep-alive", "content-length",   "transfer-encoding",
      "expect",       "te",         "upgrade",    "proxy-connection", "content-type",
      "x-request-id", "date",       "server"};
  return kDropped.find(name) == kDropped.end();
}

Gauge& UpGauge(const std::string& service) {
  return MetricsRegistry::Global().GetGauge(
      "lakehouse_upstream_up", "1 when the split service a route group is proxied to is healthy",
      {"service"}, {service});
}

Counter& ErrorCounter(const std::string& service, const std::string& kind) {
  return MetricsRegistry::Global().GetCounter(
      "lakehouse_upstream_errors_total",
      "proxied requests answered by the gateway itself: unavailable (503), bad_gateway (502), "
      "deadline_exceeded (504)",
      {"service", "kind"}, {service, kind});
}

}  // namespace

Upstream::Upstream(UpstreamOptions options)
    : options_(std::move(options)), pool_(options_.max_idle_connections) {
  UpGauge(options_.service).Set(1);
}

Upstream::~Upstream() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (checker_.joinable()) checker_.join();
}

void Upstream::Start() {
  auto session = std::make_shared<HttpSession>();
  CheckHealth(*session);
  checker_ = std::thread([this, session] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, options_.health_interval, [this] { return stopping_; })) {
      lock.unlock();
      CheckHealth(*session);
      lock.lock();
    }
  });
}

namespace {
int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

void Upstream::CheckHealth(HttpSession& session) {
  last_check_ms_ = SteadyMillis();
  HttpCallOptions o;
  o.connect_timeout = options_.connect_timeout;
  o.total_timeout = std::max(options_.connect_timeout, std::chrono::milliseconds(2000));
  auto r = session.Request("GET", options_.base_url + "/readyz", "", o);
  std::string why;
  if (!r.ok()) {
    why = r.status().message();
  } else if (r->status != 200) {
    why = fmt::format("GET {}/readyz answered {}: {}", options_.base_url, r->status, r->body);
  }
  if (!why.empty()) {
    MarkDown(why);
    return;
  }
  if (!healthy_.exchange(true))
    spdlog::info("upstream {} ({}) is up again", options_.service, options_.base_url);
  UpGauge(options_.service).Set(1);
  std::lock_guard lock(mu_);
  last_error_.clear();
}

void Upstream::MarkDown(const std::string& why) {
  if (healthy_.exchange(false))
    spdlog::warn("upstream {} ({}) is down: {}", options_.service, options_.base_url, why);
  UpGauge(options_.service).Set(0);
  pool_.Clear();  // their connections went with the process
  std::lock_guard lock(mu_);
  last_error_ = why;
}

Json Upstream::StatusJson() const {
  std::lock_guard lock(mu_);
  Json j = Json::object();
  j["service"] = options_.service;
  j["url"] = options_.base_url;
  j["healthy"] = healthy_.load();
  j["error"] = last_error_;
  return j;
}

HttpResponse Upstream::Failure(const Status& transport) const {
  const std::string where = fmt::format("the {} service ({})", options_.service, options_.base_url);
  Status answer;
  if (transport.code() == ErrorCode::kDeadlineExceeded) {
    answer = Status::DeadlineExceeded(fmt::format("{} did not answer within {} ms: {}", where,
                                                  options_.timeout.count(), transport.message()));
  } else if (transport.code() == ErrorCode::kUnavailable && !healthy()) {
    answer = Status::Unavailable(
        fmt::format("{} is down (health check: {}); its routes answer again once it is back", where,
                    transport.message()));
  } else {
    answer =
        Status::BadGateway(fmt::format("{} could not be reached: {}", where, transport.message()));
  }
  ErrorCounter(options_.service, std::string(ErrorCodeName(answer.code()))).Inc();
  return HttpResponse::Error(answer);
}

HttpResponse Upstream::Forward(const HttpRequest& req) {
  if (!healthy()) {
    int64_t last = last_check_ms_.load();
    const int64_t now = SteadyMillis();
    if (now - last >= 100 && last_check_ms_.compare_exchange_strong(last, now)) {
      HttpSession probe;  // one request checks; the others answer 503 meanwhile
      CheckHealth(probe);
    }
  }
  if (!healthy()) {
    std::string why;
    {
      std::lock_guard lock(mu_);
      why = last_error_;
    }
    return Failure(Status::Unavailable(why));
  }
  HttpCallOptions o;
  o.connect_timeout = options_.connect_timeout;
  o.total_timeout = options_.timeout;
  // Origin stays behind: the gateway judged it against its own name (api/guard.h); the
  // service, asked by the gateway, is not the site the browser was on.
  for (const auto& [name, value] : req.headers)
    if (PassesThrough(name) && name != "origin") o.headers.emplace_back(name, value);
  o.headers.emplace_back("X-Request-Id", req.request_id);
  if (auto ct = req.Header("content-type"); !ct.empty()) o.content_type = std::string(ct);
  std::string body_from_file;
  if (!req.body_file.empty()) {  // an upload the server streamed to the staging directory
    std::ifstream in(req.body_file, std::ios::binary);
    std::ostringstream buf;
    buf << in.rdbuf();
    body_from_file = std::move(buf).str();
  }
  const std::string& body = req.body_file.empty() ? req.body : body_from_file;

  // The answer as a stream: an event stream or NDJSON goes on chunk by chunk (the header
  // with the first), anything else is collected and answered whole, as before.
  HttpResponse relay;
  relay.stream = [this, method = req.method, url = options_.base_url + req.target,
                  body = std::string(body), o = std::move(o)](BodyWriter& w) mutable {
    auto head = [](const HttpClientResponse& r) {
      HttpResponse out;
      out.status = r.status;
      out.content_type = r.Header("content-type");
      for (const auto& [name, value] : r.headers)
        if (PassesThrough(name)) out.headers.emplace_back(name, value);
      return out;
    };
    o.stream_if = [&](const HttpClientResponse& r) {
      const std::string type = r.Header("content-type");
      if (type.rfind("text/event-stream", 0) != 0 && type.rfind("application/x-ndjson", 0) != 0)
        return false;
      w.Replace(head(r));
      return true;
    };
    o.on_body = [&](std::string_view bytes) { return w.Write(bytes); };
    auto r = pool_.Request(method, url, body, o);
    if (!r.ok()) {
      if (!w.started())
        w.Replace(Failure(r.status()));  // 502 or 504 for the request that found out
      if (r.status().code() != ErrorCode::kDeadlineExceeded && !w.started())
        MarkDown(r.status().message());
      return;
    }
    if (w.started()) return;
    HttpResponse out = head(*r);
    out.body = std::move(r->body);
    w.Replace(std::move(out));
  };
  return relay;
}

HttpResponse UpstreamSet::Forward(const HttpRequest& req) {
  const uint64_t turn = next_.fetch_add(1, std::memory_order_relaxed);
  // In turn among the healthy ones (a down member's share spreads evenly over the others).
  std::vector<Upstream*> healthy;
  healthy.reserve(members_.size());
  for (Upstream* u : members_)
    if (u->healthy()) healthy.push_back(u);
  if (healthy.empty()) return members_[turn % members_.size()]->Forward(req);
  return healthy[turn % healthy.size()]->Forward(req);
}

}  // namespace lakehouse
