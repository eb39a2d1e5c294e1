#include "distill/audit_phases.h"

#include <algorithm>
#include <optional>

namespace lakehouse::distill::audit {

// 3: re-score every record.
Status AuditScorer(AuditRun& a) {
  Phase& p = a.Begin(3, "scorer");
  if (JsonlFiles(a.root / "evidence").empty()) {
    p.skipped = true;
    return Status::OK();
  }
  LH_ASSIGN_OR_RETURN(ScoreContext ctx, ScoreContext::Build(a.root));
  // The scorer's roster checks are re-done when the scorer ran with the roster: its
  // checkpoint's context digest says which (a scorer without a roster checked no names).
  std::optional<RosterPeople> people;
  if (a.opt.roster != nullptr) {
    std::ifstream in(a.root / "scored" / "_checkpoint.json");
    auto checkpoint = ParseJson(std::string{std::istreambuf_iterator<char>(in), {}});
    people = RosterPeople::From(*a.opt.roster);
    ScoreContext with = ctx;
    with.people = &*people;
    if (checkpoint.ok() && checkpoint->is_object() &&
        checkpoint->value("context", std::string()) == with.Digest())
      ctx.people = &*people;
  }
  Status st = ForEachScoredEvidence(a.root, [&](const EvidenceView& ev, const ScoredView& s) {
    ++p.checked;
    ScoreResult r = ScoreEvidence(ev, ctx);
    if (s.score < 0 || s.score > 1) a.inv.Violate("A08", std::string(ev.id));
    if ((s.category == "SftNever") != !s.firewall.empty()) a.inv.Violate("A09", std::string(ev.id));
    // The reasons themselves, not their count: a rewritten firewall reason is tampering.
    const bool same_firewall =
        std::equal(r.firewall.begin(), r.firewall.end(), s.firewall.begin(), s.firewall.end());
    if (FormatScore(r.score) != FormatScore(s.score) || r.category != s.category ||
        !same_firewall) {
      p.Fail(fmt::format("{}: scored {} {}, re-scored {} {}", ev.id, FormatScore(s.score),
                         s.category, FormatScore(r.score), r.category));
      a.inv.Violate("A10", std::string(ev.id));
    }
    const std::string key(ev.id);
    if (s.category == "SftNever") a.sft_never.insert(EvidenceIdKey(key));
    if (KeptOutOfRag(s)) a.flagged.insert(EvidenceIdKey(key));
    return Status::OK();
  });
  if (!st.ok()) {
    p.Fail(st.message());
    a.inv.Violate("A07", st.message());
  }
  return Status::OK();
}

}  // namespace lakehouse::distill::audit
