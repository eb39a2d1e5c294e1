// src/core/http_client.h: outbound HTTP (libcurl) for provider clients (embeddings, chat).
//
// One blocking call per request with a connect timeout, a total timeout and a
// time-to-first-byte bound (low-speed limit), so a silent upstream never hangs a request.
// Transport failures (DNS, refused, timeout) come back as a Status naming the URL and
// the cause, distinct from HTTP error statuses, which come back as a response.
//
// Thread-safety: Post may be called concurrently; each call uses its own easy handle.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace lakehouse {

struct HttpClientResponse {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names
  std::string Header(const std::string& name) const;
};

struct HttpCallOptions {
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds total_timeout{30000};
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Authorization", "Bearer ..."}
  std::string content_type = "application/json";             // of a non-empty body
};

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

}  // namespace lakehouse
