// src/gateway/http_server.h: the HTTP/1.1 server (Boost.Beast), keep-alive, one per process.
//
// I/O threads run an Asio io_context: they accept, parse requests, run routes marked
// run_inline and write answers. Other handlers run on the worker pool of their route's
// class (interactive, query, bulk, waiting: gateway/work_pool.h), each with its own
// threads and a bounded queue, so a slow SQL query never stalls another connection, slow
// queries cannot starve memory writes, and a full queue answers 503 with Retry-After. Bodies are
// capped (413 with a JSON error); upload routes stream the body to a file in the staging directory
// instead of memory. Before a body is read, the `admit` hook (api/guard.h) may refuse the
// request (authentication, cross-site, media type, limits): a small body is then drained so
// the connection stays usable, an upload's is not. With a certificate and key the server
// speaks HTTPS only (the same session code over an OpenSSL stream). Every answer carries
// X-Request-Id (the client's, or a new one). The server
// counts requests by route pattern and status, latency and in-flight requests in the metrics
// registry, and writes one access-log line per request when enabled.
//
// Stop() closes the listener, lets in-flight requests finish (up to the grace period),
// then stops the I/O threads: SIGINT/SIGTERM call it via RunUntilSignal.
//
// Thread-safety: Start/Stop/RunUntilSignal from one controlling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "gateway/http.h"

namespace lakehouse {

//! One answered request, for the completion hook.
struct RequestRecord {
  std::string_view method;
  std::string_view route;  // the matched pattern ("/v1/memory/{id}"), or "unmatched"
  std::string_view request_id;
  int status = 0;
  double seconds = 0;
  std::string_view key_id;     // the API key that sent it ("" none)
  bool changes_state = false;  // the route needs the write or admin scope
};

//! What the admission hook decided about a request, before its body is read.
struct Admission {
  //! Answered instead of running the route (401, 403, 415, 429, or a CORS preflight's 204).
  std::optional<HttpResponse> refuse;
  //! Kept until the answer is sent (a concurrency slot).
  std::shared_ptr<void> hold;
  //! Added to the answer, whatever it is (CORS headers for an allowed origin).
  std::vector<std::pair<std::string, std::string>> headers;
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 3100;  // 0: any free port (tests), see HttpServer::port()
  int io_threads = 2;
  //! Threads of each work class's pool (gateway/work_pool.h); worker_threads is the
  //! interactive pool, the default class.
  int worker_threads = 4;
  int query_threads = 4;
  int bulk_threads = 2;
  int waiting_threads = 16;
  //! Requests that may wait for a thread, per class, before new ones get 503.
  int queue_depth = 64;
  int64_t max_body_bytes = 16LL << 20;
  int64_t max_upload_bytes = 8LL << 30;
  std::string staging_dir = "/tmp";  // where streamed upload bodies are written
  bool access_log = true;
  int64_t shutdown_grace_ms = 5000;
  int64_t idle_timeout_ms = 60000;  // keep-alive connections idle this long are closed
  //! Called once per answered request on the thread that answers it; must not block (the
  //! observer queues it, the journal buffers it).
  std::function<void(const RequestRecord&)> on_request;
  //! Absolute directories (the data root, the staging dir) replaced by a short name in
  //! JSON answers, so a client never learns the server's file layout:
  //! {"/srv/lakehouse/data", "<root>"}.
  std::vector<std::pair<std::string, std::string>> redact_paths;
  //! Called on the I/O thread for every request once its header is read and its route
  //! matched (the route may be null: 404/405 and OPTIONS): authentication, cross-site and
  //! rate checks (api/guard.h). Must not block.
  std::function<Admission(HttpRequest&, const Router::Match&)> admit;
  //! PEM files: both set, the server speaks HTTPS only (TLS 1.2+).
  std::string tls_cert_file, tls_key_file;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, const Router& router);
  ~HttpServer();

  //! Binds and starts serving; an address in use is an error naming it.
  Status Start();
  //! The bound port (after Start).
  int port() const;
  //! Graceful stop; idempotent.
  void Stop();
  //! Blocks until SIGINT or SIGTERM (or Stop from another thread), then stops.
  void RunUntilSignal();
  //! Holds SIGINT and SIGTERM pending in the calling thread and every thread it starts from
  //! now on; RunUntilSignal takes them. Call it before a server process starts any thread:
  //! a SIGTERM that arrives while the process is still starting (a first index build has
  //! begun, a systemd stop) is then a clean shutdown, not the default action's immediate
  //! exit that leaves a half-built index behind.
  static void HoldShutdownSignals();

  struct Impl;  // public so the connection code in http_server.cc can reach it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace lakehouse
