// src/chat/providers.h: HTTP clients for remote chat providers (libcurl, no SDKs).
//
//  - ollama        POST {url}/api/chat (stream:false); no key.
//  - ollama_cloud  the same wire at https://ollama.com with a Bearer key.
//  - openrouter, kimi (Moonshot), opencode (Zen): OpenAI-compatible
//                  POST {url}/chat/completions with a Bearer key.
// Stream() asks the provider for its own stream (SSE with stream_options.include_usage;
// Ollama's NDJSON) and hands each piece of text on as it arrives. Each provider keeps its
// connections alive across calls (core/http_client.h HttpClientPool); a call with no first
// byte within first_byte_timeout fails as a timeout, long before the total timeout.
// Failures map to statuses the dispatcher understands: 429 -> RateLimited (retryable,
// Retry-After honoured), 5xx -> BadGateway (retryable), transport -> Unavailable or
// DeadlineExceeded (retryable), other 4xx -> BadGateway naming the provider's message
// (not retryable: the same request will fail the same way). The key is sent, never logged.
//
// Thread-safety: Complete may be called concurrently.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "chat/chat.h"

namespace lakehouse {

struct RemoteProviderConfig {
  std::string name;  // provider name used in "provider/model"
  std::string url;   // base URL
  std::string api_key;
  std::vector<std::string> models;
  std::chrono::milliseconds timeout{120000};
  std::chrono::milliseconds first_byte_timeout{20000};  // 0: the total timeout only
};

enum class ChatWire { kOllama, kOpenAi };

std::unique_ptr<ChatProvider> MakeRemoteChatProvider(ChatWire wire, RemoteProviderConfig config);

}  // namespace lakehouse
