#include "distill/audit_phases.h"

namespace lakehouse::distill::audit {

// 0: what is there.
Status AuditInventory(AuditRun& a) {
  Phase& p = a.Begin(0, "inventory");
  Json sources = Json::object();
  int64_t source_lines = 0;
  for (const SourceSpec& s : Sources()) {
    const fs::path path = a.root / "_kb" / (std::string(s.name) + ".jsonl");
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      sources[std::string(s.name)] = nullptr;
      continue;
    }
    int64_t lines = 0;
    JsonlReader r;
    LH_RETURN_IF_ERROR(r.Open(path.string()));
    JsonlLine l;
    while (r.Next(l)) ++lines;
    source_lines += lines;
    sources[std::string(s.name)] =
        Json{{"bytes", static_cast<int64_t>(fs::file_size(path, ec))}, {"lines", lines}};
    ++p.checked;
  }
  p.notes["sources"] = sources;
  p.notes["evidence_files"] = JsonlFiles(a.root / "evidence").size();
  p.notes["scored_files"] = JsonlFiles(a.root / "scored").size();
  Json receipts = Json::object();
  for (const char* step :
       {"materialize", "score", "export_sft", "export_rag", "export_preference"}) {
    Json r = LatestReceipt(a.root, step);
    receipts[step] = r.is_null() ? Json(nullptr) : r["started_at"];
    if (r.is_null() && source_lines > 0)
      p.Fail(fmt::format("no {} receipt: the step never ran", step));
  }
  p.notes["latest_receipts"] = receipts;
  if (source_lines == 0) p.skipped = true;
  return Status::OK();
}

}  // namespace lakehouse::distill::audit
