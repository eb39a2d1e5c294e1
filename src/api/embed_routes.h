// src/api/embed_routes.h: POST /v1/embed {input: string | [string], model?}.
#pragma once

#include <memory>

#include "api/module.h"

namespace lakehouse {

class EmbedService;

struct EmbedDeps {
  EmbedService* embed = nullptr;
};

std::unique_ptr<Module> NewEmbedModule(EmbedDeps deps);

}  // namespace lakehouse
