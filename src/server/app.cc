#include "server/app.h"

#include <filesystem>

#include <fmt/format.h>

#include <spdlog/spdlog.h>

#include "core/metrics.h"
#include "server/web_console.h"

namespace lakehouse {

Result<std::unique_ptr<ProcessLock>> AcquireRootLock(const Config& config,
                                                     const std::string& holder) {
  return ProcessLock::Acquire(
      (std::filesystem::path(config.root) / ".lakehouse.lock").string(), holder,
      fmt::format("data root {}", config.root),
      "one lakehouse server (or writing command) per root; stop it first, or use another "
      "--root");
}

Result<std::unique_ptr<App>> App::Create(const Config& config) {
  auto app = std::unique_ptr<App>(new App());
  LH_ASSIGN_OR_RETURN(app->root_lock_, AcquireRootLock(config, "lakehouse serve"));
  LH_ASSIGN_OR_RETURN(app->services_, Services::Open(config));
  app->modules_ = CreateModules();
  for (auto& m : app->modules_) {
    LH_RETURN_IF_ERROR(m->Start(*app->services_).WithContext("start module " + m->Name()));
    m->RegisterRoutes(app->router_, *app->services_);
  }
  app->AddProcessRoutes();
  HttpServerOptions so;
  so.host = config.host;
  so.port = static_cast<int>(config.port);
  so.io_threads = static_cast<int>(config.io_threads);
  so.worker_threads = static_cast<int>(config.worker_threads);
  so.max_body_bytes = config.max_body_bytes;
  so.max_upload_bytes = config.max_upload_bytes;
  so.staging_dir = app->services_->store->StagingDir().string();
  so.access_log = config.access_log;
  so.shutdown_grace_ms = config.shutdown_grace_ms;
  so.on_request = [s = app->services_.get()](const RequestRecord& r) { s->OnRequest(r); };
  app->server_ = std::make_unique<HttpServer>(so, app->router_);
  return app;
}

App::~App() {
  Stop();
}

Status App::Start() {
  return server_->Start();
}

void App::AddProcessRoutes() {
  RouteOptions fast;
  fast.run_inline = true;
  router_.Add(
      "GET", "/healthz",
      [](HttpRequest&) { return HttpResponse::FromJsonText(200, R"({"status":"ok"})"); }, fast);
  router_.Add(
      "GET", "/readyz",
      [this](HttpRequest&) {
        Json modules = Json::object();
        bool all = true;
        for (const auto& m : modules_) {
          modules[m->Name()] = m->Ready();
          all = all && m->Ready();
        }
        Json body = Json::object();
        body["ready"] = all;
        body["datasets"] = services_->catalog->List().size();
        body["modules"] = std::move(modules);
        return HttpResponse::FromJson(all ? 200 : 503, body);
      },
      fast);
  router_.Add(
      "GET", "/metrics",
      [](HttpRequest&) {
        return HttpResponse::Text(200, MetricsRegistry::Global().RenderPrometheus(),
                                  "text/plain; version=0.0.4; charset=utf-8");
      },
      fast);
  router_.Add(
      "GET", "/",
      [](HttpRequest&) {
        return HttpResponse::Text(200, std::string(WebConsoleHtml()), "text/html; charset=utf-8");
      },
      fast);
}

void App::Stop() {
  if (server_) server_->Stop();
}

void App::RunUntilSignal() {
  server_->RunUntilSignal();
}

bool App::Ready() const {
  for (const auto& m : modules_)
    if (!m->Ready()) return false;
  return true;
}

}  // namespace lakehouse
