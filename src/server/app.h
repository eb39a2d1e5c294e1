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

#include "core/process_lock.h"
#include "gateway/http_server.h"
#include "gateway/proxy.h"
#include "server/modules.h"
#include "server/services.h"

namespace lakehouse {

//! The exclusive lock on `<root>/.lakehouse.lock` a server (or a CLI command writing
//! datasets or indexes) holds; Conflict naming the holder when another process has it.
Result<std::unique_ptr<ProcessLock>> AcquireRootLock(const Config& config,
                                                     const std::string& holder);

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
  //! True once every module reports ready.
  bool Ready() const;

 private:
  App() = default;
  void AddProcessRoutes();
  Status AddProxyRoutes(const ServeOptions& serve);
  std::vector<std::unique_ptr<ProcessLock>> locks_;  // the root's, and each served service's
  std::vector<std::unique_ptr<Upstream>> upstreams_;
  std::set<std::string, std::less<>> proxied_routes_;  // patterns forwarded to upstreams
  std::unique_ptr<Services> services_;
  std::vector<std::unique_ptr<Module>> modules_;
  Router router_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace lakehouse
