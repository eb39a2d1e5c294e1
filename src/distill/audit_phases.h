// src/distill/audit_phases.h: the phases of `lakehouse audit full` (distill/audit.h), one
// file each (audit_<phase>.cc), and what they share: the run's state (phases so far, the
// acceptance invariants, what the exports phase learns for later phases) and a few small
// readers. Private to distill/audit*.cc.
//
// Thread-safety: one audit run on one thread.
#pragma once

#include <fstream>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "core/clock.h"
#include "core/file_io.h"
#include "core/ids.h"
#include "distill/audit.h"
#include "distill/evidence.h"
#include "distill/exports.h"
#include "distill/jsonl.h"
#include "distill/receipts.h"
#include "distill/scoring.h"
#include "validate/extract_json.h"

namespace lakehouse::distill::audit {

namespace dom = simdjson::dom;

// --- small schema checker -------------------------------------------------------------

enum class T { kString, kInt, kNumber, kBool, kArray, kObject, kStringOrNull, kAny };

inline bool HasType(dom::element el, T t) {
  switch (t) {
    case T::kString:
      return el.is_string();
    case T::kInt:
      return el.is_int64() || el.is_uint64();
    case T::kNumber:
      return el.is_number();
    case T::kBool:
      return el.is_bool();
    case T::kArray:
      return el.is_array();
    case T::kObject:
      return el.is_object();
    case T::kStringOrNull:
      return el.is_string() || el.is_null();
    case T::kAny:
      return true;
  }
  return false;
}

// "" when `obj` has every field with its type, else what is wrong.
using Fields = std::vector<std::pair<std::string_view, T>>;

inline std::string CheckFields(dom::element obj, const Fields& fields) {
  if (!obj.is_object()) return "not a JSON object";
  for (const auto& [name, type] : fields) {
    dom::element el;
    if (obj[name].get(el) != simdjson::SUCCESS) return fmt::format("field '{}' missing", name);
    if (!HasType(el, type)) return fmt::format("field '{}' has the wrong type", name);
  }
  return "";
}

inline std::string_view Str(dom::element el, std::string_view key) {
  std::string_view s;
  if (el[key].get_string().get(s) != simdjson::SUCCESS) return "";
  return s;
}

// --- phases and invariants --------------------------------------------------------------

struct Phase {
  int number = 0;
  std::string name;
  int64_t checked = 0, failures = 0;
  bool skipped = false;
  std::vector<std::string> first_failures;
  Json notes = Json::object();

  void Fail(std::string what) {
    ++failures;
    if (first_failures.size() < 10) first_failures.push_back(std::move(what));
  }
  std::string_view Status() const { return failures > 0 ? "FAIL" : skipped ? "SKIP" : "PASS"; }
  Json ToJson() const {
    return Json{{"phase", number},    {"name", name},         {"status", Status()},
                {"checked", checked}, {"failures", failures}, {"first_failures", first_failures},
                {"notes", notes}};
  }
};

struct Invariant {
  std::string id, text;
  int64_t violations = 0;
  std::string first;
};

class Invariants {
 public:
  Invariants() {
    const std::pair<const char*, const char*> list[] = {
        {"A01", "every evidence record has provenance.line_offset, an integer >= 0"},
        {"A02", "evidence ids are unique across all evidence"},
        {"A03", "every evidence id is the content hash of its source, kind, subject, payload"},
        {"A04", "every evidence record sits in the file of its day and source"},
        {"A05", "every source line consumed became evidence, a skipped duplicate or quarantine"},
        {"A06", "every re-derived evidence record is on disk, byte-equal but for provenance"},
        {"A07", "every scored line matches its evidence line (same id, same order)"},
        {"A08", "scores are within [0, 1] and written with exactly 4 decimals"},
        {"A09", "a record is SftNever exactly when its firewall list is not empty"},
        {"A10", "re-scoring gives the same score, category and firewall reasons"},
        {"A11", "no SftNever evidence in the sft export"},
        {"A12", "no SftNever evidence in the preference export"},
        {"A13", "no SftNever evidence in the rag export"},
        {"A14", "no two sft examples have the same messages"},
        {"A15",
         "every sft example ends with an assistant message of weight 1, has a user "
         "turn, no two assistant turns in a row, earlier ones of weight 0"},
        {"A16", "every sft example meets the export's minimum score and names one of 8 classes"},
        {"A17", "preference pairs: chosen differs from rejected"},
        {"A18", "preference pairs: the prompt is not repeated inside chosen or rejected"},
        {"A19", "rag chunks: ids unique, text not empty, at most 2000 characters"},
        {"A20", "every dropped export candidate has a reason"},
        {"A21", "exports are byte-identical to what their receipts describe"},
        {"A22", "every quarantine line names its source, line_offset, reason and raw line"},
        {"A23", "iterate runs: attempt_count = len(attempts); valid exactly when final is set"},
        {"A24", "replay runs: prompt_sha256 is the hash of the messages; valid = no errors"},
        {"A25",
         "every evidence record comes from a consumed source line, with that line's "
         "provenance (source, line_offset, transform)"},
        {"A26",
         "receipts form one hash chain: each previous receipt still has the recorded "
         "SHA-256"},
    };
    for (const auto& [id, text] : list) items_.push_back({id, text, 0, ""});
  }
  void Violate(std::string_view id, std::string detail) {
    for (auto& i : items_) {
      if (i.id != id) continue;
      if (i.violations++ == 0) i.first = std::move(detail);
      return;
    }
  }
  Json ToJson() const {
    Json out = Json::array();
    for (const auto& i : items_)
      out.push_back(Json{{"id", i.id},
                         {"invariant", i.text},
                         {"status", i.violations ? "FAIL" : "PASS"},
                         {"violations", i.violations},
                         {"first", i.first.empty() ? Json(nullptr) : Json(i.first)}});
    return out;
  }
  int64_t Failed() const {
    int64_t n = 0;
    for (const auto& i : items_) n += i.violations > 0;
    return n;
  }

 private:
  std::vector<Invariant> items_;
};

// Reads a JSONL file line by line with simdjson; `fn(line, element or nullptr-on-error)`.
inline Status ForEachJsonLine(
    const fs::path& path, dom::parser& parser,
    const std::function<void(const JsonlLine&, const dom::element*)>& fn) {
  JsonlReader r;
  LH_RETURN_IF_ERROR(r.Open(path.string()));
  JsonlLine line;
  while (r.Next(line)) {
    dom::element el;
    if (parser.parse(line.text.data(), line.text.size(), false).get(el) == simdjson::SUCCESS)
      fn(line, &el);
    else
      fn(line, nullptr);
  }
  return r.status();
}

// The part of an evidence line before its provenance: what re-derivation must reproduce.
inline std::string_view EvidenceCore(std::string_view line) {
  const size_t p = line.rfind(",\"provenance\":");
  return p == std::string_view::npos ? line : line.substr(0, p);
}

//! "source\nline_offset\ntransform" of an evidence line's provenance ("" when absent):
//! what re-deriving the line from its source must reproduce.
inline std::string ProvenanceKey(simdjson::dom::parser& parser, std::string_view line,
                                 std::string* recorded_at = nullptr) {
  const size_t p = line.rfind(",\"provenance\":");
  if (p == std::string_view::npos) return "";
  std::string obj(line.substr(p + 14));
  while (!obj.empty() && (obj.back() == '\n' || obj.back() == ' ')) obj.pop_back();
  if (!obj.empty() && obj.back() == '}') obj.pop_back();  // the evidence line's own brace
  simdjson::dom::element el;
  if (parser.parse(obj).get(el)) return "";
  std::string_view source, transform, at;
  int64_t offset = -1;
  if (el["source"].get_string().get(source) || el["transform"].get_string().get(transform) ||
      el["line_offset"].get_int64().get(offset))
    return "";
  if (recorded_at != nullptr && el["recorded_at"].get_string().get(at) == simdjson::SUCCESS)
    *recorded_at = std::string(at);
  return fmt::format("{}\n{}\n{}", source, offset, transform);
}

inline bool IsDay(std::string_view d) {
  return d.size() == 10 && d[4] == '-' && d[7] == '-' &&
         ParseRfc3339Millis(std::string(d) + "T00:00:00Z").has_value();
}

inline bool FourDecimals(std::string_view line) {
  const size_t p = line.find("\"score\":");
  if (p == std::string_view::npos) return false;
  std::string_view v = line.substr(p + 8);
  const size_t end = v.find_first_of(",}");
  v = v.substr(0, end);
  const size_t dot = v.find('.');
  return dot != std::string_view::npos && v.size() - dot - 1 == 4;
}

// --- one run ------------------------------------------------------------------------------

struct AuditRun {
  explicit AuditRun(const AuditOptions& options) : opt(options), root(options.root) {}
  Phase& Begin(int n, std::string name) {
    Phase p;
    p.number = n;
    p.name = std::move(name);
    phases.push_back(std::move(p));
    return phases.back();
  }

  const AuditOptions& opt;
  fs::path root;
  std::vector<Phase> phases;
  Invariants inv;
  // Learned by the exports phase: evidence that must never be trained on, or retrieved.
  std::unordered_set<uint64_t> sft_never, flagged;
  int64_t firewall_violations = 0;
};

// The phases, in order (distill/audit.h lists what each checks).
Status AuditInventory(AuditRun& a);     // 0 audit_inventory.cc
Status AuditSchema(AuditRun& a);        // 1 audit_schema.cc
Status AuditMaterializer(AuditRun& a);  // 2 audit_materializer.cc
Status AuditScorer(AuditRun& a);        // 3 audit_scorer.cc
Status AuditExports(AuditRun& a);       // 4 audit_exports.cc
Status AuditRunSummaries(AuditRun& a);  // 5 audit_run_summaries.cc
void AuditAcceptance(AuditRun& a);      // 6 audit_acceptance.cc
Status AuditReplay(AuditRun& a);        // 7 audit_replay.cc

}  // namespace lakehouse::distill::audit
