#include "distill/exports.h"

#include <map>
#include <optional>

#include <fmt/format.h>

#include "core/ids.h"
#include "distill/firewall.h"
#include "distill/jsonl.h"
#include "distill/receipts.h"
#include "distill/scorer.h"
#include "distill/scoring.h"

namespace lakehouse::distill {

namespace dom = simdjson::dom;

namespace {

constexpr size_t kRagChunkChars = 2000;

// System prompts of the synthesized classes (the others keep the prompt they were given).
constexpr std::string_view kEmailSystem =
    "You are the staffing assistant of a staffing agency. Write the outreach email to the "
    "worker for the order, as one JSON object {to, subject, body} in a ```json block.";
constexpr std::string_view kPlaybookSystem =
    "You are the staffing assistant of a staffing agency. Write the playbook that fills an "
    "order like the one given, as one JSON object {name, role, steps} in a ```json block.";
constexpr std::string_view kRetrievalSystem =
    "Extract the role, place and shift a staffing coordinator's query asks for, as one JSON "
    "object {role, place, shift} in a ```json block (null for what it does not say).";

std::string_view StringAt(dom::element el, std::string_view key) {
  std::string_view s;
  if (el[key].get_string().get(s) != simdjson::SUCCESS) return "";
  return s;
}

std::string Fenced(const Json& value) {
  return "```json\n" + value.dump(2) + "\n```";
}

Json ToJson(dom::element el) {
  auto parsed = ParseJson(Minify(el));
  return parsed.ok() ? *parsed : Json(nullptr);
}

Json Message(std::string_view role, std::string_view content, bool weighted = false) {
  Json m{{"role", std::string(role)}, {"content", std::string(content)}};
  if (weighted) m["weight"] = 1;
  // An earlier assistant turn is context, not an answer to learn: OpenAI fine-tuning
  // trains on every assistant message without weight 0.
  if (!weighted && role == "assistant") m["weight"] = 0;
  return m;
}

// [{role, content}] of a JSON message array, or nullopt when it is not one.
std::optional<Json> Messages(std::optional<dom::element> arr) {
  dom::array a;
  if (!arr || arr->get_array().get(a) != simdjson::SUCCESS || a.size() == 0) return std::nullopt;
  Json out = Json::array();
  for (dom::element m : a) {
    std::string_view role, content;
    if (m["role"].get_string().get(role) || m["content"].get_string().get(content))
      return std::nullopt;
    out.push_back(Message(role, content));
  }
  return out;
}

// Case folded, letters and digits only, single spaces: equal keys are near duplicates.
// Bytes of non-ASCII characters are kept as they are (after the firewall's normalisation),
// so two different questions in Chinese are not equal keys.
std::string NearKey(std::string_view text) {
  const std::string normal = NormalizeForScan(text);
  std::string out;
  bool space = false;
  for (unsigned char c : normal) {
    if (std::isalnum(c) || c >= 0x80) {
      if (space && !out.empty()) out += ' ';
      out += static_cast<char>(std::tolower(c));
      space = false;
    } else {
      space = true;
    }
  }
  return out;
}

// The export's own pass of the firewall over exactly the text it is about to write: the
// score-time view of a record may not hold all of it. Nullopt when clean.
std::optional<std::string> ExportFirewall(
    const EvidenceView& ev, const std::vector<std::pair<std::string, std::string>>& parts) {
  const std::vector<std::string> allowed = Addressees(ev);
  thread_local ScanCache cache;
  for (const auto& [where, text] : parts) {
    std::vector<std::string> reasons;
    AppendReasons(cache.Scan(text), where, allowed, reasons, /*with_dnr=*/true);
    if (!reasons.empty()) return reasons.front() + " (found at export)";
  }
  return std::nullopt;
}

// What trainers accept: at least one user turn, never two assistant turns in a row, the
// answer last. Nullopt when the conversation has that shape.
std::optional<std::string> ShapeProblem(const Json& messages) {
  bool user = false;
  std::string previous;
  for (const auto& m : messages) {
    const std::string role = m["role"].get<std::string>();
    if (role == "user") user = true;
    if (role == "assistant" && previous == "assistant") return "two assistant turns in a row";
    previous = role;
  }
  if (!user) return "no user turn";
  if (previous != "assistant") return "the last turn is not the answer";
  return std::nullopt;
}

// A deterministic train/validation split (1 in 10 to validation) by a hash of the
// example's near-duplicate key, so near duplicates always land in the same split.
std::string_view SplitOf(const std::string& near_key) {
  return Fnv1a64(near_key) % 10 == 0 ? "validation" : "train";
}

std::vector<std::pair<std::string, std::string>> MessageParts(const Json& messages) {
  std::vector<std::pair<std::string, std::string>> parts;
  for (const auto& m : messages)
    parts.emplace_back(m["role"].get<std::string>() + " message", m["content"].get<std::string>());
  return parts;
}

struct Candidate {
  std::string klass;
  std::optional<Json> messages;  // nullopt: dropped with `problem`
  std::string problem;
};

// A recorded conversation (`messages`) and the `response` it got, when `usable`.
void RecordedConversation(const EvidenceView& ev, bool usable, std::string_view unusable,
                          Candidate& c) {
  auto msgs = Messages(ev.Get("messages"));
  if (!usable) {
    c.problem = unusable;
  } else if (!msgs) {
    c.problem = "no messages";
  } else {
    msgs->push_back(Message("assistant", ev.Str("response"), true));
    c.messages = std::move(msgs);
  }
}

// The SFT example of a record, if its kind is one of the 8 classes (nullopt otherwise).
std::optional<Candidate> SftCandidate(const EvidenceView& ev) {
  const std::string_view k = ev.kind;
  Candidate c;
  if (k == "iterate_run") {
    c.klass = "iterate_" + std::string(ev.Str("kind"));
    dom::array attempts;
    auto prompt = Messages(ev.Get("prompt"));
    if (!ev.Bool("valid")) {
      c.problem = "not valid";
    } else if (!prompt) {
      c.problem = "no prompt recorded (a line from before prompts were logged)";
    } else if (auto a = ev.Get("attempts");
               !a || a->get_array().get(attempts) || attempts.size() == 0) {
      c.problem = "no attempts";
    } else {
      dom::element last = attempts.at(attempts.size() - 1).value_unsafe();
      prompt->push_back(Message("assistant", StringAt(last, "raw"), true));
      c.messages = std::move(prompt);
    }
    return c;
  }
  if (k == "chat_turn") {
    if (ev.Str("origin") != "chat") return std::nullopt;
    c.klass = "chat";
    RecordedConversation(ev, ev.Bool("ok"), "the call failed", c);
    return c;
  }
  if (k == "email") {
    c.klass = "email";
    if (!ev.Bool("valid")) {
      c.problem = "not valid";
      return c;
    }
    Json ctx{{"order", ev.Get("order") ? ToJson(*ev.Get("order")) : Json(nullptr)},
             {"worker", ev.Get("worker") ? ToJson(*ev.Get("worker")) : Json(nullptr)}};
    Json answer{{"to", std::string(ev.Str("to"))},
                {"subject", std::string(ev.Str("subject"))},
                {"body", std::string(ev.Str("body"))}};
    c.messages = Json::array({Message("system", kEmailSystem),
                              Message("user",
                                      "Write the outreach email for this order to this "
                                      "worker.\n" +
                                          Fenced(ctx)),
                              Message("assistant", Fenced(answer), true)});
    return c;
  }
  if (k == "playbook_record") {
    c.klass = "playbook";
    auto sig = ev.Get("signature");
    auto pb = ev.Get("playbook");
    if (!sig || !pb) {
      c.problem = "no signature or playbook";
      return c;
    }
    c.messages = Json::array(
        {Message("system", kPlaybookSystem),
         Message("user", "Write the playbook for an order like this.\n" + Fenced(ToJson(*sig))),
         Message("assistant", Fenced(ToJson(*pb)), true)});
    return c;
  }
  if (k == "replay_run") {
    c.klass = "replay";
    bool valid = false;
    if (auto v = ev.Get("validation"); v && (*v)["valid"].get_bool().get(valid)) valid = false;
    RecordedConversation(ev, valid, "not valid", c);
    return c;
  }
  if (k == "retrieval") {
    if (ev.Str("role_source") != "extracted") return std::nullopt;
    c.klass = "retrieval";
    Json answer{{"role", std::string(ev.Str("role"))},
                {"place", ev.Get("place") ? ToJson(*ev.Get("place")) : Json(nullptr)},
                {"shift", ev.Get("shift") ? ToJson(*ev.Get("shift")) : Json(nullptr)}};
    c.messages = Json::array({Message("system", kRetrievalSystem), Message("user", ev.Str("query")),
                              Message("assistant", Fenced(answer), true)});
    return c;
  }
  return std::nullopt;
}

// The retrieval text of a record, if its kind goes to RAG ("" with `problem` when it is a
// RAG kind that is not usable).
std::optional<std::string> RagText(const EvidenceView& ev, std::string& problem) {
  const std::string_view k = ev.kind;
  if (k == "playbook_record") {
    auto pb = ev.Get("playbook");
    auto sig = ev.Get("signature");
    auto outcome = ev.Get("outcome");
    if (!pb || !sig) {
      problem = "no signature or playbook";
      return "";
    }
    std::string t = fmt::format(
        "Playbook \"{}\" for {} in {}, {} ({} shift, {}), recorded for "
        "order {}. Steps:",
        StringAt(*pb, "name"), StringAt(*sig, "role"), StringAt(*sig, "city"),
        StringAt(*sig, "state"), StringAt(*sig, "shift"), StringAt(*sig, "headcount_band"),
        ev.Str("order_id"));
    dom::array steps;
    if ((*pb)["steps"].get_array().get(steps) == simdjson::SUCCESS) {
      int i = 0;
      for (dom::element s : steps) {
        dom::element args;
        t += fmt::format(" {}. {}({})", ++i, StringAt(s, "tool"),
                         s["args"].get(args) == simdjson::SUCCESS ? Minify(args) : "");
      }
    }
    if (outcome)
      t += fmt::format(" Outcome: {}. {}", StringAt(*outcome, "status"),
                       StringAt(*outcome, "notes"));
    return t;
  }
  if (k == "fill" || k == "email") {
    if (!ev.Bool("valid")) {
      problem = "not valid";
      return "";
    }
    auto order = ev.Get("order");
    std::string o = fmt::format("order {}", ev.Str("order_id"));
    if (order) {
      int64_t headcount = 0;
      if ((*order)["headcount"].get_int64().get(headcount)) headcount = 0;
      o = fmt::format("order {} ({} x {} in {}, {}, {} shift, from {})", ev.Str("order_id"),
                      headcount, StringAt(*order, "role"), StringAt(*order, "city"),
                      StringAt(*order, "state"), StringAt(*order, "shift"),
                      StringAt(*order, "start_date"));
    }
    if (k == "fill") {
      auto ids = ev.Get("worker_ids");
      return fmt::format("Fill of {}: workers {}.", o, ids ? Minify(*ids) : "[]");
    }
    return fmt::format("Email for {} to worker {}. Subject: {}\n\n{}", o, ev.Str("worker_id"),
                       ev.Str("subject"), ev.Str("body"));
  }
  if (k == "truth_claim") {
    auto v = ev.Get("value");
    return fmt::format(
        "{} {}: {} (source {}, observed {}, confidence {})", ev.Str("subject"), ev.Str("attribute"),
        v ? (v->is_string() ? std::string(ev.Str("value")) : Minify(*v)) : "null", ev.Str("source"),
        ev.Str("observed_at"), FormatScore(ev.Number("confidence")));
  }
  if (k == "pathway_step") {
    auto d = ev.Get("data");
    return fmt::format("Order {} step {}: {} (by {}) {}", ev.Str("order_id"), ev.Int("version"),
                       ev.Str("step"), ev.Str("source"), d ? Minify(*d) : "{}");
  }
  if (k == "feedback") {
    if (ev.Str("reason").empty()) {
      problem = "no note";
      return "";
    }
    const int64_t r = ev.Int("rating");
    return fmt::format("Coordinator feedback on {} ({}{}): {}", ev.Str("target"),
                       r > 0   ? "up"
                       : r < 0 ? "down"
                               : "neutral",
                       ev.Bool("flag") ? ", flagged" : "", ev.Str("reason"));
  }
  return std::nullopt;
}

// Pieces of at most kRagChunkChars, cut at the last whitespace before the limit.
std::vector<std::string_view> Chunks(std::string_view text) {
  std::vector<std::string_view> out;
  while (text.size() > kRagChunkChars) {
    size_t cut = text.find_last_of(" \n\t", kRagChunkChars);
    if (cut == std::string_view::npos || cut < kRagChunkChars / 2) cut = kRagChunkChars;
    // Never split a UTF-8 sequence.
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    out.push_back(text.substr(0, cut));
    text.remove_prefix(cut);
    while (!text.empty() && (text[0] == ' ' || text[0] == '\n' || text[0] == '\t'))
      text.remove_prefix(1);
  }
  if (!text.empty()) out.push_back(text);
  return out;
}

// The output of one export: lines, drops with reasons, and dedup.
class ExportWriter {
 public:
  ExportWriter(const ExportOptions& opt, const fs::path& dir, const std::string& kind)
      : root_(opt.root), dir_(dir), kind_(kind) {}
  Status Open() {
    LH_RETURN_IF_ERROR(out_.Open(dir_ / (kind_ + ".jsonl")));
    return dropped_.Open(dir_ / (kind_ + ".dropped.jsonl"));
  }
  // True when `exact`/`near` were seen before (the drop is logged).
  bool Duplicate(const EvidenceView& ev, std::string_view klass, const std::string& exact,
                 const std::string& near) {
    if (auto it = exact_.find(exact); it != exact_.end()) {
      Drop(ev, klass, "exact duplicate of " + it->second);
      return true;
    }
    if (!near.empty()) {
      const uint64_t nk = Fnv1a64(near);
      if (auto it = near_.find(nk); it != near_.end()) {
        Drop(ev, klass, "near duplicate of " + it->second);
        return true;
      }
      near_.emplace(nk, std::string(ev.id));
    }
    exact_.emplace(exact, std::string(ev.id));
    return false;
  }
  void Drop(const EvidenceView& ev, std::string_view klass, std::string_view reason) {
    {
      JsonObjectWriter w(drop_buf_);
      w.Str("evidence_id", ev.id).Str("kind", ev.kind).Str("class", klass).Str("reason", reason);
    }
    drop_buf_ += '\n';
    std::string_view label = reason.substr(0, reason.find_first_of(":(0123456789"));
    while (!label.empty() && label.back() == ' ') label.remove_suffix(1);
    ++drops_[std::string(label)];
  }
  std::string& Line() { return buf_; }
  Json* inputs() { return &inputs_; }
  Status Flush(bool all = false) {
    if (all || buf_.size() > (4 << 20)) {
      LH_RETURN_IF_ERROR(out_.Append(buf_));
      buf_.clear();
    }
    if (all || drop_buf_.size() > (4 << 20)) {
      LH_RETURN_IF_ERROR(dropped_.Append(drop_buf_));
      drop_buf_.clear();
    }
    return Status::OK();
  }
  Result<Json> Commit(Json counts) {
    LH_RETURN_IF_ERROR(Flush(true));
    const int64_t written = out_.lines(), dropped = dropped_.lines();
    LH_RETURN_IF_ERROR(out_.Commit());
    LH_RETURN_IF_ERROR(dropped_.Commit());
    Json drops = Json::object();
    for (const auto& [r, n] : drops_) drops[r] = n;
    counts["written"] = written;
    counts["dropped"] = dropped;
    counts["dropped_by_reason"] = drops;
    Json outputs = Json::array();
    for (const std::string& name : {kind_ + ".jsonl", kind_ + ".dropped.jsonl"}) {
      LH_ASSIGN_OR_RETURN(Json o, DescribeOutput(root_, dir_ / name));
      outputs.push_back(o);
    }
    return Json{{"kind", kind_}, {"inputs", inputs_}, {"outputs", outputs}, {"counts", counts}};
  }

 private:
  fs::path root_, dir_;
  std::string kind_;
  AtomicFileWriter out_, dropped_;
  std::string buf_, drop_buf_;
  std::map<std::string, std::string> exact_;
  std::map<uint64_t, std::string> near_;
  std::map<std::string, int64_t> drops_;
  Json inputs_ = Json::array();
};

void AppendMetadata(std::string& out, const EvidenceView& ev, const ScoredView& s,
                    std::string_view klass, const std::function<void(JsonObjectWriter&)>& extra) {
  JsonObjectWriter m(out);
  std::string& ids = m.Key("evidence_ids");
  ids += '[';
  AppendJsonString(ids, ev.id);
  ids += ']';
  m.Str("source_class", klass).Str("kind", ev.kind).Str("subject", ev.subject).Str("day", ev.day);
  m.Fixed4("score", s.score).Str("category", s.category);
  if (extra) extra(m);
}

Result<Json> ExportSft(const ExportOptions& opt, const fs::path& dir) {
  ExportWriter w(opt, dir, "sft");
  LH_RETURN_IF_ERROR(w.Open());
  std::map<std::string, int64_t> by_class;
  int64_t candidates = 0;
  LH_RETURN_IF_ERROR(ForEachScoredEvidence(
      opt.root,
      [&](const EvidenceView& ev, const ScoredView& s) -> Status {
        auto c = SftCandidate(ev);
        if (!c) return Status::OK();
        ++candidates;
        if (!s.firewall.empty()) {
          w.Drop(ev, c->klass, fmt::format("firewall: {}", s.firewall.front()));
        } else if (!c->messages) {
          w.Drop(ev, c->klass, c->problem);
        } else if (s.score < opt.min_score) {
          w.Drop(ev, c->klass,
                 fmt::format("below the minimum score {} ({})", FormatScore(opt.min_score),
                             FormatScore(s.score)));
        } else if (auto leak = ExportFirewall(ev, MessageParts(*c->messages))) {
          w.Drop(ev, c->klass, fmt::format("firewall: {}", *leak));
        } else if (auto shape = ShapeProblem(*c->messages)) {
          w.Drop(ev, c->klass, fmt::format("shape: {}", *shape));
        } else {
          const std::string messages = DumpJson(*c->messages);
          std::string text;
          for (const auto& m : *c->messages) text += m["content"].get<std::string>() + "\n";
          const std::string near = NearKey(text);
          if (w.Duplicate(ev, c->klass, Sha256Hex(messages), near)) return Status::OK();
          std::string& out = w.Line();
          {
            JsonObjectWriter line(out);
            line.Raw("messages", messages);
            AppendMetadata(line.Key("metadata"), ev, s, c->klass,
                           [&](JsonObjectWriter& m) { m.Str("split", SplitOf(near)); });
          }
          out += '\n';
          ++by_class[c->klass];
        }
        return w.Flush();
      },
      w.inputs(), opt.progress));
  Json classes = Json::object();
  for (const std::string& k : SftClasses()) classes[k] = by_class.count(k) ? by_class[k] : 0;
  return w.Commit(Json{
      {"candidates", candidates}, {"min_score", RoundScore(opt.min_score)}, {"by_class", classes}});
}

Result<Json> ExportRag(const ExportOptions& opt, const fs::path& dir) {
  ExportWriter w(opt, dir, "rag");
  LH_RETURN_IF_ERROR(w.Open());
  std::map<std::string, int64_t> by_kind;
  int64_t candidates = 0, chunks = 0;
  LH_RETURN_IF_ERROR(ForEachScoredEvidence(
      opt.root,
      [&](const EvidenceView& ev, const ScoredView& s) -> Status {
        std::string problem;
        auto text = RagText(ev, problem);
        if (!text) return Status::OK();
        ++candidates;
        const std::string klass(ev.kind);
        if (KeptOutOfRag(s)) {
          w.Drop(ev, klass, fmt::format("firewall: {}", s.firewall.front()));
        } else if (!problem.empty()) {
          w.Drop(ev, klass, problem);
        } else if (auto leak = ExportFirewall(ev, {{"text", *text}})) {
          w.Drop(ev, klass, fmt::format("firewall: {}", *leak));
        } else if (!w.Duplicate(ev, klass, Sha256Hex(*text), NearKey(*text))) {
          const auto pieces = Chunks(*text);
          for (size_t i = 0; i < pieces.size(); ++i) {
            std::string& out = w.Line();
            {
              JsonObjectWriter line(out);
              line.Str("id", fmt::format("{}:{}", ev.id, i)).Str("text", pieces[i]);
              AppendMetadata(line.Key("metadata"), ev, s, klass, [&](JsonObjectWriter& m) {
                m.Int("chunk", static_cast<int64_t>(i))
                    .Int("chunks", static_cast<int64_t>(pieces.size()));
              });
            }
            out += '\n';
            ++chunks;
          }
          ++by_kind[klass];
        }
        return w.Flush();
      },
      w.inputs(), opt.progress));
  Json kinds = Json::object();
  for (const auto& [k, n] : by_kind) kinds[k] = n;
  return w.Commit(Json{{"candidates", candidates}, {"chunks", chunks}, {"by_kind", kinds}});
}

Result<Json> ExportPreference(const ExportOptions& opt, const fs::path& dir) {
  ExportWriter w(opt, dir, "preference");
  LH_RETURN_IF_ERROR(w.Open());
  int64_t runs = 0, pairs = 0;
  LH_RETURN_IF_ERROR(ForEachScoredEvidence(
      opt.root,
      [&](const EvidenceView& ev, const ScoredView& s) -> Status {
        if (ev.kind != "iterate_run" || !ev.Bool("valid") || ev.Int("attempt_count") < 2)
          return Status::OK();
        ++runs;
        const std::string klass = "iterate_" + std::string(ev.Str("kind"));
        auto prompt = Messages(ev.Get("prompt"));
        dom::array attempts;
        if (!s.firewall.empty()) {
          w.Drop(ev, klass, fmt::format("firewall: {}", s.firewall.front()));
          return w.Flush();
        }
        if (!prompt) {
          w.Drop(ev, klass, "no prompt recorded (a line from before prompts were logged)");
          return w.Flush();
        }
        if (auto leak = ExportFirewall(ev, MessageParts(*prompt))) {
          w.Drop(ev, klass, fmt::format("firewall: {}", *leak));
          return w.Flush();
        }
        if (auto a = ev.Get("attempts");
            !a || a->get_array().get(attempts) || attempts.size() < 2) {
          w.Drop(ev, klass, "fewer than two attempts");
          return w.Flush();
        }
        const size_t n = attempts.size();
        const std::string_view chosen = StringAt(attempts.at(n - 1).value_unsafe(), "raw");
        const std::string prompt_text = prompt->back()["content"].get<std::string>();
        const std::string prompt_json = DumpJson(*prompt);
        for (size_t i = 0; i + 1 < n; ++i) {
          dom::element a = attempts.at(i).value_unsafe();
          const std::string_view rejected = StringAt(a, "raw");
          if (rejected == chosen) {
            w.Drop(ev, klass, fmt::format("attempt {}: chosen and rejected are the same", i + 1));
            continue;
          }
          if (!prompt_text.empty() && (chosen.find(prompt_text) != std::string_view::npos ||
                                       rejected.find(prompt_text) != std::string_view::npos)) {
            w.Drop(ev, klass,
                   fmt::format("attempt {}: the prompt is repeated inside chosen or "
                               "rejected",
                               i + 1));
            continue;
          }
          if (auto leak = ExportFirewall(
                  ev, {{"chosen", std::string(chosen)}, {"rejected", std::string(rejected)}})) {
            w.Drop(ev, klass, fmt::format("attempt {}: firewall: {}", i + 1, *leak));
            continue;
          }
          // Preference pairs carry no weights: each side is one whole answer.
          auto answer = [](std::string_view content) {
            return DumpJson(
                Json::array({Json{{"role", "assistant"}, {"content", std::string(content)}}}));
          };
          const std::string chosen_json = answer(chosen);
          const std::string rejected_json = answer(rejected);
          if (w.Duplicate(ev, klass, Sha256Hex(prompt_json + chosen_json + rejected_json), ""))
            continue;
          Json kinds = Json::array();
          dom::array errors;
          if (a["errors"].get_array().get(errors) == simdjson::SUCCESS)
            for (dom::element e : errors) {
              dom::object o;
              if (e.get_object().get(o) == simdjson::SUCCESS && o.size() > 0)
                kinds.push_back(std::string(o.begin().key()));
            }
          std::string& out = w.Line();
          {
            JsonObjectWriter line(out);
            // TRL's conversational shape, and OpenAI's DPO shape of the same pair.
            line.Raw("prompt", prompt_json)
                .Raw("chosen", chosen_json)
                .Raw("rejected", rejected_json)
                .Raw("input", "{\"messages\":" + prompt_json + "}")
                .Raw("preferred_output", chosen_json)
                .Raw("non_preferred_output", rejected_json);
            AppendMetadata(line.Key("metadata"), ev, s, klass, [&](JsonObjectWriter& m) {
              m.Str("run_id", ev.Str("run_id"))
                  .Int("chosen_attempt", static_cast<int64_t>(n))
                  .Int("rejected_attempt", static_cast<int64_t>(i + 1))
                  .Raw("rejected_errors", DumpJson(kinds))
                  .Str("split", SplitOf(NearKey(prompt_text)));
            });
          }
          out += '\n';
          ++pairs;
        }
        return w.Flush();
      },
      w.inputs(), opt.progress));
  return w.Commit(Json{{"runs_with_retries", runs}, {"pairs", pairs}});
}

}  // namespace

const std::vector<std::string>& SftClasses() {
  static const std::vector<std::string> classes = {
      "iterate_fill", "iterate_email", "iterate_playbook", "chat",
      "email",        "playbook",      "replay",           "retrieval"};
  return classes;
}

Result<Json> ExportTo(const ExportOptions& opt, const fs::path& dir) {
  if (opt.progress != nullptr) opt.progress->Phase(opt.kind, 0, "bytes");
  if (opt.kind == "sft") return ExportSft(opt, dir);
  if (opt.kind == "rag") return ExportRag(opt, dir);
  if (opt.kind == "preference") return ExportPreference(opt, dir);
  return Status::InvalidArgument(
      fmt::format("unknown export '{}'; exports are sft, rag, preference", opt.kind));
}

Result<Json> Export(const ExportOptions& opt) {
  StepTimer timer;
  LH_ASSIGN_OR_RETURN(Json body, ExportTo(opt, opt.root / "exports"));
  LH_ASSIGN_OR_RETURN(std::string receipt,
                      WriteReceipt(opt.root, "export_" + opt.kind, timer, body));
  body["receipt"] = RelPath(opt.root, receipt);
  return body;
}

}  // namespace lakehouse::distill
