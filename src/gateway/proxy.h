// src/gateway/proxy.h: the gateway's side of split-service mode: forwarding a route group
// to the process that serves it (`serve --upstream NAME=URL`, server/topology.h).
//
// One Upstream per proxied service: a pool of keep-alive client connections
// (HttpClientPool: one per in-flight request, idle ones reused), a connect timeout and a
// total timeout, and
// a health checker that polls the service's /readyz. What a client sees when the service
// is not there, for that route group only (every other route keeps working):
//   503 unavailable        the health check says it is down: answered at once (a dead
//                          service costs nothing per request); at most every 100 ms a
//                          request checks again first, so a service that came back is
//                          used at once, not at the next periodic check
//   502 bad_gateway        connection refused/reset, or an unreadable answer
//   504 deadline_exceeded  no answer within the timeout
// each with the uniform JSON error naming the service, its URL and the cause. A failed
// forward marks the upstream down; the next health check that passes marks it up.
//
// The request goes out as it came (method, path and query, body, content type, auth and
// X-Request-Id, so the service logs and journals the same request id), and the answer
// comes back as the service wrote it: the same bytes as the all-in-one server would send.
// An event stream or NDJSON answer (streamed chat) is relayed chunk by chunk as it arrives,
// so a client of the gateway sees the first token when a client of the service would.
//
// Thread-safety: Forward may be called concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/http_client.h"
#include "core/json.h"
#include "gateway/http.h"

namespace lakehouse {

struct UpstreamOptions {
  std::string service;   // "sql"
  std::string base_url;  // "http://127.0.0.1:3101"
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds timeout{60000};  // above the journal's long-poll wait
  std::chrono::milliseconds health_interval{1000};
  size_t max_idle_connections = 64;
};

class Upstream {
 public:
  explicit Upstream(UpstreamOptions options);
  ~Upstream();
  Upstream(const Upstream&) = delete;
  Upstream& operator=(const Upstream&) = delete;

  //! Starts the health checker (the first check runs before Start returns).
  void Start();
  //! Sends `req` to the service and returns its answer, or the 502/503/504 above, as a
  //! streamed answer (HttpResponse::stream: the call is made when the server runs it, on
  //! the handler's thread; in-process callers use Buffered()).
  HttpResponse Forward(const HttpRequest& req);
  bool healthy() const { return healthy_.load(); }
  //! {service, url, healthy, error} for the gateway's /readyz.
  Json StatusJson() const;
  const UpstreamOptions& options() const { return options_; }

 private:
  void CheckHealth(HttpSession& session);
  void MarkDown(const std::string& why);
  HttpResponse Failure(const Status& transport) const;

  UpstreamOptions options_;
  std::atomic<bool> healthy_{true};
  std::atomic<int64_t> last_check_ms_{0};  // steady clock
  HttpClientPool pool_;
  mutable std::mutex mu_;  // guards last_error_, stopping_
  std::string last_error_;
  bool stopping_ = false;
  std::condition_variable cv_;
  std::thread checker_;
};

//! One route group served by several upstreams (the nodes of one shared root, each serving
//! every route: docs/SCALE.md): requests go to the healthy ones in turn (a down member's
//! share spreads over the others); when all are down, to the next anyway (its answer is the
//! 503 naming it). Not retried elsewhere: a
//! request may have changed state before its connection failed.
class UpstreamSet {
 public:
  explicit UpstreamSet(std::vector<Upstream*> members) : members_(std::move(members)) {}
  HttpResponse Forward(const HttpRequest& req);

 private:
  const std::vector<Upstream*> members_;
  std::atomic<uint64_t> next_{0};
};

}  // namespace lakehouse
