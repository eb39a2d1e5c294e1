// src/chat/chat.h: the chat vocabulary shared by providers, the dispatcher and routes.
//
// A provider turns a ChatRequest (messages + a model name it knows) into a ChatReply or
// a failure that says whether trying again may help (429, 5xx, transport) and how long
// the provider asked us to wait (Retry-After). Providers speak their own wire format;
// the dispatcher (dispatcher.h) owns routing, retries, fallbacks and accounting.
//
// Thread-safety: providers are called concurrently and must be thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace lakehouse {

struct ChatMessage {
  std::string role;  // system | user | assistant
  std::string content;
};

struct ChatRequest {
  std::string model;  // "provider/model" at the dispatcher; the bare model at a provider
  std::vector<ChatMessage> messages;
  std::optional<double> temperature;
  std::optional<int64_t> max_tokens;
};

struct ChatUsage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

struct ChatReply {
  std::string content;
  std::string finish_reason = "stop";
  ChatUsage usage;
};

//! A provider's answer: the reply, or a failure with retry advice.
struct ProviderCall {
  Result<ChatReply> result = Status::Internal("provider call not made");
  bool retryable = false;  // 429, 5xx, transport errors and timeouts
  std::optional<std::chrono::milliseconds> retry_after;
};

class ChatProvider {
 public:
  virtual ~ChatProvider() = default;
  //! "ollama", "openrouter", "local", ...
  virtual std::string_view name() const = 0;
  //! Models this deployment allows; empty: any model name is passed through.
  virtual std::vector<std::string> models() const = 0;
  virtual ProviderCall Complete(const ChatRequest& request) = 0;
};

//! Parses an OpenAI chat-completions request body: {model?, messages: [{role, content}],
//! temperature?, max_tokens?, stream?}. Errors name the field.
Result<ChatRequest> ParseChatRequest(const Json& body, bool* stream);

//! [{role, content}], as every provider wire and the _kb line write messages.
Json ChatMessagesJson(const std::vector<ChatMessage>& messages);
//! {prompt_tokens, completion_tokens, total_tokens}: the OpenAI usage object.
Json ChatUsageJson(const ChatUsage& usage);

//! The tokens of a text, approximated as whitespace-separated words (for `local`, which
//! has no tokenizer).
int64_t ApproxTokens(std::string_view text);

}  // namespace lakehouse
