#include "api/iceberg_routes.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "catalog/catalog.h"

namespace lakehouse {
namespace {

constexpr const char* kNamespace = "lakehouse";

// The Iceberg REST error model (ErrorModel in the OpenAPI).
HttpResponse IcebergError(int code, const char* type, std::string message) {
  return HttpResponse::FromJson(
      code, Json{{"error", Json{{"message", std::move(message)}, {"type", type}, {"code", code}}}});
}

HttpResponse NoSuchNamespace(const std::string& ns) {
  return IcebergError(
      404, "NoSuchNamespaceException",
      fmt::format("namespace '{}' does not exist: this catalog has one, '{}'", ns, kNamespace));
}

// A HEAD answer: the status alone.
HttpResponse Head(int status) {
  HttpResponse r = HttpResponse::Text(status, "");
  return r;
}

// "bytes=a-b", "bytes=a-", "bytes=-n" of a `size`-byte file -> [first, last]; nullopt when
// unsatisfiable or not a single range.
std::optional<std::pair<uint64_t, uint64_t>> ParseRange(std::string_view h, uint64_t size) {
  if (h.substr(0, 6) != "bytes=" || h.find(',') != std::string_view::npos || size == 0)
    return std::nullopt;
  h.remove_prefix(6);
  const size_t dash = h.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto num = [](std::string_view s) -> std::optional<uint64_t> {
    if (s.empty()) return std::nullopt;
    uint64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9' || v > (UINT64_MAX - 9) / 10) return std::nullopt;
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    return v;
  };
  auto a = num(h.substr(0, dash)), b = num(h.substr(dash + 1));
  if (!a) {  // suffix: the last b bytes
    if (!b || *b == 0) return std::nullopt;
    return std::pair{size - std::min(*b, size), size - 1};
  }
  if (*a >= size || (b && *b < *a)) return std::nullopt;
  return std::pair{*a, b ? std::min(*b, size - 1) : size - 1};
}

class IcebergModule final : public Module {
 public:
  explicit IcebergModule(IcebergDeps deps) : d_(deps) {}
  std::string Name() const override { return "iceberg"; }
  std::string Service() const override { return "sql"; }

  void RegisterRoutes(Router& router) override {
    RouteOptions fast;
    fast.run_inline = true;
    router.Add(
        "GET", "/iceberg/v1/config",
        [](HttpRequest&) {
          Json endpoints = Json::array();
          for (const char* e :
               {"GET /v1/{prefix}/namespaces", "GET /v1/{prefix}/namespaces/{namespace}",
                "HEAD /v1/{prefix}/namespaces/{namespace}",
                "GET /v1/{prefix}/namespaces/{namespace}/tables",
                "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}",
                "HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}",
                "POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics"})
            endpoints.push_back(e);
          return HttpResponse::FromJson(200, Json{{"defaults", Json::object()},
                                                  {"overrides", Json::object()},
                                                  {"endpoints", std::move(endpoints)}});
        },
        fast);
    router.Add(
        "GET", "/iceberg/v1/namespaces",
        [](HttpRequest& req) {
          // One level: a parent has no children.
          Json list =
              req.Query("parent") ? Json::array() : Json::array({Json::array({kNamespace})});
          return HttpResponse::FromJson(200, Json{{"namespaces", std::move(list)}});
        },
        fast);
    router.Add(
        "GET", "/iceberg/v1/namespaces/{ns}",
        [](HttpRequest& req) {
          const std::string& ns = req.Param("ns");
          if (ns != kNamespace) return NoSuchNamespace(ns);
          return HttpResponse::FromJson(
              200, Json{{"namespace", Json::array({kNamespace})},
                        {"properties",
                         Json{{"comment", "every Lakehouse dataset, one Iceberg table each"}}}});
        },
        fast);
    router.Add(
        "HEAD", "/iceberg/v1/namespaces/{ns}",
        [](HttpRequest& req) { return Head(req.Param("ns") == kNamespace ? 204 : 404); }, fast);
    router.Add(
        "GET", "/iceberg/v1/namespaces/{ns}/tables",
        [d = d_](HttpRequest& req) {
          const std::string& ns = req.Param("ns");
          if (ns != kNamespace) return NoSuchNamespace(ns);
          // Pages (pageSize, pageToken): the token is the index of the page's first table.
          auto size = req.QueryInt("pageSize", 1, 100000);
          if (!size.ok()) return IcebergError(400, "BadRequestException", size.status().message());
          auto first = req.QueryInt("pageToken", 0, INT64_MAX);
          if (!first.ok())
            return IcebergError(
                400, "BadRequestException",
                "pageToken is not one this catalog gave: " + first.status().message());
          const auto all = d.catalog->List();
          const size_t from = static_cast<size_t>(first->value_or(0));
          const size_t to = size->has_value()
                                ? std::min(all.size(), from + static_cast<size_t>(**size))
                                : all.size();
          Json ids = Json::array();
          for (size_t i = from; i < to; ++i)
            ids.push_back(Json{{"namespace", Json::array({kNamespace})}, {"name", all[i].name}});
          Json out{{"identifiers", std::move(ids)}};
          if (to < all.size()) out["next-page-token"] = std::to_string(to);
          return HttpResponse::FromJson(200, out);
        },
        fast);
    router.Add(
        "GET", "/iceberg/v1/namespaces/{ns}/tables/{table}",
        [d = d_](HttpRequest& req) {
          auto table = Find(d, req);
          if (!table.ok()) return NotFound(req, table.status());
          HttpResponse r = HttpResponse::FromJson(
              200, Json{{"metadata-location", d.catalog->store().Uri(table->MetadataKey())},
                        {"metadata", table->metadata.ToJson()},
                        {"config", Json::object()}});
          r.redact_paths = false;  // engines open the files these URIs name
          return r;
        },
        OnPool(WorkClass::kInteractive));
    router.Add(
        "HEAD", "/iceberg/v1/namespaces/{ns}/tables/{table}",
        [d = d_](HttpRequest& req) { return Head(Find(d, req).ok() ? 204 : 404); }, fast);
    router.Add(
        "POST", "/iceberg/v1/namespaces/{ns}/tables/{table}/metrics",
        [d = d_](HttpRequest& req) {
          auto table = Find(d, req);
          if (!table.ok()) return NotFound(req, table.status());
          return Head(204);  // engines report scans after reading; nothing is kept
        },
        [] {
          RouteOptions o;
          o.run_inline = true;
          o.access = Access::kRead;  // changes nothing
          return o;
        }());

    // Writes from engines: not yet (datasets are committed by Lakehouse itself).
    auto refuse = [](HttpRequest&) {
      return IcebergError(
          406, "UnsupportedOperationException",
          "this Iceberg catalog is read-only: Lakehouse commits its datasets itself (POST "
          "/v1/ingest, lakehouse gen, the fills ledger); engines read them");
    };
    for (const auto& [method, pattern] : std::vector<std::pair<const char*, const char*>>{
             {"POST", "/iceberg/v1/namespaces"},
             {"DELETE", "/iceberg/v1/namespaces/{ns}"},
             {"POST", "/iceberg/v1/namespaces/{ns}/properties"},
             {"POST", "/iceberg/v1/namespaces/{ns}/tables"},
             {"POST", "/iceberg/v1/namespaces/{ns}/register"},
             {"POST", "/iceberg/v1/namespaces/{ns}/tables/{table}"},
             {"DELETE", "/iceberg/v1/namespaces/{ns}/tables/{table}"},
             {"POST", "/iceberg/v1/tables/rename"},
             {"POST", "/iceberg/v1/transactions/commit"}})
      router.Add(method, pattern, refuse, fast);

    router.Add(
        "GET", "/iceberg/files/datasets/{name}/{dir}/{file}",
        [d = d_](HttpRequest& req) { return ServeFile(d, req); }, OnPool(WorkClass::kInteractive));
  }

 private:
  static Result<iceberg::Table> Find(const IcebergDeps& d, HttpRequest& req) {
    const std::string& ns = req.Param("ns");
    if (ns != kNamespace) return Status::NotFound(fmt::format("namespace '{}' does not exist", ns));
    auto table = d.catalog->Table(req.Param("table"));
    if (!table.ok())
      return Status::NotFound(fmt::format("table '{}.{}' does not exist", ns, req.Param("table")));
    return table;
  }

  static HttpResponse NotFound(HttpRequest& req, const Status& st) {
    if (req.Param("ns") != kNamespace) return NoSuchNamespace(req.Param("ns"));
    return IcebergError(404, "NoSuchTableException", st.message());
  }

  static HttpResponse ServeFile(const IcebergDeps& d, HttpRequest& req) {
    const std::string& name = req.Param("name");
    const std::string& dir = req.Param("dir");
    const std::string key = fmt::format("datasets/{}/{}/{}", name, dir, req.Param("file"));
    // Only the files of a table: its metadata and its version directories.
    const bool table_dir =
        dir == "metadata" || (dir.size() > 1 && dir[0] == 'v' &&
                              dir.find_first_not_of("0123456789", 1) == std::string::npos);
    if (!d.catalog->Table(name).ok() || !table_dir || !ValidateKey(key).ok())
      return HttpResponse::Error(Status::NotFound(fmt::format("no table file {}", key)));
    auto path = d.catalog->store().LocalPath(key);
    if (!path.ok()) return HttpResponse::Error(path.status());
    const int fd = ::open(path->c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return HttpResponse::Error(Status::NotFound(fmt::format("no table file {}", key)));
    struct Closer {
      int fd;
      ~Closer() { ::close(fd); }
    } closer{fd};
    const off_t end = ::lseek(fd, 0, SEEK_END);
    if (end < 0) return HttpResponse::Error(Status::IOError("cannot size " + key));
    const auto size = static_cast<uint64_t>(end);
    uint64_t first = 0, last = size == 0 ? 0 : size - 1;
    int status = 200;
    if (std::string_view h = req.Header("range"); !h.empty()) {
      auto range = ParseRange(h, size);
      if (!range) {
        HttpResponse r = HttpResponse::Error(Status::InvalidArgument(
            fmt::format("range '{}' cannot be served from {} bytes", h, size)));
        r.status = 416;
        r.headers.emplace_back("Content-Range", fmt::format("bytes */{}", size));
        return r;
      }
      std::tie(first, last) = *range;
      status = 206;
    }
    std::string body(size == 0 ? 0 : last - first + 1, '\0');
    size_t done = 0;
    while (done < body.size()) {
      const ssize_t n =
          ::pread(fd, body.data() + done, body.size() - done, static_cast<off_t>(first + done));
      if (n <= 0) return HttpResponse::Error(Status::IOError("reading " + key));
      done += static_cast<size_t>(n);
    }
    const bool json = key.size() > 5 && key.substr(key.size() - 5) == ".json";
    HttpResponse r = HttpResponse::Text(status, std::move(body),
                                        json ? "application/json" : "application/octet-stream");
    r.redact_paths = false;  // the file's bytes, exactly
    r.headers.emplace_back("Accept-Ranges", "bytes");
    if (status == 206)
      r.headers.emplace_back("Content-Range", fmt::format("bytes {}-{}/{}", first, last, size));
    return r;
  }

  IcebergDeps d_;
};

}  // namespace

std::unique_ptr<Module> NewIcebergModule(IcebergDeps deps) {
  return std::make_unique<IcebergModule>(deps);
}

}  // namespace lakehouse
