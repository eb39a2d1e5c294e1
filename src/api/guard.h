// src/api/guard.h: who may reach a route, from where, and how often (docs/SECURITY.md).
//
// The server calls RequestGuard::Admit for every request once its header is read, before
// the body (gateway/http_server.h `admit`). In order:
//   1. Host must be a name this server answers to (loopback names, the bound address,
//      server.allowed_hosts): a DNS-rebinding page cannot reach a loopback server.   403
//   2. Origin, when sent, must be the server's own or in server.cors_origins; an allowed
//      foreign origin gets CORS headers, and its OPTIONS preflight a 204.            403
//   3. The API key (Authorization: Bearer lh_...) must be active and hold the route's
//      scope (gateway/http.h Access). With auth off, a valid key is still attributed
//      (journal, limits) and anything else is anonymous.                      401 / 403
//   4. A body must have the route's media type: application/json, or the upload's own
//      (text/csv, ...). So a cross-site form or text/plain POST never runs.           415
//   5. The client's token bucket (the key's rate, else server.rate_limit; per client
//      address when anonymous) and its bound on concurrent expensive requests.        429
// Every refusal is a JSON error naming what was wrong; failed authentications are counted
// (lakehouse_auth_failures_total{reason}) and reported to `on_auth_failure` (the
// journal's auth.failed event). Refusals for the other reasons are counted in
// lakehouse_http_refused_total{reason}.
//
// Thread-safety: Admit may be called concurrently (from the I/O threads); it never blocks
// beyond short mutexes (the key store's reader lock, a limiter shard).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/keys.h"
#include "auth/limits.h"
#include "gateway/http.h"
#include "gateway/http_server.h"

namespace lakehouse {

//! A name only this machine can reach: localhost (and *.localhost), 127.x.x.x, ::1 (lower-case,
//! no port). The Host check accepts these always; `serve` allows auth off only on them.
bool IsLoopbackName(std::string_view name);

struct GuardOptions {
  bool auth_required = false;
  bool tls = false;  // the scheme of the server's own origin
  //! Exact origins allowed cross-site ("https://console.example.com"); "*" any.
  std::vector<std::string> cors_origins;
  //! Host names accepted besides loopback's and `bound_host` (lower-case, no port); "*" any.
  std::vector<std::string> allowed_hosts;
  std::string bound_host;  // the listen address; a wildcard (0.0.0.0, ::) accepts any Host
  double rate_limit = 0;   // requests/s per key without its own rate, and per anonymous address
  double rate_burst = 0;   // 0: one second's worth
  int64_t max_expensive_per_key = 4;
  int64_t max_expensive_per_client = 0;  // anonymous clients, by address; 0: unbounded
};

//! Details of a refused authentication, for the journal (never the secret).
struct AuthFailureEvent {
  std::string reason;  // missing, malformed, unknown, revoked, scope
  std::string key_id;  // when the token had a key's shape
  std::string method, route, remote, request_id;
};

class RequestGuard {
 public:
  RequestGuard(GuardOptions options, auth::KeyStore* keys,
               std::function<void(const AuthFailureEvent&)> on_auth_failure);

  Admission Admit(HttpRequest& req, const Router::Match& match);

  //! The key that signs a request's Authorization header ("" when there is none).
  static std::string_view BearerToken(const HttpRequest& req);

 private:
  bool HostAllowed(std::string_view host_header) const;
  //! `origin` is listed in server.cors_origins.
  bool CrossOriginAllowed(std::string_view origin) const;
  static bool SameOrigin(std::string_view origin, std::string_view host, bool tls);
  std::optional<HttpResponse> CheckBodyType(const HttpRequest& req, const Route& route) const;
  HttpResponse AuthRefusal(const HttpRequest& req, const Router::Match& match,
                           const std::string& reason, const std::string& key_id,
                           Status status) const;

  const GuardOptions o_;
  auth::KeyStore* const keys_;  // null: no key store (auth off, nothing attributed)
  const std::function<void(const AuthFailureEvent&)> on_auth_failure_;
  auth::RateLimiter rate_;
  auth::ConcurrencyLimiter expensive_;
};

}  // namespace lakehouse
