// src/gateway/http.h: the HTTP vocabulary subsystems use to expose routes.
//
// Plain structs and a router, with no Boost.Beast in sight: a route group
// (src/api/<group>_routes.cc) builds HttpResponses from Status and JSON, and only
// gateway/http_server.cc knows the wire. Errors always go out as
// {"error":{"code","message"}} with the status from core/status.h's table.
//
// Thread-safety: a Router is built before the server starts and read-only afterwards;
// handlers run concurrently and must be thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace lakehouse {

struct HttpRequest {
  std::string method;  // "GET"
  std::string target;  // "/v1/datasets?x=1" as sent
  std::string path;    // "/v1/datasets", percent-decoded
  std::map<std::string, std::string> query;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;       // the body, unless the route streams it to a file
  std::string body_file;  // local path of the body for streaming routes (deleted after the handler)
  std::map<std::string, std::string> params;  // "{name}" segments of the route pattern
  std::string request_id;
  std::string remote;  // "127.0.0.1:54321"
  //! The API key that sent it (its id, never the secret), set when the request is admitted;
  //! "" when no key was presented (auth off).
  std::string key_id;
  //! When the request's header arrived: deadlines count from here, so time spent waiting
  //! for a worker thread is part of a request's budget.
  std::chrono::steady_clock::time_point received = std::chrono::steady_clock::now();

  //! The first header named `name` (lower-case), or "".
  std::string_view Header(std::string_view name) const;
  std::optional<std::string> Query(const std::string& name) const;
  //! An integer query parameter in lo..hi (nullopt when absent); a 400 naming it otherwise.
  Result<std::optional<int64_t>> QueryInt(const std::string& name, int64_t lo, int64_t hi) const;
  const std::string& Param(const std::string& name) const;
};

class BodyWriter;

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  //! False: sent as it is, without replacing the root's absolute path by "<root>" (Iceberg
  //! metadata must name its files by their real URIs for engines to open them).
  bool redact_paths = true;
  //! Set: the body is produced while it is sent (SSE, NDJSON). The server calls it on the
  //! handler's worker thread (routes that run inline cannot stream) and sends what it writes
  //! as a chunked answer with this status and headers; `body` is ignored.
  std::function<void(BodyWriter&)> stream;

  static HttpResponse FromJson(int status, const Json& value);
  //! A body that is already JSON text.
  static HttpResponse FromJsonText(int status, std::string text);
  static HttpResponse Text(int status, std::string text,
                           std::string content_type = "text/plain; charset=utf-8");
  //! The uniform error answer for a non-OK status.
  static HttpResponse Error(const Status& status);
};

//! Where a streamed answer's body goes (HttpResponse::stream). The status line and headers
//! leave with the first Write, so until then the producer may still answer something else
//! (an upstream that failed before its first byte becomes an ordinary error answer).
//! Used by one thread, the producer's.
class BodyWriter {
 public:
  virtual ~BodyWriter() = default;
  //! Sends `chunk` now (one HTTP chunk) and waits until it is handed to the connection;
  //! false once the client has gone or stopped reading: the producer should stop.
  virtual bool Write(std::string_view chunk) = 0;
  //! True once the first chunk, and with it the header, was sent.
  virtual bool started() const = 0;
  //! Before the first Write: `response` is the answer instead, its status and headers
  //! what the first Write sends, or, when nothing is written, all of it (its body too).
  //! Ignored once started.
  virtual void Replace(HttpResponse response) = 0;
};

//! A streamed answer run to its end on this thread and collected into `body` (what a
//! client would have read); any other answer as it is. For in-process callers and tests.
HttpResponse Buffered(HttpResponse response);

using HttpHandler = std::function<HttpResponse(HttpRequest&)>;

//! Which worker pool runs a handler. Each class has its own threads and a bounded queue,
//! so four slow SQL queries cannot hold the threads a memory write needs, and a burst of
//! one kind is refused (503 with Retry-After) instead of queueing without end.
enum class WorkClass {
  kInteractive,  // short reads and writes (memory, fills, validate, datasets): the default
  kQuery,        // SQL, searches, playbook replays: bounded by their deadlines, but can be slow
  kBulk,         // ingest, index builds and snapshots: long, disk- or CPU-bound
  kWaiting,      // long polls and calls to model providers: they wait, they do not compute
};
inline constexpr int kWorkClasses = 4;
std::string_view WorkClassName(WorkClass c);

//! What a caller needs to use a route (docs/SECURITY.md): the scope an API key must hold,
//! or nothing at all (health checks). kDefault resolves when the route is added: GET and
//! HEAD need read, every other method write; read-only POSTs (SQL, searches) say kRead and
//! drops, keys and maintenance say kAdmin.
enum class Access { kDefault, kPublic, kRead, kWrite, kAdmin };
std::string_view AccessName(Access a);

struct RouteOptions {
  //! Run on the I/O thread (cheap, never blocks: health, metrics, cache hits). Otherwise
  //! the handler runs on the worker pool, so a slow query never stalls other connections.
  bool run_inline = false;
  //! Tried on the I/O thread first when set: an answer it returns is sent at once; when it
  //! returns nothing the handler runs on the worker pool (e.g. cache hits inline, misses
  //! that call a provider on the pool).
  std::function<std::optional<HttpResponse>(HttpRequest&)> fast_path;
  //! Stream the request body to a file in the staging directory (uploads up to
  //! max_upload_bytes) instead of memory (max_body_bytes).
  bool stream_body_to_file = false;
  //! The pool the handler runs on (unused for run_inline routes).
  WorkClass work = WorkClass::kInteractive;
  Access access = Access::kDefault;
  //! Counted against a client's bound on concurrent expensive requests (SQL, searches,
  //! chat, iterate); kQuery routes always are.
  bool expensive = false;
  //! The media types a body may have ("text/csv"); empty: application/json. A request with
  //! a body of another type is refused (415) before it reaches the handler, so a browser
  //! form posted from another site never does.
  std::vector<std::string> body_types;

  bool Expensive() const { return expensive || work == WorkClass::kQuery; }
};

//! Options that only pick the handler's pool (and the scope it needs, when not the
//! method's default).
inline RouteOptions OnPool(WorkClass work, Access access = Access::kDefault) {
  RouteOptions o;
  o.work = work;
  o.access = access;
  return o;
}
//! The same options, counted as expensive (RouteOptions::expensive).
inline RouteOptions Expensive(RouteOptions o) {
  o.expensive = true;
  return o;
}
//! Options that only name the scope a route needs.
inline RouteOptions Needs(Access access) {
  RouteOptions o;
  o.access = access;
  return o;
}

struct Route {
  std::string method;
  std::string pattern;  // "/v1/datasets/{name}"; also the metrics label
  HttpHandler handler;
  RouteOptions options;
  std::vector<std::string> segments;  // pattern split on '/'
};

class Router {
 public:
  //! Registers a route; a duplicate (method, pattern) is a programming error (throws).
  void Add(std::string method, std::string pattern, HttpHandler handler, RouteOptions options = {});

  struct Match {
    const Route* route = nullptr;  // null: no route for this method
    std::map<std::string, std::string> params;
    std::vector<std::string> allowed_methods;  // when the path matches other methods (405)
  };
  //! `path` is the raw path as sent, matched segment by segment before percent-decoding:
  //! an id holding an encoded '/' ("a%2Fb") is one segment, and its parameter is "a/b".
  Match Find(std::string_view method, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

//! Percent-decodes a URL component ('+' stays '+' in paths; query decoding maps '+' to ' ').
std::string PercentDecode(std::string_view s, bool plus_as_space);
//! Splits "a=1&b=two" into decoded pairs.
std::map<std::string, std::string> ParseQueryString(std::string_view qs);

}  // namespace lakehouse

//! In a handler: binds the value of a Result, or answers its error (status + JSON envelope).
#define LH_HTTP_ASSIGN(lhs, expr) LH_HTTP_ASSIGN_IMPL(LH_CONCAT(lh_http_, __LINE__), lhs, expr)
#define LH_HTTP_ASSIGN_IMPL(tmp, lhs, expr)                             \
  auto tmp = (expr);                                                    \
  if (!tmp.ok()) return ::lakehouse::HttpResponse::Error(tmp.status()); \
  lhs = std::move(tmp).value()
