// src/validate/order_board.h: the coordinator's view of job orders: which need people now.
//
// The console's Orders screen (and GET /v1/orders) lists the roster's job orders with how
// many workers the live fills ledger places on each, filtered and sorted by urgency. The
// roster already holds every order in memory (20k orders: a scan is ~1 ms), so the board
// is computed per request from the current Roster; nothing is cached that could go stale
// after a commit.
//
// Urgency, from the order's dates against `today` and its open slots (headcount minus the
// distinct workers the ledger places on it; the dataset's `status` column is the
// generator's or the ingester's word and may lag the ledger):
//   urgent    open slots, and the order has started or starts within kUrgentDays, and has
//             not ended
//   upcoming  open slots, starts later
//   lapsed    open slots, but the order's end date has passed
//   none      no open slots, or the order is cancelled
// Sorted by tier, then start date (sooner first), then more open slots, then order id.
//
// Thread-safety: free functions over an immutable Roster.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "validate/roster.h"

namespace lakehouse {

enum class Urgency : uint8_t { kUrgent, kUpcoming, kLapsed, kNone };
std::string_view UrgencyName(Urgency u);

//! An order starting within this many days is urgent while it has open slots.
constexpr int32_t kUrgentDays = 7;

struct OrderQuery {
  std::string role, state, city, status;    // exact (case-insensitive); "" any
  std::string text;                         // substring of id, client, role, city or state
  std::optional<int32_t> from_day, to_day;  // the order's dates overlap [from, to]
  std::optional<Urgency> urgency;           // only this tier
  bool open_only = false;                   // only orders with open slots
  std::string sort = "urgency";             // urgency | start | order_id
  int64_t limit = 50, offset = 0;
  int32_t today = 0;  // days since 1970-01-01
};

//! Parses the query string of GET /v1/orders (role, state, city, status, q, from, to, urgency,
//! open, sort, limit 1..1000, offset, today); errors name the parameter.
Result<OrderQuery> ParseOrderQuery(const std::map<std::string, std::string>& query, int32_t today);

struct BoardRow {
  const OrderRecord* order = nullptr;
  int64_t filled = 0;
  int64_t open_slots = 0;
  Urgency urgency = Urgency::kNone;
  //! The order with {client_id, filled, open_slots, days_to_start, urgency} added.
  Json ToJson(int32_t today) const;
};

struct OrderBoard {
  int64_t total = 0;  // orders matching the query (before limit/offset)
  std::vector<BoardRow> rows;
  //! Over every order: distinct values with counts, for the filter menus.
  std::map<std::string, int64_t> roles, states, statuses;
  std::map<Urgency, int64_t> urgencies;  // over the matching orders
  //! {total, offset, limit, today, orders: [...], facets: {roles, states, statuses},
  //!  urgency: {urgent, upcoming, lapsed, none}}
  Json ToJson(const OrderQuery& q) const;
};

//! One order's row on the board (its fill count from the roster's placement source).
BoardRow BoardRowOf(const Roster& roster, const OrderRecord& order, int32_t today);
OrderBoard BuildOrderBoard(const Roster& roster, const OrderQuery& q);

}  // namespace lakehouse
