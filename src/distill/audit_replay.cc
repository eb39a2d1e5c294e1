#include "distill/audit_phases.h"

namespace lakehouse::distill::audit {

// 7: replay runs: each answer re-validated against the roster as it is now, when the
// roster has the versions the run saw (otherwise counted as not comparable).
Status AuditReplay(AuditRun& a) {
  Phase& p = a.Begin(7, "replay");
  int64_t runs = 0, compared = 0, agree = 0, other_roster = 0;
  LH_RETURN_IF_ERROR(ForEachEvidenceOf(a.root, {"replay_runs"}, [&](const EvidenceView& ev) {
    ++runs;
    ++p.checked;
    if (a.opt.roster == nullptr || a.opt.validators == nullptr) return Status::OK();
    auto versions = ev.Get("roster_versions");
    const RosterStats& st = a.opt.roster->stats();
    int64_t w = -1, o = -1, fl = -1;
    if (!versions || (*versions)["workers"].get_int64().get(w) ||
        (*versions)["job_orders"].get_int64().get(o) || (*versions)["fills"].get_int64().get(fl) ||
        w != st.workers_version || o != st.job_orders_version || fl != st.fills_version) {
      ++other_roster;
      return Status::OK();
    }
    auto task = ev.Get("task");
    auto extracted = ev.Get("extracted");
    auto val = ev.Get("validation");
    bool recorded_valid = false;
    if (!task || !val || (*val)["valid"].get_bool().get(recorded_valid)) return Status::OK();
    bool now_valid = false;
    if (extracted) {
      auto payload = ParseJson(Minify(*extracted));
      auto verdict = payload.ok()
                         ? a.opt.validators->Validate(*a.opt.roster, Str(*task, "kind"), *payload)
                         : Result<Verdict>(payload.status());
      now_valid = verdict.ok() && verdict->valid();
    }
    ++compared;
    if (now_valid == recorded_valid)
      ++agree;
    else
      p.Fail(fmt::format("replay {}: recorded {}, now {}", ev.Str("run_id"),
                         recorded_valid ? "valid" : "not valid",
                         now_valid ? "valid" : "not valid"));
    return Status::OK();
  }));
  p.notes["replay_runs"] = runs;
  p.notes["re_validated"] = compared;
  p.notes["agree"] = agree;
  p.notes["other_roster_version"] = other_roster;
  if (runs == 0) {
    p.skipped = true;
    p.notes["reason"] = "no replay runs (lakehouse replay --order ID makes one)";
  } else if (a.opt.roster == nullptr) {
    p.notes["reason"] = "no roster: shapes checked in phase 5 only";
  }
  return Status::OK();
}

}  // namespace lakehouse::distill::audit
