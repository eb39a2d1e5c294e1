// The order board (validate/order_board.h) over the hand-written roster: urgency tiers from
// dates and open slots, filters, sorts, paging and the query's errors.
#include <gtest/gtest.h>

#include "core/clock.h"
#include "validate/order_board.h"
#include "validate/roster_fixture.h"

namespace lakehouse {
namespace {

int32_t Day(int y, int m, int d) {
  return static_cast<int32_t>(DaysFromCivil(y, m, d));
}

std::vector<std::string> Ids(const OrderBoard& b) {
  std::vector<std::string> out;
  for (const auto& r : b.rows) out.push_back(r.order->order_id);
  return out;
}

OrderQuery Query(std::map<std::string, std::string> q, int32_t today) {
  auto r = ParseOrderQuery(q, today);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return *r;
}

TEST(OrderBoard, UrgencyFromDatesAndOpenSlots) {
  testing::RosterFixture f;
  // O001: open, 3 wanted, 1 placed, 2026-12-01..31; O002: its one slot filled;
  // O003: open, starts 2027-03-01.
  OrderBoard b = BuildOrderBoard(f.roster(), Query({}, Day(2026, 12, 1)));
  ASSERT_EQ(b.total, 3);
  EXPECT_EQ(Ids(b), (std::vector<std::string>{"O001", "O003", "O002"}));
  EXPECT_EQ(b.rows[0].urgency, Urgency::kUrgent);
  EXPECT_EQ(b.rows[0].filled, 1);
  EXPECT_EQ(b.rows[0].open_slots, 2);
  EXPECT_EQ(b.rows[1].urgency, Urgency::kUpcoming);
  EXPECT_EQ(b.rows[2].urgency, Urgency::kNone);
  // Within a week of its start an order is urgent; after its end it has lapsed.
  OrderBoard week = BuildOrderBoard(f.roster(), Query({}, Day(2027, 2, 22)));
  EXPECT_EQ(week.rows[0].order->order_id, "O003");
  EXPECT_EQ(week.rows[0].urgency, Urgency::kUrgent);
  EXPECT_EQ(week.rows[1].order->order_id, "O001");
  EXPECT_EQ(week.rows[1].urgency, Urgency::kLapsed);
  EXPECT_EQ(week.urgencies[Urgency::kLapsed], 1);
  const Json j = week.ToJson(Query({}, Day(2027, 2, 22)));
  EXPECT_EQ(j["orders"][0]["days_to_start"], 7);
  EXPECT_EQ(j["urgency"]["lapsed"], 1);
  EXPECT_EQ(j["facets"]["statuses"].size(), 2u);  // open, filled
}

TEST(OrderBoard, FiltersSortsAndPages) {
  testing::RosterFixture f;
  const int32_t today = Day(2026, 12, 1);
  EXPECT_EQ(Ids(BuildOrderBoard(f.roster(), Query({{"status", "OPEN"}}, today))),
            (std::vector<std::string>{"O001", "O003"}));
  EXPECT_EQ(Ids(BuildOrderBoard(f.roster(), Query({{"open", "true"}}, today))),
            (std::vector<std::string>{"O001", "O003"}));
  EXPECT_EQ(Ids(BuildOrderBoard(f.roster(), Query({{"urgency", "none"}}, today))),
            (std::vector<std::string>{"O002"}));
  EXPECT_EQ(Ids(BuildOrderBoard(f.roster(), Query({{"q", "o00"}, {"sort", "start"}}, today))),
            (std::vector<std::string>{"O002", "O001", "O003"}));
  // Dates overlap [from, to].
  EXPECT_EQ(Ids(BuildOrderBoard(f.roster(),
                                Query({{"from", "2027-01-01"}, {"sort", "order_id"}}, today))),
            (std::vector<std::string>{"O003"}));
  EXPECT_EQ(Ids(BuildOrderBoard(f.roster(), Query({{"to", "2026-11-20"}}, today))),
            (std::vector<std::string>{"O002"}));
  OrderBoard page = BuildOrderBoard(f.roster(), Query({{"limit", "1"}, {"offset", "1"}}, today));
  EXPECT_EQ(page.total, 3);
  EXPECT_EQ(Ids(page), (std::vector<std::string>{"O003"}));
  EXPECT_TRUE(BuildOrderBoard(f.roster(), Query({{"offset", "9"}}, today)).rows.empty());
  EXPECT_TRUE(BuildOrderBoard(f.roster(), Query({{"q", "nothing like it"}}, today)).rows.empty());
}

TEST(OrderBoard, BadParametersAreNamed) {
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"limit", "0"},
                                                        {"limit", "1001"},
                                                        {"offset", "-1"},
                                                        {"from", "2026-13-01"},
                                                        {"to", "tomorrow"},
                                                        {"urgency", "soon"},
                                                        {"open", "yes"},
                                                        {"sort", "pay"}}) {
    auto r = ParseOrderQuery({{name, value}}, 0);
    ASSERT_FALSE(r.ok()) << name << "=" << value;
    EXPECT_NE(r.status().message().find("'" + name + "'"), std::string::npos)
        << r.status().message();
  }
  auto inverted = ParseOrderQuery({{"from", "2026-12-02"}, {"to", "2026-12-01"}}, 0);
  EXPECT_FALSE(inverted.ok());
}

}  // namespace
}  // namespace lakehouse
