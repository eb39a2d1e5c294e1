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
      // The export and its dropped log are what the receipt describes...
      for (const std::string& name :
           {std::string(kind) + ".jsonl", std::string(kind) + ".dropped.jsonl"}) {
        std::string want;
        for (const auto& o : receipt["outputs"])
          if (o.value("path", "") == "exports/" + name) want = o.value("sha256", "");
        auto sha = FileSha256(a.root / "exports" / name);
        if (!sha.ok() || *sha != want)
          a.inv.Violate("A21", fmt::format("exports/{} changed after its export", name));
      }
      // ...and what the scored evidence gives when exported again (editing an export and
      // its receipt's hash together is still caught).
      const fs::path again =
          fs::temp_directory_path() / fmt::format("lakehouse-audit-{}", RandomHex(8));
      fs::create_directories(again, ec);
      ExportOptions eo{a.root, kind, min_score};
      if (auto e = ExportTo(eo, again); e.ok()) {
        for (const std::string& name :
             {std::string(kind) + ".jsonl", std::string(kind) + ".dropped.jsonl"}) {
          auto x = FileSha256(again / name), y = FileSha256(a.root / "exports" / name);
          if (!x.ok() || !y.ok() || *x != *y) {
            p.Fail(fmt::format("exports/{} is not what the scored evidence exports to", name));
            a.inv.Violate("A21", fmt::format("exports/{} differs from its re-derivation", name));
          }
        }
      } else {
        p.Fail(fmt::format("re-deriving the {} export failed: {}", kind, e.status().message()));
      }
      fs::remove_all(again, ec);
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
          p.Fail("rag holds SftNever evidence " + id);
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
        // Shapes trainers accept: a user turn, no two assistant turns in a row, earlier
        // assistant turns weighted 0.
        bool user = false;
        std::string_view previous;
        for (size_t i = 0; i < msgs.size(); ++i) {
          dom::element m = msgs.at(i).value_unsafe();
          const std::string_view role = Str(m, "role");
          user = user || role == "user";
          int64_t w = -1;
          if ((role == "assistant" && previous == "assistant") ||
              (role == "assistant" && i + 1 < msgs.size() &&
               (m["weight"].get_int64().get(w) || w != 0)))
            a.inv.Violate("A15", fmt::format("sft line {}: assistant turn {}", l.index, i));
          previous = role;
        }
        if (!user) a.inv.Violate("A15", fmt::format("sft line {}: no user turn", l.index));
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
