#include "distill/audit_phases.h"

namespace lakehouse::distill::audit {

// 5: runs agree with themselves; every step's latest receipt describes files that exist.
Status AuditRunSummaries(AuditRun& a) {
  Phase& p = a.Begin(5, "run summaries");
  int64_t iterate = 0, replays = 0;
  LH_RETURN_IF_ERROR(
      ForEachEvidenceOf(a.root, {"iterate_runs", "replay_runs"}, [&](const EvidenceView& ev) {
        ++p.checked;
        if (ev.kind == "iterate_run") {
          ++iterate;
          dom::array attempts;
          const bool has_attempts =
              ev.Get("attempts") &&
              ev.Get("attempts")->get_array().get(attempts) == simdjson::SUCCESS;
          if (!has_attempts ||
              static_cast<int64_t>(attempts.size()) != ev.Int("attempt_count", -1) ||
              (ev.Bool("valid") && !ev.Get("final").has_value())) {
            a.inv.Violate("A23", std::string(ev.id));
            p.Fail(fmt::format("iterate run {} does not add up", ev.Str("run_id")));
          }
        } else {
          ++replays;
          auto msgs = ev.Get("messages");
          auto val = ev.Get("validation");
          bool valid = false;
          dom::array errors;
          if (!msgs || !val || (*val)["valid"].get_bool().get(valid) ||
              (*val)["errors"].get_array().get(errors)) {
            a.inv.Violate("A24", std::string(ev.id));
            return Status::OK();
          }
          auto parsed = ParseJson(Minify(*msgs));
          if (!parsed.ok() || Sha256Hex(DumpJson(*parsed)) != ev.Str("prompt_sha256") ||
              valid != (errors.size() == 0)) {
            a.inv.Violate("A24", std::string(ev.id));
            p.Fail(fmt::format("replay run {} does not add up", ev.Str("run_id")));
          }
        }
        return Status::OK();
      }));
  Json receipts = Json::object();
  for (const char* step :
       {"materialize", "score", "export_sft", "export_rag", "export_preference"}) {
    Json r = LatestReceipt(a.root, step);
    if (r.is_null()) continue;
    receipts[step] = Json{{"started_at", r["started_at"]},
                          {"duration_ms", r["duration_ms"]},
                          {"counts", r.value("counts", Json::object())}};
    ++p.checked;
    if (r.contains("outputs") && r["outputs"].is_array()) {
      for (const auto& o : r["outputs"]) {
        std::error_code ec;
        if (o.contains("path") && !fs::exists(a.root / o["path"].get<std::string>(), ec))
          p.Fail(fmt::format("{} receipt names {}, which is gone", step,
                             o["path"].get<std::string>()));
      }
    }
  }
  // The receipts' hash chain: every `previous` names a receipt whose bytes still hash to
  // what was recorded, and no receipt is the previous of two (one chain).
  std::set<std::string> linked;
  int64_t links = 0;
  std::error_code ec;
  for (const auto& d : fs::directory_iterator(a.root / "_receipts", ec)) {
    for (const auto& e : fs::directory_iterator(d.path(), ec)) {
      if (e.path().extension() != ".json") continue;
      std::ifstream in(e.path());
      auto r = ParseJson(std::string{std::istreambuf_iterator<char>(in), {}});
      if (!r.ok() || !r->contains("previous")) continue;
      ++links;
      const Json& prev = (*r)["previous"];
      const std::string path = prev.value("path", "");
      auto sha = FileSha256(a.root / path);
      const std::string self = RelPath(a.root, e.path());
      if (!sha.ok() || *sha != prev.value("sha256", "")) {
        p.Fail(fmt::format("{}: its previous receipt {} was changed or removed", self, path));
        a.inv.Violate("A26", self);
      }
      if (!linked.insert(path).second) {
        p.Fail(fmt::format("{}: {} is already the previous of another receipt", self, path));
        a.inv.Violate("A26", self);
      }
    }
  }
  p.notes["iterate_runs"] = iterate;
  p.notes["replay_runs"] = replays;
  p.notes["receipts"] = receipts;
  p.notes["receipt_links"] = links;
  return Status::OK();
}

}  // namespace lakehouse::distill::audit
