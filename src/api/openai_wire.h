// src/api/openai_wire.h: what OpenAI-compatible routes share (/v1/chat/completions,
// /v1/models, /v1/embeddings): errors in OpenAI's shape, so the official SDKs and the tools
// built on them (LangChain, LlamaIndex, Open WebUI) read our failures as they read OpenAI's.
#pragma once

#include "core/status.h"
#include "gateway/http.h"

namespace lakehouse {

//! {"error": {"message", "type", "param": null, "code"}} with the status's HTTP code. `type`
//! is OpenAI's family (invalid_request_error, authentication_error, permission_error,
//! not_found_error, rate_limit_error, api_error); `code` is our error code.
HttpResponse OpenAiError(const Status& status);

//! One entry of GET /v1/models: {"id", "object": "model", "created": 0, "owned_by"}.
Json OpenAiModel(const std::string& id, const std::string& owned_by);

}  // namespace lakehouse
