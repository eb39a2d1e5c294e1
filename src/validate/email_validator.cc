// src/validate/email_validator.cc: the Email validator (validators.h).
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
#include "validate/validator_checks.h"
#include "validate/validators.h"

namespace lakehouse {

using namespace textscan;
using namespace validator_checks;

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
  // Outreach goes to workers who can be placed: never to one on the do-not-return list,
  // nor to one who is not active (the Fill validator refuses both too).
  if (w && w->status == WorkerStatus::kDnr) {
    Add(e, ErrorKind::kPolicy, "worker_id",
        fmt::format("worker {} is on the do-not-return list: no outreach", w->worker_id));
  } else if (w && w->status != WorkerStatus::kActive) {
    Add(e, ErrorKind::kPolicy, "worker_id",
        fmt::format("worker {} is {}, not active: no outreach", w->worker_id,
                    WorkerStatusName(w->status)));
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

}  // namespace lakehouse
