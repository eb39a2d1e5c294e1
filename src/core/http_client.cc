#include "core/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>

#include <fmt/format.h>

namespace lakehouse {
namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t WriteBody(char* ptr, size_t size, size_t nmemb, void* userdata) {
  static_cast<std::string*>(userdata)->append(ptr, size * nmemb);
  return size * nmemb;
}

size_t WriteHeader(char* buffer, size_t size, size_t nitems, void* userdata) {
  std::string line(buffer, size * nitems);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    static_cast<HttpClientResponse*>(userdata)->headers.emplace_back(std::move(name),
                                                                     std::move(value));
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
  if (method == "POST" || !body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  if (method != "GET" && method != "POST")
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &out);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options.total_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    const std::string msg = fmt::format("{} {}: {}", method, url, curl_easy_strerror(rc));
    if (rc == CURLE_OPERATION_TIMEDOUT) return Status::DeadlineExceeded(msg);
    return Status::Unavailable(msg);
  }
  out.status = static_cast<int>(status);
  return out;
}

}  // namespace lakehouse
