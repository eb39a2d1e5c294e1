#include "core/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <mutex>

#include <fmt/format.h>

namespace lakehouse {
namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// What one transfer's callbacks share.
struct Transfer {
  HttpClientResponse* out;
  const HttpCallOptions* options;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_byte = start;
  bool any_byte = false;
  bool stalled = false;                     // the first-byte or stall bound fired
  bool receiver_stop = false;               // on_body asked to stop
  bool decided = false, streaming = false;  // whether the body goes to on_body
  void Byte() {
    last_byte = std::chrono::steady_clock::now();
    if (!any_byte) {
      any_byte = true;
      out->first_byte_ms = std::chrono::duration<double, std::milli>(last_byte - start).count();
    }
  }
};

size_t WriteBody(char* ptr, size_t size, size_t nmemb, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  t->Byte();
  const size_t n = size * nmemb;
  if (!t->decided) {
    t->decided = true;
    t->streaming = t->options->on_body &&
                   (t->options->stream_if ? t->options->stream_if(*t->out)
                                          : t->out->status >= 200 && t->out->status < 300);
  }
  if (t->streaming) {
    if (!t->options->on_body(std::string_view(ptr, n))) {
      t->receiver_stop = true;
      return 0;  // aborts the transfer
    }
    return n;
  }
  t->out->body.append(ptr, n);
  return n;
}

// Bounds a silent upstream: no first byte within first_byte_timeout, or none for as long
// since the last one (libcurl's own low-speed limit counts whole seconds and only after
// the transfer starts; this counts from the call's start, in milliseconds).
int Progress(void* userdata, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(userdata);
  const auto limit = t->options->first_byte_timeout;
  if (limit.count() <= 0) return 0;
  if (std::chrono::steady_clock::now() - t->last_byte > limit) {
    t->stalled = true;
    return 1;
  }
  return 0;
}

size_t WriteHeader(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  t->Byte();
  std::string line(buffer, size * nitems);
  if (line.rfind("HTTP/", 0) == 0) {  // a status line (again after a 100 Continue)
    const size_t sp = line.find(' ');
    t->out->status = sp == std::string::npos ? 0 : std::atoi(line.c_str() + sp + 1);
    t->out->headers.clear();
    return size * nitems;
  }
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    t->out->headers.emplace_back(std::move(name), std::move(value));
  }
  return size * nitems;
}

}  // namespace

std::string HttpClientResponse::Header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return "";
}

Result<HttpClientResponse> HttpPostJson(const std::string& url, const std::string& body,
                                        const HttpCallOptions& options) {
  HttpSession session;
  return session.Request("POST", url, body, options);
}

HttpSession::HttpSession() {
  GlobalInit();
  curl_ = curl_easy_init();
}

HttpSession::~HttpSession() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

Result<HttpClientResponse> HttpSession::Request(const std::string& method, const std::string& url,
                                                const std::string& body,
                                                const HttpCallOptions& options) {
  CURL* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) return Status::Internal("curl_easy_init failed");
  curl_easy_reset(curl);  // options only: the connection cache survives a reset
  HttpClientResponse out;
  curl_slist* headers = nullptr;
  if (!body.empty())
    headers = curl_slist_append(headers, ("Content-Type: " + options.content_type).c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  for (const auto& [k, v] : options.headers)
    headers = curl_slist_append(headers, (k + ": " + v).c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (method == "POST" || method == "PUT" || !body.empty()) {  // PUT: Content-Length 0 too
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  if (method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);  // an answer to HEAD has no body to wait for
  } else if (method != "GET" && method != "POST") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  Transfer transfer{&out, &options};
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  if (options.first_byte_timeout.count() > 0) {
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, Progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  }
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options.total_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  const CURLcode rc = curl_easy_perform(curl);
  long status = 0, connects = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
  curl_slist_free_all(headers);
  out.new_connection = connects > 0;
  if (rc != CURLE_OK) {
    if (transfer.stalled) {
      return Status::DeadlineExceeded(
          fmt::format("{} {}: {} within the first-byte timeout of {} ms", method, url,
                      transfer.any_byte ? "the answer stalled: no byte" : "no answer",
                      options.first_byte_timeout.count()));
    }
    if (transfer.receiver_stop)
      return Status::Unavailable(fmt::format("{} {}: stopped by the receiver", method, url));
    const std::string msg = fmt::format("{} {}: {}", method, url, curl_easy_strerror(rc));
    if (rc == CURLE_OPERATION_TIMEDOUT) return Status::DeadlineExceeded(msg);
    return Status::Unavailable(msg);
  }
  out.status = static_cast<int>(status);
  return out;
}

Result<HttpClientResponse> HttpClientPool::Request(const std::string& method,
                                                   const std::string& url, const std::string& body,
                                                   const HttpCallOptions& options) {
  std::unique_ptr<HttpSession> session;
  {
    MutexLock lock(mu_);
    if (!idle_.empty()) {
      session = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!session) session = std::make_unique<HttpSession>();
  auto r = session->Request(method, url, body, options);
  MutexLock lock(mu_);
  if (r.ok() && r->new_connection) ++opened_;
  if (r.ok() && idle_.size() < max_idle_) idle_.push_back(std::move(session));
  return r;
}

void HttpClientPool::Clear() {
  MutexLock lock(mu_);
  idle_.clear();
}

uint64_t HttpClientPool::connections_opened() const {
  MutexLock lock(mu_);
  return opened_;
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         int64_t now_unix_ms) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(value.front()))) {
    const std::string v(value);
    char* end = nullptr;
    const double secs = std::strtod(v.c_str(), &end);
    if (end != v.c_str() + v.size() || secs < 0) return std::nullopt;
    // A day at most: "9e80" (or "1e999", infinity) is not a number of milliseconds.
    return std::chrono::milliseconds(static_cast<int64_t>(std::min(secs, 86400.0) * 1000));
  }
  // IMF-fixdate, the form RFC 9110 requires senders to use: "Sun, 06 Nov 1994 08:49:37 GMT".
  std::tm tm{};
  const std::string v(value);
  const char* end = strptime(v.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const int64_t at_ms = static_cast<int64_t>(timegm(&tm)) * 1000;
  return std::chrono::milliseconds(std::max<int64_t>(0, at_ms - now_unix_ms));
}

}  // namespace lakehouse
