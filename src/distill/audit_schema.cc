#include "distill/audit_phases.h"

namespace lakehouse::distill::audit {

// 1: every line of every file against its schema.
Status AuditSchema(AuditRun& a) {
  Phase& p = a.Begin(1, "schema");
  dom::parser parser;
  EvidenceParser ep;
  Json kb = Json::object();
  // Sources: a line that is not its schema is expected to be quarantined (phase 2 checks
  // it is); here they are counted.
  for (const SourceSpec& s : Sources()) {
    const fs::path path = a.root / "_kb" / (std::string(s.name) + ".jsonl");
    std::error_code ec;
    if (!fs::exists(path, ec)) continue;
    int64_t ok = 0, bad = 0;
    EvidenceTransformer tf;
    EvidenceDraft d;
    JsonlReader r;
    LH_RETURN_IF_ERROR(r.Open(path.string()));
    JsonlLine l;
    while (r.Next(l)) (tf.Transform(s, l.text, d).ok() ? ok : bad)++;
    kb[std::string(s.name)] = Json{{"valid", ok}, {"invalid", bad}};
  }
  p.notes["sources"] = kb;
  std::unordered_set<uint64_t> ids;
  for (const fs::path& f : JsonlFiles(a.root / "evidence")) {
    const std::string rel = RelPath(a.root / "evidence", f);
    JsonlReader r;
    LH_RETURN_IF_ERROR(r.Open(f.string()));
    JsonlLine l;
    while (r.Next(l)) {
      ++p.checked;
      auto ev = ep.Parse(l.text);
      if (!ev.ok()) {
        p.Fail(fmt::format("evidence/{} line {}: {}", rel, l.index, ev.status().message()));
        if (ev.status().message().find("line_offset") != std::string::npos)
          a.inv.Violate("A01", rel);
        continue;
      }
      if (ev->line_offset < 0) a.inv.Violate("A01", fmt::format("{} line {}", rel, l.index));
      if (ev->id.size() != 27 || !ev->id.starts_with("ev_"))
        p.Fail(
            fmt::format("evidence/{} line {}: id '{}' is not ev_<24 hex>", rel, l.index, ev->id));
      if (!IsDay(ev->day))
        p.Fail(fmt::format("evidence/{} line {}: day '{}'", rel, l.index, ev->day));
      if (!ids.insert(EvidenceIdKey(ev->id)).second) a.inv.Violate("A02", std::string(ev->id));
      const std::string expect = DayPath(ev->day) + "/" + std::string(ev->source) + ".jsonl";
      if (rel != expect) a.inv.Violate("A04", fmt::format("{} in {}", ev->id, rel));
      const SourceSpec* spec = FindSource(ev->source);
      if (spec == nullptr) {
        p.Fail(fmt::format("evidence/{}: unknown source '{}'", rel, ev->source));
        continue;
      }
      EvidenceDraft d{std::string(ev->kind), std::string(ev->day), std::string(ev->subject),
                      Minify(ev->payload)};
      if (EvidenceId(*spec, d) != ev->id) a.inv.Violate("A03", std::string(ev->id));
    }
    LH_RETURN_IF_ERROR(r.status());
  }
  for (const fs::path& f : JsonlFiles(a.root / "scored")) {
    LH_RETURN_IF_ERROR(ForEachJsonLine(f, parser, [&](const JsonlLine& l, const dom::element* el) {
      ++p.checked;
      std::string err = el ? CheckFields(*el, {{"schema", T::kString},
                                               {"evidence_id", T::kString},
                                               {"kind", T::kString},
                                               {"source", T::kString},
                                               {"day", T::kString},
                                               {"subject", T::kString},
                                               {"score", T::kNumber},
                                               {"category", T::kString},
                                               {"reasons", T::kArray},
                                               {"firewall", T::kArray}})
                           : "malformed JSON";
      if (!err.empty()) p.Fail(fmt::format("{} line {}: {}", RelPath(a.root, f), l.index, err));
      if (!FourDecimals(l.text))
        a.inv.Violate("A08", fmt::format("{} line {}", RelPath(a.root, f), l.index));
    }));
  }
  for (const fs::path& f : JsonlFiles(a.root / "_quarantine" / "_kb")) {
    LH_RETURN_IF_ERROR(ForEachJsonLine(f, parser, [&](const JsonlLine& l, const dom::element* el) {
      ++p.checked;
      std::string err = el ? CheckFields(*el, {{"schema", T::kString},
                                               {"source", T::kString},
                                               {"origin", T::kString},
                                               {"line_offset", T::kInt},
                                               {"reason", T::kString},
                                               {"raw", T::kString},
                                               {"quarantined_at", T::kString}})
                           : "malformed JSON";
      if (!err.empty()) {
        p.Fail(fmt::format("{} line {}: {}", RelPath(a.root, f), l.index, err));
        a.inv.Violate("A22", fmt::format("{} line {}", RelPath(a.root, f), l.index));
      }
    }));
  }
  const std::vector<std::pair<const char*, Fields>> exports = {
      {"sft", {{"messages", T::kArray}, {"metadata", T::kObject}}},
      {"rag", {{"id", T::kString}, {"text", T::kString}, {"metadata", T::kObject}}},
      {"preference",
       {{"prompt", T::kArray},
        {"chosen", T::kArray},
        {"rejected", T::kArray},
        {"metadata", T::kObject}}},
  };
  for (const auto& [name, export_fields] : exports) {
    const Fields& fields = export_fields;  // a lambda below captures it (clang 14: no bindings)
    for (const std::string& file :
         {std::string(name) + ".jsonl", std::string(name) + ".dropped.jsonl"}) {
      const fs::path f = a.root / "exports" / file;
      std::error_code ec;
      if (!fs::exists(f, ec)) continue;
      const bool dropped = file.find(".dropped") != std::string::npos;
      LH_RETURN_IF_ERROR(
          ForEachJsonLine(f, parser, [&](const JsonlLine& l, const dom::element* el) {
            ++p.checked;
            std::string err = !el       ? "malformed JSON"
                              : dropped ? CheckFields(*el, {{"evidence_id", T::kString},
                                                            {"kind", T::kString},
                                                            {"class", T::kString},
                                                            {"reason", T::kString}})
                                        : CheckFields(*el, fields);
            if (!err.empty()) p.Fail(fmt::format("exports/{} line {}: {}", file, l.index, err));
            if (dropped && el && Str(*el, "reason").empty())
              a.inv.Violate("A20", fmt::format("exports/{} line {}", file, l.index));
          }));
    }
  }
  for (const fs::path& dir : {a.root / "_receipts"}) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (it->path().extension() != ".json") continue;
      ++p.checked;
      std::ifstream in(it->path());
      std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      auto j = ParseJson(text);
      if (!j.ok() || !j->is_object() || j->value("schema", "") != "receipt.v1" ||
          !j->contains("step") || !j->contains("duration_ms"))
        p.Fail(fmt::format("{}: not a receipt.v1", RelPath(a.root, it->path())));
    }
  }
  return Status::OK();
}

}  // namespace lakehouse::distill::audit
