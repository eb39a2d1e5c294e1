#include "api/guard.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/metrics.h"
#include "core/text.h"

namespace lakehouse {
namespace {

Counter& AuthFailures(std::string_view reason) {
  return MetricsRegistry::Global().GetCounter(
      "lakehouse_auth_failures_total",
      "requests refused for their API key: missing, malformed, unknown, revoked, scope", {"reason"},
      {std::string(reason)});
}

Counter& Refused(std::string_view reason) {
  return MetricsRegistry::Global().GetCounter(
      "lakehouse_http_refused_total",
      "requests refused before their route ran: host, origin, media_type, rate, concurrency",
      {"reason"}, {std::string(reason)});
}

//! "127.0.0.1:3100" -> "127.0.0.1", "[::1]:3100" -> "::1", lower-case.
std::string HostName(std::string_view host) {
  if (host.starts_with("[")) {
    const size_t close = host.find(']');
    return AsciiLower(host.substr(1, close == std::string_view::npos ? host.size() : close - 1));
  }
  const size_t colon = host.rfind(':');
  if (colon != std::string_view::npos && host.find(':') == colon) host = host.substr(0, colon);
  return AsciiLower(host);
}

bool Contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

//! The client's address without its port ("127.0.0.1:5432" -> "127.0.0.1").
std::string_view AddressOf(std::string_view remote) {
  const size_t colon = remote.rfind(':');
  return colon == std::string_view::npos ? remote : remote.substr(0, colon);
}

HttpResponse RateLimitedAnswer(const std::string& message, double retry_after_s) {
  HttpResponse r = HttpResponse::Error(Status(ErrorCode::kRateLimited, message));
  const std::string seconds =
      std::to_string(std::max<int64_t>(1, std::llround(std::ceil(retry_after_s))));
  for (auto& [k, v] : r.headers)
    if (k == "Retry-After") v = seconds;
  return r;
}

std::string RouteName(const HttpRequest& req, const Router::Match& match) {
  return fmt::format("{} {}", req.method, match.route != nullptr ? match.route->pattern : req.path);
}

}  // namespace

bool IsLoopbackName(std::string_view name) {
  if (name == "localhost" || name.ends_with(".localhost") || name == "::1") return true;
  return name.starts_with("127.") && std::all_of(name.begin(), name.end(), [](char c) {
           return c == '.' || std::isdigit(static_cast<unsigned char>(c));
         });
}

RequestGuard::RequestGuard(GuardOptions options, auth::KeyStore* keys,
                           std::function<void(const AuthFailureEvent&)> on_auth_failure)
    : o_(std::move(options)), keys_(keys), on_auth_failure_(std::move(on_auth_failure)) {}

std::string_view RequestGuard::BearerToken(const HttpRequest& req) {
  std::string_view h = req.Header("authorization");
  if (h.size() < 7 || !EqualsIgnoreCase(h.substr(0, 7), "bearer ")) return {};
  h.remove_prefix(7);
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  while (!h.empty() && h.back() == ' ') h.remove_suffix(1);
  return h;
}

bool RequestGuard::HostAllowed(std::string_view host_header) const {
  if (host_header.empty()) return true;  // HTTP/1.0: no name to rebind
  const std::string name = HostName(host_header);
  if (IsLoopbackName(name)) return true;
  const std::string bound = HostName(o_.bound_host);
  if (bound.empty() || bound == "0.0.0.0" || bound == "::")
    return o_.allowed_hosts.empty() || Contains(o_.allowed_hosts, "*") ||
           Contains(o_.allowed_hosts, name);
  return name == bound || Contains(o_.allowed_hosts, "*") || Contains(o_.allowed_hosts, name);
}

bool RequestGuard::CrossOriginAllowed(std::string_view origin) const {
  return Contains(o_.cors_origins, "*") || Contains(o_.cors_origins, AsciiLower(origin));
}

bool RequestGuard::SameOrigin(std::string_view origin, std::string_view host, bool tls) {
  const std::string_view scheme = tls ? "https://" : "http://";
  if (host.empty() || origin.size() <= scheme.size() ||
      !EqualsIgnoreCase(origin.substr(0, scheme.size()), scheme))
    return false;
  return EqualsIgnoreCase(origin.substr(scheme.size()), host);
}

std::optional<HttpResponse> RequestGuard::CheckBodyType(const HttpRequest& req,
                                                        const Route& route) const {
  if (req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS") return std::nullopt;
  const std::string_view length = req.Header("content-length");
  const bool has_body =
      (!length.empty() && length != "0") || !req.Header("transfer-encoding").empty();
  // No body, nothing to misread (curl labels an empty POST as a form): the Origin check
  // is what keeps other sites out.
  if (!has_body) return std::nullopt;
  const std::string type = MediaType(req.Header("content-type"));
  const std::vector<std::string>& accepted = route.options.body_types;
  if (accepted.empty()) {
    if (type == "application/json" ||
        (type.ends_with("+json") && type.find('/') != std::string::npos))
      return std::nullopt;
    Refused("media_type").Inc();
    return HttpResponse::Error(Status::UnsupportedMedia(
        type.empty() ? fmt::format("{} {} takes a JSON body: send content-type: application/json",
                                   req.method, route.pattern)
                     : fmt::format("{} {} takes application/json, not '{}': send content-type: "
                                   "application/json",
                                   req.method, route.pattern, type)));
  }
  if (!type.empty() && Contains(accepted, type)) return std::nullopt;
  Refused("media_type").Inc();
  return HttpResponse::Error(Status::UnsupportedMedia(
      fmt::format("{} {} takes a body of type {}; the request's content-type is '{}'", req.method,
                  route.pattern, fmt::join(accepted, ", "), type)));
}

HttpResponse RequestGuard::AuthRefusal(const HttpRequest& req, const Router::Match& match,
                                       const std::string& reason, const std::string& key_id,
                                       Status status) const {
  AuthFailures(reason).Inc();
  if (on_auth_failure_) {
    try {
      on_auth_failure_(AuthFailureEvent{reason, key_id, req.method,
                                        match.route != nullptr ? match.route->pattern : req.path,
                                        req.remote, req.request_id});
    } catch (...) {
      // Reporting the failure must never change the answer.
    }
  }
  HttpResponse r = HttpResponse::Error(status);
  if (status.code() == ErrorCode::kUnauthenticated)
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"lakehouse\"");
  return r;
}

Admission RequestGuard::Admit(HttpRequest& req, const Router::Match& match) {
  Admission a;
  // 1. DNS rebinding: a page on evil.example that resolves to 127.0.0.1 sends Host: evil.example.
  if (!HostAllowed(req.Header("host"))) {
    Refused("host").Inc();
    a.refuse = HttpResponse::Error(Status::PermissionDenied(fmt::format(
        "Host '{}' is not a name this server answers to (add it to server.allowed_hosts)",
        req.Header("host"))));
    return a;
  }
  // 2. Cross-site requests: only from the server's own origin or a configured one.
  const std::string_view origin = req.Header("origin");
  if (!origin.empty() && !SameOrigin(origin, req.Header("host"), o_.tls)) {
    if (!CrossOriginAllowed(origin)) {
      Refused("origin").Inc();
      a.refuse = HttpResponse::Error(Status::PermissionDenied(
          fmt::format("cross-site request refused: Origin '{}' is not this server (allow it with "
                      "server.cors_origins)",
                      origin)));
      return a;
    }
    a.headers = {
        {"Access-Control-Allow-Origin", std::string(origin)},
        {"Vary", "Origin"},
        {"Access-Control-Expose-Headers", "X-Request-Id, Retry-After, Idempotent-Replayed"}};
    if (req.method == "OPTIONS" && match.route == nullptr && !match.allowed_methods.empty()) {
      HttpResponse pre = HttpResponse::Text(204, "");
      pre.headers = {{"Access-Control-Allow-Methods",
                      fmt::format("{}", fmt::join(match.allowed_methods, ", "))},
                     {"Access-Control-Allow-Headers",
                      "authorization, content-type, idempotency-key, x-request-id"},
                     {"Access-Control-Max-Age", "600"}};
      a.refuse = std::move(pre);
      return a;
    }
  }
  if (match.route == nullptr) return a;  // 404 or 405, said by the server
  const Route& route = *match.route;
  if (route.options.access == Access::kPublic) return a;

  // 3. The key, and the scope the route needs.
  std::shared_ptr<const auth::ApiKey> key;
  const std::string_view token = BearerToken(req);
  auth::AuthFailure why = auth::AuthFailure::kMissing;
  if (keys_ != nullptr && !token.empty()) key = keys_->Authenticate(token, &why);
  if (o_.auth_required) {
    if (key == nullptr) {
      const std::string reason = auth::AuthFailureName(why);
      std::string message;
      switch (why) {
        case auth::AuthFailure::kMissing:
          message = fmt::format(
              "{} needs an API key: send Authorization: Bearer <key> (an operator creates one "
              "with `lakehouse keys create --name NAME --scopes read,write`)",
              RouteName(req, match));
          break;
        case auth::AuthFailure::kMalformed:
          message = "the API key is malformed: Lakehouse keys look like lh_<12 hex>_<48 hex>";
          break;
        case auth::AuthFailure::kRevoked:
          message = fmt::format("API key {} has been revoked", auth::KeyIdOf(token));
          break;
        case auth::AuthFailure::kUnknown:
          message = "the API key is not valid";
          break;
      }
      a.refuse = AuthRefusal(req, match, reason, auth::KeyIdOf(token),
                             Status(ErrorCode::kUnauthenticated, message));
      return a;
    }
    const auth::Scope needed = route.options.access == Access::kAdmin   ? auth::kAdmin
                               : route.options.access == Access::kWrite ? auth::kWrite
                                                                        : auth::kRead;
    if ((key->scopes & needed) == 0) {
      req.key_id = key->id;
      a.refuse = AuthRefusal(
          req, match, "scope", key->id,
          Status::PermissionDenied(fmt::format(
              "API key {} ({}) lacks the '{}' scope that {} needs; it has: {}", key->id, key->name,
              auth::ScopeName(needed), RouteName(req, match),
              fmt::join(auth::ScopesJson(key->scopes).get<std::vector<std::string>>(), ", "))));
      return a;
    }
  }
  if (key != nullptr) req.key_id = key->id;

  // 4. The body's media type.
  if (auto refused = CheckBodyType(req, route)) {
    a.refuse = std::move(*refused);
    return a;
  }

  // 5. Rate and concurrency (nothing to do, and nothing built, for most requests).
  const double rate = key != nullptr && key->rate > 0 ? key->rate : o_.rate_limit;
  if (rate <= 0 && !route.options.Expensive()) return a;
  const std::string client =
      key != nullptr ? "key " + key->id : fmt::format("address {}", AddressOf(req.remote));
  if (rate > 0) {
    const double burst = o_.rate_burst > 0 ? o_.rate_burst : std::max(1.0, rate);
    const int64_t now_us =
        std::chrono::duration_cast<std::chrono::microseconds>(req.received.time_since_epoch())
            .count();
    if (const double wait = rate_.Take(client, rate, burst, now_us); wait > 0) {
      Refused("rate").Inc();
      a.refuse = RateLimitedAnswer(
          fmt::format("rate limit exceeded: {} may send {:g} requests/s (burst {:g}); retry in "
                      "{:.1f} s",
                      client, rate, burst, wait),
          wait);
      return a;
    }
  }
  if (route.options.Expensive()) {
    const int64_t limit = key != nullptr
                              ? (key->concurrency > 0 ? key->concurrency : o_.max_expensive_per_key)
                              : o_.max_expensive_per_client;
    if (limit > 0) {
      a.hold = expensive_.TryAcquire(client, limit);
      if (a.hold == nullptr) {
        Refused("concurrency").Inc();
        a.refuse = RateLimitedAnswer(
            fmt::format("{} already has {} expensive requests (SQL, searches, chat, iterate) in "
                        "flight, its limit; retry when one finishes",
                        client, limit),
            1);
        return a;
      }
    }
  }
  return a;
}

}  // namespace lakehouse
