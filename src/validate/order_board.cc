#include "validate/order_board.h"

#include <algorithm>
#include <charconv>

#include "core/clock.h"
#include "core/text.h"
#include "validate/iterate.h"

namespace lakehouse {
namespace {

Result<int32_t> DayParam(const std::string& name, const std::string& v) {
  auto ms = v.size() == 10 ? ParseRfc3339Millis(v) : std::nullopt;
  if (!ms)
    return Status::InvalidArgument("query parameter '" + name + "' must be a date YYYY-MM-DD");
  return static_cast<int32_t>(*ms / 86400000);
}

Result<int64_t> IntParam(const std::string& name, const std::string& v, int64_t lo, int64_t hi) {
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size() || n < lo || n > hi)
    return Status::InvalidArgument(
        fmt::format("query parameter '{}' must be an integer {}..{}", name, lo, hi));
  return n;
}

std::optional<Urgency> ParseUrgency(std::string_view s) {
  for (Urgency u : {Urgency::kUrgent, Urgency::kUpcoming, Urgency::kLapsed, Urgency::kNone})
    if (UrgencyName(u) == s) return u;
  return std::nullopt;
}

Urgency UrgencyOf(const OrderRecord& o, int64_t open_slots, int32_t today) {
  if (open_slots <= 0 || EqualsIgnoreCase(o.status, "cancelled")) return Urgency::kNone;
  if (o.end_day < today) return Urgency::kLapsed;
  return o.start_day <= today + kUrgentDays ? Urgency::kUrgent : Urgency::kUpcoming;
}

}  // namespace

std::string_view UrgencyName(Urgency u) {
  switch (u) {
    case Urgency::kUrgent:
      return "urgent";
    case Urgency::kUpcoming:
      return "upcoming";
    case Urgency::kLapsed:
      return "lapsed";
    case Urgency::kNone:
      return "none";
  }
  return "none";
}

Result<OrderQuery> ParseOrderQuery(const std::map<std::string, std::string>& query, int32_t today) {
  OrderQuery q;
  q.today = today;
  for (const auto& [name, v] : query) {
    if (name == "role")
      q.role = v;
    else if (name == "state")
      q.state = v;
    else if (name == "city")
      q.city = v;
    else if (name == "status")
      q.status = v;
    else if (name == "q")
      q.text = AsciiLower(v);
    else if (name == "from") {
      LH_ASSIGN_OR_RETURN(q.from_day, DayParam(name, v));
    } else if (name == "to") {
      LH_ASSIGN_OR_RETURN(q.to_day, DayParam(name, v));
    } else if (name == "today") {
      LH_ASSIGN_OR_RETURN(q.today, DayParam(name, v));
    } else if (name == "urgency") {
      q.urgency = ParseUrgency(v);
      if (!q.urgency)
        return Status::InvalidArgument(
            "query parameter 'urgency' must be urgent, upcoming, lapsed or none, not '" + v + "'");
    } else if (name == "open") {
      if (v != "true" && v != "false")
        return Status::InvalidArgument("query parameter 'open' must be true or false");
      q.open_only = v == "true";
    } else if (name == "sort") {
      if (v != "urgency" && v != "start" && v != "order_id")
        return Status::InvalidArgument(
            "query parameter 'sort' must be urgency, start or order_id, not '" + v + "'");
      q.sort = v;
    } else if (name == "limit") {
      LH_ASSIGN_OR_RETURN(q.limit, IntParam(name, v, 1, 1000));
    } else if (name == "offset") {
      LH_ASSIGN_OR_RETURN(q.offset, IntParam(name, v, 0, INT32_MAX));
    }
  }
  if (q.from_day && q.to_day && *q.from_day > *q.to_day)
    return Status::InvalidArgument("query parameter 'from' is after 'to'");
  return q;
}

BoardRow BoardRowOf(const Roster& roster, const OrderRecord& order, int32_t today) {
  BoardRow r;
  r.order = &order;
  r.filled = roster.FilledCount(order.order_id);
  r.open_slots = std::max<int64_t>(0, order.headcount - r.filled);
  r.urgency = UrgencyOf(order, r.open_slots, today);
  return r;
}

Json BoardRow::ToJson(int32_t today) const {
  Json j = OrderJson(*order);
  j["client_id"] = order->client_id;
  j["filled"] = filled;
  j["open_slots"] = open_slots;
  j["days_to_start"] = order->start_day - today;
  j["urgency"] = UrgencyName(urgency);
  return j;
}

OrderBoard BuildOrderBoard(const Roster& roster, const OrderQuery& q) {
  OrderBoard board;
  std::vector<BoardRow> match;
  for (const OrderRecord& o : roster.orders()) {
    board.roles[o.role]++;
    board.states[o.state]++;
    board.statuses[o.status]++;
    if (!q.role.empty() && !EqualsIgnoreCase(o.role, q.role)) continue;
    if (!q.state.empty() && !EqualsIgnoreCase(o.state, q.state)) continue;
    if (!q.city.empty() && !EqualsIgnoreCase(o.city, q.city)) continue;
    if (!q.status.empty() && !EqualsIgnoreCase(o.status, q.status)) continue;
    if (q.from_day && o.end_day < *q.from_day) continue;
    if (q.to_day && o.start_day > *q.to_day) continue;
    if (!q.text.empty() && !ContainsIgnoreCase(o.order_id, q.text) &&
        !ContainsIgnoreCase(o.client_name, q.text) && !ContainsIgnoreCase(o.role, q.text) &&
        !ContainsIgnoreCase(o.city, q.text) && !ContainsIgnoreCase(o.state, q.text))
      continue;
    BoardRow r = BoardRowOf(roster, o, q.today);
    if (q.open_only && r.open_slots == 0) continue;
    board.urgencies[r.urgency]++;
    if (q.urgency && r.urgency != *q.urgency) continue;
    match.push_back(r);
  }
  auto by_id = [](const BoardRow& a, const BoardRow& b) {
    return a.order->order_id < b.order->order_id;
  };
  auto by_start = [&](const BoardRow& a, const BoardRow& b) {
    if (a.order->start_day != b.order->start_day) return a.order->start_day < b.order->start_day;
    if (a.open_slots != b.open_slots) return a.open_slots > b.open_slots;
    return by_id(a, b);
  };
  auto by_urgency = [&](const BoardRow& a, const BoardRow& b) {
    if (a.urgency != b.urgency) return a.urgency < b.urgency;
    return by_start(a, b);
  };
  board.total = static_cast<int64_t>(match.size());
  const size_t begin = std::min(match.size(), static_cast<size_t>(q.offset));
  const size_t end = std::min(match.size(), begin + static_cast<size_t>(q.limit));
  // Only the page is sorted in full: partial_sort of [0, end) then the page is [begin, end).
  auto sort_page = [&](auto cmp) {
    std::partial_sort(match.begin(), match.begin() + static_cast<ptrdiff_t>(end), match.end(), cmp);
  };
  if (q.sort == "order_id")
    sort_page(by_id);
  else if (q.sort == "start")
    sort_page(by_start);
  else
    sort_page(by_urgency);
  board.rows.assign(match.begin() + static_cast<ptrdiff_t>(begin),
                    match.begin() + static_cast<ptrdiff_t>(end));
  return board;
}

Json OrderBoard::ToJson(const OrderQuery& q) const {
  Json orders = Json::array();
  for (const BoardRow& r : rows) orders.push_back(r.ToJson(q.today));
  auto counts = [](const std::map<std::string, int64_t>& m) {
    Json out = Json::array();
    for (const auto& [value, n] : m) out.push_back(Json{{"value", value}, {"count", n}});
    return out;
  };
  Json urgency = Json::object();
  for (Urgency u : {Urgency::kUrgent, Urgency::kUpcoming, Urgency::kLapsed, Urgency::kNone}) {
    auto it = urgencies.find(u);
    urgency[std::string(UrgencyName(u))] = it == urgencies.end() ? 0 : it->second;
  }
  return Json{
      {"total", total},
      {"offset", q.offset},
      {"limit", q.limit},
      {"today", FormatDate(CivilFromDays(q.today))},
      {"orders", std::move(orders)},
      {"urgency", std::move(urgency)},
      {"facets",
       Json{{"roles", counts(roles)}, {"states", counts(states)}, {"statuses", counts(statuses)}}}};
}

}  // namespace lakehouse
