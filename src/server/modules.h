// src/server/modules.h: the composition root of the HTTP layer.
//
// Every route group (src/api/) is listed here, once, with its Deps filled from the
// process's components: this is the one place that knows which group may touch what.
// In split-service mode components another service owns are null (server/topology.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/module.h"
#include "server/services.h"

namespace lakehouse {

//! One instance of every route group, sorted by name; only the groups `service` serves
//! when it is not empty.
std::vector<std::unique_ptr<Module>> CreateModules(Services& services,
                                                   const std::string& service = "");

}  // namespace lakehouse
