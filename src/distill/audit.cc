#include "distill/audit.h"

#include <fstream>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "core/clock.h"
#include "core/file_io.h"
#include "core/ids.h"
#include "distill/evidence.h"
#include "distill/exports.h"
#include "distill/jsonl.h"
#include "distill/receipts.h"
#include "distill/scoring.h"
#include "validate/extract_json.h"

namespace lakehouse::distill {

namespace dom = simdjson::dom;

namespace {

// --- small schema checker -------------------------------------------------------------

enum class T { kString, kInt, kNumber, kBool, kArray, kObject, kStringOrNull, kAny };

bool HasType(dom::element el, T t) {
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

std::string CheckFields(dom::element obj, const Fields& fields) {
  if (!obj.is_object()) return "not a JSON object";
  for (const auto& [name, type] : fields) {
    dom::element el;
    if (obj[name].get(el) != simdjson::SUCCESS) return fmt::format("field '{}' missing", name);
    if (!HasType(el, type)) return fmt::format("field '{}' has the wrong type", name);
  }
  return "";
}

std::string_view Str(dom::element el, std::string_view key) {
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
        {"A10", "re-scoring gives the same score, category and firewall"},
        {"A11", "no SftNever evidence in the sft export"},
        {"A12", "no SftNever evidence in the preference export"},
        {"A13", "no flagged or quarantined evidence in the rag export"},
        {"A14", "no two sft examples have the same messages"},
        {"A15", "every sft example ends with an assistant message of weight 1"},
        {"A16", "every sft example meets the export's minimum score and names one of 8 classes"},
        {"A17", "preference pairs: chosen differs from rejected"},
        {"A18", "preference pairs: the prompt is not repeated inside chosen or rejected"},
        {"A19", "rag chunks: ids unique, text not empty, at most 2000 characters"},
        {"A20", "every dropped export candidate has a reason"},
        {"A21", "exports are byte-identical to what their receipts describe"},
        {"A22", "every quarantine line names its source, line_offset, reason and raw line"},
        {"A23", "iterate runs: attempt_count = len(attempts); valid exactly when final is set"},
        {"A24", "replay runs: prompt_sha256 is the hash of the messages; valid = no errors"},
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
Status ForEachJsonLine(const fs::path& path, dom::parser& parser,
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
std::string_view EvidenceCore(std::string_view line) {
  const size_t p = line.rfind(",\"provenance\":");
  return p == std::string_view::npos ? line : line.substr(0, p);
}

bool IsDay(std::string_view d) {
  return d.size() == 10 && d[4] == '-' && d[7] == '-' &&
         ParseRfc3339Millis(std::string(d) + "T00:00:00Z").has_value();
}

bool FourDecimals(std::string_view line) {
  const size_t p = line.find("\"score\":");
  if (p == std::string_view::npos) return false;
  std::string_view v = line.substr(p + 8);
  const size_t end = v.find_first_of(",}");
  v = v.substr(0, end);
  const size_t dot = v.find('.');
  return dot != std::string_view::npos && v.size() - dot - 1 == 4;
}

// --- the audit -----------------------------------------------------------------------------

class FullAudit {
 public:
  explicit FullAudit(const AuditOptions& opt) : opt_(opt), root_(opt.root) {}

  Result<Json> Run() {
    LH_RETURN_IF_ERROR(Inventory());
    LH_RETURN_IF_ERROR(Schema());
    LH_RETURN_IF_ERROR(Materializer());
    LH_RETURN_IF_ERROR(Scorer());
    LH_RETURN_IF_ERROR(Exports());
    LH_RETURN_IF_ERROR(RunSummaries());
    Acceptance();
    LH_RETURN_IF_ERROR(Replay());
    Json phases = Json::array();
    bool pass = true;
    for (const Phase& p : phases_) {
      phases.push_back(p.ToJson());
      pass = pass && p.failures == 0;
    }
    return Json{{"schema", "audit_full.v1"},
                {"at", FormatRfc3339Millis(SystemClock::Get().NowMillis())},
                {"result", pass ? "PASS" : "FAIL"},
                {"phases", phases},
                {"invariants", inv_.ToJson()}};
  }

 private:
  Phase& Begin(int n, std::string name) {
    Phase p;
    p.number = n;
    p.name = std::move(name);
    phases_.push_back(std::move(p));
    return phases_.back();
  }

  // 0: what is there.
  Status Inventory() {
    Phase& p = Begin(0, "inventory");
    Json sources = Json::object();
    int64_t source_lines = 0;
    for (const SourceSpec& s : Sources()) {
      const fs::path path = root_ / "_kb" / (std::string(s.name) + ".jsonl");
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
    p.notes["evidence_files"] = JsonlFiles(root_ / "evidence").size();
    p.notes["scored_files"] = JsonlFiles(root_ / "scored").size();
    Json receipts = Json::object();
    for (const char* step :
         {"materialize", "score", "export_sft", "export_rag", "export_preference"}) {
      Json r = LatestReceipt(root_, step);
      receipts[step] = r.is_null() ? Json(nullptr) : r["started_at"];
      if (r.is_null() && source_lines > 0)
        p.Fail(fmt::format("no {} receipt: the step never ran", step));
    }
    p.notes["latest_receipts"] = receipts;
    if (source_lines == 0) p.skipped = true;
    return Status::OK();
  }

  // 1: every line of every file against its schema.
  Status Schema() {
    Phase& p = Begin(1, "schema");
    dom::parser parser;
    EvidenceParser ep;
    Json kb = Json::object();
    // Sources: a line that is not its schema is expected to be quarantined (phase 2 checks
    // it is); here they are counted.
    for (const SourceSpec& s : Sources()) {
      const fs::path path = root_ / "_kb" / (std::string(s.name) + ".jsonl");
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
    for (const fs::path& f : JsonlFiles(root_ / "evidence")) {
      const std::string rel = RelPath(root_ / "evidence", f);
      JsonlReader r;
      LH_RETURN_IF_ERROR(r.Open(f.string()));
      JsonlLine l;
      while (r.Next(l)) {
        ++p.checked;
        auto ev = ep.Parse(l.text);
        if (!ev.ok()) {
          p.Fail(fmt::format("evidence/{} line {}: {}", rel, l.index, ev.status().message()));
          if (ev.status().message().find("line_offset") != std::string::npos)
            inv_.Violate("A01", rel);
          continue;
        }
        if (ev->line_offset < 0) inv_.Violate("A01", fmt::format("{} line {}", rel, l.index));
        if (ev->id.size() != 27 || !ev->id.starts_with("ev_"))
          p.Fail(
              fmt::format("evidence/{} line {}: id '{}' is not ev_<24 hex>", rel, l.index, ev->id));
        if (!IsDay(ev->day))
          p.Fail(fmt::format("evidence/{} line {}: day '{}'", rel, l.index, ev->day));
        if (!ids.insert(EvidenceIdKey(ev->id)).second) inv_.Violate("A02", std::string(ev->id));
        const std::string expect = DayPath(ev->day) + "/" + std::string(ev->source) + ".jsonl";
        if (rel != expect) inv_.Violate("A04", fmt::format("{} in {}", ev->id, rel));
        const SourceSpec* spec = FindSource(ev->source);
        if (spec == nullptr) {
          p.Fail(fmt::format("evidence/{}: unknown source '{}'", rel, ev->source));
          continue;
        }
        EvidenceDraft d{std::string(ev->kind), std::string(ev->day), std::string(ev->subject),
                        Minify(ev->payload)};
        if (EvidenceId(*spec, d) != ev->id) inv_.Violate("A03", std::string(ev->id));
      }
      LH_RETURN_IF_ERROR(r.status());
    }
    for (const fs::path& f : JsonlFiles(root_ / "scored")) {
      LH_RETURN_IF_ERROR(
          ForEachJsonLine(f, parser, [&](const JsonlLine& l, const dom::element* el) {
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
            if (!err.empty())
              p.Fail(fmt::format("{} line {}: {}", RelPath(root_, f), l.index, err));
            if (!FourDecimals(l.text))
              inv_.Violate("A08", fmt::format("{} line {}", RelPath(root_, f), l.index));
          }));
    }
    for (const fs::path& f : JsonlFiles(root_ / "_quarantine" / "_kb")) {
      LH_RETURN_IF_ERROR(
          ForEachJsonLine(f, parser, [&](const JsonlLine& l, const dom::element* el) {
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
              p.Fail(fmt::format("{} line {}: {}", RelPath(root_, f), l.index, err));
              inv_.Violate("A22", fmt::format("{} line {}", RelPath(root_, f), l.index));
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
    for (const auto& [name, fields] : exports) {
      for (const std::string& file :
           {std::string(name) + ".jsonl", std::string(name) + ".dropped.jsonl"}) {
        const fs::path f = root_ / "exports" / file;
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
                inv_.Violate("A20", fmt::format("exports/{} line {}", file, l.index));
            }));
      }
    }
    for (const fs::path& dir : {root_ / "_receipts"}) {
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
          p.Fail(fmt::format("{}: not a receipt.v1", RelPath(root_, it->path())));
      }
    }
    return Status::OK();
  }

  // 2: re-derive every consumed source line and compare with the evidence on disk.
  Status Materializer() {
    Phase& p = Begin(2, "materializer");
    Json checkpoint = nullptr;
    {
      std::ifstream in(root_ / "evidence" / "_checkpoint.json");
      std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      if (auto j = ParseJson(text); j.ok()) checkpoint = *j;
    }
    if (!checkpoint.is_object()) {
      p.skipped = true;
      p.notes["reason"] = "no materializer checkpoint (materialize never ran)";
      return Status::OK();
    }
    const std::string recorded = "1970-01-01T00:00:00.000Z";
    for (const SourceSpec& s : Sources()) {
      const std::string name(s.name);
      if (!checkpoint["sources"].contains(name)) continue;
      const Json& st = checkpoint["sources"][name];
      // What is on disk: id -> hash of the line before its provenance.
      std::unordered_map<uint64_t, uint64_t> disk;
      for (const fs::path& f : FilesNamed(root_ / "evidence", name + ".jsonl")) {
        JsonlReader r;
        LH_RETURN_IF_ERROR(r.Open(f.string()));
        JsonlLine l;
        while (r.Next(l)) {
          const size_t at = l.text.find("\"id\":\"");
          if (at == std::string_view::npos) continue;
          disk[EvidenceIdKey(l.text.substr(at + 6, 27))] = Fnv1a64(EvidenceCore(l.text));
        }
      }
      int64_t quarantine_lines = 0;
      {
        const fs::path q = root_ / "_quarantine" / "_kb" / (name + ".jsonl");
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
      LH_RETURN_IF_ERROR(r.Open((root_ / "_kb" / (name + ".jsonl")).string()));
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
          inv_.Violate("A06", id);
        } else if (it->second != Fnv1a64(EvidenceCore(line))) {
          p.Fail(fmt::format("_kb/{}.jsonl line {}: evidence {} differs", name, l.index, id));
          inv_.Violate("A06", id);
        }
      }
      LH_RETURN_IF_ERROR(r.status());
      const int64_t dup = st.value("duplicates", int64_t{0});
      if (st.value("lines", int64_t{0}) != lines)
        inv_.Violate("A05",
                     fmt::format("{}: checkpoint says {} lines, the file has {} before offset {}",
                                 name, st.value("lines", int64_t{0}), lines, upto));
      if (st.value("evidence", int64_t{0}) + st.value("quarantined", int64_t{0}) + dup < lines)
        inv_.Violate("A05",
                     fmt::format("{}: {} lines but {} evidence + {} quarantined + {} duplicates",
                                 name, lines, st.value("evidence", int64_t{0}),
                                 st.value("quarantined", int64_t{0}), dup));
      if (bad > quarantine_lines) {
        p.Fail(fmt::format("_kb/{}.jsonl: {} bad lines but {} quarantined", name, bad,
                           quarantine_lines));
        inv_.Violate("A05", name);
      }
      p.notes[name] = Json{{"lines", lines},
                           {"evidence", derived},
                           {"bad", bad},
                           {"on_disk", static_cast<int64_t>(disk.size())}};
    }
    return Status::OK();
  }

  // 3: re-score every record.
  Status Scorer() {
    Phase& p = Begin(3, "scorer");
    if (JsonlFiles(root_ / "evidence").empty()) {
      p.skipped = true;
      return Status::OK();
    }
    LH_ASSIGN_OR_RETURN(ScoreContext ctx, ScoreContext::Build(root_));
    Status st = ForEachScoredEvidence(root_, [&](const EvidenceView& ev, const ScoredView& s) {
      ++p.checked;
      ScoreResult r = ScoreEvidence(ev, ctx);
      if (s.score < 0 || s.score > 1) inv_.Violate("A08", std::string(ev.id));
      if ((s.category == "SftNever") != !s.firewall.empty())
        inv_.Violate("A09", std::string(ev.id));
      if (FormatScore(r.score) != FormatScore(s.score) || r.category != s.category ||
          r.firewall.size() != s.firewall.size()) {
        p.Fail(fmt::format("{}: scored {} {}, re-scored {} {}", ev.id, FormatScore(s.score),
                           s.category, FormatScore(r.score), r.category));
        inv_.Violate("A10", std::string(ev.id));
      }
      const std::string key(ev.id);
      if (s.category == "SftNever") sft_never_.insert(EvidenceIdKey(key));
      if (KeptOutOfRag(s)) flagged_.insert(EvidenceIdKey(key));
      return Status::OK();
    });
    if (!st.ok()) {
      p.Fail(st.message());
      inv_.Violate("A07", st.message());
    }
    return Status::OK();
  }

  // 4: the exports: firewall, dedup, shape, and that they are what the receipts say.
  Status Exports() {
    Phase& p = Begin(4, "exports");
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
      const fs::path f = root_ / "exports" / (std::string(kind) + ".jsonl");
      std::error_code ec;
      if (!fs::exists(f, ec)) continue;
      ++files;
      const Json receipt = LatestReceipt(root_, std::string("export_") + kind);
      double min_score = 0;
      if (receipt.is_object()) {
        min_score = receipt["counts"].value("min_score", 0.0);
        LH_ASSIGN_OR_RETURN(std::string sha, FileSha256(f));
        if (receipt["outputs"][0].value("sha256", "") != sha)
          inv_.Violate("A21", fmt::format("exports/{}.jsonl changed after its export", kind));
      } else {
        inv_.Violate("A21", fmt::format("exports/{}.jsonl has no receipt", kind));
      }
      std::set<std::string> seen;
      const std::string k(kind);
      LH_RETURN_IF_ERROR(
          ForEachJsonLine(f, parser, [&](const JsonlLine& l, const dom::element* el) {
            ++p.checked;
            if (!el) return;
            for (const std::string& id : ids_of(*el)) {
              if (k == "sft" && sft_never_.count(EvidenceIdKey(id))) {
                inv_.Violate("A11", id);
                p.Fail("sft holds SftNever evidence " + id);
                ++firewall_violations_;
              }
              if (k == "preference" && sft_never_.count(EvidenceIdKey(id))) {
                inv_.Violate("A12", id);
                p.Fail("preference holds SftNever evidence " + id);
                ++firewall_violations_;
              }
              if (k == "rag" && flagged_.count(EvidenceIdKey(id))) {
                inv_.Violate("A13", id);
                p.Fail("rag holds flagged or quarantined evidence " + id);
                ++firewall_violations_;
              }
            }
            if (k == "sft") {
              dom::array msgs;
              if ((*el)["messages"].get_array().get(msgs) != simdjson::SUCCESS || msgs.size() < 2)
                return;
              const std::string m = Minify((*el)["messages"].value_unsafe());
              if (!seen.insert(Sha256Hex(m)).second) {
                inv_.Violate("A14", fmt::format("sft line {}", l.index));
                p.Fail(fmt::format("sft line {} repeats an earlier example", l.index));
              }
              dom::element last = msgs.at(msgs.size() - 1).value_unsafe();
              int64_t weight = 0;
              if (Str(last, "role") != "assistant" || last["weight"].get_int64().get(weight) ||
                  weight != 1)
                inv_.Violate("A15", fmt::format("sft line {}", l.index));
              double score = -1;
              if ((*el)["metadata"]["score"].get_double().get(score)) score = -1;
              const std::string_view klass = Str((*el)["metadata"].value_unsafe(), "source_class");
              const auto& classes = SftClasses();
              if (score + 1e-9 < min_score ||
                  std::find(classes.begin(), classes.end(), klass) == classes.end())
                inv_.Violate("A16", fmt::format("sft line {}", l.index));
            } else if (k == "preference") {
              auto content = [&](const char* key) {
                dom::array a;
                if ((*el)[key].get_array().get(a) || a.size() == 0) return std::string_view();
                return Str(a.at(a.size() - 1).value_unsafe(), "content");
              };
              const std::string_view chosen = content("chosen"), rejected = content("rejected"),
                                     prompt = content("prompt");
              if (chosen == rejected)
                inv_.Violate("A17", fmt::format("preference line {}", l.index));
              if (!prompt.empty() && (chosen.find(prompt) != std::string_view::npos ||
                                      rejected.find(prompt) != std::string_view::npos))
                inv_.Violate("A18", fmt::format("preference line {}", l.index));
            } else {
              const std::string_view id = Str(*el, "id"), text = Str(*el, "text");
              if (text.empty() || text.size() > 2000 || !seen.insert(std::string(id)).second)
                inv_.Violate("A19", fmt::format("rag line {}", l.index));
            }
          }));
    }
    if (files == 0) p.skipped = true;
    p.notes["firewall_violations"] = firewall_violations_;
    return Status::OK();
  }

  // 5: runs agree with themselves; every step's latest receipt describes files that exist.
  Status RunSummaries() {
    Phase& p = Begin(5, "run summaries");
    int64_t iterate = 0, replays = 0;
    LH_RETURN_IF_ERROR(
        ForEachEvidenceOf(root_, {"iterate_runs", "replay_runs"}, [&](const EvidenceView& ev) {
          ++p.checked;
          if (ev.kind == "iterate_run") {
            ++iterate;
            dom::array attempts;
            const bool has_attempts =
                ev.Get("attempts") &&
                ev.Get("attempts")->get_array().get(attempts) == simdjson::SUCCESS;
            if (!has_attempts ||
                static_cast<int64_t>(attempts.size()) != ev.Int("attempt_count", -1) ||
                ev.Bool("valid") != ev.Get("final").has_value()) {
              inv_.Violate("A23", std::string(ev.id));
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
              inv_.Violate("A24", std::string(ev.id));
              return Status::OK();
            }
            auto parsed = ParseJson(Minify(*msgs));
            if (!parsed.ok() || Sha256Hex(DumpJson(*parsed)) != ev.Str("prompt_sha256") ||
                valid != (errors.size() == 0)) {
              inv_.Violate("A24", std::string(ev.id));
              p.Fail(fmt::format("replay run {} does not add up", ev.Str("run_id")));
            }
          }
          return Status::OK();
        }));
    Json receipts = Json::object();
    for (const char* step :
         {"materialize", "score", "export_sft", "export_rag", "export_preference"}) {
      Json r = LatestReceipt(root_, step);
      if (r.is_null()) continue;
      receipts[step] = Json{{"started_at", r["started_at"]},
                            {"duration_ms", r["duration_ms"]},
                            {"counts", r.value("counts", Json::object())}};
      ++p.checked;
      if (r.contains("outputs") && r["outputs"].is_array()) {
        for (const auto& o : r["outputs"]) {
          std::error_code ec;
          if (o.contains("path") && !fs::exists(root_ / o["path"].get<std::string>(), ec))
            p.Fail(fmt::format("{} receipt names {}, which is gone", step,
                               o["path"].get<std::string>()));
        }
      }
    }
    p.notes["iterate_runs"] = iterate;
    p.notes["replay_runs"] = replays;
    p.notes["receipts"] = receipts;
    return Status::OK();
  }

  // 6: the acceptance invariants collected by every phase.
  void Acceptance() {
    Phase& p = Begin(6, "acceptance invariants");
    Json inv = inv_.ToJson();
    p.checked = static_cast<int64_t>(inv.size());
    for (const auto& i : inv)
      if (i["status"] == "FAIL")
        p.Fail(fmt::format("{} {}: {} violations (first: {})", i["id"].get<std::string>(),
                           i["invariant"].get<std::string>(), i["violations"].get<int64_t>(),
                           i["first"].is_string() ? i["first"].get<std::string>() : ""));
  }

  // 7: replay runs: each answer re-validated against the roster as it is now, when the
  // roster has the versions the run saw (otherwise counted as not comparable).
  Status Replay() {
    Phase& p = Begin(7, "replay");
    int64_t runs = 0, compared = 0, agree = 0, other_roster = 0;
    LH_RETURN_IF_ERROR(ForEachEvidenceOf(root_, {"replay_runs"}, [&](const EvidenceView& ev) {
      ++runs;
      ++p.checked;
      if (opt_.roster == nullptr || opt_.validators == nullptr) return Status::OK();
      auto versions = ev.Get("roster_versions");
      const RosterStats& st = opt_.roster->stats();
      int64_t w = -1, o = -1, fl = -1;
      if (!versions || (*versions)["workers"].get_int64().get(w) ||
          (*versions)["job_orders"].get_int64().get(o) ||
          (*versions)["fills"].get_int64().get(fl) || w != st.workers_version ||
          o != st.job_orders_version || fl != st.fills_version) {
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
                           ? opt_.validators->Validate(*opt_.roster, Str(*task, "kind"), *payload)
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
    } else if (opt_.roster == nullptr) {
      p.notes["reason"] = "no roster: shapes checked in phase 5 only";
    }
    return Status::OK();
  }

  const AuditOptions& opt_;
  fs::path root_;
  std::vector<Phase> phases_;
  Invariants inv_;
  std::unordered_set<uint64_t> sft_never_, flagged_;
  int64_t firewall_violations_ = 0;
};

}  // namespace

Result<Json> AuditFull(const AuditOptions& options) {
  StepTimer timer;
  FullAudit audit(options);
  LH_ASSIGN_OR_RETURN(Json line, audit.Run());
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
