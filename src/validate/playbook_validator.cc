// src/validate/playbook_validator.cc: the Playbook validator (validators.h).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "core/clock.h"
#include "core/ids.h"
#include "core/text.h"
#include "staffing/taxonomy.h"
#include "validate/text_scan.h"
#include "validate/validator_checks.h"
#include "validate/validators.h"

namespace lakehouse {

using namespace textscan;
using namespace validator_checks;

// ---- Playbook ----

Verdict Validators::Playbook(const Json& p) const {
  Verdict v;
  Errors& e = v.errors;
  auto name = RequiredText(p, "name", e);
  auto role = RequiredText(p, "role", e);
  if (name && name->empty()) Add(e, ErrorKind::kSchema, "name", "must not be empty");
  if (role && staffing::FindRole(*role) == nullptr) {
    Add(e, ErrorKind::kConsistency, "role", fmt::format("unknown role '{}'", *role));
  }
  auto it = p.find("steps");
  if (it == p.end() || it->is_null()) {
    Add(e, ErrorKind::kSchema, "steps", "required");
    return v;
  }
  if (!it->is_array()) {
    Add(e, ErrorKind::kSchema, "steps", fmt::format("expected array, got {}", JsonTypeName(*it)));
    return v;
  }
  if (it->empty()) Add(e, ErrorKind::kSchema, "steps", "must have at least one step");
  if (it->size() > options_.playbook_max_steps) {
    Add(e, ErrorKind::kPolicy, "steps",
        fmt::format("{} steps; the limit is {}", it->size(), options_.playbook_max_steps));
  }
  std::map<std::string_view, long> last;  // tool -> index of its latest occurrence
  auto seen_after = [&](std::string_view tool, long after) {
    auto f = last.find(tool);
    return f != last.end() && f->second > after;
  };
  auto latest = [&](std::string_view tool) {
    auto f = last.find(tool);
    return f == last.end() ? -1L : f->second;
  };
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& step = (*it)[i];
    const std::string field = fmt::format("steps[{}]", i);
    if (!step.is_object()) {
      Add(e, ErrorKind::kSchema, field, fmt::format("expected object, got {}", JsonTypeName(step)));
      continue;
    }
    auto tool_it = step.find("tool");
    if (tool_it == step.end() || !tool_it->is_string()) {
      Add(e, ErrorKind::kSchema, field + ".tool",
          tool_it == step.end() ? "required"
                                : fmt::format("expected string, got {}", JsonTypeName(*tool_it)));
      continue;
    }
    const std::string tool_name = tool_it->get<std::string>();
    const PlaybookTool* tool = nullptr;
    for (const auto& t : PlaybookTools())
      if (t.name == tool_name) tool = &t;
    if (tool == nullptr) {
      std::string known;
      for (const auto& t : PlaybookTools())
        known += (known.empty() ? "" : ", ") + std::string(t.name);
      Add(e, ErrorKind::kSchema, field + ".tool",
          fmt::format("unknown tool '{}'; known tools: {}", tool_name, known));
      continue;
    }
    auto args = step.find("args");
    if (args == step.end() || !args->is_object()) {
      Add(e, ErrorKind::kSchema, field + ".args",
          args == step.end() ? "required"
                             : fmt::format("expected object, got {}", JsonTypeName(*args)));
    } else {
      for (std::string_view arg : tool->required_args) {
        auto a = args->find(std::string(arg));
        const bool present = a != args->end() &&
                             ((a->is_string() && !a->get<std::string>().empty()) || a->is_number());
        if (!present) {
          Add(e, ErrorKind::kSchema, fmt::format("{}.args.{}", field, arg),
              fmt::format("required by tool {}", tool->name));
        }
      }
    }
    // Ordering: each check comes after what it checks, and nothing is sent or committed
    // that was not validated after its latest change.
    const long here = static_cast<long>(i);
    auto order_rule = [&](std::string_view need, std::string_view after_tool, const char* why) {
      if (!seen_after(need, latest(after_tool))) {
        Add(e, ErrorKind::kPolicy, field + ".tool",
            fmt::format("{} at step {} needs {} first ({})", tool->name, here, need, why));
      }
    };
    if (tool->name == "validate_fill") order_rule("propose_fill", "", "validate what was proposed");
    if (tool->name == "commit_fill")
      order_rule("validate_fill", "propose_fill", "validate before commit");
    if (tool->name == "validate_email") order_rule("draft_email", "", "validate what was drafted");
    if (tool->name == "send_email")
      order_rule("validate_email", "draft_email", "validate before send");
    last[tool->name] = here;
  }
  return v;
}

}  // namespace lakehouse
