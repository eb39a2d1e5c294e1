// src/embed/embed_service.h: embeddings by model name, through the cache.
//
// Resolves "provider/model" to an Embedder (hash models are created on first use, remote
// providers only when configured), looks every text up in the cache, calls the provider
// once for the misses (deduplicated, one batch), caches them and answers in input order.
// Later subsystems (vector, retrieve, memory) embed through this service too, so a text is
// embedded once per process.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/config.h"
#include "embed/embed_cache.h"
#include "embed/embedder.h"

namespace lakehouse {

struct EmbedResult {
  std::string model;
  int dims = 0;
  std::vector<std::shared_ptr<const CachedEmbedding>> items;
  std::vector<bool> cached;
  //! {"model","dims","embeddings":[[...]],"cached":[...]}: the /v1/embed answer.
  std::string ToJsonText() const;
};

class EmbedService {
 public:
  explicit EmbedService(const Config& config);

  //! `model` empty: the default model. Errors: unknown or unconfigured provider (400/503),
  //! provider failures (502/503/504), too many texts (400).
  Result<EmbedResult> Embed(const std::string& model, std::span<const std::string> texts);
  //! The answer when every text is cached, without calling any provider; else nullopt.
  std::optional<EmbedResult> TryCached(const std::string& model,
                                       std::span<const std::string> texts);
  //! Bulk embedding that bypasses the cache (index builds: texts seen once). Splits the
  //! work across cores for the built-in hash models.
  Result<std::vector<Embedding>> EmbedUncached(const std::string& model,
                                               std::span<const std::string> texts);
  //! One text -> vector (for indexes and retrieval).
  Result<std::shared_ptr<const CachedEmbedding>> EmbedOne(const std::string& model,
                                                          const std::string& text);

  const std::string& default_model() const { return default_model_; }
  //! The dimensions a model produces (hash: configured; remote: after the first call, else 0).
  Result<int> Dims(const std::string& model);
  EmbedCache& cache() { return cache_; }

  static constexpr size_t kMaxInputs = 2048;

 private:
  Result<Embedder*> Resolve(const std::string& model);

  Config config_;
  std::string default_model_;
  EmbedCache cache_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Embedder>> embedders_;
};

}  // namespace lakehouse
