#include "api/vector_routes.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "embed/embed_service.h"
#include "vector/vector_store.h"

namespace lakehouse {
namespace {

Result<int64_t> IntField(const Json& body, const char* name, int64_t fallback) {
  LH_ASSIGN_OR_RETURN(auto v, OptionalInt(body, name));
  return v.value_or(fallback);
}

Result<std::vector<float>> VectorField(const Json& v, const std::string& where) {
  if (!v.is_array())
    return Status::InvalidArgument(fmt::format("{} must be an array of numbers", where));
  std::vector<float> out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_number())
      return Status::InvalidArgument(fmt::format("{}[{}] must be a number", where, i));
    out.push_back(v[i].get<float>());
  }
  return out;
}

HttpResponse Create(const VectorDeps& s, HttpRequest& req) {
  LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
  IndexSpec spec;
  LH_HTTP_ASSIGN(spec.name, RequiredString(body, "name"));
  LH_HTTP_ASSIGN(auto metric, OptionalString(body, "metric"));
  LH_HTTP_ASSIGN(spec.metric, ParseMetric(metric.value_or("cosine")));
  LH_HTTP_ASSIGN(auto model, OptionalString(body, "model"));
  spec.model = model.value_or(s.embed->default_model());
  LH_HTTP_ASSIGN(auto dims, OptionalInt(body, "dims"));
  if (dims) {
    spec.dims = static_cast<int>(*dims);
  } else {
    LH_HTTP_ASSIGN(int model_dims, s.embed->Dims(spec.model));
    if (model_dims <= 0) {
      return HttpResponse::Error(Status::InvalidArgument(fmt::format(
          "field 'dims' is required: model '{}' reports no dimensions yet", spec.model)));
    }
    spec.dims = model_dims;
  }
  LH_HTTP_ASSIGN(int64_t m, IntField(body, "m", 16));
  LH_HTTP_ASSIGN(int64_t efc, IntField(body, "ef_construction", 200));
  LH_HTTP_ASSIGN(int64_t efs, IntField(body, "ef_search", 64));
  spec.m = static_cast<int>(m);
  spec.ef_construction = static_cast<int>(efc);
  spec.ef_search = static_cast<int>(efs);
  LH_HTTP_ASSIGN(auto quantization, OptionalString(body, "quantization"));
  LH_HTTP_ASSIGN(spec.quantization, ParseQuantization(quantization.value_or("none")));
  LH_HTTP_ASSIGN(auto index, s.vectors->Create(spec));
  return HttpResponse::FromJson(201, index->Info());
}

HttpResponse Upsert(const VectorDeps& s, HttpRequest& req) {
  LH_HTTP_ASSIGN(auto index, s.vectors->Get(req.Param("name")));
  LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
  auto items_it = body.find("items");
  if (items_it == body.end() || !items_it->is_array() || items_it->empty()) {
    return HttpResponse::Error(Status::InvalidArgument("field 'items' must be a non-empty array"));
  }
  std::vector<VectorItem> items;
  std::vector<std::string> texts;
  std::vector<size_t> text_slots;
  for (size_t i = 0; i < items_it->size(); ++i) {
    const Json& it = (*items_it)[i];
    const std::string where = fmt::format("items[{}]", i);
    if (!it.is_object())
      return HttpResponse::Error(Status::InvalidArgument(where + " must be an object"));
    VectorItem item;
    auto id = RequiredString(it, "id");
    if (!id.ok()) return HttpResponse::Error(id.status().WithContext(where));
    item.id = *id;
    if (auto p = it.find("payload"); p != it.end() && !p->is_null()) {
      if (!p->is_object())
        return HttpResponse::Error(Status::InvalidArgument(where + ".payload must be an object"));
      item.payload = *p;
    }
    if (auto v = it.find("vector"); v != it.end() && !v->is_null()) {
      LH_HTTP_ASSIGN(item.vector, VectorField(*v, where + ".vector"));
    } else if (auto t = it.find("text"); t != it.end() && t->is_string()) {
      texts.push_back(t->get<std::string>());
      text_slots.push_back(i);
    } else {
      return HttpResponse::Error(Status::InvalidArgument(where + " needs a 'vector' or a 'text'"));
    }
    items.push_back(std::move(item));
  }
  if (!texts.empty()) {
    LH_HTTP_ASSIGN(auto embedded, s.embed->Embed(index->spec().model, texts));
    for (size_t k = 0; k < texts.size(); ++k)
      items[text_slots[k]].vector = embedded.items[k]->vector;
  }
  const size_t n = items.size();
  if (Status st = index->Upsert(std::move(items)); !st.ok()) return HttpResponse::Error(st);
  return HttpResponse::FromJson(200, Json{{"upserted", n}, {"count", index->Count()}});
}

HttpResponse Search(const VectorDeps& s, HttpRequest& req) {
  LH_HTTP_ASSIGN(auto index, s.vectors->Get(req.Param("name")));
  LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
  std::vector<float> query;
  if (auto v = body.find("vector"); v != body.end() && !v->is_null()) {
    LH_HTTP_ASSIGN(query, VectorField(*v, "vector"));
  } else if (auto t = body.find("text"); t != body.end() && t->is_string()) {
    LH_HTTP_ASSIGN(auto e, s.embed->EmbedOne(index->spec().model, t->get<std::string>()));
    query = e->vector;
  } else {
    return HttpResponse::Error(Status::InvalidArgument("search needs a 'vector' or a 'text'"));
  }
  LH_HTTP_ASSIGN(int64_t k, IntField(body, "k", 10));
  LH_HTTP_ASSIGN(int64_t ef, IntField(body, "ef", 0));
  if (k < 1) return HttpResponse::Error(Status::InvalidArgument("field 'k' must be at least 1"));
  if (ef < 0)
    return HttpResponse::Error(Status::InvalidArgument("field 'ef' must not be negative"));
  Json filter_json = body.contains("filter") ? body["filter"] : Json();
  LH_HTTP_ASSIGN(auto filter, PayloadFilter::Compile(filter_json));
  SearchStats stats;
  LH_HTTP_ASSIGN(auto hits, index->Search(query, static_cast<size_t>(k), static_cast<size_t>(ef),
                                          filter, &stats));
  Json results = Json::array();
  for (auto& h : hits) {
    Json r = Json::object();
    r["id"] = h.id;
    r["score"] = std::round(static_cast<double>(h.score) * 1e6) / 1e6;  // float noise off the wire
    r["payload"] = std::move(h.payload);
    results.push_back(std::move(r));
  }
  return HttpResponse::FromJson(
      200, Json{{"results", std::move(results)}, {"exact", stats.exact_fallback}});
}

class VectorModule final : public Module {
 public:
  explicit VectorModule(VectorDeps deps) : d_(deps) {}
  std::string Name() const override { return "vector"; }

  ~VectorModule() override {
    if (warmer_.joinable()) warmer_.join();
  }

  Status Start() override {
    builder_ = std::make_unique<WorkersIndexBuilder>(d_.workers_index);
    builder_->StartIfMissing();
    builder_->Follow();  // new workers versions update the index in place
    // Ready means ready: the opened indexes' postings are built before /readyz says 200,
    // beside the other modules' loading, not by the first filtered searches (which would
    // wait on one another, and hold the query threads other requests need meanwhile).
    // The columns searches read are made resident too (within vectors.populate_mb): the
    // first wave of searches after a start otherwise takes page faults by the thousand.
    // Both at once: the postings are CPU work, making the columns resident mostly waits (on
    // the disk, and on a virtual machine on its first touch of each page).
    warmer_ = std::thread([this] {
      const auto start = std::chrono::steady_clock::now();
      std::vector<std::shared_ptr<VectorIndex>> indexes;
      if (d_.vectors != nullptr) indexes = d_.vectors->List();
      std::thread populating([&] {
        uint64_t left = d_.populate_bytes;
        for (const auto& index : indexes) left -= index->Populate(left);
        if (left != d_.populate_bytes)
          spdlog::info("vector indexes: {} MB of searched columns made resident in {} ms",
                       (d_.populate_bytes - left) >> 20, MicrosSince(start) / 1000);
      });
      for (const auto& index : indexes) index->Warm();
      spdlog::info("vector indexes: filter postings built in {} ms", MicrosSince(start) / 1000);
      populating.join();
      warmed_ = true;
    });
    return Status::OK();
  }
  void Stop() override {
    if (builder_) builder_->Cancel();
    if (warmer_.joinable()) warmer_.join();
  }
  bool Ready() const override { return warmed_ && (!builder_ || !builder_->running()); }
  Json Progress() const override {
    if (builder_ && builder_->running()) return Json{{"workers_index", builder_->Progress()}};
    if (!warmed_) return Json{{"phase", "building filter postings"}};
    return nullptr;
  }

  void RegisterRoutes(Router& router) override {
    const VectorDeps s = d_;
    RouteOptions fast;
    fast.run_inline = true;
    router.Add("POST", "/v1/indexes", [s](HttpRequest& req) { return Create(s, req); });
    router.Add(
        "GET", "/v1/indexes",
        [s](HttpRequest&) {
          Json list = Json::array();
          for (const auto& i : s.vectors->List()) list.push_back(i->Info());
          return HttpResponse::FromJson(200, Json{{"indexes", std::move(list)}});
        },
        fast);
    router.Add(
        "GET", "/v1/indexes/{name}",
        [s](HttpRequest& req) {
          LH_HTTP_ASSIGN(auto index, s.vectors->Get(req.Param("name")));
          return HttpResponse::FromJson(200, index->Info());
        },
        fast);
    router.Add(
        "DELETE", "/v1/indexes/{name}",
        [s](HttpRequest& req) {
          if (Status st = s.vectors->Drop(req.Param("name")); !st.ok())
            return HttpResponse::Error(st);
          return HttpResponse::FromJson(200, Json{{"dropped", req.Param("name")}});
        },
        Needs(Access::kAdmin));
    router.Add("POST", "/v1/indexes/{name}/upsert",
               [s](HttpRequest& req) { return Upsert(s, req); });
    router.Add(
        "POST", "/v1/indexes/{name}/search", [s](HttpRequest& req) { return Search(s, req); },
        OnPool(WorkClass::kQuery, Access::kRead));
    router.Add(
        "GET", "/v1/indexes/{name}/items/{id}",
        [s](HttpRequest& req) {
          LH_HTTP_ASSIGN(auto index, s.vectors->Get(req.Param("name")));
          auto item = index->Get(req.Param("id"));
          if (!item) {
            return HttpResponse::Error(Status::NotFound(
                fmt::format("item '{}' is not in index '{}'", req.Param("id"), req.Param("name"))));
          }
          return HttpResponse::FromJson(200, Json{{"id", item->id},
                                                  {"version", item->version},
                                                  {"payload", item->payload},
                                                  {"vector", item->vector}});
        },
        fast);
    router.Add("DELETE", "/v1/indexes/{name}/items/{id}", [s](HttpRequest& req) {
      LH_HTTP_ASSIGN(auto index, s.vectors->Get(req.Param("name")));
      LH_HTTP_ASSIGN(bool existed, index->Delete(req.Param("id")));
      if (!existed) {
        return HttpResponse::Error(Status::NotFound(
            fmt::format("item '{}' is not in index '{}'", req.Param("id"), req.Param("name"))));
      }
      return HttpResponse::FromJson(200,
                                    Json{{"deleted", req.Param("id")}, {"count", index->Count()}});
    });
    router.Add(
        "POST", "/v1/indexes/{name}/snapshot",
        [s](HttpRequest& req) {
          LH_HTTP_ASSIGN(auto index, s.vectors->Get(req.Param("name")));
          if (Status st = index->Snapshot(); !st.ok()) return HttpResponse::Error(st);
          return HttpResponse::FromJson(200, index->Info());
        },
        OnPool(WorkClass::kBulk, Access::kAdmin));
  }

 private:
  VectorDeps d_;
  std::thread warmer_;
  std::atomic<bool> warmed_{false};
  std::unique_ptr<WorkersIndexBuilder> builder_;
};

}  // namespace

std::unique_ptr<Module> NewVectorModule(VectorDeps deps) {
  return std::make_unique<VectorModule>(deps);
}
}  // namespace lakehouse
