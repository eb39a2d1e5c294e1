// src/api/module.h: how a route group plugs into the server.
//
// src/api/ is the HTTP layer: every route handler lives here, one `<group>_routes.{h,cc}`
// per group. Each group declares a small `<Group>Deps` struct naming exactly the
// components it uses, and a factory that takes it; the handlers capture only that. The
// composition root (server/modules.cc) fills each Deps from the process's components, so
// nothing below it sees the whole process, and no domain folder includes api/ or server/.
// In split-service mode a component another service owns is null in the Deps: handlers
// answer 503 for it (the server never routes such a request here, but a misconfigured
// deployment must still get a clear answer).
//
// Thread-safety: Start and RegisterRoutes run once, before serving; handlers run
// concurrently on the server's threads.
#pragma once

#include <string>

#include "core/status.h"
#include "gateway/http.h"

namespace lakehouse {

class Module {
 public:
  virtual ~Module() = default;
  //! The route group's name ("sql", "catalog", "journal").
  virtual std::string Name() const = 0;
  //! The split-mode service that serves this group (server/topology.h lists them): its
  //! own name unless it belongs to another ("catalog" is served by "sql").
  virtual std::string Service() const { return Name(); }
  //! Loads what the group needs before it serves (indexes, rosters).
  virtual Status Start() { return Status::OK(); }
  //! Stops background work at shutdown (an index build: cancelled at its next batch), so
  //! the process exits within its shutdown grace; called once the server stopped serving.
  virtual void Stop() {}
  virtual void RegisterRoutes(Router& router) = 0;
  //! False while the group cannot serve yet; /readyz answers 503 then.
  virtual bool Ready() const { return true; }
  //! What the group is doing while not ready (a build's phase and progress), for /readyz;
  //! null when there is nothing to report.
  virtual Json Progress() const { return nullptr; }
};

//! The answer for a component this process does not have open (split-service mode).
HttpResponse NotOpenHere(const char* what);

}  // namespace lakehouse
