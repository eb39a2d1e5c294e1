#include "server/web_console.h"

#include "server/console_assets.h"

namespace lakehouse {
namespace {

// Scripts, styles, images and API calls from this origin only; uPlot draws on canvas and
// sets element styles from script (CSSOM), which 'self' allows. No framing: a page cannot
// overlay the console to trick a click (clickjacking).
constexpr const char* kPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

const ConsoleAsset* FindAsset(std::string_view name) {
  for (const ConsoleAsset& a : ConsoleAssets())
    if (a.name == name) return &a;
  return nullptr;
}

bool AcceptsGzip(const HttpRequest& req) {
  return req.Header("accept-encoding").find("gzip") != std::string_view::npos;
}

HttpResponse Serve(const HttpRequest& req, const ConsoleAsset& a) {
  HttpResponse r;
  r.content_type = std::string(a.content_type);
  r.headers = {{"ETag", std::string(a.etag)},
               {"Cache-Control", "no-cache"},
               {"Vary", "Accept-Encoding"},
               {"X-Content-Type-Options", "nosniff"},
               {"Referrer-Policy", "no-referrer"}};
  if (a.name == "index.html") {
    r.headers.emplace_back("Content-Security-Policy", kPolicy);
    r.headers.emplace_back("X-Frame-Options", "DENY");
  }
  if (req.Header("if-none-match") == a.etag) {
    r.status = 304;
    return r;
  }
  const bool gz = AcceptsGzip(req);
  const auto bytes = gz ? a.gzip : a.bytes;
  r.body.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (gz) r.headers.emplace_back("Content-Encoding", "gzip");
  return r;
}

}  // namespace

void AddConsoleRoutes(Router& router, const RouteOptions& options) {
  const ConsoleAsset* page = FindAsset("index.html");
  auto serve_page = [page](HttpRequest& req) { return Serve(req, *page); };
  for (const char* path : {"/", "/ui", "/ui/orders", "/ui/orders/{order_id}",
                           "/ui/workers/{worker_id}", "/ui/search", "/ui/data", "/ui/operations"})
    router.Add("GET", path, serve_page, options);
  router.Add(
      "GET", "/ui/assets/{name}",
      [](HttpRequest& req) {
        const ConsoleAsset* a = FindAsset(req.Param("name"));
        if (a == nullptr || a->name == "index.html")
          return HttpResponse::Error(
              Status::NotFound("no console asset '" + req.Param("name") + "'"));
        return Serve(req, *a);
      },
      options);
}

}  // namespace lakehouse
