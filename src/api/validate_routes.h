// src/api/validate_routes.h: POST /v1/validate and GET /v1/validate/roster.
//
// Validation is microseconds against the in-memory roster, so it runs on the I/O thread.
// Every call appends a validation.v1 line to _kb/validations.jsonl.
#pragma once

#include <memory>

#include "api/module.h"

namespace lakehouse {

class KbLog;
class RosterStore;
class Validators;

struct ValidateDeps {
  RosterStore* roster = nullptr;
  const Validators* validators = nullptr;
  KbLog* kb = nullptr;
};

std::unique_ptr<Module> NewValidateModule(ValidateDeps deps);

}  // namespace lakehouse
