// src/server/module.h: how a subsystem plugs its HTTP routes into the server.
//
// A subsystem defines a Module in its own *_routes.cc and registers it with
// LAKEHOUSE_REGISTER_MODULE; nothing central lists the modules. The route files are built
// as one CMake OBJECT library (lakehouse_routes) so the linker keeps every registration.
// `lakehouse serve` creates every registered module; `serve --service NAME` (split mode)
// creates the modules whose Service() is NAME (server/topology.h).
//
// Thread-safety: registration happens during static initialisation; CreateModules after.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "gateway/http.h"

namespace lakehouse {

struct Services;

class Module {
 public:
  virtual ~Module() = default;
  //! The service name ("sql", "catalog", "system").
  virtual std::string Name() const = 0;
  //! The split-mode service that serves this module's routes (topology.h lists them):
  //! its own name unless it belongs to another ("catalog" is served by "sql").
  virtual std::string Service() const { return Name(); }
  //! Loads what the module needs before it serves (indexes, rosters).
  virtual Status Start(Services& services) { return Status::OK(); }
  virtual void RegisterRoutes(Router& router, Services& services) = 0;
  //! False while the module cannot serve yet; /readyz answers 503 then.
  virtual bool Ready() const { return true; }
};

using ModuleFactory = std::function<std::unique_ptr<Module>()>;

//! Returns true so it can initialise a static.
bool RegisterModuleFactory(const std::string& name, ModuleFactory factory);
//! One instance of every registered module, sorted by name; only those of `service` when
//! it is not empty.
std::vector<std::unique_ptr<Module>> CreateModules(const std::string& service = "");

}  // namespace lakehouse

#define LAKEHOUSE_REGISTER_MODULE(Name, Class)                             \
  [[maybe_unused]] static const bool lakehouse_module_registered_##Class = \
      ::lakehouse::RegisterModuleFactory(Name, [] { return std::make_unique<Class>(); })
