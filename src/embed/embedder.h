// src/embed/embedder.h: text -> vector providers behind one interface.
//
// Providers: `hash` (built in, the embedded default: deterministic feature hashing, no
// network), `ollama` (POST {base}/api/embed) and `openai` (any OpenAI-compatible
// POST {base}/embeddings, base ending in /v1). Model names are "provider/model"
// ("hash/default", "ollama/nomic-embed-text", "openai/text-embedding-3-small").
//
// Remote providers get what chat providers get: keep-alive connections reused across
// calls, a first-byte timeout, retries of retryable failures with backoff (Retry-After
// honoured, seconds or an HTTP date) and a circuit breaker (core/circuit_breaker.h).
// Errors: a provider that cannot be reached is Unavailable (503) naming the provider and
// the cause (also while its breaker is open); one that answers with an error or a
// malformed body is BadGateway (502).
//
// Thread-safety: Embed may be called concurrently.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/circuit_breaker.h"
#include "core/http_client.h"
#include "core/status.h"

namespace lakehouse {

using Embedding = std::vector<float>;

class Embedder {
 public:
  virtual ~Embedder() = default;
  //! "provider/model"
  virtual const std::string& model() const = 0;
  //! Dimensions, or 0 when only known after the first call (remote providers).
  virtual int dims() const = 0;
  //! One vector per text, in input order, in one provider call.
  virtual Result<std::vector<Embedding>> Embed(std::span<const std::string> texts) = 0;
};

//! Feature hashing: word unigrams and bigrams and character trigrams, each hashed into a
//! signed bucket, weighted by sublinear term frequency (1 + ln tf), L2-normalised.
//! Similar texts share features and score higher than unrelated ones.
class HashEmbedder final : public Embedder {
 public:
  HashEmbedder(std::string model, int dims);
  const std::string& model() const override { return model_; }
  int dims() const override { return dims_; }
  Result<std::vector<Embedding>> Embed(std::span<const std::string> texts) override;
  //! One text (the hot path, no allocation beyond the result).
  Embedding EmbedOne(std::string_view text) const;

 private:
  std::string model_;
  int dims_;
};

struct RemoteEmbedderOptions {
  //! "http://127.0.0.1:11434" (ollama); "https://api.openai.com/v1" (openai: the /v1
  //! convention of the chat providers' URLs; a URL with no path gets /v1 added).
  std::string base_url;
  std::string api_key;  // sent as a bearer token; never logged
  HttpCallOptions http;
  int max_batch = 256;  // texts per provider call
  //! Retryable failures (transport, timeouts, 5xx, 429) are retried this many times, with
  //! full-jitter backoff (or the provider's Retry-After, up to 30 s).
  int max_retries = 2;
  std::chrono::milliseconds retry_base{250}, retry_max{4000};
  CircuitBreaker::Options breaker;
};

//! POST {base}/api/embed {"model","input":[...]} -> {"embeddings":[[...]]}
std::unique_ptr<Embedder> MakeOllamaEmbedder(std::string model, std::string remote_model,
                                             RemoteEmbedderOptions o);
//! POST {base}/embeddings {"model","input":[...]} -> {"data":[{"index","embedding"}]}
std::unique_ptr<Embedder> MakeOpenAIEmbedder(std::string model, std::string remote_model,
                                             RemoteEmbedderOptions o);

}  // namespace lakehouse
