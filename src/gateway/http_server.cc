#include "gateway/http_server.h"

#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <boost/asio.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "core/clock.h"
#include "core/ids.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/thread_name.h"
#include "gateway/work_pool.h"

namespace lakehouse {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// How long Stop waits for connections accepted before it began to send their first request.
constexpr std::chrono::milliseconds kFirstRequestWindow{1000};

struct ServerMetrics {
  MetricsRegistry& reg = MetricsRegistry::Global();
  Gauge& in_flight =
      reg.GetGauge("lakehouse_http_requests_in_flight", "HTTP requests being served", {}, {});
  Counter& connections =
      reg.GetCounter("lakehouse_http_connections_total", "TCP connections accepted", {}, {});

  void Observe(const std::string& method, const std::string& route, int status, double seconds) {
    reg.GetCounter("lakehouse_http_requests_total", "HTTP requests by route pattern and status",
                   {"method", "route", "status"}, {method, route, std::to_string(status)})
        .Inc();
    reg.GetHistogram("lakehouse_http_request_duration_seconds", "HTTP request latency by route",
                     {"method", "route"}, {method, route}, DefaultLatencyBounds())
        .Observe(seconds);
  }
  // Streamed answers: when the first chunk left, which is what a user waiting on it feels.
  void ObserveFirstByte(const std::string& method, const std::string& route, int64_t micros) {
    reg.GetHistogram("lakehouse_http_first_byte_seconds",
                     "time to the first byte of streamed HTTP answers by route",
                     {"method", "route"}, {method, route}, DefaultLatencyBounds())
        .Observe(static_cast<double>(micros) / 1e6);
  }
};

ServerMetrics& Metrics() {
  static ServerMetrics* m = new ServerMetrics();
  return *m;
}

Counter& TlsHandshakeFailures() {
  static Counter& c = MetricsRegistry::Global().GetCounter(
      "lakehouse_tls_handshake_failures_total",
      "TLS connections closed because the handshake failed (plain HTTP to the HTTPS port, bad "
      "client, timeout)",
      {}, {});
  return c;
}

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions opt;
  const Router& router;
  // Owned by pointer so Stop can destroy them: destroying the io_context destroys the
  // sessions its pending handlers hold, which closes their sockets (no client is left
  // hanging on a connection nobody serves).
  std::unique_ptr<asio::io_context> ioc = std::make_unique<asio::io_context>();
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  // On a strand: its accept handler and Stop's close never run at the same time.
  std::unique_ptr<tcp::acceptor> acceptor =
      std::make_unique<tcp::acceptor>(asio::make_strand(*ioc));
  std::unique_ptr<asio::ssl::context> ssl;  // set when serving HTTPS
  std::array<std::unique_ptr<WorkPool>, kWorkClasses> pools;
  std::vector<std::thread> threads;
  std::atomic<int64_t> in_flight{0};
  // Accepted connections whose first request has not arrived yet. Stop gives them a short
  // window: a client that connected just before shutdown began gets its answer, not an EOF.
  std::atomic<int64_t> opening{0};
  std::atomic<bool> stopping{false};
  std::atomic<bool> io_stopped{false};  // the I/O threads are gone: nothing posted runs
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopped = false;
  bool listener_closed = false;  // by Stop, with the connections it had queued (stop_mu)
  int bound_port = 0;

  Impl(HttpServerOptions o, const Router& r) : opt(std::move(o)), router(r) {}

  void Accept();
  void StartSession(tcp::socket socket);
  // Wakes Stop when a count it waits on changed (under its mutex, so no wake-up is lost).
  void WakeStop() {
    if (!stopping.load()) return;
    { std::lock_guard lock(stop_mu); }
    stop_cv.notify_all();
  }
};

namespace {

// One connection: plain HTTP, or HTTPS when kTls (the same code over a TLS stream).
template <bool kTls>
class Session : public std::enable_shared_from_this<Session<kTls>> {
 public:
  using Stream = std::conditional_t<kTls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;

  Session(tcp::socket socket, HttpServer::Impl& server) requires(!kTls)
      : stream_(std::move(socket)), server_(server) {
    server_.opening.fetch_add(1);
  }
  Session(tcp::socket socket, HttpServer::Impl& server) requires(kTls)
      : stream_(std::move(socket), *server.ssl), server_(server) {
    server_.opening.fetch_add(1);
  }
  ~Session() { Opened(); }

  void Start() {
    beast::error_code ec;
    Lowest().socket().set_option(tcp::no_delay(true), ec);
    auto ep = Lowest().socket().remote_endpoint(ec);
    if (!ec) remote_ = fmt::format("{}:{}", ep.address().to_string(), ep.port());
    if constexpr (kTls) {
      Lowest().expires_after(std::chrono::seconds(10));
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code hec) {
                                if (hec) {
                                  TlsHandshakeFailures().Inc();
                                  return self->Lowest().close();
                                }
                                self->ReadHeader();
                              });
    } else {
      ReadHeader();
    }
  }

 private:
  void ReadHeader() {
    string_parser_.reset();
    file_parser_.reset();
    header_parser_.emplace();
    header_parser_->header_limit(16 * 1024);
    // Beast checks Content-Length against the parser's body limit (1 MiB by default for
    // requests) while reading the header, before OnHeader can apply ours: lift it to the
    // largest body any route takes, and let OnHeader answer 413 by route.
    header_parser_->body_limit(
        static_cast<uint64_t>(std::max(server_.opt.max_body_bytes, server_.opt.max_upload_bytes)));
    Lowest().expires_after(std::chrono::milliseconds(server_.opt.idle_timeout_ms));
    http::async_read_header(
        stream_, buffer_, *header_parser_,
        beast::bind_front_handler(&Session::OnHeader, this->shared_from_this()));
  }

  // The first request arrived (or the connection ended without one).
  void Opened() {
    if (opened_) return;
    opened_ = true;
    if (server_.opening.fetch_sub(1) == 1) server_.WakeStop();
  }

  void OnHeader(beast::error_code ec, std::size_t) {
    match_ = Router::Match{};
    Opened();
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::ssl::error::stream_truncated) {
      return Close();
    }
    start_ = std::chrono::steady_clock::now();
    server_.in_flight.fetch_add(1);
    Metrics().in_flight.Add(1);
    counted_ = true;
    const auto& h = header_parser_->get();
    req_ = HttpRequest{};
    req_.received = start_;
    req_.method = std::string(h.method_string());
    req_.target = std::string(h.target());
    keep_alive_ = h.keep_alive();
    if (ec) {
      keep_alive_ = false;
      return Reply(
          HttpResponse::Error(Status::InvalidArgument("malformed HTTP request: " + ec.message())),
          "invalid");
    }
    for (const auto& field : h) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req_.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    const std::string_view target = req_.target;
    const size_t q = target.find('?');
    req_.path = PercentDecode(target.substr(0, q), false);
    if (q != std::string_view::npos) req_.query = ParseQueryString(target.substr(q + 1));
    std::string_view rid = req_.Header("x-request-id");
    req_.request_id = (!rid.empty() && rid.size() <= 128) ? std::string(rid) : NextRequestId();
    req_.remote = remote_;

    match_ = server_.router.Find(req_.method, target.substr(0, q));
    if (server_.opt.admit) {
      Admission a;
      try {
        a = server_.opt.admit(req_, match_);
      } catch (const std::exception& e) {
        a.refuse =
            HttpResponse::Error(Status::Internal(std::string("admission failed: ") + e.what()));
      }
      hold_ = std::move(a.hold);
      extra_headers_ = std::move(a.headers);
      if (a.refuse) {
        if (header_parser_->is_done()) return Reply(std::move(*a.refuse), RouteLabel());
        // Refused before its body is read. A small body (a JSON request without its key) is
        // read and dropped, so the connection stays usable; an upload, a chunked body or a
        // client waiting for 100-continue gets the answer and a closed connection (lingering
        // so it reads the answer), never an invitation to send gigabytes for nothing.
        const auto len = header_parser_->content_length();
        const std::string_view expect = req_.Header("expect");
        if (len && static_cast<int64_t>(*len) <= server_.opt.max_body_bytes && expect.empty() &&
            (match_.route == nullptr || !match_.route->options.stream_body_to_file)) {
          refusal_ = std::move(*a.refuse);
          string_parser_.emplace(std::move(*header_parser_));
          string_parser_->body_limit(static_cast<uint64_t>(server_.opt.max_body_bytes));
          return ReadBody(&Session::OnBodyRefused, string_parser_);
        }
        keep_alive_ = false;
        linger_ = true;
        return Reply(std::move(*a.refuse), RouteLabel());
      }
    }
    const bool streaming = match_.route != nullptr && match_.route->options.stream_body_to_file;
    const int64_t limit = streaming ? server_.opt.max_upload_bytes : server_.opt.max_body_bytes;
    if (auto len = header_parser_->content_length(); len && static_cast<int64_t>(*len) > limit) {
      keep_alive_ = false;
      linger_ = true;  // the body is still coming: let the client finish sending it
      return Reply(HttpResponse::Error(Status::PayloadTooLarge(fmt::format(
                       "request body of {} bytes exceeds the limit of {} bytes", *len, limit))),
                   RouteLabel());
    }
    if (match_.route == nullptr) {
      // Drain a small body so the connection stays usable, then answer 404/405.
      string_parser_.emplace(std::move(*header_parser_));
      string_parser_->body_limit(server_.opt.max_body_bytes);
      return ReadBody(&Session::OnBodyNoRoute, string_parser_);
    }
    if (streaming) {
      file_path_ = fmt::format("{}/upload-{}.body", server_.opt.staging_dir, RandomHex(8));
      file_parser_.emplace(std::move(*header_parser_));
      file_parser_->body_limit(static_cast<uint64_t>(limit));
      beast::error_code fec;
      file_parser_->get().body().open(file_path_.c_str(), beast::file_mode::write, fec);
      if (fec) {
        keep_alive_ = false;
        linger_ = true;
        return Reply(
            HttpResponse::Error(Status::IOError("cannot stage the upload: " + fec.message())),
            RouteLabel());
      }
      return ReadBody(&Session::OnBody, file_parser_);
    }
    string_parser_.emplace(std::move(*header_parser_));
    string_parser_->body_limit(static_cast<uint64_t>(limit));
    ReadBody(&Session::OnBody, string_parser_);
  }

  template <typename Parser>
  void ReadBody(void (Session::*next)(beast::error_code, std::size_t),
                std::optional<Parser>& parser) {
    // curl and others wait for "100 Continue" before sending a large body.
    const std::string_view expect = req_.Header("expect");
    if (beast::iequals(beast::string_view(expect.data(), expect.size()), "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(stream_, *cont,
                        [self = this->shared_from_this(), cont, next, &parser](beast::error_code ec,
                                                                               std::size_t) {
                          if (ec) return self->Close();
                          http::async_read(self->stream_, self->buffer_, *parser,
                                           beast::bind_front_handler(next, self));
                        });
      return;
    }
    http::async_read(stream_, buffer_, *parser,
                     beast::bind_front_handler(next, this->shared_from_this()));
  }

  std::string RouteLabel() const {
    return match_.route != nullptr ? match_.route->pattern : "unmatched";
  }

  static bool IsDiskError(beast::error_code ec) {
    if (ec.category() != beast::system_category() && ec.category() != beast::generic_category())
      return false;
    const int v = ec.value();
    return v == ENOSPC || v == EDQUOT || v == EFBIG || v == EIO || v == EROFS;
  }

  bool BodyError(beast::error_code ec) {
    if (!ec) return false;
    keep_alive_ = false;
    linger_ = true;  // answered before the whole body was read
    if (ec == http::error::body_limit) {
      Reply(HttpResponse::Error(Status::PayloadTooLarge("request body exceeds the size limit")),
            RouteLabel());
    } else if (ec == beast::error::timeout || ec == http::error::end_of_stream ||
               ec == asio::error::eof) {
      Close();
    } else if (file_parser_ && IsDiskError(ec)) {
      // Writing the upload to the staging file failed (a full disk: 507): the server's
      // condition, not a bad request.
      Reply(HttpResponse::Error(StatusFromErrno(ec.value(), "cannot stage the upload")),
            RouteLabel());
    } else {
      Reply(HttpResponse::Error(
                Status::InvalidArgument("cannot read the request body: " + ec.message())),
            RouteLabel());
    }
    return true;
  }

  void OnBodyNoRoute(beast::error_code ec, std::size_t) {
    if (BodyError(ec)) return;
    keep_alive_ = keep_alive_ && string_parser_->get().keep_alive();
    if (!match_.allowed_methods.empty()) {
      HttpResponse r = HttpResponse::Error(
          Status(ErrorCode::kMethodNotAllowed,
                 fmt::format("method {} is not allowed on {}; allowed: {}", req_.method, req_.path,
                             fmt::join(match_.allowed_methods, ", "))));
      r.headers.emplace_back("Allow", fmt::format("{}", fmt::join(match_.allowed_methods, ", ")));
      return Reply(std::move(r), "unmatched");
    }
    Reply(HttpResponse::Error(
              Status::NotFound(fmt::format("no route for {} {}", req_.method, req_.path))),
          "unmatched");
  }

  void OnBodyRefused(beast::error_code ec, std::size_t) {
    if (BodyError(ec)) return;
    keep_alive_ = keep_alive_ && string_parser_->get().keep_alive();
    HttpResponse answer = std::move(*refusal_);
    refusal_.reset();
    Reply(std::move(answer), RouteLabel());
  }

  void OnBody(beast::error_code ec, std::size_t) {
    if (BodyError(ec)) {
      RemoveUpload();
      return;
    }
    if (file_parser_) {
      file_parser_->get().body().close();
      req_.body_file = file_path_;
    } else {
      req_.body = std::move(string_parser_->get().body());
    }
    req_.params = match_.params;
    const Route* route = match_.route;
    if (route->options.run_inline) {
      return Reply(Invoke(*route), route->pattern);
    }
    if (route->options.fast_path) {
      std::optional<HttpResponse> fast;
      try {
        fast = route->options.fast_path(req_);
      } catch (const std::exception& e) {
        spdlog::warn("fast path of {} threw: {}; using the full handler", route->pattern, e.what());
      }
      if (fast) return Reply(std::move(*fast), route->pattern);
    }
    WorkPool& pool = *server_.pools[static_cast<size_t>(route->options.work)];
    const bool queued = pool.TryPost([self = this->shared_from_this(), route] {
      HttpResponse resp = self->Invoke(*route);
      if (resp.stream) return self->StreamAnswer(std::move(resp), route->pattern);
      asio::post(self->stream_.get_executor(), [self, resp = std::move(resp), route]() mutable {
        self->Reply(std::move(resp), route->pattern);
      });
    });
    if (!queued) {
      Reply(HttpResponse::Error(Status::Unavailable(fmt::format(
                "the server is busy: {} {} requests are waiting for its {} {} threads; retry "
                "shortly",
                pool.queue_capacity(), pool.name(), pool.threads(), pool.name()))),
            route->pattern);
    }
  }

  HttpResponse Invoke(const Route& route) {
    try {
      return route.handler(req_);
    } catch (const std::exception& e) {
      spdlog::error("handler {} {} threw: {} (request {})", req_.method, route.pattern, e.what(),
                    req_.request_id);
      return HttpResponse::Error(Status::Internal(std::string("unexpected error: ") + e.what()));
    } catch (...) {
      spdlog::error("handler {} {} threw a non-exception (request {})", req_.method, route.pattern,
                    req_.request_id);
      return HttpResponse::Error(Status::Internal("unexpected error"));
    }
  }

  void RemoveUpload() {
    if (!file_path_.empty()) {
      std::remove(file_path_.c_str());
      file_path_.clear();
    }
  }

  // The status line and headers every answer carries, streamed or not (on the strand).
  template <typename Body>
  void Head(http::response<Body>& res, const HttpResponse& resp) {
    res.version(11);
    res.result(static_cast<unsigned>(resp.status));
    res.set(http::field::server, "lakehouse");
    res.set(http::field::content_type, resp.content_type);
    res.set("X-Request-Id", req_.request_id);
    for (const auto& [k, v] : resp.headers) res.set(k, v);
    for (const auto& [k, v] : extra_headers_) res.set(k, v);
    extra_headers_.clear();
    hold_.reset();  // the handler is done: its concurrency slot is free
    if (server_.stopping.load()) keep_alive_ = false;
    res.keep_alive(keep_alive_);
  }

  // Metrics, the completion hook and the access log for one answered request (on the
  // strand). `first_byte_us` >= 0 for a streamed answer: when its first chunk left.
  void Record(const std::string& route_label, int status, size_t bytes,
              int64_t first_byte_us = -1) {
    const double seconds = static_cast<double>(MicrosSince(start_)) / 1e6;
    Metrics().Observe(req_.method, route_label, status, seconds);
    if (first_byte_us >= 0) Metrics().ObserveFirstByte(req_.method, route_label, first_byte_us);
    if (server_.opt.on_request) {
      try {
        server_.opt.on_request(RequestRecord{
            req_.method, route_label, req_.request_id, status, seconds, req_.key_id,
            match_.route != nullptr && (match_.route->options.access == Access::kWrite ||
                                        match_.route->options.access == Access::kAdmin)});
      } catch (...) {
        // The hook's failure must never become the request's.
      }
    }
    if (server_.opt.access_log) {
      LogAccess(AccessRecord{req_.method, req_.target, route_label, req_.request_id, remote_,
                             status, static_cast<uint64_t>(bytes),
                             static_cast<int64_t>(seconds * 1e6), first_byte_us});
    }
  }

  void Reply(HttpResponse resp, const std::string& route_label) {
    RemoveUpload();
    auto res = std::make_shared<http::response<http::string_body>>();
    Head(*res, resp);
    if (resp.redact_paths && resp.content_type.rfind("application/json", 0) == 0)
      RedactPaths(resp.body);
    res->body() = std::move(resp.body);
    res->prepare_payload();
    Record(route_label, resp.status, res->body().size());
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res](beast::error_code ec, std::size_t) {
                        self->Finish();
                        if (ec || !res->keep_alive()) return self->Close();
                        self->ReadHeader();
                      });
  }

  // A streamed answer, on the handler's worker thread: each chunk is written on the strand
  // while this thread waits, so a slow client slows its producer (bounded by the idle
  // timeout) instead of filling memory.
  class Writer final : public BodyWriter {
   public:
    Writer(Session& s, HttpResponse head) : s_(s), head_(std::move(head)) {}
    bool Write(std::string_view chunk) override {
      if (failed_) return false;
      if (chunk.empty()) return true;  // an empty chunk would end the body
      auto data = std::make_shared<std::string>(chunk);
      const bool first = !started_;
      if (first) {
        started_ = true;
        status_ = head_.status;
        first_byte_us_ = MicrosSince(s_.start_);
      }
      bytes_ += chunk.size();
      failed_ = !s_.OnStrand([self = s_.shared_from_this(), data, first,
                              head = first ? std::make_shared<HttpResponse>(std::move(head_))
                                           : nullptr](std::function<void(bool)> done) {
        self->Lowest().expires_after(std::chrono::milliseconds(self->server_.opt.idle_timeout_ms));
        auto write_chunk = [self, data, done] {
          asio::async_write(self->stream_, http::make_chunk(asio::buffer(*data)),
                            [data, done](beast::error_code ec, std::size_t) { done(!ec); });
        };
        if (!first) return write_chunk();
        auto res = std::make_shared<http::response<http::empty_body>>();
        self->Head(*res, *head);
        res->set(http::field::cache_control, "no-cache");
        res->set("X-Accel-Buffering", "no");  // proxies pass each chunk on at once
        res->chunked(true);
        auto sr = std::make_shared<http::response_serializer<http::empty_body>>(*res);
        http::async_write_header(self->stream_, *sr,
                                 [res, sr, write_chunk, done](beast::error_code ec, std::size_t) {
                                   if (ec) return done(false);
                                   write_chunk();
                                 });
      });
      return !failed_;
    }
    bool started() const override { return started_; }
    void Replace(HttpResponse response) override {
      if (started_) return;
      head_ = std::move(response);
      head_.stream = nullptr;
    }

    Session& s_;
    HttpResponse head_;
    bool started_ = false, failed_ = false;
    int status_ = 200;
    int64_t first_byte_us_ = -1;
    size_t bytes_ = 0;
  };

  void StreamAnswer(HttpResponse resp, const std::string& label) {
    auto produce = std::move(resp.stream);
    resp.stream = nullptr;
    Writer w(*this, std::move(resp));
    try {
      produce(w);
    } catch (const std::exception& e) {
      spdlog::error("stream of {} {} threw: {} (request {})", req_.method, label, e.what(),
                    req_.request_id);
      w.Replace(
          HttpResponse::Error(Status::Internal(std::string("unexpected error: ") + e.what())));
    }
    auto self = this->shared_from_this();
    if (!w.started_) {  // nothing was sent: an ordinary answer
      HttpResponse answer = std::move(w.head_);
      asio::post(stream_.get_executor(), [self, answer = std::move(answer), label]() mutable {
        self->Reply(std::move(answer), label);
      });
      return;
    }
    const bool sent = !w.failed_;
    const int status = w.status_;
    const int64_t first_byte_us = w.first_byte_us_;
    const size_t bytes = w.bytes_;
    asio::post(stream_.get_executor(), [self, sent, status, label, first_byte_us, bytes] {
      self->Record(label, status, bytes, first_byte_us);
      if (!sent) return self->Close();  // the client went away mid-answer
      self->Lowest().expires_after(std::chrono::milliseconds(self->server_.opt.idle_timeout_ms));
      asio::async_write(self->stream_, http::make_chunk_last(),
                        [self](beast::error_code ec, std::size_t) {
                          self->Finish();
                          if (ec || !self->keep_alive_) return self->Close();
                          self->ReadHeader();
                        });
    });
  }

  // Runs `op` on the connection's strand and waits for it to call its completion. When the
  // server stops before it runs, every copy of the completion is destroyed unused: the
  // guard's deleter then answers false, so the waiting thread never hangs.
  bool OnStrand(std::function<void(std::function<void(bool)>)> op) {
    struct Waiter {
      std::mutex mu;
      std::condition_variable cv;
      bool done = false, ok = false;
      void Set(bool v) {
        std::lock_guard lock(mu);
        if (done) return;
        done = true;
        ok = v;
        cv.notify_all();
      }
    };
    auto waiter = std::make_shared<Waiter>();
    std::shared_ptr<void> guard(nullptr, [waiter](void*) { waiter->Set(false); });
    asio::post(stream_.get_executor(), [op = std::move(op), waiter, guard]() mutable {
      op([waiter, guard](bool ok) { waiter->Set(ok); });
    });
    guard.reset();
    std::unique_lock lock(waiter->mu);
    // The I/O threads may stop (Stop past its grace period) with the op still queued: it
    // would then only be destroyed when Stop, after joining this thread's pool, destroys
    // the io_context. Look for that between waits.
    while (!waiter->cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return waiter->done; }))
      if (server_.io_stopped.load()) return false;
    return waiter->ok;
  }

  // Answers name files relative to the root ("<root>/datasets/x"), never by the server's
  // absolute layout: error messages (io errors, staging files) and what DuckDB's catalog
  // functions show (duckdb_views() holds each view's read_parquet paths).
  void RedactPaths(std::string& body) const {
    for (const auto& [dir, name] : server_.opt.redact_paths) {
      if (dir.size() < 2) continue;
      for (size_t at = body.find(dir); at != std::string::npos; at = body.find(dir, at)) {
        body.replace(at, dir.size(), name);
        at += name.size();
      }
    }
  }

  void Finish() {
    if (!counted_) return;
    counted_ = false;
    Metrics().in_flight.Add(-1);
    if (server_.in_flight.fetch_sub(1) == 1) server_.WakeStop();
  }

  void Close() {
    Finish();
    if constexpr (kTls) {
      if (!linger_ && !tls_closing_) {
        // close_notify first, so the client knows the answer was not cut (bounded in time).
        tls_closing_ = true;
        Lowest().expires_after(std::chrono::seconds(2));
        return stream_.async_shutdown(
            [self = this->shared_from_this()](beast::error_code) { self->Lowest().close(); });
      }
    }
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (linger_ && !server_.stopping.load()) {
      // An answer sent before the body was read (413, 507): closing with unread bytes makes
      // the kernel reset the connection, and the client, still sending, loses the answer.
      // Read and drop what it sends (bounded in bytes and time) until it closes.
      linger_ = false;
      Lowest().expires_after(std::chrono::seconds(5));
      drain_ = std::make_unique<char[]>(kDrainChunk);
      return Drain();
    }
    Lowest().close();
  }

  void Drain() {
    // Raw bytes (TLS records too): they are thrown away unread.
    Lowest().async_read_some(
        asio::buffer(drain_.get(), kDrainChunk),
        [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
          self->drained_ += n;
          if (ec || self->drained_ > (256 << 20)) return self->Lowest().close();
          self->Drain();
        });
  }

  static constexpr size_t kDrainChunk = 64 << 10;
  std::unique_ptr<char[]> drain_;
  uint64_t drained_ = 0;
  bool linger_ = false;
  bool opened_ = false;  // counted out of server_.opening

  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  Stream stream_;
  HttpServer::Impl& server_;
  std::shared_ptr<void> hold_;           // the admission's hold, until the answer is sent
  std::optional<HttpResponse> refusal_;  // the admission's answer, once the body is read
  std::vector<std::pair<std::string, std::string>> extra_headers_;
  bool tls_closing_ = false;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> header_parser_;
  std::optional<http::request_parser<http::string_body>> string_parser_;
  std::optional<http::request_parser<http::file_body>> file_parser_;
  HttpRequest req_;
  Router::Match match_;
  std::string file_path_;
  std::string remote_;
  bool keep_alive_ = true;
  bool counted_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor->async_accept(asio::make_strand(*ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
      spdlog::warn("accept failed: {}", ec.message());
    } else {
      StartSession(std::move(socket));
    }
    if (acceptor->is_open()) Accept();
  });
}

void HttpServer::Impl::StartSession(tcp::socket socket) {
  Metrics().connections.Inc();
  if (ssl)
    std::make_shared<Session<true>>(std::move(socket), *this)->Start();
  else
    std::make_shared<Session<false>>(std::move(socket), *this)->Start();
}

HttpServer::HttpServer(HttpServerOptions options, const Router& router)
    : impl_(std::make_unique<Impl>(std::move(options), router)) {}

HttpServer::~HttpServer() {
  Stop();
}

Status HttpServer::Start() {
  Impl& s = *impl_;
  beast::error_code ec;
  if (s.opt.tls_cert_file.empty() != s.opt.tls_key_file.empty())
    return Status::InvalidArgument(
        "HTTPS needs both a certificate and a key (--tls-cert, --tls-key)");
  if (!s.opt.tls_cert_file.empty()) {
    namespace ssl = asio::ssl;
    s.ssl = std::make_unique<ssl::context>(ssl::context::tls_server);
    s.ssl->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use);
    s.ssl->use_certificate_chain_file(s.opt.tls_cert_file, ec);
    if (ec)
      return Status::InvalidArgument(
          fmt::format("TLS certificate {}: {}", s.opt.tls_cert_file, ec.message()));
    s.ssl->use_private_key_file(s.opt.tls_key_file, ssl::context::pem, ec);
    if (ec)
      return Status::InvalidArgument(
          fmt::format("TLS key {}: {}", s.opt.tls_key_file, ec.message()));
  }
  auto address = asio::ip::make_address(s.opt.host, ec);
  if (ec)
    return Status::InvalidArgument(
        fmt::format("host '{}' is not an IP address: {}", s.opt.host, ec.message()));
  tcp::endpoint ep(address, static_cast<unsigned short>(s.opt.port));
  s.acceptor->open(ep.protocol(), ec);
  if (!ec) s.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor->bind(ep, ec);
  if (!ec) s.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Unavailable(
        fmt::format("cannot listen on {}:{}: {}", s.opt.host, s.opt.port, ec.message()));
  }
  s.bound_port = s.acceptor->local_endpoint().port();
  const int threads[kWorkClasses] = {s.opt.worker_threads, s.opt.query_threads, s.opt.bulk_threads,
                                     s.opt.waiting_threads};
  for (int c = 0; c < kWorkClasses; ++c) {
    s.pools[static_cast<size_t>(c)] =
        std::make_unique<WorkPool>(std::string(WorkClassName(static_cast<WorkClass>(c))),
                                   static_cast<size_t>(std::max(1, threads[c])),
                                   static_cast<size_t>(std::max(0, s.opt.queue_depth)));
  }
  s.work.emplace(s.ioc->get_executor());
  s.Accept();
  for (int i = 0; i < s.opt.io_threads; ++i) {
    s.threads.emplace_back([&s] { s.ioc->run(); });
    NameThread(s.threads.back(), fmt::format("http-io-{}", i));
  }
  spdlog::info(
      "listening on {}://{}:{} ({} I/O threads; worker threads: {} interactive, {} query, {} "
      "bulk, {} waiting; queues of {})",
      s.ssl ? "https" : "http", s.opt.host, s.bound_port, s.opt.io_threads, s.opt.worker_threads,
      s.opt.query_threads, s.opt.bulk_threads, s.opt.waiting_threads, s.opt.queue_depth);
  return Status::OK();
}

int HttpServer::port() const {
  return impl_->bound_port;
}

void HttpServer::Stop() {
  Impl& s = *impl_;
  {
    std::lock_guard lock(s.stop_mu);
    if (s.stopped || s.threads.empty()) return;
    s.stopped = true;
  }
  s.stopping.store(true);
  asio::post(s.acceptor->get_executor(), [&s] {
    // Connections the kernel completed but nobody accepted yet would be reset by the close:
    // take them first, so they are served like any other.
    beast::error_code ec;
    s.acceptor->non_blocking(true, ec);
    while (!ec) {
      tcp::socket socket(asio::make_strand(*s.ioc));
      s.acceptor->accept(socket, ec);
      if (!ec) s.StartSession(std::move(socket));
    }
    s.acceptor->close(ec);
    // An accept the reactor finished just before the close still has its handler queued on
    // this strand: the connections are all counted once this runs.
    asio::post(s.acceptor->get_executor(), [&s] {
      {
        std::lock_guard lock(s.stop_mu);
        s.listener_closed = true;
      }
      s.stop_cv.notify_all();
    });
  });
  {
    // Requests being served get the whole grace period; connections still to send their
    // first request get at most kFirstRequestWindow of it (a browser's idle pre-connection
    // must not hold the shutdown).
    const auto begun = std::chrono::steady_clock::now();
    const auto grace = std::chrono::milliseconds(s.opt.shutdown_grace_ms);
    std::unique_lock lock(s.stop_mu);
    s.stop_cv.wait_until(lock, begun + grace, [&s] { return s.listener_closed; });
    s.stop_cv.wait_until(lock, begun + std::min(grace, kFirstRequestWindow),
                         [&s] { return s.in_flight.load() == 0 && s.opening.load() == 0; });
    s.stop_cv.wait_until(lock, begun + grace, [&s] { return s.in_flight.load() == 0; });
  }
  if (s.in_flight.load() > 0)
    spdlog::warn("stopping with {} requests still in flight", s.in_flight.load());
  s.work.reset();
  s.ioc->stop();
  for (auto& t : s.threads) t.join();
  s.threads.clear();
  s.io_stopped.store(true);
  // Handlers still running past the grace period finish (they may post to the stopped
  // io_context, which only queues), then every remaining connection is closed.
  for (auto& pool : s.pools)
    if (pool) pool->Join();
  s.acceptor.reset();
  s.ioc.reset();
  spdlog::info("server stopped");
}

namespace {
sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}
}  // namespace

void HttpServer::HoldShutdownSignals() {
  const sigset_t set = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void HttpServer::RunUntilSignal() {
  Impl& s = *impl_;
  asio::io_context sig_ioc;
  asio::signal_set signals(sig_ioc, SIGINT, SIGTERM);
  signals.async_wait([](beast::error_code ec, int sig) {
    if (!ec) spdlog::info("received signal {}, shutting down", sig);
  });
  // The handler is installed: a signal held since HoldShutdownSignals (one that came
  // during the start) is delivered to this thread now, and later ones as they come.
  const sigset_t set = ShutdownSignals();
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  sig_ioc.run();
  (void)s;
  Stop();
}

}  // namespace lakehouse
