// src/validate/validator_checks.h: what the fill, email and playbook validators share
// (validators.h; one file each: fill_validator.cc, email_validator.cc,
// playbook_validator.cc). Private to those files and validators.cc.
//
// Thread-safety: free functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/clock.h"
#include "core/json.h"
#include "validate/validators.h"

namespace lakehouse::validator_checks {

using Errors = std::vector<ValidationError>;

inline void Add(Errors& e, ErrorKind kind, std::string field, std::string reason) {
  e.push_back({kind, std::move(field), std::move(reason)});
}

inline std::string DayText(int32_t day) {
  return FormatDate(CivilFromDays(day));
}

// A required string field: absent, null or another type is a Schema error.
inline std::optional<std::string> RequiredText(const Json& p, const char* field, Errors& e) {
  auto it = p.find(field);
  if (it == p.end() || it->is_null()) {
    Add(e, ErrorKind::kSchema, field, "required");
    return std::nullopt;
  }
  if (!it->is_string()) {
    Add(e, ErrorKind::kSchema, field, fmt::format("expected string, got {}", JsonTypeName(*it)));
    return std::nullopt;
  }
  return it->get<std::string>();
}

}  // namespace lakehouse::validator_checks
