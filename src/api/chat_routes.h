// src/api/chat_routes.h: POST /v1/chat and POST /v1/chat/completions (OpenAI's
// chat-completions shape; the latter also answers errors in OpenAI's shape), GET /v1/models
// (OpenAI's model list) and GET /v1/chat/providers.
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

class EmbedService;

struct ChatDeps {
  ChatDispatcher* chat = nullptr;
  EmbedService* embed = nullptr;  // for /v1/models' embedding models; null: none listed
};

std::unique_ptr<Module> NewChatModule(ChatDeps deps);

}  // namespace lakehouse
