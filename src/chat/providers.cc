#include "chat/providers.h"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "core/clock.h"
#include "core/http_client.h"

namespace lakehouse {
namespace {

std::optional<std::chrono::milliseconds> RetryAfter(const HttpClientResponse& r) {
  return ParseRetryAfter(r.Header("retry-after"), SystemClock::Get().NowMillis());
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

// A provider's stream, parsed as its bytes arrive: OpenAI's server-sent events
// ("data: {chunk}" lines, "data: [DONE]"; usage in the last chunk when include_usage) or
// Ollama's NDJSON ({"message": {"content"}, "done"}, counts on the done line). Each piece of
// text goes to the sink at once; the whole reply is assembled for the caller.
class StreamParser {
 public:
  StreamParser(ChatWire wire, const ChatDeltaSink* sink) : wire_(wire), sink_(sink) {}

  bool Feed(std::string_view bytes) {
    pending_.append(bytes);
    size_t start = 0;
    for (size_t nl = pending_.find('\n', start); nl != std::string::npos;
         nl = pending_.find('\n', start)) {
      std::string_view line(pending_.data() + start, nl - start);
      start = nl + 1;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!Line(line)) {
        gone_ = true;
        return false;
      }
    }
    pending_.erase(0, start);
    return true;
  }

  Result<ChatReply> Finish(const std::string& provider) {
    if (!pending_.empty() && !Line(pending_)) gone_ = true;
    pending_.clear();
    if (!error_.empty())
      return Status::BadGateway(
          fmt::format("chat provider {} failed mid-stream: {}", provider, error_));
    if (!any_)
      return Status::BadGateway(
          fmt::format("chat provider {} answered 200 with a stream that held no answer", provider));
    return reply_;
  }
  bool receiver_gone() const { return gone_; }

 private:
  // False when the sink says its receiver is gone.
  bool Line(std::string_view line) {
    if (wire_ == ChatWire::kOpenAi) {
      if (line.rfind("data:", 0) != 0) return true;  // comments (": keep-alive"), event names
      line.remove_prefix(5);
      while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      if (line == "[DONE]") return true;
    }
    if (line.empty()) return true;
    auto j = ParseJson(line);
    if (!j.ok() || !j->is_object()) return true;  // not ours to judge: skip
    any_ = true;
    std::string delta;
    if (auto e = j->find("error"); e != j->end() && !e->is_null()) {
      error_ = e->is_string() ? e->get<std::string>() : StringField(*e, "message");
      if (error_.empty()) error_ = e->dump();
      return true;
    }
    if (wire_ == ChatWire::kOllama) {
      if (auto m = j->find("message"); m != j->end() && m->is_object())
        delta = StringField(*m, "content");
      if (j->value("done", false)) {
        reply_.finish_reason = j->value("done_reason", std::string("stop"));
        reply_.usage.prompt_tokens = j->value("prompt_eval_count", int64_t{0});
        reply_.usage.completion_tokens = j->value("eval_count", int64_t{0});
      }
    } else {
      if (auto c = j->find("choices"); c != j->end() && c->is_array() && !c->empty()) {
        const Json& c0 = (*c)[0];
        if (c0.contains("delta") && c0["delta"].is_object())
          delta = StringField(c0["delta"], "content");
        if (c0.contains("finish_reason") && c0["finish_reason"].is_string())
          reply_.finish_reason = c0["finish_reason"].get<std::string>();
      }
      if (auto u = j->find("usage"); u != j->end() && u->is_object()) {
        reply_.usage.prompt_tokens = u->value("prompt_tokens", int64_t{0});
        reply_.usage.completion_tokens = u->value("completion_tokens", int64_t{0});
      }
    }
    if (delta.empty()) return true;
    reply_.content += delta;
    return sink_ == nullptr || (*sink_)(delta);
  }

  ChatWire wire_;
  const ChatDeltaSink* sink_;
  std::string pending_, error_;
  ChatReply reply_;
  bool any_ = false, gone_ = false;
};

class RemoteChatProvider final : public ChatProvider {
 public:
  RemoteChatProvider(ChatWire wire, RemoteProviderConfig config)
      : wire_(wire), config_(std::move(config)) {
    while (!config_.url.empty() && config_.url.back() == '/') config_.url.pop_back();
  }
  std::string_view name() const override { return config_.name; }
  std::vector<std::string> models() const override { return config_.models; }

  ProviderCall Complete(const ChatRequest& req) override { return Call(req, nullptr); }
  ProviderCall Stream(const ChatRequest& req, const ChatDeltaSink& sink) override {
    return Call(req, &sink);
  }

 private:
  // One call; with a sink, the provider's own stream (OpenAI's SSE, Ollama's NDJSON) is
  // parsed as it arrives and each piece of text handed on.
  ProviderCall Call(const ChatRequest& req, const ChatDeltaSink* sink) {
    ProviderCall call;
    Json body = Json::object();
    body["model"] = req.model;
    body["messages"] = ChatMessagesJson(req.messages);
    std::string url;
    if (wire_ == ChatWire::kOllama) {
      url = config_.url + "/api/chat";
      body["stream"] = sink != nullptr;
      Json options = Json::object();
      if (req.temperature) options["temperature"] = *req.temperature;
      if (req.max_tokens) options["num_predict"] = *req.max_tokens;
      if (req.top_p) options["top_p"] = *req.top_p;
      if (req.seed) options["seed"] = *req.seed;
      if (!req.stop.empty()) options["stop"] = req.stop;
      if (!options.empty()) body["options"] = options;
      // Ollama's structured outputs: "json", or the JSON Schema itself.
      if (req.response_format.is_object()) {
        body["format"] = StringField(req.response_format, "type") == "json_schema"
                             ? req.response_format["json_schema"]["schema"]
                             : Json("json");
      }
    } else {
      url = config_.url + "/chat/completions";
      if (req.temperature) body["temperature"] = *req.temperature;
      if (req.max_tokens) body["max_tokens"] = *req.max_tokens;
      if (req.top_p) body["top_p"] = *req.top_p;
      if (req.seed) body["seed"] = *req.seed;
      if (!req.stop.empty()) body["stop"] = req.stop;
      if (!req.user.empty()) body["user"] = req.user;
      if (req.response_format.is_object()) body["response_format"] = req.response_format;
      if (sink != nullptr) {
        body["stream"] = true;
        body["stream_options"] = Json{{"include_usage", true}};
      }
    }
    HttpCallOptions opt;
    opt.total_timeout = config_.timeout;
    opt.first_byte_timeout = config_.first_byte_timeout;
    StreamParser parser(wire_, sink);
    if (sink != nullptr)
      opt.on_body = [&parser](std::string_view bytes) { return parser.Feed(bytes); };
    if (!config_.api_key.empty())
      opt.headers.emplace_back("Authorization", "Bearer " + config_.api_key);
    if (config_.name == "openrouter") opt.headers.emplace_back("X-Title", "lakehouse");
    auto r = pool_.Request("POST", url, DumpJson(body), opt);
    if (!r.ok()) {
      call.result = Status(r.status().code(),
                           fmt::format("chat provider {}: {}", config_.name, r.status().message()));
      call.retryable = !parser.receiver_gone();
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
    call.result = sink != nullptr ? parser.Finish(config_.name) : ParseReply(r->body);
    // A 200 whose body is not the provider's shape is a broken upstream: worth a retry.
    call.retryable = !call.result.ok();
    return call;
  }

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
  HttpClientPool pool_;
};

}  // namespace

std::unique_ptr<ChatProvider> MakeRemoteChatProvider(ChatWire wire, RemoteProviderConfig config) {
  return std::make_unique<RemoteChatProvider>(wire, std::move(config));
}

namespace {

// A message's content: a string, or OpenAI's array of content parts (text only), joined.
Result<std::string> MessageContent(const Json& m, size_t i, const std::string& role) {
  auto content = m.find("content");
  // An assistant turn that only called tools has null content.
  if ((content == m.end() || content->is_null()) && role == "assistant") return std::string();
  if (content != m.end() && content->is_string()) return content->get<std::string>();
  if (content == m.end() || !content->is_array())
    return Status::InvalidArgument(
        fmt::format("field 'messages[{}].content' must be a string or an array of text parts", i));
  std::string text;
  for (size_t p = 0; p < content->size(); ++p) {
    const Json& part = (*content)[p];
    const std::string type = part.is_object() ? StringField(part, "type") : "";
    if (type != "text" || !part.contains("text") || !part["text"].is_string()) {
      return Status::InvalidArgument(fmt::format(
          "field 'messages[{}].content[{}]' must be {{\"type\": \"text\", \"text\": ...}}{}", i, p,
          type.empty() || type == "text"
              ? ""
              : fmt::format(" (content parts of type '{}' are not supported)", type)));
    }
    if (!text.empty()) text += '\n';
    text += part["text"].get<std::string>();
  }
  return text;
}

Result<Json> ResponseFormat(const Json& body) {
  auto it = body.find("response_format");
  if (it == body.end() || it->is_null()) return Json();
  if (!it->is_object())
    return Status::InvalidArgument("field 'response_format' must be an object with a 'type'");
  const std::string type = StringField(*it, "type");
  if (type == "text") return Json();
  if (type == "json_object") return *it;
  if (type == "json_schema") {
    const Json schema = it->value("json_schema", Json());
    if (!schema.is_object() || !schema.contains("schema") || !schema["schema"].is_object())
      return Status::InvalidArgument(
          "field 'response_format.json_schema.schema' must be a JSON Schema object");
    return *it;
  }
  return Status::InvalidArgument(fmt::format(
      "field 'response_format.type' must be text, json_object or json_schema, got '{}'", type));
}

}  // namespace

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
    std::string r = role->get<std::string>();
    if (r == "developer") r = "system";  // OpenAI's newer name for system instructions
    if (r != "system" && r != "user" && r != "assistant" && r != "tool") {
      return Status::InvalidArgument(fmt::format(
          "field 'messages[{}].role' must be system, developer, user, assistant or tool, got '{}'",
          i, r));
    }
    LH_ASSIGN_OR_RETURN(std::string content, MessageContent(m, i, r));
    req.messages.push_back({r, std::move(content)});
  }
  for (const char* field : {"temperature", "top_p"}) {
    auto t = body.find(field);
    if (t == body.end() || t->is_null()) continue;
    if (!t->is_number())
      return Status::InvalidArgument(fmt::format("field '{}' must be a number", field));
    (std::string_view(field) == "top_p" ? req.top_p : req.temperature) = t->get<double>();
  }
  LH_ASSIGN_OR_RETURN(req.max_tokens, OptionalInt(body, "max_tokens"));
  LH_ASSIGN_OR_RETURN(auto max_completion, OptionalInt(body, "max_completion_tokens"));
  if (max_completion) req.max_tokens = max_completion;
  if (req.max_tokens && *req.max_tokens < 1)
    return Status::InvalidArgument("field 'max_tokens' must be at least 1");
  LH_ASSIGN_OR_RETURN(req.seed, OptionalInt(body, "seed"));
  LH_ASSIGN_OR_RETURN(auto user, OptionalString(body, "user"));
  req.user = user.value_or("");
  if (auto s = body.find("stop"); s != body.end() && !s->is_null()) {
    if (s->is_string()) {
      req.stop.push_back(s->get<std::string>());
    } else if (s->is_array() && s->size() <= 4 &&
               std::all_of(s->begin(), s->end(), [](const Json& x) { return x.is_string(); })) {
      for (const Json& x : *s) req.stop.push_back(x.get<std::string>());
    } else {
      return Status::InvalidArgument(
          "field 'stop' must be a string or an array of up to 4 strings");
    }
  }
  LH_ASSIGN_OR_RETURN(auto n, OptionalInt(body, "n"));
  if (n && *n != 1) return Status::InvalidArgument("field 'n' must be 1: one choice per request");
  LH_ASSIGN_OR_RETURN(req.response_format, ResponseFormat(body));
  LH_ASSIGN_OR_RETURN(auto s, OptionalBool(body, "stream"));
  if (stream != nullptr) *stream = s.value_or(false);
  return req;
}

ProviderCall ChatProvider::Stream(const ChatRequest& request, const ChatDeltaSink& sink) {
  ProviderCall call = Complete(request);
  if (call.result.ok() && !call.result->content.empty()) sink(call.result->content);
  return call;
}

std::vector<std::string_view> TextPieces(std::string_view c, size_t size) {
  std::vector<std::string_view> pieces;
  for (size_t at = 0; at < c.size();) {
    size_t end = std::min(c.size(), at + size);
    while (end < c.size() && c[end] != ' ' && end - at < size * 3) ++end;  // whole words
    pieces.push_back(c.substr(at, end - at));
    at = end;
  }
  return pieces;
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
