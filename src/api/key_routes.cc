#include "api/key_routes.h"

#include "auth/keys.h"

namespace lakehouse {
namespace {

HttpResponse CreateKey(auth::KeyStore& keys, const HttpRequest& req) {
  LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
  LH_HTTP_ASSIGN(std::string name, RequiredString(body, "name"));
  if (!body.contains("scopes"))
    return HttpResponse::Error(
        Status::InvalidArgument("field 'scopes' is required: a list of read, write, admin"));
  LH_HTTP_ASSIGN(uint8_t scopes, auth::ParseScopesJson(body["scopes"]));
  double rate = 0;
  if (body.contains("rate")) {
    if (!body["rate"].is_number())
      return HttpResponse::Error(
          Status::InvalidArgument("field 'rate' must be a number of requests per second"));
    rate = body["rate"].get<double>();
  }
  LH_HTTP_ASSIGN(std::optional<int64_t> concurrency, OptionalInt(body, "concurrency"));
  LH_HTTP_ASSIGN(auth::NewKey created, keys.Create(name, scopes, rate, concurrency.value_or(0)));
  return HttpResponse::FromJson(201, created.ToJson());
}

class KeysModule final : public Module {
 public:
  explicit KeysModule(KeysDeps deps) : d_(deps) {}
  std::string Name() const override { return "keys"; }

  void RegisterRoutes(Router& router) override {
    auth::KeyStore* keys = d_.keys;
    router.Add(
        "GET", "/v1/admin/keys",
        [keys](HttpRequest&) {
          Json list = Json::array();
          for (const auto& k : keys->List()) list.push_back(k.ToJson());
          return HttpResponse::FromJson(200, Json{{"keys", std::move(list)}});
        },
        Needs(Access::kAdmin));
    router.Add(
        "POST", "/v1/admin/keys", [keys](HttpRequest& req) { return CreateKey(*keys, req); },
        Needs(Access::kAdmin));
    router.Add(
        "DELETE", "/v1/admin/keys/{id}",
        [keys](HttpRequest& req) {
          LH_HTTP_ASSIGN(auth::ApiKey key, keys->Revoke(req.Param("id")));
          return HttpResponse::FromJson(200, key.ToJson());
        },
        Needs(Access::kAdmin));
  }

 private:
  KeysDeps d_;
};

}  // namespace

std::unique_ptr<Module> NewKeysModule(KeysDeps deps) {
  return std::make_unique<KeysModule>(deps);
}

}  // namespace lakehouse
