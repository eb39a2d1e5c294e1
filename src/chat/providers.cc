#include "chat/providers.h"

#include <cstdlib>

#include <fmt/format.h>

#include "core/http_client.h"

namespace lakehouse {
namespace {

// "Retry-After: 3" (seconds) or an HTTP date (treated as 1 s: we do not parse dates).
std::optional<std::chrono::milliseconds> RetryAfter(const HttpClientResponse& r) {
  const std::string v = r.Header("retry-after");
  if (v.empty()) return std::nullopt;
  char* end = nullptr;
  const double secs = std::strtod(v.c_str(), &end);
  if (end == v.c_str() || secs < 0) return std::chrono::milliseconds(1000);
  return std::chrono::milliseconds(static_cast<int64_t>(secs * 1000));
}

// The provider's own error text, from {"error": "..."} or {"error": {"message": "..."}}.
std::string ProviderMessage(const std::string& body) {
  auto j = ParseJson(body);
  if (j.ok() && j->is_object()) {
    auto it = j->find("error");
    if (it != j->end()) {
      if (it->is_string()) return it->get<std::string>();
      if (it->is_object() && it->contains("message") && (*it)["message"].is_string())
        return (*it)["message"].get<std::string>();
    }
  }
  return body.substr(0, 200);
}

class RemoteChatProvider final : public ChatProvider {
 public:
  RemoteChatProvider(ChatWire wire, RemoteProviderConfig config)
      : wire_(wire), config_(std::move(config)) {
    while (!config_.url.empty() && config_.url.back() == '/') config_.url.pop_back();
  }
  std::string_view name() const override { return config_.name; }
  std::vector<std::string> models() const override { return config_.models; }

  ProviderCall Complete(const ChatRequest& req) override {
    ProviderCall call;
    Json body = Json::object();
    body["model"] = req.model;
    body["messages"] = ChatMessagesJson(req.messages);
    std::string url;
    if (wire_ == ChatWire::kOllama) {
      url = config_.url + "/api/chat";
      body["stream"] = false;
      Json options = Json::object();
      if (req.temperature) options["temperature"] = *req.temperature;
      if (req.max_tokens) options["num_predict"] = *req.max_tokens;
      if (!options.empty()) body["options"] = options;
    } else {
      url = config_.url + "/chat/completions";
      if (req.temperature) body["temperature"] = *req.temperature;
      if (req.max_tokens) body["max_tokens"] = *req.max_tokens;
    }
    HttpCallOptions opt;
    opt.total_timeout = config_.timeout;
    if (!config_.api_key.empty())
      opt.headers.emplace_back("Authorization", "Bearer " + config_.api_key);
    if (config_.name == "openrouter") opt.headers.emplace_back("X-Title", "lakehouse");
    auto r = HttpPostJson(url, DumpJson(body), opt);
    if (!r.ok()) {
      call.result = Status(r.status().code(),
                           fmt::format("chat provider {}: {}", config_.name, r.status().message()));
      call.retryable = true;
      return call;
    }
    if (r->status == 429) {
      call.result =
          Status(ErrorCode::kRateLimited, fmt::format("chat provider {} is rate limiting (429): {}",
                                                      config_.name, ProviderMessage(r->body)));
      call.retryable = true;
      call.retry_after = RetryAfter(*r);
      return call;
    }
    if (r->status >= 500) {
      call.result = Status::BadGateway(fmt::format("chat provider {} failed ({}): {}", config_.name,
                                                   r->status, ProviderMessage(r->body)));
      call.retryable = true;
      call.retry_after = RetryAfter(*r);
      return call;
    }
    if (r->status != 200) {
      call.result =
          Status::BadGateway(fmt::format("chat provider {} rejected the request ({}): {}",
                                         config_.name, r->status, ProviderMessage(r->body)));
      return call;
    }
    call.result = ParseReply(r->body);
    // A 200 whose body is not the provider's shape is a broken upstream: worth a retry.
    call.retryable = !call.result.ok();
    return call;
  }

 private:
  Result<ChatReply> ParseReply(const std::string& text) const {
    auto bad = [&](const std::string& what) {
      return Status::BadGateway(
          fmt::format("chat provider {} answered 200 with {}", config_.name, what));
    };
    auto parsed = ParseJson(text);
    if (!parsed.ok() || !parsed->is_object()) return bad("a body that is not a JSON object");
    const Json& j = *parsed;
    ChatReply reply;
    if (wire_ == ChatWire::kOllama) {
      auto m = j.find("message");
      if (m == j.end() || !m->is_object() || !m->contains("content") ||
          !(*m)["content"].is_string())
        return bad("no message.content");
      reply.content = (*m)["content"].get<std::string>();
      reply.finish_reason = j.value("done_reason", std::string("stop"));
      reply.usage.prompt_tokens = j.value("prompt_eval_count", int64_t{0});
      reply.usage.completion_tokens = j.value("eval_count", int64_t{0});
      return reply;
    }
    auto choices = j.find("choices");
    if (choices == j.end() || !choices->is_array() || choices->empty()) return bad("no choices");
    const Json& c0 = (*choices)[0];
    if (!c0.is_object() || !c0.contains("message") || !c0["message"].is_object())
      return bad("no choices[0].message");
    const Json& content = c0["message"].value("content", Json());
    if (!content.is_string()) return bad("no choices[0].message.content");
    reply.content = content.get<std::string>();
    if (c0.contains("finish_reason") && c0["finish_reason"].is_string())
      reply.finish_reason = c0["finish_reason"].get<std::string>();
    if (j.contains("usage") && j["usage"].is_object()) {
      reply.usage.prompt_tokens = j["usage"].value("prompt_tokens", int64_t{0});
      reply.usage.completion_tokens = j["usage"].value("completion_tokens", int64_t{0});
    }
    return reply;
  }

  ChatWire wire_;
  RemoteProviderConfig config_;
};

}  // namespace

std::unique_ptr<ChatProvider> MakeRemoteChatProvider(ChatWire wire, RemoteProviderConfig config) {
  return std::make_unique<RemoteChatProvider>(wire, std::move(config));
}

Result<ChatRequest> ParseChatRequest(const Json& body, bool* stream) {
  ChatRequest req;
  LH_ASSIGN_OR_RETURN(auto model, OptionalString(body, "model"));
  req.model = model.value_or("");
  auto msgs = body.find("messages");
  if (msgs == body.end() || msgs->is_null())
    return Status::InvalidArgument("field 'messages' is required");
  if (!msgs->is_array() || msgs->empty())
    return Status::InvalidArgument("field 'messages' must be a non-empty array");
  for (size_t i = 0; i < msgs->size(); ++i) {
    const Json& m = (*msgs)[i];
    if (!m.is_object())
      return Status::InvalidArgument(fmt::format("field 'messages[{}]' must be an object", i));
    auto role = m.find("role");
    if (role == m.end() || !role->is_string())
      return Status::InvalidArgument(fmt::format("field 'messages[{}].role' must be a string", i));
    const std::string r = role->get<std::string>();
    if (r != "system" && r != "user" && r != "assistant") {
      return Status::InvalidArgument(fmt::format(
          "field 'messages[{}].role' must be system, user or assistant, got '{}'", i, r));
    }
    auto content = m.find("content");
    if (content == m.end() || !content->is_string()) {
      return Status::InvalidArgument(
          fmt::format("field 'messages[{}].content' must be a string", i));
    }
    req.messages.push_back({r, content->get<std::string>()});
  }
  if (auto t = body.find("temperature"); t != body.end() && !t->is_null()) {
    if (!t->is_number()) return Status::InvalidArgument("field 'temperature' must be a number");
    req.temperature = t->get<double>();
  }
  LH_ASSIGN_OR_RETURN(req.max_tokens, OptionalInt(body, "max_tokens"));
  LH_ASSIGN_OR_RETURN(auto s, OptionalBool(body, "stream"));
  if (stream != nullptr) *stream = s.value_or(false);
  return req;
}

Json ChatMessagesJson(const std::vector<ChatMessage>& messages) {
  Json arr = Json::array();
  for (const auto& m : messages) arr.push_back(Json{{"role", m.role}, {"content", m.content}});
  return arr;
}

Json ChatUsageJson(const ChatUsage& u) {
  return Json{{"prompt_tokens", u.prompt_tokens},
              {"completion_tokens", u.completion_tokens},
              {"total_tokens", u.prompt_tokens + u.completion_tokens}};
}

int64_t ApproxTokens(std::string_view text) {
  int64_t n = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (!space && !in_word) ++n;
    in_word = !space;
  }
  return n;
}

}  // namespace lakehouse
