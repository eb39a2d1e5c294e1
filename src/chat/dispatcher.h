// src/chat/dispatcher.h: routes chat calls to providers, with retries and fallbacks.
//
// `model` is "provider/model" ("openrouter/openai/gpt-4o-mini", "local/planner"); empty
// means the default model: chat.default_model, else the first configured remote provider's
// first model, else local/planner. One call:
//  1. resolves the chain: the model, then chat.fallback entries (unconfigured ones are
//     skipped and reported);
//  2. per model, retries retryable failures (429, 5xx, transport, timeout) up to
//     chat.max_retries times with exponential backoff and full jitter
//     (uniform 0..min(retry_max_ms, retry_base_ms * 2^n)); a Retry-After up to 30 s is
//     honoured instead; a longer one moves on to the fallback;
//  3. answers the first success, with which model answered and what failed before it.
// When every model fails, the error names each one; if none was reachable it is a 503
// naming the providers, never a hang (each provider call has its timeout and first-byte
// timeout). Each remote provider has a circuit breaker (core/circuit_breaker.h): while it
// is open the provider is skipped at once, as if unreachable, and the chain moves on.
// Streaming (a sink): the provider's stream is relayed as it arrives; retries and
// fallbacks happen only while nothing has been relayed, since a client cannot take back
// half an answer.
// Every call appends a chat_turn.v1 line to _kb/chat_turns.jsonl and updates metrics
// (requests, latency, tokens per provider).
//
// Thread-safety: Complete may be called concurrently.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "chat/chat.h"
#include "core/circuit_breaker.h"
#include "core/config.h"
#include "storage/kb_log.h"

namespace lakehouse {

struct ChatOutcome {
  ChatReply reply;
  std::string model;     // "provider/model" that answered
  std::string provider;  // its provider
  double latency_ms = 0;
  int64_t attempts = 0;                // provider calls made, all models together
  Json fallback_from = Json::array();  // [{model, error}] for models that failed first
};

//! Who is calling, for the _kb line.
struct ChatCallContext {
  std::string request_id;
  std::string origin = "chat";  // chat | iterate | replay
  std::string run_id;
};

class ChatDispatcher {
 public:
  //! Builds the remote providers from `config` (those with a URL and, except ollama, a
  //! key; keys also read from OPENROUTER_API_KEY, MOONSHOT_API_KEY, OLLAMA_API_KEY and
  //! OPENCODE_API_KEY when the LAKEHOUSE_ variable is unset). `kb` may be null.
  ChatDispatcher(const Config& config, KbLog* kb);
  ~ChatDispatcher();

  //! Adds (or replaces) a provider: `local` is added by the server, tests add fakes.
  void AddProvider(std::unique_ptr<ChatProvider> provider);

  Result<ChatOutcome> Complete(const ChatRequest& request, const ChatCallContext& context = {});
  //! The same call, relaying the answer's text to `sink` as the provider streams it.
  Result<ChatOutcome> Stream(const ChatRequest& request, const ChatCallContext& context,
                             const ChatDeltaSink& sink);

  //! The model an empty `model` means.
  std::string DefaultModel() const;
  //! {default_model, fallback, providers: [{name, configured, models, breaker?}]}; breaker
  //! is {state, consecutive_failures, failures_to_open, retry_in_ms?} for remote providers.
  Json ProvidersJson() const;
  //! The breaker state of a provider ("closed", "half_open", "open"), "" when it has none.
  std::string BreakerState(const std::string& provider) const;

  //! Sleep hook (tests replace it to run retries without waiting).
  std::function<void(std::chrono::milliseconds)> sleep;

 private:
  struct Resolved {
    ChatProvider* provider = nullptr;
    std::string model;  // bare model name
  };
  Result<Resolved> Resolve(const std::string& full_model) const;
  Result<ChatOutcome> Run(const ChatRequest& request, const ChatCallContext& context,
                          const ChatDeltaSink* sink);
  CircuitBreaker* BreakerOf(const std::string& provider) const;

  Config config_;
  KbLog* kb_;
  std::map<std::string, std::unique_ptr<ChatProvider>> providers_;
  std::map<std::string, std::unique_ptr<CircuitBreaker>> breakers_;  // remote providers
  std::vector<std::string> fallback_;
};

//! The provider names the dispatcher knows, in the order a default is picked.
const std::vector<std::string>& KnownChatProviders();

}  // namespace lakehouse
