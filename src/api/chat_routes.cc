#include "api/chat_routes.h"

#include <fmt/format.h>

#include "chat/dispatcher.h"
#include "core/clock.h"

namespace lakehouse {
namespace {

HttpResponse ChatAnswer(const HttpRequest& req, const ChatOutcome& out, bool stream) {
  const std::string id = "chatcmpl-" + req.request_id;
  const int64_t created = SystemClock::Get().NowMillis() / 1000;
  Json meta = Json{{"provider", out.provider},
                   {"latency_ms", std::round(out.latency_ms * 1000) / 1000},
                   {"attempts", out.attempts},
                   {"fallback_from", out.fallback_from}};
  if (!stream) {
    Json j = Json::object();
    j["id"] = id;
    j["object"] = "chat.completion";
    j["created"] = created;
    j["model"] = out.model;
    j["choices"] =
        Json::array({Json{{"index", 0},
                          {"message", {{"role", "assistant"}, {"content", out.reply.content}}},
                          {"finish_reason", out.reply.finish_reason}}});
    j["usage"] = ChatUsageJson(out.reply.usage);
    j["lakehouse"] = meta;
    return HttpResponse::FromJson(200, j);
  }
  auto chunk = [&](Json delta, Json finish) {
    Json c = Json::object();
    c["id"] = id;
    c["object"] = "chat.completion.chunk";
    c["created"] = created;
    c["model"] = out.model;
    c["choices"] = Json::array(
        {Json{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", std::move(finish)}}});
    return "data: " + DumpJson(c) + "\n\n";
  };
  std::string body = chunk(Json{{"role", "assistant"}, {"content", out.reply.content}}, nullptr);
  Json last = Json::parse(chunk(Json::object(), out.reply.finish_reason).substr(6));
  last["usage"] = ChatUsageJson(out.reply.usage);
  last["lakehouse"] = meta;
  body += "data: " + DumpJson(last) + "\n\ndata: [DONE]\n\n";
  HttpResponse res = HttpResponse::Text(200, std::move(body), "text/event-stream");
  res.headers.emplace_back("Cache-Control", "no-cache");
  return res;
}

class ChatModule final : public Module {
 public:
  explicit ChatModule(ChatDeps deps) : d_(deps) {}
  std::string Name() const override { return "chat"; }

  void RegisterRoutes(Router& router) override {
    router.Add(
        "POST", "/v1/chat",
        [d = d_](HttpRequest& req) {
          LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
          bool stream = false;
          LH_HTTP_ASSIGN(ChatRequest chat_req, ParseChatRequest(body, &stream));
          ChatCallContext ctx;
          ctx.request_id = req.request_id;
          LH_HTTP_ASSIGN(ChatOutcome out, d.chat->Complete(chat_req, ctx));
          return ChatAnswer(req, out, stream);
        },
        Expensive(OnPool(WorkClass::kWaiting)));
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
