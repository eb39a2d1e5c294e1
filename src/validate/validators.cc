#include "validate/validators.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "core/clock.h"
#include "core/ids.h"
#include "core/text.h"
#include "staffing/taxonomy.h"
#include "validate/text_scan.h"

namespace lakehouse {
namespace {

using namespace textscan;

using Errors = std::vector<ValidationError>;

void Add(Errors& e, ErrorKind kind, std::string field, std::string reason) {
  e.push_back({kind, std::move(field), std::move(reason)});
}

std::string DayText(int32_t day) {
  return FormatDate(CivilFromDays(day));
}

// A required string field: absent, null or another type is a Schema error.
std::optional<std::string> RequiredText(const Json& p, const char* field, Errors& e) {
  auto it = p.find(field);
  if (it == p.end() || it->is_null()) {
    Add(e, ErrorKind::kSchema, field, "required");
    return std::nullopt;
  }
  if (!it->is_string()) {
    Add(e, ErrorKind::kSchema, field, fmt::format("expected string, got {}", JsonTypeName(*it)));
    return std::nullopt;
  }
  return it->get<std::string>();
}

}  // namespace

std::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kSchema:
      return "Schema";
    case ErrorKind::kConsistency:
      return "Consistency";
    case ErrorKind::kPolicy:
      return "Policy";
    case ErrorKind::kParse:
      return "Parse";
  }
  return "Schema";
}

Json ValidationError::ToJson() const {
  Json inner = Json::object();
  inner["field"] = field;
  inner["reason"] = reason;
  Json j = Json::object();
  j[std::string(ErrorKindName(kind))] = std::move(inner);
  return j;
}

Json Verdict::ErrorsJson() const {
  Json arr = Json::array();
  for (const auto& e : errors) arr.push_back(e.ToJson());
  return arr;
}

Json Verdict::ToJson() const {
  Json j = Json::object();
  j["valid"] = valid();
  j["errors"] = ErrorsJson();
  return j;
}

std::vector<std::string> ValidatorOptions::DefaultForbiddenPhrases() {
  return {
      "guaranteed hours", "guaranteed placement", "guaranteed job",         "no background check",
      "cash only",        "paid in cash",         "under the table",        "off the books",
      "act now",          "no questions asked",   "young and energetic",    "must be under",
      "citizens only",    "immigration status",   "green card holders only"};
}

Json ValidationKbRecord(std::string_view kind, const Json& payload, const Verdict& verdict,
                        const RosterStats& roster, std::string_view origin,
                        std::string_view request_id, std::string_view run_id, int64_t elapsed_us) {
  Json j = Json::object();
  j["schema"] = "validation.v1";
  j["id"] = "val_" + NextRequestId();
  j["at"] = FormatRfc3339Millis(SystemClock::Get().NowMillis());
  j["origin"] = origin;
  j["request_id"] = request_id;
  j["run_id"] = run_id.empty() ? Json(nullptr) : Json(run_id);
  j["kind"] = kind;
  j["payload"] = payload;
  j["valid"] = verdict.valid();
  j["errors"] = verdict.ErrorsJson();
  j["roster_versions"] = RosterVersionsJson(roster);
  j["elapsed_us"] = elapsed_us;
  return j;
}

Json RosterVersionsJson(const RosterStats& roster) {
  return Json{{"workers", roster.workers_version},
              {"job_orders", roster.job_orders_version},
              {"fills", roster.fills_version}};
}

bool IsValidatorKind(std::string_view kind) {
  return kind == "fill" || kind == "email" || kind == "playbook";
}

const std::vector<PlaybookTool>& PlaybookTools() {
  static const std::vector<PlaybookTool> tools = {
      {"retrieve", {"query"}, "search the roster and past work for candidates"},
      {"sql", {"sql"}, "run a read-only SQL query over the datasets"},
      {"propose_fill", {"order_id"}, "pick workers for the order"},
      {"validate_fill", {"order_id"}, "run the Fill validator on the proposal"},
      {"draft_email", {"order_id"}, "write outreach emails to the proposed workers"},
      {"validate_email", {"order_id"}, "run the Email validator on every draft"},
      {"send_email", {"order_id"}, "send the validated emails"},
      {"commit_fill", {"order_id"}, "record the validated fill in the ledger"},
  };
  return tools;
}

Validators::Validators(ValidatorOptions options) : options_(std::move(options)) {
  if (options_.forbidden_phrases.empty())
    options_.forbidden_phrases = ValidatorOptions::DefaultForbiddenPhrases();
  for (auto& p : options_.forbidden_phrases) p = AsciiLower(p);
}

Result<Verdict> Validators::Validate(const Roster& roster, std::string_view kind,
                                     const Json& payload) const {
  if (!IsValidatorKind(kind)) {
    return Status::InvalidArgument(
        fmt::format("unknown validator kind '{}'; expected fill, email or playbook", kind));
  }
  if (!payload.is_object()) {
    return Status::InvalidArgument(
        fmt::format("field 'payload' must be an object, got {}", JsonTypeName(payload)));
  }
  if (kind == "fill") return Fill(roster, payload);
  if (kind == "email") return Email(roster, payload);
  return Playbook(payload);
}

// ---- Fill ----

Verdict Validators::Fill(const Roster& roster, const Json& p) const {
  Verdict v;
  Errors& e = v.errors;
  auto order_id = RequiredText(p, "order_id", e);
  std::vector<std::string> ids;
  auto it = p.find("worker_ids");
  if (it == p.end() || it->is_null()) {
    Add(e, ErrorKind::kSchema, "worker_ids", "required");
  } else if (!it->is_array()) {
    Add(e, ErrorKind::kSchema, "worker_ids",
        fmt::format("expected array, got {}", JsonTypeName(*it)));
  } else if (it->empty()) {
    Add(e, ErrorKind::kSchema, "worker_ids", "must name at least one worker");
  } else {
    for (size_t i = 0; i < it->size(); ++i) {
      const Json& x = (*it)[i];
      if (!x.is_string()) {
        Add(e, ErrorKind::kSchema, fmt::format("worker_ids[{}]", i),
            fmt::format("expected string, got {}", JsonTypeName(x)));
      } else {
        ids.push_back(x.get<std::string>());
      }
    }
  }
  if (!e.empty()) return v;

  const OrderRecord* order = roster.FindOrder(*order_id);
  if (order == nullptr) {
    Add(e, ErrorKind::kConsistency, "order_id", fmt::format("unknown order {}", *order_id));
    return v;
  }
  if (order->status != "open") {
    Add(e, ErrorKind::kConsistency, "order_id",
        fmt::format("order {} is {}, not open", order->order_id, order->status));
  }
  const ShiftKind order_shift = ParseShift(order->shift);

  std::map<std::string, size_t> first_seen;
  int64_t proposed = 0, already_on_order = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string field = fmt::format("worker_ids[{}]", i);
    const std::string& id = ids[i];
    if (auto [pos, inserted] = first_seen.emplace(id, i); !inserted) {
      Add(e, ErrorKind::kSchema, field,
          fmt::format("duplicate of worker_ids[{}] ({})", pos->second, id));
      continue;
    }
    ++proposed;
    auto idx = roster.FindWorker(id);
    if (!idx) {
      Add(e, ErrorKind::kConsistency, field, fmt::format("unknown worker {}", id));
      continue;
    }
    const WorkerView w = roster.Worker(*idx);
    if (w.status == WorkerStatus::kDnr) {
      Add(e, ErrorKind::kPolicy, field, fmt::format("worker {} is on the do-not-return list", id));
    } else if (w.status != WorkerStatus::kActive) {
      Add(e, ErrorKind::kConsistency, field,
          fmt::format("worker {} is {}, not active", id, WorkerStatusName(w.status)));
    }
    if (w.role != order->role) {
      Add(e, ErrorKind::kConsistency, field,
          fmt::format("worker {} is a {}; order {} needs a {}", id, w.role, order->order_id,
                      order->role));
    }
    if (!w.available) {
      Add(e, ErrorKind::kConsistency, field, fmt::format("worker {} is not available", id));
    }
    if (w.shift != ShiftKind::kAny && w.shift != order_shift) {
      Add(e, ErrorKind::kConsistency, field,
          fmt::format("worker {} works {} shifts; the order is a {} shift", id, ShiftName(w.shift),
                      order->shift));
    }
    for (const auto& cert : order->required_certifications) {
      if (!roster.HasCertification(*idx, cert)) {
        Add(e, ErrorKind::kConsistency, field,
            fmt::format("worker {} lacks the required certification '{}'", id, cert));
      }
    }
    if (std::isnan(w.lat) || std::isnan(w.lon) || std::isnan(order->lat) ||
        std::isnan(order->lon)) {
      Add(e, ErrorKind::kConsistency, field,
          fmt::format("distance from worker {} to the order is unknown (no coordinates)", id));
    } else {
      const double miles = staffing::HaversineMiles(w.lat, w.lon, order->lat, order->lon);
      if (miles > options_.radius_miles) {
        Add(e, ErrorKind::kPolicy, field,
            fmt::format("worker {} is {:.1f} miles from the order in {}, {} (limit {:g})", id,
                        miles, order->city, order->state, options_.radius_miles));
      }
    }
    for (const FillRecord& f : roster.FillsOfWorker(*idx)) {
      if (f.order_id == order->order_id) {
        ++already_on_order;
        Add(e, ErrorKind::kConsistency, field,
            fmt::format("worker {} is already filled on order {}", id, f.order_id));
      } else if (f.start_day <= order->end_day && order->start_day <= f.end_day) {
        Add(e, ErrorKind::kConsistency, field,
            fmt::format(
                "worker {} is double-booked: on order {} from {} to {}, overlapping {} to {}", id,
                f.order_id, DayText(f.start_day), DayText(f.end_day), DayText(order->start_day),
                DayText(order->end_day)));
      }
    }
  }
  const int64_t others = roster.FilledCount(order->order_id) - already_on_order;
  if (proposed + others > order->headcount) {
    Add(e, ErrorKind::kConsistency, "worker_ids",
        others > 0
            ? fmt::format("{} workers proposed and {} already filled exceed the headcount {} "
                          "of order {}",
                          proposed, others, order->headcount, order->order_id)
            : fmt::format("{} workers proposed exceed the headcount {} of order {}", proposed,
                          order->headcount, order->order_id));
  }
  return v;
}

std::vector<FillCandidate> Validators::FillCandidates(const Roster& roster,
                                                      const OrderRecord& order) const {
  std::vector<FillCandidate> out;
  const ShiftKind shift = ParseShift(order.shift);
  if (std::isnan(order.lat) || std::isnan(order.lon)) return out;
  for (uint32_t i : roster.WorkersWithRole(order.role)) {
    if (roster.StatusOf(i) != WorkerStatus::kActive || !roster.AvailableOf(i)) continue;
    const ShiftKind ws = roster.ShiftOf(i);
    if (ws != ShiftKind::kAny && ws != shift) continue;
    const float lat = roster.LatOf(i), lon = roster.LonOf(i);
    if (std::isnan(lat) || std::isnan(lon)) continue;
    const double miles = staffing::HaversineMiles(lat, lon, order.lat, order.lon);
    if (miles > options_.radius_miles) continue;
    bool certified = true;
    for (const auto& cert : order.required_certifications)
      certified = certified && roster.HasCertification(i, cert);
    if (!certified) continue;
    bool booked = false;
    for (const FillRecord& f : roster.FillsOfWorker(i))
      booked = booked || f.order_id == order.order_id ||
               (f.start_day <= order.end_day && order.start_day <= f.end_day);
    if (booked) continue;
    out.push_back({i, miles});
  }
  std::sort(out.begin(), out.end(), [&](const FillCandidate& a, const FillCandidate& b) {
    if (a.miles != b.miles) return a.miles < b.miles;
    const float ra = roster.RatingOf(a.worker), rb = roster.RatingOf(b.worker);
    if (ra != rb) return ra > rb;
    const float la = roster.ReliabilityOf(a.worker), lb = roster.ReliabilityOf(b.worker);
    if (la != lb) return la > lb;
    return roster.WorkerIdOf(a.worker) < roster.WorkerIdOf(b.worker);
  });
  return out;
}

// ---- Email ----

Verdict Validators::Email(const Roster& roster, const Json& p) const {
  Verdict v;
  Errors& e = v.errors;
  auto to = RequiredText(p, "to", e);
  auto subject = RequiredText(p, "subject", e);
  auto body = RequiredText(p, "body", e);
  auto worker_id = RequiredText(p, "worker_id", e);
  auto order_id = RequiredText(p, "order_id", e);
  if (to && !ValidEmailSyntax(*to)) Add(e, ErrorKind::kSchema, "to", "not a valid email address");
  if (subject && subject->empty()) Add(e, ErrorKind::kSchema, "subject", "must not be empty");
  if (body && body->empty()) Add(e, ErrorKind::kSchema, "body", "must not be empty");
  if (!e.empty()) return v;

  std::optional<uint32_t> widx = roster.FindWorker(*worker_id);
  if (!widx)
    Add(e, ErrorKind::kConsistency, "worker_id", fmt::format("unknown worker {}", *worker_id));
  const OrderRecord* order = roster.FindOrder(*order_id);
  if (order == nullptr)
    Add(e, ErrorKind::kConsistency, "order_id", fmt::format("unknown order {}", *order_id));
  std::optional<WorkerView> w;
  if (widx) w = roster.Worker(*widx);
  if (w && !EqualsIgnoreCase(*to, w->email)) {
    Add(e, ErrorKind::kConsistency, "to",
        fmt::format("{} is not the roster email of worker {}", *to, w->worker_id));
  }

  // Length limits.
  if (subject->size() > options_.subject_max_chars) {
    Add(e, ErrorKind::kPolicy, "subject",
        fmt::format("{} characters; the limit is {}", subject->size(), options_.subject_max_chars));
  }
  if (body->size() < options_.body_min_chars || body->size() > options_.body_max_chars) {
    Add(e, ErrorKind::kPolicy, "body",
        fmt::format("{} characters; it must be {} to {}", body->size(), options_.body_min_chars,
                    options_.body_max_chars));
  }
  // Placeholders.
  for (auto [field, text] :
       {std::pair<const char*, const std::string*>{"subject", &*subject}, {"body", &*body}}) {
    if (auto ph = PlaceholderIn(*text)) {
      Add(e, ErrorKind::kPolicy, field, fmt::format("unfilled placeholder '{}'", *ph));
    }
  }
  const std::string text = *subject + "\n" + *body;
  const std::string lower = AsciiLower(text);
  // Forbidden phrases.
  for (const auto& phrase : options_.forbidden_phrases) {
    if (lower.find(phrase) != std::string::npos)
      Add(e, ErrorKind::kPolicy, "body", fmt::format("forbidden phrase '{}'", phrase));
  }
  // PII of other workers.
  std::set<std::string> reported;
  for (const std::string& addr : EmailsIn(text)) {
    auto other = roster.WorkerByEmail(addr);
    if (other && (!widx || *other != *widx) && reported.insert(addr).second) {
      Add(e, ErrorKind::kPolicy, "body",
          fmt::format("contains the email address of another worker ({})", addr));
    }
  }
  for (uint64_t phone : PhonesIn(text)) {
    for (uint32_t other : roster.WorkersByPhone(phone)) {
      if (widx && other == *widx) continue;
      if (reported.insert(std::to_string(phone)).second) {
        Add(e, ErrorKind::kPolicy, "body",
            fmt::format("contains the phone number of another worker ({})",
                        roster.Worker(other).worker_id));
      }
      break;
    }
  }
  const auto words = WordsIn(text);
  for (size_t k = 0; k + 1 < words.size(); ++k) {
    const Word& a = words[k];
    const Word& b = words[k + 1];
    if (!std::isupper(static_cast<unsigned char>(a.text[0])) ||
        !std::isupper(static_cast<unsigned char>(b.text[0])))
      continue;
    const std::string_view gap = std::string_view(text).substr(a.end, b.begin - a.end);
    if (gap.empty() || gap.find_first_not_of(' ') != std::string_view::npos) continue;
    if (w && EqualsIgnoreCase(a.text, w->first_name) && EqualsIgnoreCase(b.text, w->last_name))
      continue;
    if (roster.IsWorkerName(a.text, b.text)) {
      const std::string name = fmt::format("{} {}", a.text, b.text);
      if (reported.insert(name).second) {
        Add(e, ErrorKind::kPolicy, "body",
            fmt::format("contains the name of another roster worker ('{}')", name));
      }
    }
  }
  // Agreement with the order.
  if (order != nullptr) {
    for (const std::string& s : ShiftsIn(lower)) {
      if (s != order->shift) {
        Add(e, ErrorKind::kConsistency, "body",
            fmt::format("mentions a {} shift; order {} is a {} shift", s, order->order_id,
                        order->shift));
      }
    }
    const CivilDate start = CivilFromDays(order->start_day), end = CivilFromDays(order->end_day);
    for (const MentionedDate& d : DatesIn(text)) {
      auto same = [&](const CivilDate& c) {
        return d.month == static_cast<int>(c.month) && d.day == static_cast<int>(c.day) &&
               (d.year == 0 || d.year == c.year);
      };
      if (!same(start) && !same(end)) {
        Add(e, ErrorKind::kConsistency, "body",
            fmt::format("mentions the date '{}'; order {} starts {}", d.text, order->order_id,
                        DayText(order->start_day)));
      }
    }
    for (const Money& m : HourlyAmountsIn(text)) {
      if (std::fabs(m.value - order->pay_rate) > 0.005) {
        Add(e, ErrorKind::kConsistency, "body",
            fmt::format("mentions pay of {}; order {} pays ${:.2f}/hr", m.text, order->order_id,
                        order->pay_rate));
      }
    }
    for (const auto& city : staffing::Cities()) {
      if (city.name == order->city || order->city.find(city.name) != std::string::npos) continue;
      if (w && w->city.find(city.name) != std::string_view::npos) continue;
      if (ContainsWord(text, city.name) && reported.insert(std::string(city.name)).second) {
        Add(e, ErrorKind::kConsistency, "body",
            fmt::format("mentions {}; order {} is in {}, {}", city.name, order->order_id,
                        order->city, order->state));
      }
    }
  }
  return v;
}

// ---- Playbook ----

Verdict Validators::Playbook(const Json& p) const {
  Verdict v;
  Errors& e = v.errors;
  auto name = RequiredText(p, "name", e);
  auto role = RequiredText(p, "role", e);
  if (name && name->empty()) Add(e, ErrorKind::kSchema, "name", "must not be empty");
  if (role && staffing::FindRole(*role) == nullptr) {
    Add(e, ErrorKind::kConsistency, "role", fmt::format("unknown role '{}'", *role));
  }
  auto it = p.find("steps");
  if (it == p.end() || it->is_null()) {
    Add(e, ErrorKind::kSchema, "steps", "required");
    return v;
  }
  if (!it->is_array()) {
    Add(e, ErrorKind::kSchema, "steps", fmt::format("expected array, got {}", JsonTypeName(*it)));
    return v;
  }
  if (it->empty()) Add(e, ErrorKind::kSchema, "steps", "must have at least one step");
  if (it->size() > options_.playbook_max_steps) {
    Add(e, ErrorKind::kPolicy, "steps",
        fmt::format("{} steps; the limit is {}", it->size(), options_.playbook_max_steps));
  }
  std::map<std::string_view, long> last;  // tool -> index of its latest occurrence
  auto seen_after = [&](std::string_view tool, long after) {
    auto f = last.find(tool);
    return f != last.end() && f->second > after;
  };
  auto latest = [&](std::string_view tool) {
    auto f = last.find(tool);
    return f == last.end() ? -1L : f->second;
  };
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& step = (*it)[i];
    const std::string field = fmt::format("steps[{}]", i);
    if (!step.is_object()) {
      Add(e, ErrorKind::kSchema, field, fmt::format("expected object, got {}", JsonTypeName(step)));
      continue;
    }
    auto tool_it = step.find("tool");
    if (tool_it == step.end() || !tool_it->is_string()) {
      Add(e, ErrorKind::kSchema, field + ".tool",
          tool_it == step.end() ? "required"
                                : fmt::format("expected string, got {}", JsonTypeName(*tool_it)));
      continue;
    }
    const std::string tool_name = tool_it->get<std::string>();
    const PlaybookTool* tool = nullptr;
    for (const auto& t : PlaybookTools())
      if (t.name == tool_name) tool = &t;
    if (tool == nullptr) {
      std::string known;
      for (const auto& t : PlaybookTools())
        known += (known.empty() ? "" : ", ") + std::string(t.name);
      Add(e, ErrorKind::kSchema, field + ".tool",
          fmt::format("unknown tool '{}'; known tools: {}", tool_name, known));
      continue;
    }
    auto args = step.find("args");
    if (args == step.end() || !args->is_object()) {
      Add(e, ErrorKind::kSchema, field + ".args",
          args == step.end() ? "required"
                             : fmt::format("expected object, got {}", JsonTypeName(*args)));
    } else {
      for (std::string_view arg : tool->required_args) {
        auto a = args->find(std::string(arg));
        const bool present = a != args->end() &&
                             ((a->is_string() && !a->get<std::string>().empty()) || a->is_number());
        if (!present) {
          Add(e, ErrorKind::kSchema, fmt::format("{}.args.{}", field, arg),
              fmt::format("required by tool {}", tool->name));
        }
      }
    }
    // Ordering: each check comes after what it checks, and nothing is sent or committed
    // that was not validated after its latest change.
    const long here = static_cast<long>(i);
    auto order_rule = [&](std::string_view need, std::string_view after_tool, const char* why) {
      if (!seen_after(need, latest(after_tool))) {
        Add(e, ErrorKind::kPolicy, field + ".tool",
            fmt::format("{} at step {} needs {} first ({})", tool->name, here, need, why));
      }
    };
    if (tool->name == "validate_fill") order_rule("propose_fill", "", "validate what was proposed");
    if (tool->name == "commit_fill")
      order_rule("validate_fill", "propose_fill", "validate before commit");
    if (tool->name == "validate_email") order_rule("draft_email", "", "validate what was drafted");
    if (tool->name == "send_email")
      order_rule("validate_email", "draft_email", "validate before send");
    last[tool->name] = here;
  }
  return v;
}

std::string Validators::RulesText(std::string_view kind) const {
  if (kind == "fill") {
    return fmt::format(
        "Answer with one JSON object {{\"order_id\": string, \"worker_ids\": [string, ...]}}.\n"
        "A fill is valid only when:\n"
        "- the order exists and its status is open;\n"
        "- every worker_id exists in the roster and appears once;\n"
        "- every worker is active (never dnr: do-not-return), available, and has exactly the "
        "order's role;\n"
        "- every worker's shift preference is the order's shift or any;\n"
        "- every worker holds all of the order's required certifications;\n"
        "- every worker lives within {:g} miles of the order;\n"
        "- no worker is already booked in the fills ledger on dates that overlap the order;\n"
        "- the number of workers plus those already filled is at most the order's headcount.",
        options_.radius_miles);
  }
  if (kind == "email") {
    return fmt::format(
        "Answer with one JSON object {{\"to\", \"subject\", \"body\", \"worker_id\", "
        "\"order_id\"}} (all strings).\n"
        "An outreach email is valid only when:\n"
        "- `to` is the worker's roster email address;\n"
        "- the subject is at most {} characters and the body {} to {} characters;\n"
        "- it contains no placeholders such as {{{{name}}}} or [NAME]: write the real values;\n"
        "- it names no other worker and contains no other worker's email or phone;\n"
        "- any shift, date, city and hourly pay it mentions are the order's own;\n"
        "- it makes no promises or discriminatory statements (e.g. guaranteed hours, cash "
        "only, no background check).",
        options_.subject_max_chars, options_.body_min_chars, options_.body_max_chars);
  }
  std::string tools;
  for (const auto& t : PlaybookTools()) {
    std::string args;
    for (auto a : t.required_args) args += (args.empty() ? "" : ", ") + std::string(a);
    tools += fmt::format("- {} (args: {}): {}\n", t.name, args, t.purpose);
  }
  return fmt::format(
      "Answer with one JSON object {{\"name\": string, \"role\": string, \"steps\": [{{\"tool\": "
      "string, \"args\": object}}, ...]}}.\n"
      "Tools:\n{}"
      "Rules: the role is a known staffing role; 1 to {} steps; validate_fill comes after "
      "propose_fill and commit_fill after validate_fill; validate_email comes after draft_email "
      "and send_email after validate_email (validate before send).",
      tools, options_.playbook_max_steps);
}

}  // namespace lakehouse
