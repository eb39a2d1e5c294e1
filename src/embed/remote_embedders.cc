// Ollama and OpenAI-compatible embedding clients over libcurl.
#include <atomic>

#include <fmt/format.h>

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
        opt_(std::move(o)) {
    if (!opt_.api_key.empty())
      opt_.http.headers.emplace_back("Authorization", "Bearer " + opt_.api_key);
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

  Result<std::vector<Embedding>> Call(std::span<const std::string> texts) {
    Json body = Json::object();
    body["model"] = remote_model_;
    body["input"] = Json::array();
    for (const auto& t : texts) body["input"].push_back(t);
    const std::string url =
        opt_.base_url + (wire_ == Wire::kOllama ? "/api/embed" : "/v1/embeddings");
    auto res = HttpPostJson(url, DumpJson(body), opt_.http);
    if (!res.ok()) {
      return Status(
          res.status().code() == ErrorCode::kDeadlineExceeded ? ErrorCode::kDeadlineExceeded
                                                              : ErrorCode::kUnavailable,
          fmt::format("embedding provider {} unreachable: {}", Provider(), res.status().message()));
    }
    if (res->status < 200 || res->status >= 300) {
      return Status::BadGateway(fmt::format("embedding provider {} answered HTTP {}: {}",
                                            Provider(), res->status, res->body.substr(0, 300)));
    }
    auto parsed = ParseJson(res->body);
    if (!parsed.ok()) {
      return Status::BadGateway(fmt::format("embedding provider {} sent invalid JSON: {}",
                                            Provider(), parsed.status().message()));
    }
    std::vector<Embedding> out(texts.size());
    try {
      if (wire_ == Wire::kOllama) {
        const Json& arr = parsed->at("embeddings");
        if (arr.size() != texts.size()) throw std::runtime_error("wrong number of embeddings");
        for (size_t i = 0; i < arr.size(); ++i) out[i] = arr[i].get<Embedding>();
      } else {
        const Json& data = parsed->at("data");
        if (data.size() != texts.size()) throw std::runtime_error("wrong number of embeddings");
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
    return out;
  }

  Wire wire_;
  std::string model_, remote_model_;
  RemoteEmbedderOptions opt_;
  std::atomic<int> dims_{0};
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
