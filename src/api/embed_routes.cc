#include "api/embed_routes.h"

#include <chrono>

#include <fmt/format.h>

#include "api/openai_wire.h"
#include "chat/chat.h"
#include "core/text.h"
#include "embed/embed_service.h"

namespace lakehouse {
namespace {

struct EmbedRequest {
  std::string model;
  std::vector<std::string> texts;
  bool base64 = false;  // OpenAI's encoding_format: "base64" (little-endian float32)
};

Result<EmbedRequest> ParseEmbedRequest(const HttpRequest& req) {
  LH_ASSIGN_OR_RETURN(Json body, ParseJsonObject(req.body));
  EmbedRequest out;
  LH_ASSIGN_OR_RETURN(auto model, OptionalString(body, "model"));
  out.model = model.value_or("");
  LH_ASSIGN_OR_RETURN(auto encoding, OptionalString(body, "encoding_format"));
  if (encoding && *encoding != "float" && *encoding != "base64")
    return Status::InvalidArgument(
        fmt::format("field 'encoding_format' must be float or base64, got '{}'", *encoding));
  out.base64 = encoding && *encoding == "base64";
  auto it = body.find("input");
  if (it == body.end() || it->is_null())
    return Status::InvalidArgument("field 'input' is required");
  if (it->is_string()) {
    out.texts.push_back(it->get<std::string>());
  } else if (it->is_array()) {
    for (size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_string()) {
        return Status::InvalidArgument(
            fmt::format("field 'input[{}]' must be a string, got {}", i, JsonTypeName((*it)[i])));
      }
      out.texts.push_back((*it)[i].get<std::string>());
    }
  } else {
    return Status::InvalidArgument(fmt::format(
        "field 'input' must be a string or an array of strings, got {}", JsonTypeName(*it)));
  }
  return out;
}

// OpenAI's embeddings answer: {"object": "list", "data": [{"object": "embedding", "index",
// "embedding"}], "model", "usage"}; vectors as the cache keeps their JSON, or base64.
std::string OpenAiEmbeddings(const EmbedResult& r, const EmbedRequest& req) {
  int64_t tokens = 0;
  for (const auto& t : req.texts) tokens += ApproxTokens(t);
  std::string out = R"({"object":"list","data":[)";
  for (size_t i = 0; i < r.items.size(); ++i) {
    if (i > 0) out += ',';
    out += fmt::format(R"({{"object":"embedding","index":{},"embedding":)", i);
    const Embedding& v = r.items[i]->vector;
    if (req.base64) {
      out += '"';
      out += Base64Encode(
          std::string_view(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
      out += '"';
    } else {
      out += r.items[i]->json;
    }
    out += '}';
  }
  out += R"(],"model":")";
  AppendJsonEscaped(out, r.model);
  out += fmt::format(R"(","usage":{{"prompt_tokens":{},"total_tokens":{}}}}})", tokens, tokens);
  return out;
}

class EmbedModule final : public Module {
 public:
  explicit EmbedModule(EmbedDeps deps) : d_(deps) {}
  std::string Name() const override { return "embed"; }

  void RegisterRoutes(Router& router) override {
    RouteOptions options;
    options.access = Access::kRead;  // computes, changes nothing
    // Warm cache: answered on the I/O thread with no provider call.
    options.fast_path = [d = d_](HttpRequest& req) -> std::optional<HttpResponse> {
      auto parsed = ParseEmbedRequest(req);
      if (!parsed.ok()) return HttpResponse::Error(parsed.status());
      auto hit = d.embed->TryCached(parsed->model, parsed->texts);
      if (!hit) return std::nullopt;
      return HttpResponse::FromJsonText(200, hit->ToJsonText());
    };
    router.Add(
        "POST", "/v1/embed",
        [d = d_](HttpRequest& req) {
          auto parsed = ParseEmbedRequest(req);
          if (!parsed.ok()) return HttpResponse::Error(parsed.status());
          auto r = d.embed->Embed(parsed->model, parsed->texts);
          if (!r.ok()) return HttpResponse::Error(r.status());
          return HttpResponse::FromJsonText(200, r->ToJsonText());
        },
        options);
    RouteOptions openai = options;
    openai.fast_path = [d = d_](HttpRequest& req) -> std::optional<HttpResponse> {
      auto parsed = ParseEmbedRequest(req);
      if (!parsed.ok()) return OpenAiError(parsed.status());
      auto hit = d.embed->TryCached(parsed->model, parsed->texts);
      if (!hit) return std::nullopt;
      return HttpResponse::FromJsonText(200, OpenAiEmbeddings(*hit, *parsed));
    };
    router.Add(
        "POST", "/v1/embeddings",
        [d = d_](HttpRequest& req) {
          auto parsed = ParseEmbedRequest(req);
          if (!parsed.ok()) return OpenAiError(parsed.status());
          auto r = d.embed->Embed(parsed->model, parsed->texts);
          if (!r.ok()) return OpenAiError(r.status());
          return HttpResponse::FromJsonText(200, OpenAiEmbeddings(*r, *parsed));
        },
        openai);
    // Ollama's /api/embed: {model, input} -> {model, embeddings, total_duration, ...}.
    RouteOptions ollama = options;
    ollama.fast_path = nullptr;  // the cache still serves it, through Embed
    router.Add(
        "POST", "/api/embed",
        [d = d_](HttpRequest& req) {
          const auto start = std::chrono::steady_clock::now();
          LH_HTTP_ASSIGN(EmbedRequest parsed, ParseEmbedRequest(req));
          LH_HTTP_ASSIGN(EmbedResult r, d.embed->Embed(parsed.model, parsed.texts));
          int64_t tokens = 0;
          for (const auto& t : parsed.texts) tokens += ApproxTokens(t);
          std::string out = R"({"model":")";
          AppendJsonEscaped(out, r.model);
          out += R"(","embeddings":[)";
          for (size_t i = 0; i < r.items.size(); ++i) {
            if (i > 0) out += ',';
            out += r.items[i]->json;
          }
          const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::steady_clock::now() - start)
                              .count();
          out += fmt::format(R"(],"total_duration":{},"load_duration":0,"prompt_eval_count":{}}})",
                             ns, tokens);
          return HttpResponse::FromJsonText(200, std::move(out));
        },
        ollama);
  }

 private:
  EmbedDeps d_;
};

}  // namespace

std::unique_ptr<Module> NewEmbedModule(EmbedDeps deps) {
  return std::make_unique<EmbedModule>(deps);
}
}  // namespace lakehouse
