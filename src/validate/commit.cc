#include "validate/commit.h"

#include <fmt/format.h>

#include "core/clock.h"
#include "core/fields.h"
#include "storage/kb_log.h"
#include "validate/iterate.h"

namespace lakehouse {
namespace {

// Ids a client chooses (fill_id) go into URLs, logs and SQL: letters, digits and _.:-.
Status CheckId(const char* field, const std::string& id) {
  const bool ok = !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':' ||
           c == '-';
  });
  if (ok) return Status::OK();
  return Status::InvalidArgument(
      fmt::format("field '{}' must be 1..128 letters, digits or _.:- characters", field));
}

Result<CommitOrigin> ParseOrigin(const Json& body) {
  CommitOrigin o;
  LH_ASSIGN_OR_RETURN(auto run_id, OptionalString(body, "run_id"));
  if (run_id) o.run_id = *run_id;
  LH_ASSIGN_OR_RETURN(auto source, OptionalString(body, "source"));
  if (source) o.source = *source;
  LH_RETURN_IF_ERROR(CheckLabel("source", o.source, 64));
  return o;
}

// The fields every commit line starts and ends with.
Json LineHead(KbSource source, const char* id_field, const std::string& id,
              const std::string& request_id, const std::string& order_id) {
  Json line = Json::object();
  line["schema"] = KbSchema(source);
  line[id_field] = id;
  line["at"] = FormatRfc3339Millis(SystemClock::Get().NowMillis());
  line["request_id"] = request_id;
  line["order_id"] = order_id;
  return line;
}

Result<CommitOutcome> Record(const CommitDeps& d, KbSource kb_source, Json line,
                             CommitOutcome outcome, const CommitOrigin& origin,
                             const std::string& order_id, PathwayStep step) {
  line["run_id"] = origin.run_id;
  line["source"] = origin.source;
  line["valid"] = outcome.verdict.valid();
  line["errors"] = outcome.verdict.ErrorsJson();
  if (d.kb != nullptr) d.kb->Append(kb_source, line);
  if (outcome.verdict.valid() && d.steps != nullptr)
    LH_RETURN_IF_ERROR(d.steps->RecordStep(order_id, step));
  return outcome;
}

}  // namespace

Json CommitOutcome::ToJson() const {
  Json out = Json::object();
  out[id_field] = id;
  out["valid"] = verdict.valid();
  out["errors"] = verdict.ErrorsJson();
  if (in_ledger) {
    out["replayed"] = replayed;
    Json rows = Json::array();
    for (const LedgerRow& r : placements) rows.push_back(r.ToJson());
    out["placements"] = std::move(rows);
  }
  return out;
}

Result<FillCommit> ParseFillCommit(const Json& body) {
  FillCommit f;
  LH_ASSIGN_OR_RETURN(f.order_id, RequiredString(body, "order_id"));
  auto ids = body.find("worker_ids");
  if (ids == body.end() || !ids->is_array())
    return Status::InvalidArgument("field 'worker_ids' must be an array of worker ids");
  f.worker_ids = *ids;
  LH_ASSIGN_OR_RETURN(f.origin, ParseOrigin(body));
  LH_ASSIGN_OR_RETURN(auto fill_id, OptionalString(body, "fill_id"));
  if (fill_id) {
    LH_RETURN_IF_ERROR(CheckId("fill_id", *fill_id));
    f.fill_id = *fill_id;
  }
  return f;
}

Result<FillChange> ParseFillChange(const std::string& fill_id, const Json& body) {
  FillChange c;
  c.fill_id = fill_id;
  LH_ASSIGN_OR_RETURN(std::string status, RequiredString(body, "status"));
  if (status != "cancelled" && status != "ended")
    return Status::InvalidArgument(
        fmt::format("field 'status' must be \"cancelled\" or \"ended\", not \"{}\"", status));
  c.to = ParseFillStatus(status);
  LH_ASSIGN_OR_RETURN(c.reason, RequiredString(body, "reason"));
  LH_RETURN_IF_ERROR(CheckText("reason", c.reason, 2000));
  LH_ASSIGN_OR_RETURN(auto source, OptionalString(body, "source"));
  if (source) c.source = *source;
  LH_RETURN_IF_ERROR(CheckLabel("source", c.source, 64));
  if (auto w = body.find("worker_ids"); w != body.end() && !w->is_null()) {
    if (!w->is_array()) return Status::InvalidArgument("field 'worker_ids' must be an array");
    for (const auto& x : *w) {
      if (!x.is_string())
        return Status::InvalidArgument("field 'worker_ids' must hold worker id strings");
      c.worker_ids.push_back(x.get<std::string>());
    }
  }
  LH_ASSIGN_OR_RETURN(auto ended_on, OptionalString(body, "ended_on"));
  if (ended_on) {
    if (c.to != FillStatus::kEnded)
      return Status::InvalidArgument("field 'ended_on' goes with status \"ended\" only");
    auto ms = ParseRfc3339Millis(*ended_on);
    if (!ms || ended_on->size() != 10)
      return Status::InvalidArgument("field 'ended_on' must be a date YYYY-MM-DD");
    c.ended_on = static_cast<int32_t>(*ms / 86400000);
  }
  return c;
}

Result<EmailCommit> ParseEmailCommit(const Json& body) {
  EmailCommit e;
  LH_ASSIGN_OR_RETURN(e.order_id, RequiredString(body, "order_id"));
  LH_ASSIGN_OR_RETURN(e.worker_id, RequiredString(body, "worker_id"));
  LH_ASSIGN_OR_RETURN(e.origin, ParseOrigin(body));
  auto field = [&](const char* k) { return body.contains(k) ? body[k] : Json(nullptr); };
  e.to = field("to");
  e.subject = field("subject");
  e.body = field("body");
  return e;
}

Result<CommitOutcome> CommitFill(const CommitDeps& d, const FillCommit& fill,
                                 const std::string& request_id) {
  LH_ASSIGN_OR_RETURN(auto roster, d.roster->Require());
  CommitOutcome outcome{"fil_" + request_id, {}, "fill_id"};
  const OrderRecord* order = roster->FindOrder(fill.order_id);
  // The _kb line (valid or not) and, for a valid fill, the order's `filled` step.
  auto record = [&](const CommitOutcome& o) {
    Json line = LineHead(KbSource::kFills, "fill_id", o.id, request_id, fill.order_id);
    line["worker_ids"] = fill.worker_ids;
    line["order"] = order ? OrderJson(*order) : Json(nullptr);
    PathwayStep step{"filled", Json{{"fill_id", o.id}, {"worker_ids", fill.worker_ids}},
                     fill.origin.source, request_id};
    return Record(d, KbSource::kFills, std::move(line), o, fill.origin, fill.order_id,
                  std::move(step))
        .status();
  };
  if (d.ledger == nullptr) {
    if (!fill.fill_id.empty()) outcome.id = fill.fill_id;
    outcome.verdict = d.validators->Fill(
        *roster, Json{{"order_id", fill.order_id}, {"worker_ids", fill.worker_ids}});
    LH_RETURN_IF_ERROR(record(outcome));
    return outcome;
  }
  FillProposal p{fill.order_id,
                 fill.worker_ids,
                 fill.origin.source,
                 request_id,
                 fill.origin.run_id.is_string() ? fill.origin.run_id.get<std::string>() : "",
                 fill.fill_id,
                 fill.idempotency_key};
  CommitOutcome recorded{"", {}, "fill_id"};
  auto also = [&](const std::vector<LedgerRow>& rows) {
    recorded.id = rows.empty() ? outcome.id : rows.front().fill_id;
    return record(recorded);  // a valid verdict: no errors
  };
  LH_ASSIGN_OR_RETURN(LedgerCommit c, d.ledger->Commit(*roster, *d.validators, p, also));
  outcome.id = c.fill_id;
  outcome.verdict = std::move(c.verdict);
  outcome.in_ledger = true;
  outcome.replayed = c.replayed;
  outcome.placements = std::move(c.rows);
  // A rejected proposal is evidence too; a retry was recorded the first time.
  if (!outcome.verdict.valid()) LH_RETURN_IF_ERROR(record(outcome));
  return outcome;
}

Result<std::vector<LedgerRow>> ChangeFill(const CommitDeps& d, const FillChange& change) {
  if (d.ledger == nullptr) return Status::Unavailable("the fills ledger is not open here");
  auto also = [&](const std::vector<LedgerRow>& rows) -> Status {
    const LedgerRow& first = rows.front();
    Json workers = Json::array();
    for (const LedgerRow& r : rows) workers.push_back(r.worker_id);
    Json line =
        LineHead(KbSource::kFills, "fill_id", change.fill_id, change.request_id, first.order_id);
    line["op"] = change.to == FillStatus::kEnded ? "end" : "cancel";
    line["worker_ids"] = workers;
    line["status"] = FillStatusName(change.to);
    line["reason"] = change.reason;
    line["ended_on"] = first.ToJson()["ended_on"];
    CommitOutcome recorded{change.fill_id, {}, "fill_id"};
    CommitOrigin origin;
    origin.source = change.source;
    PathwayStep step{
        change.to == FillStatus::kEnded ? "ended" : "cancelled",
        Json{{"fill_id", change.fill_id}, {"worker_ids", workers}, {"reason", change.reason}},
        change.source, change.request_id};
    return Record(d, KbSource::kFills, std::move(line), std::move(recorded), origin, first.order_id,
                  std::move(step))
        .status();
  };
  return d.ledger->Change(change, also);
}

Result<CommitOutcome> CommitEmail(const CommitDeps& d, const EmailCommit& email,
                                  const std::string& request_id) {
  LH_ASSIGN_OR_RETURN(auto roster, d.roster->Require());
  const Json payload{{"to", email.to},
                     {"subject", email.subject},
                     {"body", email.body},
                     {"worker_id", email.worker_id},
                     {"order_id", email.order_id}};
  CommitOutcome outcome{"eml_" + request_id, d.validators->Email(*roster, payload), "email_id"};
  const OrderRecord* order = roster->FindOrder(email.order_id);
  auto worker = roster->FindWorker(email.worker_id);
  Json line = LineHead(KbSource::kEmails, "email_id", outcome.id, request_id, email.order_id);
  line["worker_id"] = email.worker_id;
  line["worker"] = worker ? WorkerJson(roster->Worker(*worker)) : Json(nullptr);
  line["order"] = order ? OrderJson(*order) : Json(nullptr);
  line["to"] = email.to;
  line["subject"] = email.subject;
  line["body"] = email.body;
  PathwayStep step{
      "emailed",
      Json{{"email_id", outcome.id}, {"worker_id", email.worker_id}, {"subject", email.subject}},
      email.origin.source, request_id};
  return Record(d, KbSource::kEmails, std::move(line), std::move(outcome), email.origin,
                email.order_id, std::move(step));
}

}  // namespace lakehouse
