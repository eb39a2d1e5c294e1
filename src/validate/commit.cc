#include "validate/commit.h"

#include "core/clock.h"
#include "core/fields.h"
#include "storage/kb_log.h"
#include "validate/iterate.h"

namespace lakehouse {
namespace {

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
  return f;
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
  const Json payload{{"order_id", fill.order_id}, {"worker_ids", fill.worker_ids}};
  CommitOutcome outcome{"fil_" + request_id, d.validators->Fill(*roster, payload), "fill_id"};
  const OrderRecord* order = roster->FindOrder(fill.order_id);
  Json line = LineHead(KbSource::kFills, "fill_id", outcome.id, request_id, fill.order_id);
  line["worker_ids"] = fill.worker_ids;
  line["order"] = order ? OrderJson(*order) : Json(nullptr);
  PathwayStep step{"filled", Json{{"fill_id", outcome.id}, {"worker_ids", fill.worker_ids}},
                   fill.origin.source, request_id};
  return Record(d, KbSource::kFills, std::move(line), std::move(outcome), fill.origin,
                fill.order_id, std::move(step));
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
