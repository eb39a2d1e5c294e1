// src/server/app.h: one running lakehouse server: services + modules + HTTP.
//
// Used by `lakehouse serve` and by the end-to-end tests, which start the real server on
// an ephemeral loopback port and talk HTTP to it.
//
// Thread-safety: Start/Stop from one thread.
#pragma once

#include <memory>
#include <vector>

#include "core/process_lock.h"
#include "gateway/http_server.h"
#include "server/module.h"
#include "server/services.h"

namespace lakehouse {

//! The exclusive lock on `<root>/.lakehouse.lock` a server (or a CLI command writing
//! datasets or indexes) holds; Conflict naming the holder when another process has it.
Result<std::unique_ptr<ProcessLock>> AcquireRootLock(const Config& config,
                                                     const std::string& holder);

class App {
 public:
  //! Opens services, starts every module and registers its routes, plus the process routes
  //! every server has: GET /healthz, /readyz, /metrics and / (the web console).
  static Result<std::unique_ptr<App>> Create(const Config& config);
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
  std::unique_ptr<ProcessLock> root_lock_;  // one server per root (process_lock.h)
  std::unique_ptr<Services> services_;
  std::vector<std::unique_ptr<Module>> modules_;
  Router router_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace lakehouse
