// Tests of src/staffing: determinism and realistic distributions of generated data.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "server/services.h"
#include "staffing/generator.h"
#include "staffing/taxonomy.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

using testing::TempDir;

struct Generated {
  TempDir dir;
  std::unique_ptr<Services> services;
  Generated(uint64_t seed, int64_t workers = 3000, int64_t orders = 400) {
    services = std::move(Services::Open(testing::TestConfig(dir.str()))).value();
    staffing::GenOptions o;
    o.workers = workers;
    o.orders = orders;
    o.seed = seed;
    auto rep = staffing::Generate(*services->workspace, o);
    if (!rep.ok()) throw std::runtime_error(rep.status().ToString());
  }
  Json Rows(const std::string& sql) {
    auto r = services->query->Query(sql, QueryOptions{});
    if (!r.ok()) throw std::runtime_error(r.status().ToString());
    return Json::parse(r->rows_json);
  }
  // A checksum over every column of every row, independent of file layout.
  Json Checksum(const std::string& table) {
    return Rows("SELECT count(*), sum(hash(t::VARCHAR)) FROM " + table + " t");
  }
};

TEST(GeneratorTest, SameSeedSameRowsOtherSeedOtherRows) {
  Generated a(7), b(7), c(8);
  for (const char* t : {"workers", "job_orders", "clients", "fills"}) {
    EXPECT_EQ(a.Checksum(t), b.Checksum(t)) << t;
  }
  EXPECT_NE(a.Checksum("workers"), c.Checksum("workers"));
}

TEST(GeneratorTest, DistributionsLookLikeAStaffingRoster) {
  Generated g(42);
  EXPECT_EQ(
      g.Rows("SELECT count(*), count(DISTINCT worker_id), count(DISTINCT email) FROM workers"),
      Json::parse("[[3000,3000,3000]]"));
  const int64_t roles = g.Rows("SELECT count(DISTINCT role) FROM workers")[0][0];
  EXPECT_GE(roles, 38);
  const int64_t cities = g.Rows("SELECT count(DISTINCT city || state) FROM workers")[0][0];
  EXPECT_GE(cities, 150);
  // Status mix: ~93% active, a few percent inactive and dnr.
  Json status = g.Rows(
      "SELECT avg((status='active')::INT), avg((status='dnr')::INT), "
      "avg((status='inactive')::INT), "
      "avg(available::INT), min(rating), max(rating), avg(rating) FROM workers");
  EXPECT_NEAR(status[0][0].get<double>(), 0.93, 0.03);
  EXPECT_NEAR(status[0][1].get<double>(), 0.02, 0.015);
  EXPECT_NEAR(status[0][2].get<double>(), 0.05, 0.02);
  EXPECT_NEAR(status[0][3].get<double>(), 0.70, 0.04);
  EXPECT_GE(status[0][4].get<double>(), 1.0);
  EXPECT_LE(status[0][5].get<double>(), 5.0);
  EXPECT_NEAR(status[0][6].get<double>(), 4.0, 0.2);
  // Every worker's skills and certifications belong to their role.
  for (const auto& role : staffing::Roles()) {
    Json row =
        g.Rows(fmt::format("SELECT list_distinct(flatten(list(skills))), "
                           "list_distinct(flatten(list(certifications))) FROM workers "
                           "WHERE role = '{}'",
                           role.name));
    for (const auto& s : row[0][0]) {
      EXPECT_NE(std::find(role.skills.begin(), role.skills.end(), s.get<std::string>()),
                role.skills.end())
          << role.name << " has skill " << s;
    }
    for (const auto& c : row[0][1]) {
      EXPECT_NE(
          std::find(role.certifications.begin(), role.certifications.end(), c.get<std::string>()),
          role.certifications.end())
          << role.name << " has cert " << c;
    }
  }
  // Workers live near their city.
  Json far = g.Rows("SELECT max(abs(lat - round(lat, 0))) FROM workers");
  EXPECT_LE(far[0][0].get<double>(), 1.0);
}

// The fills ledger only places active workers of the order's role, each worker once,
// and never over an order's headcount.
TEST(GeneratorTest, FillsLedgerIsConsistent) {
  Generated g(42, 5000, 600);
  EXPECT_GT(g.Rows("SELECT count(*) FROM fills")[0][0].get<int64_t>(), 0);
  EXPECT_EQ(
      g.Rows(
          "SELECT count(*) FROM fills f JOIN workers w USING (worker_id) JOIN job_orders o USING "
          "(order_id) WHERE w.role <> o.role OR w.status <> 'active' OR w.city <> o.city")[0][0],
      0);
  EXPECT_EQ(g.Rows("SELECT count(*) - count(DISTINCT worker_id) FROM fills")[0][0], 0);
  EXPECT_EQ(
      g.Rows(
          "SELECT count(*) FROM (SELECT order_id, count(*) n FROM fills GROUP BY order_id) f JOIN "
          "job_orders o USING (order_id) WHERE f.n > o.headcount")[0][0],
      0);
  EXPECT_EQ(g.Rows("SELECT count(*) FROM job_orders WHERE status = 'filled' AND order_id NOT IN "
                   "(SELECT order_id "
                   "FROM fills)")[0][0],
            0);
  EXPECT_EQ(g.Rows("SELECT count(*) FROM job_orders WHERE end_date <= start_date")[0][0], 0);
}

TEST(TaxonomyTest, RolesAndCities) {
  EXPECT_GE(staffing::Roles().size(), 40u);
  EXPECT_GE(staffing::Cities().size(), 200u);
  ASSERT_NE(staffing::FindRole("forklift operator"), nullptr);
  EXPECT_EQ(staffing::FindRole("astronaut"), nullptr);
  // Dayton, OH to Columbus, OH is about 67 miles.
  EXPECT_NEAR(staffing::HaversineMiles(39.7589, -84.1916, 39.9612, -82.9988), 66.0, 3.0);
}

}  // namespace
}  // namespace lakehouse
