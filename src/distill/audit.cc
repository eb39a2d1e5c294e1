#include <functional>
#include <iterator>
#include <utility>

#include "distill/audit_phases.h"

namespace lakehouse::distill {

// The baselines read files with the same small readers as the phases.
using namespace audit;

Result<Json> AuditFull(const AuditOptions& options) {
  StepTimer timer;
  audit::AuditRun run(options);
  const std::pair<const char*, std::function<Status()>> steps[] = {
      {"inventory", [&] { return audit::AuditInventory(run); }},
      {"schema", [&] { return audit::AuditSchema(run); }},
      {"materializer", [&] { return audit::AuditMaterializer(run); }},
      {"scorer", [&] { return audit::AuditScorer(run); }},
      {"exports", [&] { return audit::AuditExports(run); }},
      {"run summaries", [&] { return audit::AuditRunSummaries(run); }},
      {"acceptance",
       [&] {
         audit::AuditAcceptance(run);
         return Status::OK();
       }},
      {"replay", [&] { return audit::AuditReplay(run); }},
  };
  const auto n_steps = static_cast<int64_t>(std::size(steps));
  for (int64_t i = 0; i < n_steps; ++i) {
    if (options.progress != nullptr) {
      options.progress->Phase(steps[i].first, n_steps, "phases");
      options.progress->Set(i);
    }
    LH_RETURN_IF_ERROR(steps[i].second());
  }
  if (options.progress != nullptr) options.progress->Set(n_steps);
  Json phases = Json::array();
  bool pass = true;
  for (const audit::Phase& p : run.phases) {
    phases.push_back(p.ToJson());
    pass = pass && p.failures == 0;
  }
  Json line{{"schema", "audit_full.v1"},
            {"at", FormatRfc3339Millis(SystemClock::Get().NowMillis())},
            {"result", pass ? "PASS" : "FAIL"},
            {"phases", phases},
            {"invariants", run.inv.ToJson()}};
  std::error_code ec;
  fs::create_directories(options.root / "audit", ec);
  LH_RETURN_IF_ERROR(AppendToFile((options.root / "audit" / "audit_full.jsonl").string(),
                                  DumpJson(line) + "\n", /*sync=*/true));
  Json summary = Json::array();
  for (const auto& p : line["phases"])
    summary.push_back(Json{{"phase", p["phase"]}, {"status", p["status"]}});
  LH_RETURN_IF_ERROR(WriteReceipt(options.root, "audit_full", timer,
                                  Json{{"result", line["result"]}, {"phases", summary}})
                         .status());
  return line;
}

std::string AuditTable(const Json& audit) {
  std::string out = fmt::format("{:<6}{:<24}{:<7}{:>10}{:>10}\n", "phase", "name", "status",
                                "checked", "failures");
  for (const auto& p : audit["phases"]) {
    out += fmt::format("{:<6}{:<24}{:<7}{:>10}{:>10}\n", p["phase"].get<int>(),
                       p["name"].get<std::string>(), p["status"].get<std::string>(),
                       p["checked"].get<int64_t>(), p["failures"].get<int64_t>());
    for (const auto& f : p["first_failures"]) out += "      - " + f.get<std::string>() + "\n";
  }
  out += fmt::format("result: {}\n", audit["result"].get<std::string>());
  return out;
}

Result<Json> AuditBaselines(const fs::path& root) {
  StepTimer timer;
  Json sources = Json::object();
  for (const SourceSpec& s : Sources()) {
    const fs::path path = root / "_kb" / (std::string(s.name) + ".jsonl");
    std::error_code ec;
    int64_t lines = 0;
    if (fs::exists(path, ec)) {
      JsonlReader r;
      LH_RETURN_IF_ERROR(r.Open(path.string()));
      JsonlLine l;
      while (r.Next(l)) ++lines;
    }
    sources[std::string(s.name)] =
        Json{{"bytes", fs::exists(path, ec) ? static_cast<int64_t>(fs::file_size(path, ec)) : 0},
             {"lines", lines}};
  }
  std::map<std::string, int64_t> by_source, by_kind, by_category;
  std::vector<int64_t> histogram(10, 0);
  int64_t total = 0;
  std::unordered_set<uint64_t> never, flagged;
  Status st = ForEachScoredEvidence(root, [&](const EvidenceView& ev, const ScoredView& s) {
    ++total;
    ++by_source[std::string(ev.source)];
    ++by_kind[std::string(ev.kind)];
    ++by_category[std::string(s.category)];
    ++histogram[std::min<size_t>(9, static_cast<size_t>(s.score * 10))];
    if (s.category == "SftNever") never.insert(EvidenceIdKey(std::string(ev.id)));
    if (KeptOutOfRag(s)) flagged.insert(EvidenceIdKey(std::string(ev.id)));
    return Status::OK();
  });
  if (!st.ok()) return st;
  auto to_json = [](const std::map<std::string, int64_t>& m) {
    Json j = Json::object();
    for (const auto& [k, n] : m) j[k] = n;
    return j;
  };
  Json hist = Json::object();
  for (int i = 0; i < 10; ++i)
    hist[fmt::format("{:.1f}-{:.1f}", i / 10.0, (i + 1) / 10.0)] = histogram[i];
  // Export counts and firewall violations (what phase 4 of the full audit checks).
  Json exports = Json::object();
  int64_t violations = 0;
  dom::parser parser;
  for (const char* kind : {"sft", "rag", "preference"}) {
    const fs::path f = root / "exports" / (std::string(kind) + ".jsonl");
    const fs::path d = root / "exports" / (std::string(kind) + ".dropped.jsonl");
    int64_t lines = 0, dropped = 0;
    std::error_code ec;
    if (fs::exists(f, ec)) {
      LH_RETURN_IF_ERROR(ForEachJsonLine(f, parser, [&](const JsonlLine&, const dom::element* el) {
        ++lines;
        if (!el) return;
        dom::array a;
        if ((*el)["metadata"]["evidence_ids"].get_array().get(a)) return;
        for (dom::element e : a) {
          std::string_view id;
          if (e.get_string().get(id)) continue;
          const auto& set = std::string_view(kind) == "rag" ? flagged : never;
          if (set.count(EvidenceIdKey(std::string(id)))) ++violations;
        }
      }));
    }
    if (fs::exists(d, ec))
      LH_RETURN_IF_ERROR(
          ForEachJsonLine(d, parser, [&](const JsonlLine&, const dom::element*) { ++dropped; }));
    exports[kind] = Json{{"lines", lines}, {"dropped", dropped}};
  }
  int64_t quarantined = 0;
  for (const fs::path& q : JsonlFiles(root / "_quarantine" / "_kb"))
    LH_RETURN_IF_ERROR(
        ForEachJsonLine(q, parser, [&](const JsonlLine&, const dom::element*) { ++quarantined; }));
  Json line{{"schema", "audit_baseline.v1"},
            {"at", FormatRfc3339Millis(SystemClock::Get().NowMillis())},
            {"sources", sources},
            {"evidence",
             {{"total", total}, {"by_source", to_json(by_source)}, {"by_kind", to_json(by_kind)}}},
            {"categories", to_json(by_category)},
            {"score_histogram", hist},
            {"exports", exports},
            {"quarantined", quarantined},
            {"firewall_violations", violations}};
  std::error_code ec;
  fs::create_directories(root / "audit", ec);
  LH_RETURN_IF_ERROR(AppendToFile((root / "audit" / "audit_baselines.jsonl").string(),
                                  DumpJson(line) + "\n", /*sync=*/true));
  LH_RETURN_IF_ERROR(WriteReceipt(root, "audit_baselines", timer,
                                  Json{{"firewall_violations", violations}, {"evidence", total}})
                         .status());
  return line;
}

}  // namespace lakehouse::distill
