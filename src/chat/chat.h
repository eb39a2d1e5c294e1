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
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace lakehouse {

struct ChatMessage {
  std::string role;  // system | user | assistant | tool (OpenAI's developer arrives as system)
  std::string content;
};

struct ChatRequest {
  std::string model;  // "provider/model" at the dispatcher; the bare model at a provider
  std::vector<ChatMessage> messages;
  std::optional<double> temperature;
  std::optional<int64_t> max_tokens;  // max_tokens, or OpenAI's newer max_completion_tokens
  std::optional<double> top_p;
  std::optional<int64_t> seed;
  std::vector<std::string> stop;  // up to 4 sequences
  std::string user;               // the end user, passed on to providers that take it
  //! null (text), {"type": "json_object"} or {"type": "json_schema", "json_schema": {name,
  //! schema, strict?}}: passed to OpenAI-compatible providers as is, to Ollama as `format`.
  Json response_format;
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

//! Receives a streamed answer's text as the provider produces it; false: the receiver has
//! gone (the client disconnected), stop.
using ChatDeltaSink = std::function<bool(std::string_view delta)>;

class ChatProvider {
 public:
  virtual ~ChatProvider() = default;
  //! "ollama", "openrouter", "local", ...
  virtual std::string_view name() const = 0;
  //! Models this deployment allows; empty: any model name is passed through.
  virtual std::vector<std::string> models() const = 0;
  virtual ProviderCall Complete(const ChatRequest& request) = 0;
  //! The same call, handing the answer's text to `sink` as it arrives (the provider's own
  //! stream), and returning the whole reply as Complete does. The default calls Complete and
  //! hands over the content in one piece.
  virtual ProviderCall Stream(const ChatRequest& request, const ChatDeltaSink& sink);
};

//! `text` in pieces of whole words of about `size` bytes: how local/planner streams.
std::vector<std::string_view> TextPieces(std::string_view text, size_t size = 24);

//! Parses an OpenAI chat-completions request body: {model?, messages: [{role, content}],
//! temperature?, top_p?, seed?, stop?, user?, max_tokens? | max_completion_tokens?,
//! response_format?, n? (1), stream?}; content a string or text parts; developer -> system.
//! Errors name the field.
Result<ChatRequest> ParseChatRequest(const Json& body, bool* stream);

//! [{role, content}], as every provider wire and the _kb line write messages.
Json ChatMessagesJson(const std::vector<ChatMessage>& messages);
//! {prompt_tokens, completion_tokens, total_tokens}: the OpenAI usage object.
Json ChatUsageJson(const ChatUsage& usage);

//! The tokens of a text, approximated as whitespace-separated words (for `local`, which
//! has no tokenizer).
int64_t ApproxTokens(std::string_view text);

}  // namespace lakehouse
