#include "distill/scorer.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "core/file_io.h"
#include "core/ids.h"
#include "core/text.h"
#include "distill/firewall.h"
#include "distill/jsonl.h"
#include "distill/receipts.h"
#include "distill/scoring.h"
#include "validate/extract_json.h"
#include "validate/roster.h"

namespace lakehouse::distill {

namespace dom = simdjson::dom;

namespace {

// Feedback can target any of these ids of a record.
std::vector<std::string_view> TargetKeys(const EvidenceView& ev) {
  std::vector<std::string_view> keys = {ev.id};
  for (std::string_view k : {"run_id", "request_id", "id", "fill_id", "email_id", "playbook_id"}) {
    std::string_view v = ev.Str(k);
    if (!v.empty()) keys.push_back(v);
  }
  return keys;
}

std::string_view StringAt(dom::element el, std::string_view key) {
  std::string_view s;
  if (el[key].get_string().get(s) != simdjson::SUCCESS) return "";
  return s;
}

// The text of a record a model would learn from (see firewall.h), with the addressee's
// address, which is allowed.
struct LearnableText {
  std::vector<std::pair<std::string, std::string>> parts;  // where, text
  std::vector<std::string> allowed_emails;
  void Add(std::string where, std::string_view text) {
    if (!text.empty()) parts.emplace_back(std::move(where), std::string(text));
  }
};

// An answer holding an email draft may name its addressee.
void AllowAddressee(std::string_view answer, LearnableText& t) {
  if (answer.find('@') == std::string_view::npos) return;
  if (auto draft = ExtractJson(answer); draft && draft->is_object()) {
    auto to = draft->find("to");
    if (to != draft->end() && to->is_string()) t.allowed_emails.push_back(to->get<std::string>());
  }
}

LearnableText LearnableTextOf(const EvidenceView& ev) {
  LearnableText t;
  const std::string_view kind = ev.kind;
  // Every message of a recorded conversation, whatever its role: the system prompt and
  // the roster context are part of what a model learns from too.
  auto add_messages = [&](std::string_view field) {
    dom::array msgs;
    if (auto m = ev.Get(field); m && m->get_array().get(msgs) == simdjson::SUCCESS) {
      for (dom::element msg : msgs)
        t.Add(std::string(StringAt(msg, "role")) + " message", StringAt(msg, "content"));
    }
  };
  if (kind == "iterate_run") {
    add_messages("prompt");
    dom::array attempts;
    if (auto a = ev.Get("attempts"); a && a->get_array().get(attempts) == simdjson::SUCCESS) {
      for (dom::element at : attempts) {
        t.Add("answer", StringAt(at, "raw"));
        dom::element ex;
        if (at["extracted"].get(ex) == simdjson::SUCCESS && ex.is_object()) {
          std::string_view to = StringAt(ex, "to");
          if (!to.empty()) t.allowed_emails.emplace_back(to);
        }
      }
    }
  } else if (kind == "chat_turn") {
    t.Add("response", ev.Str("response"));
    AllowAddressee(ev.Str("response"), t);
    add_messages("messages");
  } else if (kind == "email") {
    t.Add("subject", ev.Str("subject"));
    t.Add("body", ev.Str("body"));
    if (auto w = ev.Get("worker")) t.Add("worker context", Minify(*w));
    if (auto o = ev.Get("order")) t.Add("order context", Minify(*o));
    if (!ev.Str("to").empty()) t.allowed_emails.emplace_back(ev.Str("to"));
  } else if (kind == "replay_run") {
    add_messages("messages");
    t.Add("response", ev.Str("response"));
    AllowAddressee(ev.Str("response"), t);
  } else if (kind == "playbook_record") {
    if (auto p = ev.Get("playbook")) t.Add("playbook", Minify(*p));
    if (auto o = ev.Get("outcome")) t.Add("outcome", StringAt(*o, "notes"));
  } else if (kind == "feedback") {
    t.Add("reason", ev.Str("reason"));
  } else if (kind == "truth_claim") {
    if (auto v = ev.Get("value"))
      t.Add("value", v->is_string() ? StringAt(ev.payload, "value") : Minify(*v));
  } else if (kind == "retrieval") {
    t.Add("query", ev.Str("query"));
  } else if (kind == "pathway_step") {
    if (auto d = ev.Get("data")) t.Add("data", Minify(*d));
  }
  return t;
}

// The workers an example is about (an email's addressee, an iterate email's worker): their
// own names are not a third party's.
std::vector<std::string> SubjectWorkers(const EvidenceView& ev) {
  std::vector<std::string> out;
  if (std::string_view w = ev.Str("worker_id"); !w.empty()) out.emplace_back(w);
  if (auto task = ev.Get("task")) {
    std::string_view w;
    if ((*task)["worker_id"].get_string().get(w) == simdjson::SUCCESS) out.emplace_back(w);
  }
  return out;
}

}  // namespace

std::vector<std::string> Addressees(const EvidenceView& ev) {
  return LearnableTextOf(ev).allowed_emails;
}

namespace {

void Firewall(const EvidenceView& ev, const ScoreContext& ctx, ScoreResult& r) {
  const LearnableText text = LearnableTextOf(ev);
  bool dnr = false;
  thread_local ScanCache cache;  // a text seen before (a prompt's rules) is not scanned again
  const std::vector<std::string> subjects = SubjectWorkers(ev);
  for (const auto& [where, s] : text.parts) {
    const TextFindings& f = cache.Scan(s);
    AppendReasons(f, where, text.allowed_emails, r.firewall, /*with_dnr=*/false);
    dnr = dnr || f.dnr;
    if (ctx.people == nullptr) continue;
    std::vector<std::string> named, dnr_workers;
    ctx.people->Find(s, &named, &dnr_workers);
    for (const std::string& id : dnr_workers)
      r.firewall.push_back(fmt::format("dnr: names do-not-return worker {} in {}", id, where));
    for (const std::string& id : named) {
      if (std::find(subjects.begin(), subjects.end(), id) != subjects.end()) continue;
      r.firewall.push_back(fmt::format("pii: another worker's name in {}", where));
      break;
    }
  }
  if (ev.kind == "truth_claim") {
    const std::string_view attr = ev.Str("attribute");
    if (attr == "phone" || attr == "email" || attr == "ssn")
      r.firewall.push_back(fmt::format("pii: a {} claim", attr));
  }
  if (dnr) r.firewall.push_back("dnr: do-not-return content");
  const std::string_view request = ev.Str("request_id");
  if (!request.empty() && ctx.quarantined_requests.count(std::string(request)))
    r.firewall.push_back(fmt::format("quarantined: request {} had a quarantined line", request));
  if (ev.kind != "feedback") {
    for (std::string_view key : TargetKeys(ev)) {
      auto it = ctx.feedback.find(std::string(key));
      if (it == ctx.feedback.end()) continue;
      for (const auto& reason : it->second.flags)
        r.firewall.push_back(fmt::format("flagged by a coordinator: {}", reason));
    }
  }
  std::sort(r.firewall.begin(), r.firewall.end());
  r.firewall.erase(std::unique(r.firewall.begin(), r.firewall.end()), r.firewall.end());
}

// The base score of a record by its kind (docs/DISTILL.md lists these rules).
void BaseScore(const EvidenceView& ev, const ScoreContext& ctx, ScoreResult& r) {
  const std::string_view kind = ev.kind;
  auto set = [&](double s, std::string reason) {
    r.score = s;
    r.reasons.push_back(std::move(reason));
  };
  if (kind == "iterate_run") {
    const int64_t n = ev.Int("attempt_count");
    if (ev.Get("error")) {
      set(0.0, "a chat call failed");
    } else if (ev.Bool("valid")) {
      if (n <= 1)
        set(1.0, "valid on the first attempt");
      else
        set(std::max(0.55, 1.0 - 0.15 * static_cast<double>(n - 1)),
            fmt::format("valid after {} attempts", n));
    } else {
      set(0.1, fmt::format("not valid after {} attempts", n));
    }
  } else if (kind == "chat_turn") {
    if (!ev.Bool("ok"))
      set(0.0, "the call failed");
    else if (ev.Str("origin") != "chat")
      set(0.5, fmt::format("judged by its {} run", ev.Str("origin")));
    else
      set(0.5, "answered; not validated");
  } else if (kind == "validation") {
    set(ev.Bool("valid") ? 1.0 : 0.0, ev.Bool("valid") ? "valid" : "not valid");
  } else if (kind == "fill" || kind == "email") {
    set(ev.Bool("valid") ? 0.9 : 0.1,
        ev.Bool("valid") ? "committed and valid" : "rejected by the validator");
  } else if (kind == "playbook_record") {
    std::string_view status;
    if (auto o = ev.Get("outcome")) status = StringAt(*o, "status");
    if (status == "filled")
      set(0.9, "outcome filled");
    else if (status == "partial")
      set(0.6, "outcome partial");
    else
      set(0.3, fmt::format("outcome {}", status.empty() ? "unknown" : status));
    auto it = ctx.replays.find(std::string(ev.Str("playbook_id")));
    if (it != ctx.replays.end()) {
      const auto [valid, invalid] = it->second;
      const double delta = std::min(0.1, 0.05 * valid) - std::min(0.2, 0.1 * invalid);
      r.score += delta;
      r.reasons.push_back(fmt::format("replays: {} valid, {} not", valid, invalid));
    }
  } else if (kind == "playbook_replay") {
    set(ev.Bool("valid") ? 0.8 : 0.2, ev.Bool("valid") ? "replay valid" : "replay not valid");
  } else if (kind == "replay_run") {
    bool valid = false;
    if (auto v = ev.Get("validation"); v && (*v)["valid"].get_bool().get(valid)) valid = false;
    set(valid ? 0.85 : 0.2, valid ? "replay answer valid" : "replay answer not valid");
  } else if (kind == "retrieval") {
    if (ev.Get("role"))
      set(0.7, fmt::format("role found ({})", ev.Str("role_source")));
    else
      set(0.4, "no role found");
  } else if (kind == "truth_claim") {
    set(ev.Number("confidence", 0.5), "the claim's confidence");
  } else {
    set(0.5, "not a task");
  }
  if (kind != "feedback") {
    int pos = 0, neg = 0;
    for (std::string_view key : TargetKeys(ev)) {
      auto it = ctx.feedback.find(std::string(key));
      if (it == ctx.feedback.end()) continue;
      pos += it->second.positive;
      neg += it->second.negative;
    }
    if (pos + neg > 0) {
      r.score += std::min(0.2, 0.1 * pos) - 0.3 * neg;
      r.reasons.push_back(fmt::format("coordinator feedback: {} up, {} down", pos, neg));
    }
  }
  r.score = RoundScore(std::clamp(r.score, 0.0, 1.0));
}

std::string_view CategoryOf(const EvidenceView& ev, const ScoreResult& r) {
  if (!r.firewall.empty()) return "SftNever";
  const std::string_view k = ev.kind;
  if (k == "validation" || k == "observer_window" || k == "feedback" ||
      (k == "chat_turn" && ev.Str("origin") != "chat"))
    return "Telemetry";
  if (k == "truth_claim" || k == "pathway_step") return "Reference";
  if (r.score >= 0.8) return "Accepted";
  if (r.score >= 0.5) return "Partial";
  return "Rejected";
}

}  // namespace

ScoreResult ScoreEvidence(const EvidenceView& ev, const ScoreContext& ctx) {
  ScoreResult r;
  BaseScore(ev, ctx, r);
  Firewall(ev, ctx, r);
  r.category = std::string(CategoryOf(ev, r));
  return r;
}

void AppendScoredLine(std::string& out, const EvidenceView& ev, const ScoreResult& r) {
  {
    JsonObjectWriter w(out);
    w.Str("schema", "scored.v1").Str("evidence_id", ev.id).Str("kind", ev.kind);
    w.Str("source", ev.source).Str("day", ev.day).Str("subject", ev.subject);
    w.Fixed4("score", r.score).Str("category", r.category);
    for (const auto* list : {&r.reasons, &r.firewall}) {
      std::string& o = w.Key(list == &r.reasons ? "reasons" : "firewall");
      o += '[';
      for (size_t i = 0; i < list->size(); ++i) {
        if (i) o += ',';
        AppendJsonString(o, (*list)[i]);
      }
      o += ']';
    }
  }
  out += '\n';
}

Result<ScoreContext> ScoreContext::Build(const fs::path& root) {
  ScoreContext ctx;
  EvidenceParser parser;
  std::set<std::string> feedback_ids;  // a retried POST /v1/feedback is one rating
  LH_RETURN_IF_ERROR(
      ForEachEvidenceOf(root, {"feedback", "playbooks"}, [&](const EvidenceView& ev) {
        if (ev.kind == "feedback") {
          const std::string_view fid = ev.Str("id");
          if (!fid.empty() && !feedback_ids.insert(std::string(fid)).second) return Status::OK();
          auto& f = ctx.feedback[std::string(ev.Str("target"))];
          const int64_t rating = ev.Int("rating");
          if (rating > 0) ++f.positive;
          if (rating < 0) ++f.negative;
          if (ev.Bool("flag")) {
            std::string reason(ev.Str("reason"));
            f.flags.push_back(reason.empty() ? std::string(ev.id) : reason);
          }
        } else if (ev.kind == "playbook_replay") {
          auto& c = ctx.replays[std::string(ev.Str("playbook_id"))];
          (ev.Bool("valid") ? c.first : c.second)++;
        }
        return Status::OK();
      }));
  for (const fs::path& p : JsonlFiles(root / "_quarantine" / "_kb")) {
    JsonlReader r;
    LH_RETURN_IF_ERROR(r.Open(p.string()));
    JsonlLine line;
    simdjson::dom::parser raw_parser;
    while (r.Next(line)) {
      dom::element q;
      std::string_view raw;
      if (parser.parser().parse(line.text.data(), line.text.size(), false).get(q) ||
          q["raw"].get_string().get(raw))
        continue;
      dom::element orig;
      std::string_view req;
      if (raw_parser.parse(std::string(raw)).get(orig) == simdjson::SUCCESS &&
          orig["request_id"].get_string().get(req) == simdjson::SUCCESS && !req.empty())
        ctx.quarantined_requests.insert(std::string(req));
    }
    LH_RETURN_IF_ERROR(r.status());
  }
  for (auto& [target, f] : ctx.feedback) std::sort(f.flags.begin(), f.flags.end());
  return ctx;
}

RosterPeople RosterPeople::From(const Roster& roster) {
  RosterPeople p;
  std::string material;
  for (uint32_t i = 0; i < roster.worker_count(); ++i) {
    const WorkerView w = roster.Worker(i);
    std::string name = AsciiLower(fmt::format("{} {}", w.first_name, w.last_name));
    if (w.first_name.empty() || w.last_name.empty()) continue;
    p.ids_by_name[name].emplace_back(w.worker_id);
    if (w.status == WorkerStatus::kDnr) {
      p.dnr_ids.emplace(w.worker_id);
      material += fmt::format("{}\n", w.worker_id);
    }
    material += name;
    material += '\n';
  }
  p.digest = Sha256Hex(material);
  return p;
}

void RosterPeople::Find(std::string_view t, std::vector<std::string>* named_ids,
                        std::vector<std::string>* dnr_mentions) const {
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  std::string pair;
  size_t prev_begin = std::string_view::npos, prev_end = 0;
  for (size_t i = 0; i < t.size();) {
    if (!letter(t[i])) {
      // A worker id: W and 7 digits, not inside a longer word.
      if (t[i] >= '0' && t[i] <= '9') prev_begin = std::string_view::npos;
      ++i;
      continue;
    }
    size_t j = i;
    while (j < t.size() && (letter(t[j]) || t[j] == '\'' || t[j] == '-')) ++j;
    const std::string_view word = t.substr(i, j - i);
    if (word.size() == 1 && word[0] == 'W' && j + 7 <= t.size()) {
      size_t k = j;
      while (k < t.size() && t[k] >= '0' && t[k] <= '9') ++k;
      if (k - j == 7 && (k >= t.size() || !letter(t[k]))) {
        const std::string id(t.substr(i, k - i));
        if (dnr_ids.count(id)) dnr_mentions->push_back(id);
        i = k;
        prev_begin = std::string_view::npos;
        continue;
      }
    }
    if (upper(word[0])) {
      // "First Last": the previous capitalised word, one space before this one.
      if (prev_begin != std::string_view::npos && prev_end + 1 == i && t[prev_end] == ' ') {
        pair = AsciiLower(t.substr(prev_begin, j - prev_begin));
        if (auto it = ids_by_name.find(pair); it != ids_by_name.end()) {
          for (const auto& id : it->second) {
            named_ids->push_back(id);
            if (dnr_ids.count(id)) dnr_mentions->push_back(id);
          }
        }
      }
      prev_begin = i;
      prev_end = j;
    } else {
      prev_begin = std::string_view::npos;
    }
    i = j;
  }
}

std::string ScoreContext::Digest() const {
  std::string s(kScoreRules);
  for (const auto& [t, f] : feedback) {
    s += fmt::format("\nf {} {} {}", t, f.positive, f.negative);
    for (const auto& r : f.flags) s += "\t" + r;
  }
  for (const auto& [p, c] : replays) s += fmt::format("\nr {} {} {}", p, c.first, c.second);
  for (const auto& q : quarantined_requests) s += "\nq " + q;
  if (people != nullptr) s += "\np " + people->digest;
  return Sha256Hex(s);
}

Result<Json> Score(const fs::path& root, const RosterPeople* people) {
  StepTimer timer;
  LH_ASSIGN_OR_RETURN(ScoreContext ctx, ScoreContext::Build(root));
  ctx.people = people;
  const std::string digest = ctx.Digest();
  const fs::path checkpoint_path = root / "scored" / "_checkpoint.json";
  Json checkpoint = Json::object();
  {
    std::ifstream in(checkpoint_path);
    if (in) {
      std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      if (auto j = ParseJson(text); j.ok() && j->is_object()) checkpoint = *j;
    }
  }
  const bool same_context = checkpoint.value("context", std::string()) == digest;
  Json files = same_context && checkpoint.contains("files") ? checkpoint["files"] : Json::object();

  EvidenceParser parser;
  Json inputs = Json::array(), outputs = Json::array();
  std::map<std::string, int64_t> by_category;
  int64_t scored = 0, rescored_files = 0, skipped_files = 0;
  std::set<std::string> live;
  for (const fs::path& p : JsonlFiles(root / "evidence")) {
    const std::string rel = RelPath(root / "evidence", p);
    live.insert(rel);
    std::error_code ec;
    const auto bytes = static_cast<int64_t>(fs::file_size(p, ec));
    const fs::path out_path = root / "scored" / rel;
    if (files.contains(rel) && files[rel].get<int64_t>() == bytes && fs::exists(out_path, ec)) {
      inputs.push_back(Json{{"path", RelPath(root, p)}, {"bytes", bytes}, {"unchanged", true}});
      ++skipped_files;
      continue;
    }
    AtomicFileWriter out;
    LH_RETURN_IF_ERROR(out.Open(out_path));
    JsonlReader r;
    LH_RETURN_IF_ERROR(r.Open(p.string()));
    JsonlLine line;
    std::string buf;
    while (r.Next(line)) {
      auto ev = parser.Parse(line.text);
      if (!ev.ok())
        return Status::Corruption(
            fmt::format("{} line {}: {}", RelPath(root, p), line.index, ev.status().message()));
      ScoreResult res = ScoreEvidence(*ev, ctx);
      ++by_category[res.category];
      AppendScoredLine(buf, *ev, res);
      ++scored;
      if (buf.size() > (4 << 20)) {
        LH_RETURN_IF_ERROR(out.Append(buf));
        buf.clear();
      }
    }
    LH_RETURN_IF_ERROR(r.status());
    inputs.push_back(Json{{"path", RelPath(root, p)},
                          {"bytes", r.offset()},
                          {"lines", r.next_index()},
                          {"crc32c", r.crc32c()}});
    LH_RETURN_IF_ERROR(out.Append(buf));
    LH_RETURN_IF_ERROR(out.Commit());
    files[rel] = bytes;
    ++rescored_files;
    outputs.push_back(Json{{"path", RelPath(root, out_path)}, {"lines", out.lines()}});
    // Checkpoint after each file: a crash redoes only the files not yet recorded.
    LH_RETURN_IF_ERROR(
        WriteFileAtomically(checkpoint_path.string(), Json{{"schema", "score_checkpoint.v1"},
                                                           {"rules", kScoreRules},
                                                           {"context", digest},
                                                           {"files", files}}
                                                              .dump(1) +
                                                          "\n"));
  }
  // Scored files whose evidence is gone (evidence cut back by a materializer recovery).
  for (const fs::path& p : JsonlFiles(root / "scored")) {
    if (!live.count(RelPath(root / "scored", p))) {
      std::error_code ec;
      fs::remove(p, ec);
    }
  }
  Json categories = Json::object();
  for (const auto& [c, n] : by_category) categories[c] = n;
  Json body{{"rules", kScoreRules},
            {"context",
             {{"digest", digest},
              {"feedback_targets", ctx.feedback.size()},
              {"replayed_playbooks", ctx.replays.size()},
              {"quarantined_requests", ctx.quarantined_requests.size()}}},
            {"inputs", inputs},
            {"outputs", outputs},
            {"counts",
             {{"files_scored", rescored_files},
              {"files_unchanged", skipped_files},
              {"records_scored", scored},
              {"by_category", categories}}}};
  LH_ASSIGN_OR_RETURN(std::string receipt, WriteReceipt(root, "score", timer, body));
  body["receipt"] = RelPath(root, receipt);
  return body;
}

}  // namespace lakehouse::distill

namespace lakehouse::distill {

Status ForEachEvidenceOf(const fs::path& root, std::initializer_list<std::string_view> sources,
                         const std::function<Status(const EvidenceView&)>& fn) {
  EvidenceParser parser;
  for (std::string_view source : sources) {
    for (const fs::path& p : FilesNamed(root / "evidence", std::string(source) + ".jsonl")) {
      JsonlReader r;
      LH_RETURN_IF_ERROR(r.Open(p.string()));
      JsonlLine line;
      while (r.Next(line)) {
        auto ev = parser.Parse(line.text);
        if (ev.ok()) LH_RETURN_IF_ERROR(fn(*ev));
      }
      LH_RETURN_IF_ERROR(r.status());
    }
  }
  return Status::OK();
}

bool KeptOutOfRag(const ScoredView& s) {
  return !s.firewall.empty();
}

Status ForEachScoredEvidence(
    const fs::path& root, const std::function<Status(const EvidenceView&, const ScoredView&)>& fn,
    Json* inputs, Progress* progress) {
  EvidenceParser parser;
  simdjson::dom::parser scored_parser;
  const std::vector<fs::path> files = JsonlFiles(root / "evidence");
  if (progress != nullptr) {
    int64_t total = 0;
    for (const fs::path& p : files) {
      std::error_code ec;
      if (const auto n = fs::file_size(p, ec); !ec) total += static_cast<int64_t>(n);
    }
    progress->SetTotal(total);
  }
  for (const fs::path& p : files) {
    const fs::path sp = root / "scored" / RelPath(root / "evidence", p);
    std::error_code ec;
    if (!fs::exists(sp, ec))
      return Status::Conflict(
          fmt::format("{} has no scores: run lakehouse score", RelPath(root, p)));
    JsonlReader er, sr;
    LH_RETURN_IF_ERROR(er.Open(p.string()));
    LH_RETURN_IF_ERROR(sr.Open(sp.string()));
    JsonlLine el, sl;
    while (er.Next(el)) {
      if (!sr.Next(sl))
        return Status::Conflict(fmt::format(
            "{} has fewer lines than its evidence: run lakehouse score", RelPath(root, sp)));
      LH_ASSIGN_OR_RETURN(EvidenceView ev, parser.Parse(el.text));
      simdjson::dom::element s;
      ScoredView sv;
      simdjson::dom::array fw;
      if (scored_parser.parse(sl.text.data(), sl.text.size(), false).get(s) ||
          s["evidence_id"].get_string().get(sv.evidence_id) ||
          s["category"].get_string().get(sv.category) || s["score"].get_double().get(sv.score) ||
          s["firewall"].get_array().get(fw))
        return Status::Corruption(
            fmt::format("{} line {}: not a scored.v1 line", RelPath(root, sp), sl.index));
      if (sv.evidence_id != ev.id)
        return Status::Conflict(fmt::format("{} line {} scores {}, not {}: run lakehouse score",
                                            RelPath(root, sp), sl.index, sv.evidence_id, ev.id));
      for (simdjson::dom::element f : fw) {
        std::string_view reason;
        if (f.get_string().get(reason) == simdjson::SUCCESS) sv.firewall.push_back(reason);
      }
      LH_RETURN_IF_ERROR(fn(ev, sv));
      if (progress != nullptr) progress->Add(static_cast<int64_t>(el.text.size()) + 1);
    }
    LH_RETURN_IF_ERROR(er.status());
    if (inputs != nullptr) {
      for (const auto* r : {&er, &sr}) {
        inputs->push_back(Json{{"path", RelPath(root, r == &er ? p : sp)},
                               {"bytes", r->offset()},
                               {"lines", r->next_index()},
                               {"crc32c", r->crc32c()}});
      }
    }
  }
  return Status::OK();
}

}  // namespace lakehouse::distill
