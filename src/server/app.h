// src/server/app.h: one running lakehouse server: services + modules + HTTP.
//
// Used by `lakehouse serve` and by the end-to-end tests, which start the real server on
// an ephemeral loopback port and talk HTTP to it.
//
// Thread-safety: Start/Stop from one thread.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "api/guard.h"
#include "auth/keys.h"
#include "core/config.h"
#include "core/process_lock.h"
#include "gateway/http_server.h"
#include "gateway/proxy.h"
#include "server/modules.h"
#include "server/services.h"

namespace lakehouse {

//! `lakehouse --version`: version, git commit, build type and CPU target, DuckDB and hnswlib.
std::string VersionText();
//! lakehouse_build_info (the same facts as labels) and the process_* metrics, in /metrics.
void RegisterBuildMetrics();

//! The exclusive lock on `<root>/.lakehouse.lock` a server (or a CLI command writing
//! datasets or indexes) holds; Conflict naming the holder when another process has it.
Result<std::unique_ptr<ProcessLock>> AcquireRootLock(const Config& config,
                                                     const std::string& holder);

//! PermissionDenied when `config` would serve a non-loopback address with auth off and
//! without `insecure`: the error says how to create a key.
Status CheckExposure(const Config& config);

//! Split-service mode (server/topology.h): what this process serves itself.
struct ServeOptions {
  std::string service;  // `--service NAME`: only this service's modules ("" all)
  //! `--upstream NAME=URL`: these services' route groups are proxied, not served here
  //! (a gateway). With `service`, only `journal`: where the service sends its events.
  std::map<std::string, std::string> upstreams;
};

class App {
 public:
  //! Opens services, starts every module and registers its routes, plus the process routes
  //! every server has: GET /healthz, /readyz, /metrics and / (the web console). With
  //! `serve.service` only that service's modules; with upstreams, their route groups are
  //! forwarded (gateway/proxy.h). Takes the root's locks (topology.h): an all-in-one
  //! server refuses to start on a root another server uses, and so does a second copy of
  //! a split service.
  static Result<std::unique_ptr<App>> Create(const Config& config, const ServeOptions& serve = {});
  ~App();

  Status Start();
  int port() const { return server_->port(); }
  void Stop();
  void RunUntilSignal();
  Services& services() { return *services_; }
  auth::KeyStore& keys() { return *keys_; }
  //! True once every module reports ready.
  bool Ready() const;

 private:
  App() = default;
  void AddProcessRoutes();
  Status AddProxyRoutes(const ServeOptions& serve);
  //! A standby (server/component_lease.h): `services`' routes and the key admin routes go
  //! to the components' owner.
  void AddOwnerRoutes(const std::vector<std::string>& services);
  //! Every route of `from`, answered by `forward` (same patterns, methods, admission).
  void ForwardRoutes(const Router& from, const std::function<HttpResponse(HttpRequest&)>& forward);
  Config config_;
  std::vector<std::unique_ptr<ProcessLock>> locks_;  // the root's, and each served service's
  std::vector<std::unique_ptr<Upstream>> upstreams_;
  std::set<std::string, std::less<>> proxied_routes_;  // patterns forwarded to upstreams
  std::unique_ptr<Services> services_;
  std::vector<std::unique_ptr<Module>> modules_;
  std::unique_ptr<auth::KeyStore> keys_;  // the root's API keys (every process reads them)
  std::unique_ptr<Module> keys_module_;   // /v1/admin/keys, served by every process
  std::unique_ptr<RequestGuard> guard_;   // admission: keys, origins, limits (api/guard.h)
  Router router_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace lakehouse
