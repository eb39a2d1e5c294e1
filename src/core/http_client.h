// src/core/http_client.h: outbound HTTP (libcurl) for provider clients (embeddings, chat).
//
// One blocking call per request with a connect timeout, a total timeout, a first-byte
// timeout (an upstream that accepts the connection and then says nothing fails in seconds,
// not at the total timeout) and a stall bound (no byte for as long once the answer has
// started), so a silent upstream never hangs a request. An answer can be taken as it
// arrives (`on_body`: streamed model output). Transport failures (DNS, refused, timeout)
// come back as a Status naming the URL and the cause, distinct from HTTP error statuses,
// which come back as a response. HttpClientPool keeps connections to one upstream alive
// across calls, so a provider call pays the TCP and TLS handshakes once.
//
// Thread-safety: HttpPostJson and HttpClientPool may be called concurrently; an
// HttpSession is one thread's.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/thread_annotations.h"

namespace lakehouse {

struct HttpClientResponse {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names
  std::string Header(const std::string& name) const;
  bool new_connection = false;  // false: a kept-alive connection was reused
  double first_byte_ms = 0;     // from the call's start to the first byte of the answer
};

struct HttpCallOptions {
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds total_timeout{30000};
  //! No byte of the answer this long after the call started: DeadlineExceeded naming the
  //! first-byte timeout; once it has started, no byte for this long is a stall (the same
  //! error). 0: the total timeout only.
  std::chrono::milliseconds first_byte_timeout{0};
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Authorization", "Bearer ..."}
  std::string content_type = "application/json";             // of a non-empty body
  //! Set: the answer's body is handed over as it arrives instead of collected, when
  //! `stream_if` says so (unset: for 2xx answers; others are collected, for their error
  //! message). Returning false aborts the call (Unavailable "<METHOD> <url>: stopped by the
  //! receiver").
  std::function<bool(std::string_view)> on_body;
  //! Asked once, when the answer's status and headers are in and before its first body byte
  //! goes anywhere: true sends the body to `on_body` (a proxy relaying an event stream).
  std::function<bool(const HttpClientResponse& head)> stream_if;
};

//! How long a `Retry-After` value asks to wait: delta-seconds ("3", "1.5") or an HTTP date
//! ("Wed, 21 Oct 2026 07:28:00 GMT", RFC 9110), measured from `now_unix_ms`; a date in the
//! past is 0; a delay beyond a day is a day. nullopt when empty or unreadable.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         int64_t now_unix_ms);

//! POSTs `body` as application/json. Transport errors: Unavailable (refused, DNS) or
//! DeadlineExceeded (timeout), message "POST <url>: <cause>".
Result<HttpClientResponse> HttpPostJson(const std::string& url, const std::string& body,
                                        const HttpCallOptions& options);

//! One client connection reused across calls (HTTP/1.1 keep-alive): what a load generator
//! or a proxy's connection pool holds per worker. Not for concurrent use; one per thread.
class HttpSession {
 public:
  HttpSession();
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  //! `method` GET, POST, DELETE...; a non-empty body is sent as options.content_type. Errors
  //! as HttpPostJson's ("<METHOD> <url>: <cause>").
  Result<HttpClientResponse> Request(const std::string& method, const std::string& url,
                                     const std::string& body, const HttpCallOptions& options);

 private:
  void* curl_;  // CURL*, kept so its connection cache keeps the connection open
};

//! Keep-alive connections to upstreams (a provider's), shared by threads: a call borrows an
//! idle session (or opens one), and gives it back afterwards unless `max_idle` are already
//! idle. A session that failed in transport is dropped, not reused.
class HttpClientPool {
 public:
  explicit HttpClientPool(size_t max_idle = 16) : max_idle_(max_idle) {}
  Result<HttpClientResponse> Request(const std::string& method, const std::string& url,
                                     const std::string& body, const HttpCallOptions& options);
  //! Connections opened by calls through this pool (reused ones are not counted).
  uint64_t connections_opened() const;
  //! Drops the idle connections (their upstream went away with them).
  void Clear();

 private:
  size_t max_idle_;
  mutable Mutex mu_;
  std::vector<std::unique_ptr<HttpSession>> idle_ LH_GUARDED_BY(mu_);
  uint64_t opened_ LH_GUARDED_BY(mu_) = 0;
};

}  // namespace lakehouse
