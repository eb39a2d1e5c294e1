#include "embed/embed_service.h"

#include <cstdlib>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "core/json.h"

namespace lakehouse {

std::string EmbedResult::ToJsonText() const {
  std::string out;
  size_t size = 64 + model.size();
  for (const auto& it : items) size += it->json.size() + 1;
  out.reserve(size + cached.size() * 6);
  out += "{\"model\":\"";
  AppendJsonEscaped(out, model);
  out += "\",\"dims\":";
  out += std::to_string(dims);
  out += ",\"embeddings\":[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += items[i]->json;
  }
  out += "],\"cached\":[";
  for (size_t i = 0; i < cached.size(); ++i) {
    if (i > 0) out += ',';
    out += cached[i] ? "true" : "false";
  }
  out += "]}";
  return out;
}

EmbedService::EmbedService(const Config& config)
    : config_(config),
      default_model_(config.embed_default_model),
      cache_(static_cast<size_t>(config.embed_cache_bytes)) {}

Result<Embedder*> EmbedService::Resolve(const std::string& requested) {
  const std::string& model = requested.empty() ? default_model_ : requested;
  std::lock_guard lock(mu_);
  if (auto it = embedders_.find(model); it != embedders_.end()) return it->second.get();
  const size_t slash = model.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == model.size()) {
    return Status::InvalidArgument(fmt::format(
        "model '{}' must be provider/model (hash/default, ollama/<name>, openai/<name>)", model));
  }
  const std::string provider = model.substr(0, slash), name = model.substr(slash + 1);
  RemoteEmbedderOptions remote;
  remote.http.total_timeout = std::chrono::milliseconds(config_.embed_timeout_ms);
  remote.http.first_byte_timeout =
      std::chrono::milliseconds(config_.providers_first_byte_timeout_ms);
  remote.max_retries = static_cast<int>(config_.embed_max_retries);
  remote.retry_base = std::chrono::milliseconds(config_.chat_retry_base_ms);
  remote.retry_max = std::chrono::milliseconds(config_.chat_retry_max_ms);
  remote.breaker.failures = static_cast<int>(config_.providers_breaker_failures);
  remote.breaker.cooldown = std::chrono::milliseconds(config_.providers_breaker_cooldown_ms);
  std::unique_ptr<Embedder> e;
  if (provider == "hash") {
    e = std::make_unique<HashEmbedder>(model, static_cast<int>(config_.embed_hash_dims));
  } else if (provider == "ollama") {
    if (config_.embed_ollama_url.empty()) {
      return Status::Unavailable(
          "embedding provider ollama is not configured (set embed.ollama_url)");
    }
    remote.base_url = config_.embed_ollama_url;
    e = MakeOllamaEmbedder(model, name, remote);
  } else if (provider == "openai") {
    if (config_.embed_openai_url.empty()) {
      return Status::Unavailable(
          "embedding provider openai is not configured (set embed.openai_url)");
    }
    remote.base_url = config_.embed_openai_url;
    remote.api_key = config_.embed_openai_api_key;
    if (remote.api_key.empty()) {  // the variable every OpenAI client reads
      if (const char* k = std::getenv("OPENAI_API_KEY")) remote.api_key = k;
    }
    e = MakeOpenAIEmbedder(model, name, remote);
  } else {
    return Status::InvalidArgument(
        fmt::format("unknown embedding provider '{}' in model '{}': use hash, ollama or openai",
                    provider, model));
  }
  Embedder* raw = e.get();
  embedders_.emplace(model, std::move(e));
  return raw;
}

std::optional<EmbedResult> EmbedService::TryCached(const std::string& requested,
                                                   std::span<const std::string> texts) {
  const std::string& model = requested.empty() ? default_model_ : requested;
  EmbedResult r;
  r.items.reserve(texts.size());
  for (const auto& t : texts) {
    auto hit = cache_.Get(model, t);
    if (!hit) return std::nullopt;
    r.items.push_back(std::move(hit));
  }
  if (texts.empty()) return std::nullopt;
  r.model = model;
  r.dims = static_cast<int>(r.items[0]->vector.size());
  r.cached.assign(texts.size(), true);
  return r;
}

Result<EmbedResult> EmbedService::Embed(const std::string& requested,
                                        std::span<const std::string> texts) {
  if (texts.empty())
    return Status::InvalidArgument("input is empty: send a string or a non-empty array of strings");
  if (texts.size() > kMaxInputs) {
    return Status::InvalidArgument(
        fmt::format("input has {} texts; the limit is {}", texts.size(), kMaxInputs));
  }
  LH_ASSIGN_OR_RETURN(Embedder * embedder, Resolve(requested));
  const std::string& model = embedder->model();
  EmbedResult r;
  r.model = model;
  r.items.resize(texts.size());
  r.cached.assign(texts.size(), false);
  // Misses, each distinct text once, in first-seen order.
  std::vector<std::string> miss_texts;
  std::unordered_map<std::string_view, size_t> miss_index;
  std::vector<size_t> slot_of(texts.size(), SIZE_MAX);
  for (size_t i = 0; i < texts.size(); ++i) {
    if (auto hit = cache_.Get(model, texts[i])) {
      r.items[i] = std::move(hit);
      r.cached[i] = true;
      continue;
    }
    auto [it, inserted] = miss_index.emplace(texts[i], miss_texts.size());
    if (inserted) miss_texts.push_back(texts[i]);
    slot_of[i] = it->second;
  }
  if (!miss_texts.empty()) {
    LH_ASSIGN_OR_RETURN(auto vectors, embedder->Embed(miss_texts));
    std::vector<std::shared_ptr<const CachedEmbedding>> stored(vectors.size());
    for (size_t k = 0; k < vectors.size(); ++k)
      stored[k] = cache_.Put(model, miss_texts[k], std::move(vectors[k]));
    for (size_t i = 0; i < texts.size(); ++i) {
      if (slot_of[i] != SIZE_MAX) r.items[i] = stored[slot_of[i]];
    }
  }
  r.dims = static_cast<int>(r.items[0]->vector.size());
  return r;
}

Result<std::shared_ptr<const CachedEmbedding>> EmbedService::EmbedOne(const std::string& model,
                                                                      const std::string& text) {
  LH_ASSIGN_OR_RETURN(auto r, Embed(model, std::span<const std::string>(&text, 1)));
  return r.items[0];
}

Result<std::vector<Embedding>> EmbedService::EmbedUncached(const std::string& model,
                                                           std::span<const std::string> texts) {
  LH_ASSIGN_OR_RETURN(Embedder * embedder, Resolve(model));
  auto* hash = dynamic_cast<HashEmbedder*>(embedder);
  if (hash == nullptr || texts.size() < 1000) return embedder->Embed(texts);
  std::vector<Embedding> out(texts.size());
  const size_t n_threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> threads;
  for (size_t t = 0; t < n_threads; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < texts.size(); i += n_threads) out[i] = hash->EmbedOne(texts[i]);
    });
  }
  for (auto& th : threads) th.join();
  return out;
}

Result<int> EmbedService::Dims(const std::string& model) {
  LH_ASSIGN_OR_RETURN(Embedder * e, Resolve(model));
  return e->dims();
}

}  // namespace lakehouse
