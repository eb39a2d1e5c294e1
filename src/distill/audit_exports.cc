#include "distill/audit_phases.h"

namespace lakehouse::distill::audit {

// 4: the exports: firewall, dedup, shape, and that they are what the receipts say.
Status AuditExports(AuditRun& a) {
  Phase& p = a.Begin(4, "exports");
  dom::parser parser;
  int64_t files = 0;
  auto ids_of = [](const dom::element& el) {
    std::vector<std::string> out;
    dom::array a;
    if (el["metadata"]["evidence_ids"].get_array().get(a) == simdjson::SUCCESS)
      for (dom::element e : a)
        if (e.is_string()) out.emplace_back(std::string_view(e.get_string().value_unsafe()));
    return out;
  };
  for (const char* kind : {"sft", "rag", "preference"}) {
    const fs::path f = a.root / "exports" / (std::string(kind) + ".jsonl");
    std::error_code ec;
    if (!fs::exists(f, ec)) continue;
    ++files;
    const Json receipt = LatestReceipt(a.root, std::string("export_") + kind);
    double min_score = 0;
    if (receipt.is_object()) {
      min_score = receipt["counts"].value("min_score", 0.0);
      LH_ASSIGN_OR_RETURN(std::string sha, FileSha256(f));
      if (receipt["outputs"][0].value("sha256", "") != sha)
        a.inv.Violate("A21", fmt::format("exports/{}.jsonl changed after its export", kind));
    } else {
      a.inv.Violate("A21", fmt::format("exports/{}.jsonl has no receipt", kind));
    }
    std::set<std::string> seen;
    const std::string k(kind);
    LH_RETURN_IF_ERROR(ForEachJsonLine(f, parser, [&](const JsonlLine& l, const dom::element* el) {
      ++p.checked;
      if (!el) return;
      for (const std::string& id : ids_of(*el)) {
        if (k == "sft" && a.sft_never.count(EvidenceIdKey(id))) {
          a.inv.Violate("A11", id);
          p.Fail("sft holds SftNever evidence " + id);
          ++a.firewall_violations;
        }
        if (k == "preference" && a.sft_never.count(EvidenceIdKey(id))) {
          a.inv.Violate("A12", id);
          p.Fail("preference holds SftNever evidence " + id);
          ++a.firewall_violations;
        }
        if (k == "rag" && a.flagged.count(EvidenceIdKey(id))) {
          a.inv.Violate("A13", id);
          p.Fail("rag holds flagged or quarantined evidence " + id);
          ++a.firewall_violations;
        }
      }
      if (k == "sft") {
        dom::array msgs;
        if ((*el)["messages"].get_array().get(msgs) != simdjson::SUCCESS || msgs.size() < 2) return;
        const std::string m = Minify((*el)["messages"].value_unsafe());
        if (!seen.insert(Sha256Hex(m)).second) {
          a.inv.Violate("A14", fmt::format("sft line {}", l.index));
          p.Fail(fmt::format("sft line {} repeats an earlier example", l.index));
        }
        dom::element last = msgs.at(msgs.size() - 1).value_unsafe();
        int64_t weight = 0;
        if (Str(last, "role") != "assistant" || last["weight"].get_int64().get(weight) ||
            weight != 1)
          a.inv.Violate("A15", fmt::format("sft line {}", l.index));
        double score = -1;
        if ((*el)["metadata"]["score"].get_double().get(score)) score = -1;
        const std::string_view klass = Str((*el)["metadata"].value_unsafe(), "source_class");
        const auto& classes = SftClasses();
        if (score + 1e-9 < min_score ||
            std::find(classes.begin(), classes.end(), klass) == classes.end())
          a.inv.Violate("A16", fmt::format("sft line {}", l.index));
      } else if (k == "preference") {
        auto content = [&](const char* key) {
          dom::array a;
          if ((*el)[key].get_array().get(a) || a.size() == 0) return std::string_view();
          return Str(a.at(a.size() - 1).value_unsafe(), "content");
        };
        const std::string_view chosen = content("chosen"), rejected = content("rejected"),
                               prompt = content("prompt");
        if (chosen == rejected) a.inv.Violate("A17", fmt::format("preference line {}", l.index));
        if (!prompt.empty() && (chosen.find(prompt) != std::string_view::npos ||
                                rejected.find(prompt) != std::string_view::npos))
          a.inv.Violate("A18", fmt::format("preference line {}", l.index));
      } else {
        const std::string_view id = Str(*el, "id"), text = Str(*el, "text");
        if (text.empty() || text.size() > 2000 || !seen.insert(std::string(id)).second)
          a.inv.Violate("A19", fmt::format("rag line {}", l.index));
      }
    }));
  }
  if (files == 0) p.skipped = true;
  p.notes["firewall_violations"] = a.firewall_violations;
  return Status::OK();
}

}  // namespace lakehouse::distill::audit
