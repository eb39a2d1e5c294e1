#include "api/embed_routes.h"

#include <fmt/format.h>

#include "embed/embed_service.h"

namespace lakehouse {
namespace {

struct EmbedRequest {
  std::string model;
  std::vector<std::string> texts;
};

Result<EmbedRequest> ParseEmbedRequest(const HttpRequest& req) {
  LH_ASSIGN_OR_RETURN(Json body, ParseJsonObject(req.body));
  EmbedRequest out;
  LH_ASSIGN_OR_RETURN(auto model, OptionalString(body, "model"));
  out.model = model.value_or("");
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
  }

 private:
  EmbedDeps d_;
};

}  // namespace

std::unique_ptr<Module> NewEmbedModule(EmbedDeps deps) {
  return std::make_unique<EmbedModule>(deps);
}
}  // namespace lakehouse
