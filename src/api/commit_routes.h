// src/api/commit_routes.h: POST /v1/fills and POST /v1/emails (served by the validate
// service): the commit flow of validate/commit.h; 201 when valid, 422 with every error
// when not (nothing but the evidence line is written then).
#pragma once

#include <memory>

#include "api/module.h"
#include "validate/commit.h"

namespace lakehouse {

std::unique_ptr<Module> NewCommitModule(CommitDeps deps);

}  // namespace lakehouse
