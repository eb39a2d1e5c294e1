#include "api/chat_routes.h"

#include <fmt/format.h>

#include "api/openai_wire.h"
#include "chat/dispatcher.h"
#include "core/clock.h"
#include "core/ids.h"
#include "embed/embed_service.h"

namespace lakehouse {
namespace {

Json LakehouseMeta(const ChatOutcome& out) {
  return Json{{"provider", out.provider},
              {"latency_ms", std::round(out.latency_ms * 1000) / 1000},
              {"attempts", out.attempts},
              {"fallback_from", out.fallback_from}};
}

HttpResponse ChatAnswer(const HttpRequest& req, const ChatOutcome& out) {
  Json j = Json::object();
  j["id"] = "chatcmpl-" + req.request_id;
  j["object"] = "chat.completion";
  j["created"] = SystemClock::Get().NowMillis() / 1000;
  j["model"] = out.model;
  j["choices"] =
      Json::array({Json{{"index", 0},
                        {"message", {{"role", "assistant"}, {"content", out.reply.content}}},
                        {"finish_reason", out.reply.finish_reason}}});
  j["usage"] = ChatUsageJson(out.reply.usage);
  j["lakehouse"] = LakehouseMeta(out);
  return HttpResponse::FromJson(200, j);
}

using ErrorAnswer = HttpResponse (*)(const Status&);

// `stream: true`: server-sent events relayed as the provider streams (OpenAI's
// chat.completion.chunk objects, then "data: [DONE]"). The header leaves with the first
// piece, so a call that fails before it (every model down, a breaker open) is still an
// ordinary error answer; one that fails after it ends with an error event.
HttpResponse StreamAnswer(const ChatDeps& d, const HttpRequest& req, ChatRequest chat_req,
                          bool include_usage, ErrorAnswer error) {
  HttpResponse res;
  res.content_type = "text/event-stream";
  res.stream = [d, chat_req = std::move(chat_req), include_usage, error,
                request_id = req.request_id](BodyWriter& w) {
    const std::string id = "chatcmpl-" + request_id;
    const int64_t created = SystemClock::Get().NowMillis() / 1000;
    std::string model = chat_req.model.empty() ? d.chat->DefaultModel() : chat_req.model;
    auto chunk = [&](Json choices, const Json* usage) {
      Json c = Json::object();
      c["id"] = id;
      c["object"] = "chat.completion.chunk";
      c["created"] = created;
      c["model"] = model;
      c["choices"] = std::move(choices);
      if (usage != nullptr) c["usage"] = *usage;
      return c;
    };
    auto event = [](const Json& j) { return "data: " + DumpJson(j) + "\n\n"; };
    auto delta = [&](Json d, Json finish) {
      return Json::array(
          {Json{{"index", 0}, {"delta", std::move(d)}, {"finish_reason", std::move(finish)}}});
    };
    bool first = true;
    ChatCallContext ctx;
    ctx.request_id = request_id;
    auto out = d.chat->Stream(chat_req, ctx, [&](std::string_view piece) {
      Json dl = Json{{"content", std::string(piece)}};
      if (first) dl = Json{{"role", "assistant"}, {"content", std::string(piece)}};
      first = false;
      return w.Write(event(chunk(delta(std::move(dl), nullptr), nullptr)));
    });
    if (!out.ok()) {
      if (!w.started()) return w.Replace(error(out.status()));
      w.Write(event(ErrorJson(out.status())));
      return;
    }
    model = out->model;
    if (first)  // an empty answer: the role still opens the message
      w.Write(event(chunk(delta(Json{{"role", "assistant"}, {"content", ""}}, nullptr), nullptr)));
    Json last = chunk(delta(Json::object(), out->reply.finish_reason), nullptr);
    last["lakehouse"] = LakehouseMeta(*out);
    w.Write(event(last));
    if (include_usage) {
      const Json usage = ChatUsageJson(out->reply.usage);
      w.Write(event(chunk(Json::array(), &usage)));
    }
    w.Write("data: [DONE]\n\n");
  };
  return res;
}

HttpResponse Complete(const ChatDeps& d, HttpRequest& req, ErrorAnswer error) {
  auto body = ParseJsonObject(req.body);
  if (!body.ok()) return error(body.status());
  bool stream = false;
  auto chat_req = ParseChatRequest(*body, &stream);
  if (!chat_req.ok()) return error(chat_req.status());
  if (stream) {
    bool include_usage = false;
    if (auto so = body->find("stream_options"); so != body->end() && so->is_object())
      include_usage = so->value("include_usage", false);
    return StreamAnswer(d, req, std::move(*chat_req), include_usage, error);
  }
  ChatCallContext ctx;
  ctx.request_id = req.request_id;
  auto out = d.chat->Complete(*chat_req, ctx);
  if (!out.ok()) return error(out.status());
  return ChatAnswer(req, *out);
}

// Every model a request may name: each configured provider's allowed models (a provider
// that allows any model is listed as "provider/*"), local/planner, and the embedding models.
Json ModelListJson(const ChatDeps& d) {
  Json data = Json::array();
  const Json providers = d.chat->ProvidersJson()["providers"];
  for (const Json& p : providers) {
    if (!p.value("configured", false)) continue;
    const std::string name = p["name"].get<std::string>();
    auto add = [&](const std::string& id) {
      Json entry = OpenAiModel(id, name);
      // Whether a call to it would go out now: its provider's circuit breaker.
      if (p.contains("breaker")) entry["lakehouse"] = Json{{"breaker", p["breaker"]["state"]}};
      data.push_back(std::move(entry));
    };
    if (p["models"].empty()) add(name == "local" ? "local/planner" : name + "/*");
    for (const Json& m : p["models"]) add(name + "/" + m.get<std::string>());
  }
  if (d.embed != nullptr) data.push_back(OpenAiModel(d.embed->default_model(), "lakehouse"));
  return data;
}

HttpResponse ModelList(const ChatDeps& d) {
  return HttpResponse::FromJson(200, Json{{"object", "list"}, {"data", ModelListJson(d)}});
}

// --- Ollama's wire (/api/chat, /api/tags, /api/version), so Ollama clients can point here.

// An Ollama client names models bare ("llama3.2"): those go to the ollama provider when it
// is configured; "provider/model" names (local/planner, openrouter/...) are used as they are.
std::string OllamaModel(const ChatDeps& d, const std::string& model) {
  const std::string prefix = model.substr(0, model.find('/'));
  const auto& known = KnownChatProviders();
  if (model.find('/') != std::string::npos &&
      std::find(known.begin(), known.end(), prefix) != known.end())
    return model;
  const Json providers = d.chat->ProvidersJson()["providers"];
  for (const Json& p : providers)
    if (p["name"] == "ollama" && p.value("configured", false)) return "ollama/" + model;
  return model;
}

// An Ollama /api/chat body as the OpenAI body ParseChatRequest reads (one parser for both).
Result<Json> OllamaToOpenAi(const ChatDeps& d, const Json& body, bool* stream) {
  Json out = Json::object();
  LH_ASSIGN_OR_RETURN(auto model, OptionalString(body, "model"));
  if (!model || model->empty()) return Status::InvalidArgument("field 'model' is required");
  out["model"] = OllamaModel(d, *model);
  out["messages"] = body.value("messages", Json());
  LH_ASSIGN_OR_RETURN(auto s, OptionalBool(body, "stream"));
  *stream = s.value_or(true);  // Ollama streams unless told not to
  const Json options = body.value("options", Json::object());
  if (!options.is_object()) return Status::InvalidArgument("field 'options' must be an object");
  for (const char* k : {"temperature", "top_p", "seed", "stop"})
    if (options.contains(k)) out[k] = options[k];
  if (options.contains("num_predict")) out["max_tokens"] = options["num_predict"];
  if (auto f = body.find("format"); f != body.end() && !f->is_null()) {
    if (f->is_string() && *f == "json") {
      out["response_format"] = Json{{"type", "json_object"}};
    } else if (f->is_object()) {
      out["response_format"] =
          Json{{"type", "json_schema"}, {"json_schema", {{"name", "format"}, {"schema", *f}}}};
    } else {
      return Status::InvalidArgument("field 'format' must be \"json\" or a JSON Schema object");
    }
  }
  return out;
}

Json OllamaMessageLine(const ChatOutcome& out, const std::string& content, bool done) {
  Json j = Json::object();
  j["model"] = out.model;
  j["created_at"] = FormatRfc3339Millis(SystemClock::Get().NowMillis());
  j["message"] = Json{{"role", "assistant"}, {"content", content}};
  j["done"] = done;
  if (done) {
    const auto ns = static_cast<int64_t>(out.latency_ms * 1e6);
    j["done_reason"] = out.reply.finish_reason;
    j["total_duration"] = ns;
    j["load_duration"] = 0;
    j["prompt_eval_count"] = out.reply.usage.prompt_tokens;
    j["eval_count"] = out.reply.usage.completion_tokens;
    j["eval_duration"] = ns;
  }
  return j;
}

HttpResponse OllamaChat(const ChatDeps& d, HttpRequest& req) {
  LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
  bool stream = true;
  LH_HTTP_ASSIGN(Json openai, OllamaToOpenAi(d, body, &stream));
  LH_HTTP_ASSIGN(ChatRequest chat_req, ParseChatRequest(openai, nullptr));
  ChatCallContext ctx;
  ctx.request_id = req.request_id;
  if (!stream) {
    LH_HTTP_ASSIGN(ChatOutcome out, d.chat->Complete(chat_req, ctx));
    return HttpResponse::FromJson(200, OllamaMessageLine(out, out.reply.content, true));
  }
  // NDJSON relayed as the provider streams: a line per piece, then the closing line with
  // the counts (an error line when the call fails after the first piece).
  HttpResponse res;
  res.content_type = "application/x-ndjson";
  res.stream = [d, chat_req = std::move(chat_req), ctx](BodyWriter& w) {
    ChatOutcome partial;
    partial.model = chat_req.model;
    auto out = d.chat->Stream(chat_req, ctx, [&](std::string_view piece) {
      return w.Write(DumpJson(OllamaMessageLine(partial, std::string(piece), false)) + "\n");
    });
    if (!out.ok()) {
      if (!w.started()) return w.Replace(HttpResponse::Error(out.status()));
      w.Write(DumpJson(Json{{"error", out.status().message()}}) + "\n");
      return;
    }
    w.Write(DumpJson(OllamaMessageLine(*out, "", true)) + "\n");
  };
  return res;
}

HttpResponse OllamaTags(const ChatDeps& d) {
  Json models = Json::array();
  const Json list = ModelListJson(d);
  for (const Json& m : list) {
    const std::string id = m["id"].get<std::string>();
    models.push_back(Json{{"name", id},
                          {"model", id},
                          {"modified_at", "1970-01-01T00:00:00Z"},
                          {"size", 0},
                          {"digest", Sha256Hex(id)},
                          {"details",
                           {{"format", "remote"},
                            {"family", m["owned_by"]},
                            {"families", Json::array({m["owned_by"]})},
                            {"parameter_size", ""},
                            {"quantization_level", ""}}}});
  }
  return HttpResponse::FromJson(200, Json{{"models", std::move(models)}});
}

class ChatModule final : public Module {
 public:
  explicit ChatModule(ChatDeps deps) : d_(deps) {}
  std::string Name() const override { return "chat"; }

  void RegisterRoutes(Router& router) override {
    // The same completion under our route and OpenAI's; only the error envelope differs.
    router.Add(
        "POST", "/v1/chat",
        [d = d_](HttpRequest& req) { return Complete(d, req, HttpResponse::Error); },
        Expensive(OnPool(WorkClass::kWaiting)));
    router.Add(
        "POST", "/v1/chat/completions",
        [d = d_](HttpRequest& req) { return Complete(d, req, OpenAiError); },
        Expensive(OnPool(WorkClass::kWaiting)));
    RouteOptions models;
    models.run_inline = true;
    router.Add(
        "GET", "/v1/models", [d = d_](HttpRequest&) { return ModelList(d); }, models);
    router.Add(
        "POST", "/api/chat", [d = d_](HttpRequest& req) { return OllamaChat(d, req); },
        Expensive(OnPool(WorkClass::kWaiting)));
    router.Add(
        "GET", "/api/tags", [d = d_](HttpRequest&) { return OllamaTags(d); }, models);
    router.Add(
        "GET", "/api/version",
        [](HttpRequest&) { return HttpResponse::FromJsonText(200, R"({"version":"0.6.4"})"); },
        models);
    RouteOptions inline_route;
    inline_route.run_inline = true;
    router.Add(
        "GET", "/v1/chat/providers",
        [d = d_](HttpRequest&) { return HttpResponse::FromJson(200, d.chat->ProvidersJson()); },
        inline_route);
  }

 private:
  ChatDeps d_;
};

}  // namespace

std::unique_ptr<Module> NewChatModule(ChatDeps deps) {
  return std::make_unique<ChatModule>(deps);
}
}  // namespace lakehouse
