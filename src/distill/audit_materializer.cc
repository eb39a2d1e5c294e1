#include "distill/audit_phases.h"

namespace lakehouse::distill::audit {

// 2: re-derive every consumed source line and compare with the evidence on disk.
Status AuditMaterializer(AuditRun& a) {
  Phase& p = a.Begin(2, "materializer");
  Json checkpoint = nullptr;
  {
    std::ifstream in(a.root / "evidence" / "_checkpoint.json");
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (auto j = ParseJson(text); j.ok()) checkpoint = *j;
  }
  if (!checkpoint.is_object()) {
    p.skipped = true;
    p.notes["reason"] = "no materializer checkpoint (materialize never ran)";
    return Status::OK();
  }
  const std::string recorded = "1970-01-01T00:00:00.000Z";
  // provenance.recorded_at is when a materialize run wrote the record: one of the runs'
  // receipts must say so.
  std::set<std::string> runs;
  {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(a.root / "_receipts" / "materialize", ec)) {
      std::ifstream in(e.path());
      auto r = ParseJson(std::string{std::istreambuf_iterator<char>(in), {}});
      if (r.ok() && r->is_object()) runs.insert(r->value("recorded_at", std::string()));
    }
  }
  for (const SourceSpec& s : Sources()) {
    const std::string name(s.name);
    if (!checkpoint["sources"].contains(name)) continue;
    const Json& st = checkpoint["sources"][name];
    // What is on disk: id -> hash of the line before its provenance, and of the
    // provenance that can be re-derived (source, line_offset, transform; recorded_at is
    // when the run happened).
    struct OnDisk {
      uint64_t core = 0, provenance = 0;
      std::string id;
    };
    std::unordered_map<uint64_t, OnDisk> disk;
    simdjson::dom::parser prov_parser;
    for (const fs::path& f : FilesNamed(a.root / "evidence", name + ".jsonl")) {
      JsonlReader r;
      LH_RETURN_IF_ERROR(r.Open(f.string()));
      JsonlLine l;
      while (r.Next(l)) {
        const size_t at = l.text.find("\"id\":\"");
        if (at == std::string_view::npos) continue;
        OnDisk& d = disk[EvidenceIdKey(l.text.substr(at + 6, 27))];
        d.id = std::string(l.text.substr(at + 6, 27));
        d.core = Fnv1a64(EvidenceCore(l.text));
        std::string when;
        d.provenance = Fnv1a64(ProvenanceKey(prov_parser, l.text, &when));
        if (!runs.count(when)) {
          p.Fail(fmt::format("evidence {}: recorded_at '{}' is no materialize run's", d.id, when));
          a.inv.Violate("A25", d.id);
        }
      }
    }
    int64_t quarantine_lines = 0;
    {
      const fs::path q = a.root / "_quarantine" / "_kb" / (name + ".jsonl");
      std::error_code ec;
      if (fs::exists(q, ec)) {
        JsonlReader r;
        LH_RETURN_IF_ERROR(r.Open(q.string()));
        JsonlLine l;
        while (r.Next(l)) ++quarantine_lines;
      }
    }
    const int64_t upto = st.value("offset", int64_t{0});
    EvidenceTransformer tf;
    EvidenceDraft d;
    JsonlReader r;
    LH_RETURN_IF_ERROR(r.Open((a.root / "_kb" / (name + ".jsonl")).string()));
    JsonlLine l;
    int64_t derived = 0, bad = 0, lines = 0;
    std::unordered_set<uint64_t> seen;
    std::string line;
    while (r.offset() < upto && r.Next(l)) {
      ++lines;
      ++p.checked;
      if (!tf.Transform(s, l.text, d).ok()) {
        ++bad;
        continue;
      }
      const std::string id = EvidenceId(s, d);
      if (!seen.insert(EvidenceIdKey(id)).second) continue;
      ++derived;
      line.clear();
      AppendEvidenceLine(line, s, d, id, l.index, recorded);
      auto it = disk.find(EvidenceIdKey(id));
      if (it == disk.end()) {
        p.Fail(fmt::format("_kb/{}.jsonl line {}: evidence {} is missing", name, l.index, id));
        a.inv.Violate("A06", id);
      } else if (it->second.core != Fnv1a64(EvidenceCore(line))) {
        p.Fail(fmt::format("_kb/{}.jsonl line {}: evidence {} differs", name, l.index, id));
        a.inv.Violate("A06", id);
      } else if (it->second.provenance != Fnv1a64(ProvenanceKey(prov_parser, line))) {
        p.Fail(fmt::format("_kb/{}.jsonl line {}: evidence {} has forged provenance", name, l.index,
                           id));
        a.inv.Violate("A25", id);
      }
    }
    // Evidence no consumed source line derives: forged (a correct content hash proves
    // nothing about where a record came from).
    for (const auto& [key, d] : disk) {
      if (seen.count(key)) continue;
      p.Fail(fmt::format("evidence {} has no source line in _kb/{}.jsonl", d.id, name));
      a.inv.Violate("A25", d.id);
    }
    LH_RETURN_IF_ERROR(r.status());
    const int64_t dup = st.value("duplicates", int64_t{0});
    if (st.value("lines", int64_t{0}) != lines)
      a.inv.Violate(
          "A05", fmt::format("{}: checkpoint says {} lines, the file has {} before offset {}", name,
                             st.value("lines", int64_t{0}), lines, upto));
    if (st.value("evidence", int64_t{0}) + st.value("quarantined", int64_t{0}) + dup < lines)
      a.inv.Violate(
          "A05",
          fmt::format("{}: {} lines but {} evidence + {} quarantined + {} duplicates", name, lines,
                      st.value("evidence", int64_t{0}), st.value("quarantined", int64_t{0}), dup));
    if (bad > quarantine_lines) {
      p.Fail(fmt::format("_kb/{}.jsonl: {} bad lines but {} quarantined", name, bad,
                         quarantine_lines));
      a.inv.Violate("A05", name);
    }
    p.notes[name] = Json{{"lines", lines},
                         {"evidence", derived},
                         {"bad", bad},
                         {"on_disk", static_cast<int64_t>(disk.size())}};
  }
  return Status::OK();
}

}  // namespace lakehouse::distill::audit
