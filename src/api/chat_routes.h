// src/api/chat_routes.h: POST /v1/chat (OpenAI chat-completions shape) and
// GET /v1/chat/providers.
//
// `stream: true` is answered as server-sent events in the OpenAI chunk format (one
// content chunk, a finish chunk, [DONE]) so streaming clients work; the content is not
// produced incrementally. Provider metadata (which model answered, retries, fallbacks,
// latency) rides in a `lakehouse` object next to the standard fields.
#pragma once

#include <memory>

#include "api/module.h"

namespace lakehouse {

class ChatDispatcher;

struct ChatDeps {
  ChatDispatcher* chat = nullptr;
};

std::unique_ptr<Module> NewChatModule(ChatDeps deps);

}  // namespace lakehouse
