#include "server/app.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include <spdlog/spdlog.h>

#include "api/key_routes.h"
#include "core/build_info.h"
#include "core/config.h"
#include "core/metrics.h"
#include "core/systemd_notify.h"
#include "core/text.h"
#include "server/web_console.h"
#include "storage/s3_object_store.h"
#include "vector/hnsw_graph.h"

namespace lakehouse {

Result<std::unique_ptr<ProcessLock>> AcquireRootLock(const Config& config,
                                                     const std::string& holder) {
  return ProcessLock::Acquire(
      (std::filesystem::path(config.LocalRoot()) / ".lakehouse.lock").string(), holder,
      fmt::format("data root {}", config.root),
      "one lakehouse server (or writing command) per root; stop it first, or use another "
      "--root");
}

namespace {

//! The services this process serves itself.
Result<std::vector<std::string>> LocalServices(const ServeOptions& serve) {
  for (const auto& [name, url] : serve.upstreams) {
    LH_RETURN_IF_ERROR(ValidateServiceName(name).WithContext("--upstream"));
    if (name == serve.service)
      return Status::InvalidArgument(
          fmt::format("--service {} cannot also be proxied with --upstream {}", name, name));
  }
  if (!serve.service.empty()) {
    LH_RETURN_IF_ERROR(ValidateServiceName(serve.service).WithContext("--service"));
    for (const auto& [name, url] : serve.upstreams)
      if (name != "journal")
        return Status::InvalidArgument(fmt::format(
            "--service {} takes only --upstream journal=URL (where its events go); proxying "
            "{} is the gateway's job (serve without --service)",
            serve.service, name));
    return std::vector<std::string>{serve.service};
  }
  std::vector<std::string> local;
  for (const auto& name : ServiceNames())
    if (!serve.upstreams.count(name)) local.push_back(name);
  return local;
}

//! All-in-one: the root, exclusively. Otherwise the root shared plus each served service.
Result<std::vector<std::unique_ptr<ProcessLock>>> LockRoot(const Config& config,
                                                           const ComponentPlan& plan) {
  std::vector<std::unique_ptr<ProcessLock>> locks;
  if (plan.AllInOne()) {
    LH_ASSIGN_OR_RETURN(auto lock, AcquireRootLock(config, "lakehouse serve"));
    locks.push_back(std::move(lock));
    return locks;
  }
  const std::string holder = "lakehouse serve (" + plan.label + ")";
  const auto root = std::filesystem::path(config.LocalRoot());
  LH_ASSIGN_OR_RETURN(
      auto shared,
      ProcessLock::Acquire((root / ".lakehouse.lock").string(), holder,
                           fmt::format("data root {}", config.root),
                           "an all-in-one server (or a writing command) owns it; stop it "
                           "before starting split services on this root",
                           ProcessLock::Mode::kShared));
  locks.push_back(std::move(shared));
  for (const auto& service : plan.services) {
    LH_ASSIGN_OR_RETURN(
        auto own, ProcessLock::Acquire((root / (".service-" + service + ".lock")).string(), holder,
                                       fmt::format("the {} service of {}", service, config.root),
                                       "one process per service per root; stop it first"));
    locks.push_back(std::move(own));
  }
  return locks;
}

GuardOptions GuardOptionsOf(const Config& config) {
  GuardOptions g;
  g.auth_required = config.auth == "required";
  g.tls = !config.tls_cert.empty();
  for (const auto& o : SplitList(config.cors_origins)) g.cors_origins.push_back(AsciiLower(o));
  for (const auto& h : SplitList(config.allowed_hosts)) g.allowed_hosts.push_back(AsciiLower(h));
  g.bound_host = config.host;
  g.rate_limit = config.rate_limit;
  g.rate_burst = config.rate_burst;
  g.max_expensive_per_key =
      config.max_expensive_per_key > 0 ? config.max_expensive_per_key : config.query_threads;
  g.max_expensive_per_client = config.max_expensive_per_client;
  return g;
}

}  // namespace

Status CheckExposure(const Config& config) {
  if (config.auth != "off" || config.insecure || IsLoopbackName(AsciiLower(config.host)))
    return Status::OK();
  return Status::PermissionDenied(fmt::format(
      "refusing to serve {} with authentication off: anyone who can reach it could read and "
      "change everything. Create a key (lakehouse keys create --root {} --name NAME --scopes "
      "read,write) and serve with --auth required (server.auth, LAKEHOUSE_AUTH); or pass "
      "--insecure to serve an open network anyway",
      config.host, config.root));
}

std::string VersionText() {
  const BuildInfo& b = GetBuildInfo();
  return fmt::format(
      "lakehouse {}\ncommit: {}\nbuild: {}, compiled for {}\nduckdb: {}\nhnswlib: {}", b.version,
      b.commit, b.build_type, b.cpu, DuckDbVersion(), kHnswlibVersion);
}

void RegisterBuildMetrics() {
  MetricsRegistry& r = MetricsRegistry::Global();
  RegisterProcessMetrics(r);
  const BuildInfo& b = GetBuildInfo();
  r.GetGauge("lakehouse_build_info",
             "What this binary is: always 1, with its version, commit and libraries as labels.",
             {"version", "commit", "build_type", "cpu", "duckdb", "hnswlib"},
             {b.version, b.commit, b.build_type, b.cpu, DuckDbVersion(), kHnswlibVersion})
      .Set(1);
}

Result<std::unique_ptr<App>> App::Create(const Config& config, const ServeOptions& serve) {
  LH_RETURN_IF_ERROR(CheckExposure(config));
  RegisterBuildMetrics();
  auto app = std::unique_ptr<App>(new App());
  app->config_ = config;
  LH_ASSIGN_OR_RETURN(auto local, LocalServices(serve));
  const bool all_in_one = serve.service.empty() && serve.upstreams.empty();
  ComponentPlan plan =
      all_in_one ? PlanFor("") : PlanFor(local, serve.service.empty() ? "gateway" : serve.service);
  if (auto j = serve.upstreams.find("journal"); j != serve.upstreams.end())
    plan.journal_upstream = SplitList(j->second).front();  // any node takes events
  plan.ledger_writer = std::find(local.begin(), local.end(), "validate") != local.end();
  plan.ledger = plan.AllInOne() || plan.ledger_writer;
  plan.serving = true;
  LH_ASSIGN_OR_RETURN(app->locks_, LockRoot(config, plan));
  LH_ASSIGN_OR_RETURN(app->services_, Services::Open(config, plan));
  // A standby of a shared root serves only what its plan kept; the rest goes to the owner.
  std::vector<std::string> to_owner;
  if (all_in_one && app->services_->plan.label == "standby") {
    const auto& kept = app->services_->plan.services;
    for (const auto& name : local)
      if (std::find(kept.begin(), kept.end(), name) == kept.end()) to_owner.push_back(name);
    local = kept;
  }
  LH_ASSIGN_OR_RETURN(app->keys_, auth::KeyStore::Open(config.LocalRoot()));
  if (config.auth == "required" && app->keys_->ActiveCount() == 0)
    spdlog::warn(
        "auth is required and {} has no active API key: every request but /healthz and /readyz "
        "will be refused; create one with: lakehouse keys create --root {} --name NAME --scopes "
        "read,write",
        config.root, config.root);
  for (auto& m : CreateModules(*app->services_)) {
    if (std::find(local.begin(), local.end(), m->Service()) == local.end()) continue;
    LH_RETURN_IF_ERROR(m->Start().WithContext("start module " + m->Name()));
    m->RegisterRoutes(app->router_);
    app->modules_.push_back(std::move(m));
  }
  if (serve.service.empty()) LH_RETURN_IF_ERROR(app->AddProxyRoutes(serve));
  app->AddProcessRoutes();
  app->keys_module_ = NewKeysModule({app->keys_.get()});
  if (to_owner.empty())
    app->keys_module_->RegisterRoutes(app->router_);
  else
    app->AddOwnerRoutes(to_owner);
  app->guard_ = std::make_unique<RequestGuard>(
      GuardOptionsOf(config), app->keys_.get(),
      [s = app->services_.get()](const AuthFailureEvent& f) {
        s->Emit("auth.failed", f.route, f.request_id,
                Json{{"reason", f.reason},
                     {"key_id", f.key_id.empty() ? Json(nullptr) : Json(f.key_id)},
                     {"method", f.method},
                     {"route", f.route},
                     {"remote", f.remote}});
      });
  HttpServerOptions so;
  so.host = config.host;
  so.port = static_cast<int>(config.port);
  so.io_threads = static_cast<int>(config.io_threads);
  so.worker_threads = static_cast<int>(config.worker_threads);
  so.query_threads = static_cast<int>(config.query_threads);
  so.bulk_threads = static_cast<int>(config.bulk_threads);
  so.waiting_threads = static_cast<int>(config.waiting_threads);
  so.queue_depth = static_cast<int>(config.queue_depth);
  // A proxied request holds a waiting thread while the service answers: a gateway needs
  // about as many as the requests it has in flight (they wait, they do not compute).
  if (!app->upstreams_.empty()) so.waiting_threads = std::max(so.waiting_threads, 64);
  so.max_body_bytes = config.max_body_bytes;
  so.max_upload_bytes = config.max_upload_bytes;
  so.staging_dir = app->services_->store->StagingDir().string();
  // Error answers never carry the server's absolute paths.
  so.redact_paths = {
      {std::filesystem::absolute(so.staging_dir).lexically_normal().string(), "<staging>"}};
  {
    const std::filesystem::path root = app->services_->store->StagingDir().parent_path();
    std::error_code ec;
    for (const auto& form :
         {root, std::filesystem::absolute(root, ec), std::filesystem::weakly_canonical(root, ec)}) {
      std::string dir = form.lexically_normal().string();
      while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
      // Absolute forms only: a relative root ("data") is a word that appears in messages.
      if (dir.size() > 1 && dir[0] == '/' && !ec) so.redact_paths.emplace_back(dir, "<root>");
    }
  }
  so.access_log = config.access_log;
  so.tls_cert_file = config.tls_cert;
  so.tls_key_file = config.tls_key;
  so.admit = [g = app->guard_.get()](HttpRequest& req, const Router::Match& m) {
    return g->Admit(req, m);
  };
  so.shutdown_grace_ms = config.shutdown_grace_ms;
  so.on_request = [s = app->services_.get(),
                   proxied = app->proxied_routes_](const RequestRecord& r) {
    s->OnRequest(r, /*journal=*/proxied.find(r.route) == proxied.end());
  };
  app->server_ = std::make_unique<HttpServer>(so, app->router_);
  return app;
}

App::~App() {
  Stop();
  // A standby's lease thread calls into the key store, which goes before the services.
  if (services_ && services_->lease) services_->lease->Stop();
}

Status App::Start() {
  LH_RETURN_IF_ERROR(server_->Start());
  // The components' owner tells the standbys where to forward (the port is known now).
  if (ComponentLease* lease = services_->lease.get(); lease && lease->held()) {
    Status st = lease->Advertise(config_.AdvertiseUrl(port()));
    if (!st.ok()) spdlog::warn("storage: recording this node's address: {}", st.ToString());
  }
  return Status::OK();
}

Status App::AddProxyRoutes(const ServeOptions& serve) {
  for (const auto& [service, urls] : serve.upstreams) {
    std::vector<Upstream*> members;  // several: nodes of one shared root, taken in turn
    for (const std::string& url : SplitList(urls)) {
      UpstreamOptions uo;
      uo.service = service;
      uo.base_url = url;
      auto upstream = std::make_unique<Upstream>(uo);
      upstream->Start();
      if (!upstream->healthy())
        spdlog::warn("upstream {} ({}) is not answering yet; its routes answer 503 until it does",
                     service, url);
      members.push_back(upstream.get());
      upstreams_.push_back(std::move(upstream));
    }
    Router scratch;
    for (auto& m : CreateModules(*services_, service)) m->RegisterRoutes(scratch);
    auto set = std::make_shared<UpstreamSet>(std::move(members));
    ForwardRoutes(scratch, [set](HttpRequest& req) { return set->Forward(req); });
  }
  return Status::OK();
}

void App::AddOwnerRoutes(const std::vector<std::string>& services) {
  const ComponentLease& lease = *services_->lease;
  // Keys are created and revoked on the owner (its routes are forwarded): follow its key
  // log so this node admits and refuses the same keys, a revocation included.
  if (auto* s3 = dynamic_cast<S3ObjectStore*>(services_->store.get())) {
    services_->lease->OnStandbyTick([s3, keys = keys_.get()] {
      auto appended = s3->FollowAppends("auth/keys.log");
      if (!appended.ok())
        spdlog::warn("standby: following the owner's API keys: {}", appended.status().ToString());
      else if (*appended)
        keys->NoteAppended();
    });
  }
  Router scratch;
  for (const auto& service : services)
    for (auto& m : CreateModules(*services_, service)) m->RegisterRoutes(scratch);
  keys_module_->RegisterRoutes(scratch);
  if (lease.holder_address().empty()) {
    // A command holds the lease (or a server that advertises no URL): nothing to forward
    // to. The lease thread restarts this node when the lease moves (component_lease.h).
    spdlog::warn(
        "standby: the owner {} has no address; memory, journal, index, fill, chat "
        "and key routes answer 503 until the lease moves",
        lease.holder());
    const Status why = Status::Unavailable(fmt::format(
        "the root's components (memory, journal, indexes, fills, keys) are held by {}, which "
        "answers no HTTP (a command such as index-workers, or a server without "
        "--advertise-url); retry when it ends",
        lease.holder()));
    ForwardRoutes(scratch, [why](HttpRequest&) { return HttpResponse::Error(why); });
    return;
  }
  UpstreamOptions uo;
  uo.service = "owner";
  uo.base_url = lease.holder_address();
  auto upstream = std::make_unique<Upstream>(uo);
  upstream->Start();
  spdlog::info("standby: forwarding {} and the key admin routes to the owner {} at {}",
               fmt::join(services, ", "), lease.holder(), uo.base_url);
  ForwardRoutes(scratch,
                [target = upstream.get()](HttpRequest& req) { return target->Forward(req); });
  upstreams_.push_back(std::move(upstream));
}

void App::ForwardRoutes(const Router& from,
                        const std::function<HttpResponse(HttpRequest&)>& forward) {
  // The same routes the service registers (same patterns, methods and body handling), each
  // forwarding: 404/405 and the metrics' route labels match the all-in-one server.
  for (const Route& r : from.routes()) {
    RouteOptions o;
    o.stream_body_to_file = r.options.stream_body_to_file;
    o.work = WorkClass::kWaiting;  // this thread waits while the service works
    // Admitted here exactly as the service would (scope, media type, limits); the service
    // checks the forwarded key again.
    o.access = r.options.access;
    o.expensive = r.options.Expensive();
    o.body_types = r.options.body_types;
    router_.Add(r.method, r.pattern, forward, o);
    proxied_routes_.insert(r.pattern);
  }
}

void App::AddProcessRoutes() {
  RouteOptions fast;
  fast.run_inline = true;
  fast.access = Access::kPublic;  // health checks and the console's page need no key
  RouteOptions metrics = fast;
  metrics.access = config_.metrics_public ? Access::kPublic : Access::kRead;
  router_.Add(
      "GET", "/healthz",
      [](HttpRequest&) { return HttpResponse::FromJsonText(200, R"({"status":"ok"})"); }, fast);
  router_.Add(
      "GET", "/readyz",
      [this](HttpRequest&) {
        Json modules = Json::object();
        Json progress = Json::object();
        bool all = true;
        for (const auto& m : modules_) {
          modules[m->Name()] = m->Ready();
          all = all && m->Ready();
          if (Json p = m->Progress(); !p.is_null()) progress[m->Name()] = std::move(p);
        }
        Json body = Json::object();
        body["ready"] = all;
        body["datasets"] = services_->catalog->List().size();
        body["modules"] = std::move(modules);
        // While a module starts up (the workers index build): what it is doing, how far.
        if (!progress.empty()) body["progress"] = std::move(progress);
        body["service"] = services_->plan.AllInOne() ? "all" : services_->plan.label;
        if (!upstreams_.empty()) {
          // A service that is down does not make the gateway unready: its other routes
          // work, and that group answers 503 on its own.
          Json ups = Json::array();
          for (const auto& u : upstreams_) ups.push_back(u->StatusJson());
          body["upstreams"] = std::move(ups);
        }
        return HttpResponse::FromJson(all ? 200 : 503, body);
      },
      fast);
  router_.Add(
      "GET", "/metrics",
      [](HttpRequest&) {
        return HttpResponse::Text(200, MetricsRegistry::Global().RenderPrometheus(),
                                  "text/plain; version=0.0.4; charset=utf-8");
      },
      metrics);
  AddConsoleRoutes(router_, fast);
}

void App::Stop() {
  if (server_) server_->Stop();
  for (const auto& m : modules_) m->Stop();
}

void App::RunUntilSignal() {
  // Under systemd (Type=notify): READY=1 once every module is ready (what /readyz says), and
  // what the start is doing until then (the workers index build's progress).
  std::atomic<bool> done{false};
  std::thread notifier;
  if (std::getenv("NOTIFY_SOCKET") != nullptr) {
    notifier = std::thread([this, &done] {
      std::string last;
      while (!done.load()) {
        if (Ready()) {
          NotifySystemd(fmt::format("READY=1\nSTATUS=serving on port {}", port()));
          return;
        }
        std::string status = "STATUS=starting";
        for (const auto& m : modules_)
          if (Json p = m->Progress(); !p.is_null())
            status = "STATUS=" + m->Name() + ": " + DumpJson(p);
        if (status != last) NotifySystemd(status);
        last = std::move(status);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    });
  }
  server_->RunUntilSignal();
  for (const auto& m : modules_) m->Stop();  // an index build stops at its next batch
  done = true;
  if (notifier.joinable()) notifier.join();
  NotifySystemd("STOPPING=1");
}

bool App::Ready() const {
  for (const auto& m : modules_)
    if (!m->Ready()) return false;
  return true;
}

}  // namespace lakehouse
