// src/api/iterate_routes.h: POST /v1/iterate (served by the validate service): the
// validate-and-retry loop over the chat dispatcher, recorded (validate/iterate_run.h).
#pragma once

#include <memory>

#include "api/module.h"
#include "validate/iterate_run.h"

namespace lakehouse {

class ChatDispatcher;

struct IterateDeps {
  IterateRunDeps run;
  ChatDispatcher* chat = nullptr;
};

std::unique_ptr<Module> NewIterateModule(IterateDeps deps);

}  // namespace lakehouse
