// Ollama and OpenAI-compatible embedding clients over libcurl.
#include <atomic>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "core/json.h"
#include "embed/embedder.h"

namespace lakehouse {
namespace {

enum class Wire { kOllama, kOpenAI };

class RemoteEmbedder final : public Embedder {
 public:
  RemoteEmbedder(Wire wire, std::string model, std::string remote_model, RemoteEmbedderOptions o)
      : wire_(wire),
        model_(std::move(model)),
        remote_model_(std::move(remote_model)),
        opt_(std::move(o)),
        breaker_("embed", Provider(), opt_.breaker) {
    if (!opt_.api_key.empty())
      opt_.http.headers.emplace_back("Authorization", "Bearer " + opt_.api_key);
    while (!opt_.base_url.empty() && opt_.base_url.back() == '/') opt_.base_url.pop_back();
    // "https://api.openai.com" (no path) is the host of the /v1 API.
    const size_t scheme = opt_.base_url.find("://");
    if (wire_ == Wire::kOpenAI &&
        opt_.base_url.find('/', scheme == std::string::npos ? 0 : scheme + 3) == std::string::npos)
      opt_.base_url += "/v1";
  }
  const std::string& model() const override { return model_; }
  int dims() const override { return dims_.load(); }

  Result<std::vector<Embedding>> Embed(std::span<const std::string> texts) override {
    std::vector<Embedding> out;
    out.reserve(texts.size());
    for (size_t start = 0; start < texts.size(); start += static_cast<size_t>(opt_.max_batch)) {
      const auto batch =
          texts.subspan(start, std::min(texts.size() - start, static_cast<size_t>(opt_.max_batch)));
      LH_ASSIGN_OR_RETURN(auto vectors, Call(batch));
      for (auto& v : vectors) out.push_back(std::move(v));
    }
    return out;
  }

 private:
  std::string Provider() const { return model_.substr(0, model_.find('/')); }

  // One batch, retried while the failure is retryable, through the breaker.
  Result<std::vector<Embedding>> Call(std::span<const std::string> texts) {
    Json body = Json::object();
    body["model"] = remote_model_;
    body["input"] = Json::array();
    for (const auto& t : texts) body["input"].push_back(t);
    const std::string text = DumpJson(body);
    for (int attempt = 0;; ++attempt) {
      if (!breaker_.Allow()) {
        return Status::Unavailable(fmt::format(
            "embedding provider {} is failing: its circuit breaker is open (probing again in {} "
            "ms)",
            Provider(), breaker_.RetryIn().count()));
      }
      bool retryable = false;
      std::optional<std::chrono::milliseconds> retry_after;
      auto r = CallOnce(text, texts.size(), retryable, retry_after);
      if (r.ok()) {
        breaker_.Success();
        return r;
      }
      // 429 is a quota, not an outage; other retryable failures count against the breaker.
      if (retryable && r.status().code() != ErrorCode::kRateLimited)
        breaker_.Failure();
      else
        breaker_.Neutral();
      if (!retryable || attempt >= opt_.max_retries) return r;
      auto wait = JitteredBackoff(attempt, opt_.retry_base, opt_.retry_max);
      if (retry_after) {
        if (*retry_after > std::chrono::seconds(30)) return r;
        wait = *retry_after;
      }
      spdlog::warn("embedding provider {} attempt {} failed ({}); retrying in {} ms", Provider(),
                   attempt + 1, r.status().ToString(), wait.count());
      std::this_thread::sleep_for(wait);
    }
  }

  Result<std::vector<Embedding>> CallOnce(const std::string& body, size_t count, bool& retryable,
                                          std::optional<std::chrono::milliseconds>& retry_after) {
    const std::string url = opt_.base_url + (wire_ == Wire::kOllama ? "/api/embed" : "/embeddings");
    auto res = pool_.Request("POST", url, body, opt_.http);
    if (!res.ok()) {
      retryable = true;
      return Status(
          res.status().code() == ErrorCode::kDeadlineExceeded ? ErrorCode::kDeadlineExceeded
                                                              : ErrorCode::kUnavailable,
          fmt::format("embedding provider {} unreachable: {}", Provider(), res.status().message()));
    }
    if (res->status == 429 || res->status >= 500) {
      retryable = true;
      retry_after = ParseRetryAfter(res->Header("retry-after"), SystemClock::Get().NowMillis());
    }
    if (res->status == 429) {
      return Status(ErrorCode::kRateLimited,
                    fmt::format("embedding provider {} is rate limiting (429): {}", Provider(),
                                res->body.substr(0, 300)));
    }
    if (res->status < 200 || res->status >= 300) {
      return Status::BadGateway(fmt::format("embedding provider {} answered HTTP {}: {}",
                                            Provider(), res->status, res->body.substr(0, 300)));
    }
    retryable = true;  // a 2xx that is not the provider's shape: a broken upstream
    auto parsed = ParseJson(res->body);
    if (!parsed.ok()) {
      return Status::BadGateway(fmt::format("embedding provider {} sent invalid JSON: {}",
                                            Provider(), parsed.status().message()));
    }
    std::vector<Embedding> out(count);
    try {
      if (wire_ == Wire::kOllama) {
        const Json& arr = parsed->at("embeddings");
        if (arr.size() != count) throw std::runtime_error("wrong number of embeddings");
        for (size_t i = 0; i < arr.size(); ++i) out[i] = arr[i].get<Embedding>();
      } else {
        const Json& data = parsed->at("data");
        if (data.size() != count) throw std::runtime_error("wrong number of embeddings");
        for (const auto& item : data) {
          const size_t idx = item.at("index").get<size_t>();
          if (idx >= out.size()) throw std::runtime_error("index out of range");
          out[idx] = item.at("embedding").get<Embedding>();
        }
      }
    } catch (const std::exception& e) {
      return Status::BadGateway(
          fmt::format("embedding provider {} sent an unexpected body: {}", Provider(), e.what()));
    }
    const int d = static_cast<int>(out.empty() ? 0 : out[0].size());
    for (const auto& v : out) {
      if (static_cast<int>(v.size()) != d || d == 0) {
        return Status::BadGateway(
            fmt::format("embedding provider {} sent vectors of differing sizes", Provider()));
      }
    }
    int expected = 0;
    if (!dims_.compare_exchange_strong(expected, d) && expected != d) {
      return Status::BadGateway(fmt::format(
          "embedding provider {} changed dimensions from {} to {}", Provider(), expected, d));
    }
    retryable = false;
    return out;
  }

  Wire wire_;
  std::string model_, remote_model_;
  RemoteEmbedderOptions opt_;
  std::atomic<int> dims_{0};
  HttpClientPool pool_;
  CircuitBreaker breaker_;
};

}  // namespace

std::unique_ptr<Embedder> MakeOllamaEmbedder(std::string model, std::string remote_model,
                                             RemoteEmbedderOptions o) {
  return std::make_unique<RemoteEmbedder>(Wire::kOllama, std::move(model), std::move(remote_model),
                                          std::move(o));
}

std::unique_ptr<Embedder> MakeOpenAIEmbedder(std::string model, std::string remote_model,
                                             RemoteEmbedderOptions o) {
  return std::make_unique<RemoteEmbedder>(Wire::kOpenAI, std::move(model), std::move(remote_model),
                                          std::move(o));
}

}  // namespace lakehouse
