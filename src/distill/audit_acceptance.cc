#include "distill/audit_phases.h"

namespace lakehouse::distill::audit {

// 6: the acceptance invariants collected by every phase.
void AuditAcceptance(AuditRun& a) {
  Phase& p = a.Begin(6, "acceptance invariants");
  Json inv = a.inv.ToJson();
  p.checked = static_cast<int64_t>(inv.size());
  for (const auto& i : inv)
    if (i["status"] == "FAIL")
      p.Fail(fmt::format("{} {}: {} violations (first: {})", i["id"].get<std::string>(),
                         i["invariant"].get<std::string>(), i["violations"].get<int64_t>(),
                         i["first"].is_string() ? i["first"].get<std::string>() : ""));
}

}  // namespace lakehouse::distill::audit
