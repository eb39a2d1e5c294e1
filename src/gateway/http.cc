#include "gateway/http.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>

namespace lakehouse {

std::string_view HttpRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

std::optional<std::string> HttpRequest::Query(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

Result<std::optional<int64_t>> HttpRequest::QueryInt(const std::string& name, int64_t lo,
                                                     int64_t hi) const {
  auto v = Query(name);
  if (!v) return std::optional<int64_t>();
  char* end = nullptr;
  errno = 0;
  const long long n = std::strtoll(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0' || errno != 0 || n < lo || n > hi) {
    return Status::InvalidArgument(
        hi == INT64_MAX
            ? fmt::format("query parameter '{}' must be an integer >= {}", name, lo)
            : fmt::format("query parameter '{}' must be an integer {}..{}", name, lo, hi));
  }
  return std::optional<int64_t>(n);
}

const std::string& HttpRequest::Param(const std::string& name) const {
  static const std::string kEmpty;
  auto it = params.find(name);
  return it == params.end() ? kEmpty : it->second;
}

HttpResponse HttpResponse::FromJson(int status, const Json& value) {
  return FromJsonText(status, DumpJson(value));
}

HttpResponse HttpResponse::FromJsonText(int status, std::string text) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(text);
  r.body += '\n';
  return r;
}

HttpResponse HttpResponse::Text(int status, std::string text, std::string content_type) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(text);
  r.content_type = std::move(content_type);
  return r;
}

HttpResponse Buffered(HttpResponse response) {
  if (!response.stream) return response;
  class Collector final : public BodyWriter {
   public:
    explicit Collector(HttpResponse head) : head_(std::move(head)) {}
    bool Write(std::string_view chunk) override {
      if (!started_) head_.body.clear();
      started_ = true;
      head_.body.append(chunk);
      return true;
    }
    bool started() const override { return started_; }
    void Replace(HttpResponse response) override {
      if (!started_) head_ = std::move(response);
    }
    HttpResponse head_;
    bool started_ = false;
  };
  auto produce = std::move(response.stream);
  response.stream = nullptr;
  Collector c(std::move(response));
  produce(c);
  c.head_.stream = nullptr;
  return std::move(c.head_);
}

HttpResponse HttpResponse::Error(const Status& status) {
  HttpResponse r = FromJson(status.http_status(), ErrorJson(status));
  // Busy or not ready yet (a full queue, an index being built): well-behaved clients back
  // off and retry instead of failing.
  if (status.code() == ErrorCode::kUnavailable || status.code() == ErrorCode::kRateLimited)
    r.headers.emplace_back("Retry-After", "1");
  return r;
}

std::string_view WorkClassName(WorkClass c) {
  switch (c) {
    case WorkClass::kInteractive:
      return "interactive";
    case WorkClass::kQuery:
      return "query";
    case WorkClass::kBulk:
      return "bulk";
    case WorkClass::kWaiting:
      return "waiting";
  }
  return "interactive";
}

std::string_view AccessName(Access a) {
  switch (a) {
    case Access::kDefault:
      return "default";
    case Access::kPublic:
      return "public";
    case Access::kRead:
      return "read";
    case Access::kWrite:
      return "write";
    case Access::kAdmin:
      return "admin";
  }
  return "write";
}

namespace {
std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    if (i >= path.size()) break;
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}
}  // namespace

void Router::Add(std::string method, std::string pattern, HttpHandler handler,
                 RouteOptions options) {
  for (const auto& r : routes_) {
    if (r.method == method && r.pattern == pattern)
      throw std::logic_error("route registered twice: " + pattern);
  }
  if (options.access == Access::kDefault)
    options.access = (method == "GET" || method == "HEAD") ? Access::kRead : Access::kWrite;
  Route r{std::move(method), std::move(pattern), std::move(handler), options, {}};
  r.segments = SplitPath(r.pattern);
  routes_.push_back(std::move(r));
}

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  Match m;
  const auto segs = SplitPath(path);
  // Literal segments win over parameters: try exact-literal routes first.
  const Route* best = nullptr;
  int best_literals = -1;
  std::map<std::string, std::string> best_params;
  for (const auto& r : routes_) {
    if (r.segments.size() != segs.size()) continue;
    std::map<std::string, std::string> params;
    int literals = 0;
    bool ok = true;
    for (size_t i = 0; i < segs.size() && ok; ++i) {
      const std::string& p = r.segments[i];
      if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
        params[p.substr(1, p.size() - 2)] = PercentDecode(segs[i], false);
      } else if (p == segs[i] || p == PercentDecode(segs[i], false)) {
        ++literals;
      } else {
        ok = false;
      }
    }
    if (!ok) continue;
    if (r.method != method) {
      m.allowed_methods.push_back(r.method);
      continue;
    }
    if (literals > best_literals) {
      best = &r;
      best_literals = literals;
      best_params = std::move(params);
    }
  }
  if (best != nullptr) {
    m.route = best;
    m.params = std::move(best_params);
    m.allowed_methods.clear();
  }
  return m;
}

std::string PercentDecode(std::string_view s, bool plus_as_space) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else if (plus_as_space && s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> ParseQueryString(std::string_view qs) {
  std::map<std::string, std::string> out;
  size_t i = 0;
  while (i <= qs.size()) {
    size_t j = qs.find('&', i);
    if (j == std::string_view::npos) j = qs.size();
    std::string_view kv = qs.substr(i, j - i);
    if (!kv.empty()) {
      size_t eq = kv.find('=');
      std::string k = PercentDecode(kv.substr(0, eq), true);
      std::string v = eq == std::string_view::npos ? "" : PercentDecode(kv.substr(eq + 1), true);
      out.emplace(std::move(k), std::move(v));
    }
    i = j + 1;
  }
  return out;
}

}  // namespace lakehouse
