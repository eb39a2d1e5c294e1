#include "distill/evidence.h"

#include <initializer_list>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/clock.h"
#include "core/ids.h"
#include "distill/jsonl.h"

namespace lakehouse::distill {

namespace dom = simdjson::dom;

const std::vector<SourceSpec>& Sources() {
  // The transform version of each source, bumped when its evidence output changes.
  static const std::vector<SourceSpec> sources = [] {
    static const std::string_view kTransforms[kKbSourceCount] = {
        "chat_turns@1", "validations@1",     "iterate_runs@1",   "fills@1",
        "emails@1",     "playbooks@1",       "pathway_traces@1", "replay_runs@1",
        "retrievals@1", "observer_events@1", "truth_claims@1",   "feedback@1"};
    std::vector<SourceSpec> out;
    for (const KbSourceInfo& k : KbSources())
      out.push_back({k.id, k.name, k.schema, kTransforms[static_cast<size_t>(k.id)], k.doc});
    return out;
  }();
  return sources;
}

const SourceSpec* FindSource(std::string_view name) {
  for (const auto& s : Sources())
    if (s.name == name) return &s;
  return nullptr;
}

namespace {

// One parsed source line and the evidence being built from it. The transforms below are
// written with these few verbs so each one reads as its documentation.
class Line {
 public:
  Line(dom::object obj, std::string_view schema, simdjson::internal::string_builder<>& sb)
      : obj_(obj), schema_(schema), sb_(sb) {}

  Result<dom::element> Field(std::string_view key) const {
    dom::element el;
    if (obj_[key].get(el) != simdjson::SUCCESS)
      return Status::InvalidArgument(fmt::format("field '{}' missing", key));
    return el;
  }
  Result<std::string_view> String(std::string_view key) const {
    LH_ASSIGN_OR_RETURN(dom::element el, Field(key));
    std::string_view s;
    if (el.get_string().get(s) != simdjson::SUCCESS)
      return Status::InvalidArgument(fmt::format("field '{}' must be a string", key));
    return s;
  }
  //! The string at `key`, or "" when it is absent, null or not a string.
  std::string_view StringOr(std::string_view key, std::string_view fallback = "") const {
    std::string_view s;
    if (obj_[key].get_string().get(s) != simdjson::SUCCESS) return fallback;
    return s;
  }
  //! obj[key][inner] as a string, or "".
  std::string_view Nested(std::string_view key, std::string_view inner) const {
    std::string_view s;
    if (obj_[key][inner].get_string().get(s) != simdjson::SUCCESS) return "";
    return s;
  }
  //! Checks the source's schema and sets the draft's day from the RFC 3339 time at
  //! `time_key`.
  Status Begin(std::string_view time_key, EvidenceDraft& d) const {
    const std::string_view schema = schema_;
    auto got = StringOr("schema", "");
    if (got != schema)
      return Status::InvalidArgument(
          got.empty() ? fmt::format("field 'schema' missing; expected {}", schema)
                      : fmt::format("schema '{}' is not {}", got, schema));
    LH_ASSIGN_OR_RETURN(std::string_view t, String(time_key));
    auto millis = ParseRfc3339Millis(t);
    if (!millis)
      return Status::InvalidArgument(
          fmt::format("field '{}': '{}' is not an RFC 3339 time", time_key, t.substr(0, 64)));
    // A time outside 2000..2099 is a corrupted or forged line, not an event we saw.
    constexpr int64_t kFrom = 946684800000LL, kUntil = 4102444800000LL;
    if (*millis < kFrom || *millis >= kUntil)
      return Status::InvalidArgument(fmt::format(
          "field '{}': '{}' is outside the plausible range 2000..2099", time_key, t.substr(0, 64)));
    d.day = FormatDate(CivilDateOf(*millis));
    return Status::OK();
  }
  //! Strict types: each listed field, when present and not null, has exactly this JSON
  //! type ("flag": "true" is not a boolean, and is not read as false either).
  enum class Type { kBool, kInt, kNumber, kString };
  Status Typed(std::initializer_list<std::pair<std::string_view, Type>> fields) const {
    for (const auto& [key, type] : fields) {
      dom::element el;
      if (obj_[key].get(el) != simdjson::SUCCESS || el.is_null()) continue;
      const bool ok = type == Type::kBool     ? el.is_bool()
                      : type == Type::kInt    ? (el.is_int64() || el.is_uint64())
                      : type == Type::kNumber ? el.is_number()
                                              : el.is_string();
      if (!ok) {
        static constexpr const char* kNames[] = {"a boolean", "an integer", "a number", "a string"};
        return Status::InvalidArgument(
            fmt::format("field '{}' must be {}", key, kNames[static_cast<int>(type)]));
      }
    }
    return Status::OK();
  }
  //! Copies required fields (minified, in the given order) into the payload.
  Status Copy(JsonObjectWriter& w, std::initializer_list<std::string_view> keys) const {
    for (std::string_view k : keys) {
      LH_ASSIGN_OR_RETURN(dom::element el, Field(k));
      Append(w, k, el);
    }
    return Status::OK();
  }
  //! Copies fields added to the source after its first version: null when absent.
  void CopyOptional(JsonObjectWriter& w, std::initializer_list<std::string_view> keys) const {
    for (std::string_view k : keys) {
      dom::element el;
      if (obj_[k].get(el) == simdjson::SUCCESS)
        Append(w, k, el);
      else
        w.Null(k);
    }
  }

 private:
  void Append(JsonObjectWriter& w, std::string_view k, dom::element el) const {
    sb_.clear();
    sb_.append(el);
    w.Raw(k, sb_.str());
  }

  dom::object obj_;
  std::string_view schema_;  // the source's, every line must carry it
  simdjson::internal::string_builder<>& sb_;
};

using TransformFn = Status (*)(const Line&, EvidenceDraft&, JsonObjectWriter&);

// chat_turns -> chat_turn: one dispatcher call, success or failure. Subject: its iterate or
// replay run when it has one, else its request.
Status ChatTurn(const Line& in, EvidenceDraft& d, JsonObjectWriter& w) {
  LH_RETURN_IF_ERROR(in.Begin("at", d));
  LH_RETURN_IF_ERROR(in.Typed({{"ok", Line::Type::kBool},
                               {"attempts", Line::Type::kInt},
                               {"latency_ms", Line::Type::kNumber}}));
  d.kind = "chat_turn";
  d.subject = in.StringOr("run_id", in.StringOr("request_id"));
  return in.Copy(w, {"id", "request_id", "origin", "run_id", "requested_model", "model", "provider",
                     "messages", "response", "finish_reason", "usage", "latency_ms", "attempts",
                     "fallback_from", "ok", "error"});
}

// validations -> validation: one verdict. Subject: the order the payload is about, else the
// run, else the validation itself.
Status Validation(const Line& in, EvidenceDraft& d, JsonObjectWriter& w) {
  LH_RETURN_IF_ERROR(in.Begin("at", d));
  LH_RETURN_IF_ERROR(in.Typed({{"valid", Line::Type::kBool}, {"elapsed_us", Line::Type::kNumber}}));
  d.kind = "validation";
  std::string_view order = in.Nested("payload", "order_id");
  d.subject = !order.empty() ? order : in.StringOr("run_id", in.StringOr("id"));
  return in.Copy(w, {"id", "request_id", "origin", "run_id", "kind", "payload", "valid", "errors",
                     "roster_versions", "elapsed_us"});
}

// iterate_runs -> iterate_run: the whole run, every attempt. Subject: the task's order.
// `prompt` (the first two turns) was added to the source later: null on older lines.
Status IterateRun(const Line& in, EvidenceDraft& d, JsonObjectWriter& w) {
  LH_RETURN_IF_ERROR(in.Begin("at", d));
  LH_RETURN_IF_ERROR(in.Typed({{"valid", Line::Type::kBool},
                               {"attempt_count", Line::Type::kInt},
                               {"max_attempts", Line::Type::kInt}}));
  d.kind = "iterate_run";
  std::string_view order = in.Nested("task", "order_id");
  d.subject = !order.empty() ? order : in.StringOr("run_id");
  LH_RETURN_IF_ERROR(in.Copy(w, {"run_id", "request_id", "kind", "task"}));
  in.CopyOptional(w, {"prompt"});
  return in.Copy(w, {"requested_model", "model", "max_attempts", "attempts", "attempt_count",
                     "valid", "final", "latency_ms", "error"});
}

// fills -> fill: a fill a coordinator committed through POST /v1/fills, with the verdict it
// got then and the order it was for. Subject: the order.
Status Fill(const Line& in, EvidenceDraft& d, JsonObjectWriter& w) {
  LH_RETURN_IF_ERROR(in.Begin("at", d));
  LH_RETURN_IF_ERROR(in.Typed({{"valid", Line::Type::kBool}}));
  LH_ASSIGN_OR_RETURN(std::string_view order, in.String("order_id"));
  d.subject = order;
  if (!in.StringOr("op")
           .empty()) {  // a status change of a committed fill: not a decision to learn from
    d.kind = "fill_change";
    return in.Copy(w, {"fill_id", "request_id", "order_id", "worker_ids", "op", "status", "reason",
                       "ended_on", "source"});
  }
  d.kind = "fill";
  return in.Copy(w, {"fill_id", "request_id", "order_id", "worker_ids", "order", "run_id", "source",
                     "valid", "errors"});
}

// emails -> email: an outreach email sent through POST /v1/emails, with its verdict, the
// worker and the order. Subject: the order.
Status Email(const Line& in, EvidenceDraft& d, JsonObjectWriter& w) {
  LH_RETURN_IF_ERROR(in.Begin("at", d));
  LH_RETURN_IF_ERROR(in.Typed({{"valid", Line::Type::kBool},
                               {"to", Line::Type::kString},
                               {"subject", Line::Type::kString},
                               {"body", Line::Type::kString}}));
  d.kind = "email";
  LH_ASSIGN_OR_RETURN(std::string_view order, in.String("order_id"));
  d.subject = order;
  return in.Copy(w, {"email_id", "request_id", "order_id", "worker_id", "worker", "order", "to",
                     "subject", "body", "run_id", "source", "valid", "errors"});
}

// playbooks -> playbook_record | playbook_replay (by `op`). Subject: the playbook.
Status Playbook(const Line& in, EvidenceDraft& d, JsonObjectWriter& w) {
  LH_RETURN_IF_ERROR(in.Begin("at", d));
  LH_RETURN_IF_ERROR(in.Typed({{"valid", Line::Type::kBool}, {"version", Line::Type::kInt}}));
  LH_ASSIGN_OR_RETURN(std::string_view op, in.String("op"));
  LH_ASSIGN_OR_RETURN(std::string_view id, in.String("playbook_id"));
  d.subject = id;
  if (op == "record") {
    d.kind = "playbook_record";
    return in.Copy(w, {"op", "request_id", "playbook_id", "version", "order_id", "signature",
                       "playbook", "outcome"});
  }
  if (op == "replay") {
    d.kind = "playbook_replay";
    return in.Copy(w, {"op", "request_id", "playbook_id", "order_id", "signature", "playbook",
                       "fill", "verdicts", "valid", "latency_ms"});
  }
  return Status::InvalidArgument(
      fmt::format("field 'op': '{}' is neither record nor replay", op.substr(0, 64)));
}

// pathway_traces -> pathway_step: one step of an order's trace. Subject: the order.
Status PathwayStep(const Line& in, EvidenceDraft& d, JsonObjectWriter& w) {
  LH_RETURN_IF_ERROR(in.Begin("at", d));
  d.kind = "pathway_step";
  LH_ASSIGN_OR_RETURN(std::string_view order, in.String("order_id"));
  d.subject = order;
  return in.Copy(w, {"order_id", "version", "step", "source", "request_id", "data"});
}

// replay_runs -> replay_run: retrieve, bundle, chat, validate. Subject: the task's order.
Status ReplayRun(const Line& in, EvidenceDraft& d, JsonObjectWriter& w) {
  LH_RETURN_IF_ERROR(in.Begin("at", d));
  d.kind = "replay_run";
  std::string_view order;
  if (auto t = in.Field("task"); t.ok() && (*t)["task"]["order_id"].get_string().get(order))
    order = "";
  d.subject = !order.empty() ? order : in.StringOr("run_id");
  return in.Copy(w,
                 {"run_id", "task", "retrieved", "prompt_sha256", "messages", "model", "response",
                  "extracted", "validation", "roster_versions", "latency_ms", "error"});
}

// retrievals -> retrieval: one matrix retrieve (or a replay's playbook search). Subject: the
// query's role, or "none".
Status Retrieval(const Line& in, EvidenceDraft& d, JsonObjectWriter& w) {
  LH_RETURN_IF_ERROR(in.Begin("at", d));
  d.kind = "retrieval";
  d.subject = in.StringOr("role", "none");
  return in.Copy(w, {"id", "request_id", "query", "role", "role_source", "place", "shift",
                     "corpora", "k", "filter", "results", "gated", "per_corpus", "latency_ms"});
}

// observer_events -> observer_window: one closed minute of metrics, dated by the minute it
// covers (window_start). Subject: "observer".
Status ObserverWindow(const Line& in, EvidenceDraft& d, JsonObjectWriter& w) {
  LH_RETURN_IF_ERROR(in.Begin("window_start", d));
  d.kind = "observer_window";
  d.subject = "observer";
  return in.Copy(
      w, {"window_start", "window_s", "requests", "by_route", "validators", "top_failure_reasons",
          "chat", "embed_cache", "dropped_total", "errors_total"});
}

// truth_claims -> truth_claim: one claim, dated when it was recorded. Subject: its subject.
Status TruthClaim(const Line& in, EvidenceDraft& d, JsonObjectWriter& w) {
  LH_RETURN_IF_ERROR(in.Begin("recorded_at", d));
  LH_RETURN_IF_ERROR(in.Typed({{"confidence", Line::Type::kNumber}}));
  d.kind = "truth_claim";
  LH_ASSIGN_OR_RETURN(std::string_view subject, in.String("subject"));
  d.subject = subject;
  return in.Copy(w, {"id", "request_id", "subject", "attribute", "value", "source", "observed_at",
                     "confidence"});
}

// feedback -> feedback: a coordinator's rating or flag. Subject: its target (a run, request,
// fill, email, playbook or evidence id).
Status Feedback(const Line& in, EvidenceDraft& d, JsonObjectWriter& w) {
  LH_RETURN_IF_ERROR(in.Begin("at", d));
  LH_RETURN_IF_ERROR(in.Typed({{"rating", Line::Type::kInt},
                               {"flag", Line::Type::kBool},
                               {"reason", Line::Type::kString}}));
  d.kind = "feedback";
  LH_ASSIGN_OR_RETURN(std::string_view target, in.String("target"));
  d.subject = target;
  return in.Copy(w, {"id", "request_id", "target", "rating", "flag", "reason", "coordinator"});
}

TransformFn TransformOf(KbSource source) {
  switch (source) {
    case KbSource::kChatTurns:
      return ChatTurn;
    case KbSource::kValidations:
      return Validation;
    case KbSource::kIterateRuns:
      return IterateRun;
    case KbSource::kFills:
      return Fill;
    case KbSource::kEmails:
      return Email;
    case KbSource::kPlaybooks:
      return Playbook;
    case KbSource::kPathwayTraces:
      return PathwayStep;
    case KbSource::kReplayRuns:
      return ReplayRun;
    case KbSource::kRetrievals:
      return Retrieval;
    case KbSource::kObserverEvents:
      return ObserverWindow;
    case KbSource::kTruthClaims:
      return TruthClaim;
    case KbSource::kFeedback:
      return Feedback;
  }
  return nullptr;
}

}  // namespace

struct EvidenceTransformer::Impl {
  dom::parser parser;
  simdjson::internal::string_builder<> sb;
};

EvidenceTransformer::EvidenceTransformer() : impl_(std::make_unique<Impl>()) {}
EvidenceTransformer::~EvidenceTransformer() = default;

Status EvidenceTransformer::Transform(const SourceSpec& source, std::string_view line,
                                      EvidenceDraft& out) {
  TransformFn fn = source.id ? TransformOf(*source.id) : nullptr;
  if (fn == nullptr)
    return Status::InvalidArgument(fmt::format("no transform for source '{}'", source.name));
  dom::element doc;
  if (auto err = impl_->parser.parse(line.data(), line.size(), false).get(doc); err)
    return Status::InvalidArgument(fmt::format("malformed JSON: {}", simdjson::error_message(err)));
  dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS)
    return Status::InvalidArgument("the line is not a JSON object");
  out.payload.clear();
  Status st;
  {
    JsonObjectWriter w(out.payload);
    st = fn(Line(obj, source.schema, impl_->sb), out, w);
  }
  return st;
}

std::string EvidenceId(const SourceSpec& source, const EvidenceDraft& d) {
  std::string material;
  material.reserve(source.name.size() + d.kind.size() + d.subject.size() + d.payload.size() + 3);
  material.append(source.name).append("\n").append(d.kind).append("\n");
  material.append(d.subject).append("\n").append(d.payload);
  return "ev_" + Sha256Hex(material).substr(0, 24);
}

uint64_t EvidenceIdKey(std::string_view id) {
  if (id.size() != 27 || !id.starts_with("ev_")) return Fnv1a64(id);
  uint64_t v = 0;
  for (size_t i = 3; i < 19; ++i) {
    const char c = id[i];
    if (c >= '0' && c <= '9')
      v = (v << 4) | static_cast<uint64_t>(c - '0');
    else if (c >= 'a' && c <= 'f')
      v = (v << 4) | static_cast<uint64_t>(c - 'a' + 10);
    else
      return Fnv1a64(id);
  }
  return v;
}

void AppendEvidenceLine(std::string& out, const SourceSpec& source, const EvidenceDraft& d,
                        std::string_view id, int64_t line_offset, std::string_view recorded_at) {
  {
    JsonObjectWriter w(out);
    w.Str("schema", "evidence.v1").Str("id", id).Str("kind", d.kind).Str("day", d.day);
    w.Str("subject", d.subject).Raw("payload", d.payload);
    std::string& p = w.Key("provenance");
    JsonObjectWriter pw(p);
    pw.Str("source", source.name).Int("line_offset", line_offset);
    pw.Str("transform", source.transform).Str("recorded_at", recorded_at);
  }
  out += '\n';
}

std::string DayPath(std::string_view day) {
  std::string p(day);
  for (char& c : p)
    if (c == '-') c = '/';
  return p;
}

}  // namespace lakehouse::distill
