// Tests of QueryEngine::Scan (query/scan.h): typed columns read in place from DuckDB's
// chunks, bound parameters, the same read-only rules and deadlines as /v1/sql, and values
// identical to what /v1/sql renders.
#include <gtest/gtest.h>

#include "server/services.h"
#include "staffing/generator.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

using testing::TempDir;

class ScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Services::Open(testing::TestConfig(dir_.str()), /*with_vectors=*/false);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    services_ = std::move(s).value();
    staffing::GenOptions o;
    o.workers = 3000;  // more than one 2048-row chunk
    o.orders = 20;
    ASSERT_TRUE(staffing::Generate(*services_->workspace, o).ok());
  }
  QueryEngine& q() { return *services_->query; }

  TempDir dir_;
  std::unique_ptr<Services> services_;
};

TEST_F(ScanTest, TypedValuesOfEveryKind) {
  const std::string sql =
      "SELECT 'a''b' AS s, 42::INTEGER AS i, 7::BIGINT AS b, 2.5::DOUBLE AS d, 1.25::FLOAT AS f, "
      "12.34::DECIMAL(9,2) AS dec, true AS t, DATE '2026-12-01' AS day, "
      "TIMESTAMP '2026-12-01 23:59:59' AS ts, ['x', NULL, 'y'] AS l, NULL::VARCHAR AS n, "
      "'nan'::DOUBLE AS nan, '2027-01-02' AS day_text, 'V'::ENUM('U', 'V') AS e";
  int calls = 0;
  auto r = q().Scan(sql, ScanOptions{}, [&](const ScanBatch& b) {
    ++calls;
    EXPECT_EQ(b.rows(), 1u);
    EXPECT_EQ(b.columns(), 14u);
    EXPECT_EQ(b[0].String(0), "a'b");
    EXPECT_EQ(b[1].Number(0), 42.0);
    EXPECT_EQ(b[2].Number(0), 7.0);
    EXPECT_EQ(b[3].Number(0), 2.5);
    EXPECT_EQ(b[4].Number(0), 1.25);
    EXPECT_DOUBLE_EQ(*b[5].Number(0), 12.34);
    EXPECT_TRUE(b[6].Bool(0));
    EXPECT_EQ(b[7].Day(0), DaysFromCivil(2026, 12, 1));
    EXPECT_EQ(b[8].Day(0), DaysFromCivil(2026, 12, 1));
    EXPECT_EQ(b[9].ListSize(0), 3u);
    EXPECT_EQ(b[9].StringList(0), (std::vector<std::string_view>{"x", "y"}));
    EXPECT_TRUE(b[10].IsNull(0));
    EXPECT_EQ(b[10].String(0), "");
    EXPECT_FALSE(b[11].Number(0).has_value());  // NaN is no number, as in JSON
    EXPECT_EQ(b[12].Day(0), DaysFromCivil(2027, 1, 2));
    EXPECT_EQ(b[13].String(0), "V");
    // Another type reads as nothing rather than failing.
    EXPECT_EQ(b[1].String(0), "");
    EXPECT_FALSE(b[0].Number(0).has_value());
    EXPECT_FALSE(b[1].Bool(0));
    EXPECT_TRUE(b[0].StringList(0).empty());
    EXPECT_FALSE(b[6].Day(0).has_value());
    return Status::OK();
  });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, 1);
  EXPECT_EQ(calls, 1);

  // Value() is what /v1/sql renders, for every column.
  QueryOptions qo;
  auto rendered = q().Query(sql, qo);
  ASSERT_TRUE(rendered.ok()) << rendered.status().ToString();
  const Json expected = Json::parse(rendered->rows_json)[0];
  ASSERT_TRUE(q().Scan(sql, ScanOptions{},
                       [&](const ScanBatch& b) {
                         for (size_t c = 0; c < b.columns(); ++c)
                           EXPECT_EQ(b[c].Value(0).dump(), expected[c].dump()) << "column " << c;
                         return Status::OK();
                       })
                  .ok());
}

TEST_F(ScanTest, ChunksCoverEveryRowInOrder) {
  std::vector<std::string> ids;
  size_t batches = 0;
  auto r = q().Scan("SELECT worker_id FROM workers ORDER BY worker_id", ScanOptions{},
                    [&](const ScanBatch& b) {
                      ++batches;
                      for (size_t i = 0; i < b.rows(); ++i) ids.emplace_back(b[0].String(i));
                      return Status::OK();
                    });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, 3000);
  EXPECT_GE(batches, 2u);
  ASSERT_EQ(ids.size(), 3000u);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
}

TEST_F(ScanTest, ParametersAreBoundNotPasted) {
  std::string first;
  ASSERT_TRUE(q().Scan("SELECT min(worker_id) FROM workers", ScanOptions{},
                       [&](const ScanBatch& b) {
                         first = std::string(b[0].String(0));
                         return Status::OK();
                       })
                  .ok());
  auto count = [&](const std::string& sql, std::vector<SqlParam> params) -> Result<int64_t> {
    ScanOptions o;
    o.params = std::move(params);
    int64_t n = -1;
    LH_RETURN_IF_ERROR(q().Scan(sql, o,
                                [&](const ScanBatch& b) {
                                  n = static_cast<int64_t>(*b[0].Number(0));
                                  return Status::OK();
                                })
                           .status());
    return n;
  };
  EXPECT_EQ(*count("SELECT count(*) FROM workers WHERE worker_id = $1", {first}), 1);
  // A value that would break out of a pasted string literal is just a value.
  EXPECT_EQ(*count("SELECT count(*) FROM workers WHERE worker_id = $1", {"x' OR '1'='1"}), 0);
  EXPECT_EQ(*count("SELECT count(*) FROM workers WHERE years_experience >= $1 AND available = $2",
                   {int64_t{0}, true}),
            *count("SELECT count(*) FROM workers WHERE available", {}));
  EXPECT_EQ(*count("SELECT count(*) FROM workers WHERE rating > $1", {99.5}), 0);
  EXPECT_EQ(*count("SELECT count(*) FROM workers WHERE $1 IS NULL", {nullptr}), 3000);
  // The wrong number of parameters names both counts.
  auto wrong = count("SELECT count(*) FROM workers WHERE worker_id = $1", {});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(wrong.status().message().find("1 parameters, 0 were given"), std::string::npos)
      << wrong.status().ToString();
}

TEST_F(ScanTest, SameRulesAsSql) {
  auto noop = [](const ScanBatch&) { return Status::OK(); };
  auto create = q().Scan("CREATE TABLE t AS SELECT 1", ScanOptions{}, noop);
  EXPECT_EQ(create.status().code(), ErrorCode::kPermissionDenied);
  auto file = q().Scan("SELECT * FROM read_csv('/etc/passwd')", ScanOptions{}, noop);
  EXPECT_EQ(file.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(q().Scan("SELECT 1; SELECT 2", ScanOptions{}, noop).status().code(),
            ErrorCode::kInvalidArgument);
  ScanOptions slow;
  slow.timeout = std::chrono::milliseconds(200);
  auto timed =
      q().Scan("SELECT count(*) FROM range(100000000000) a WHERE a.range % 7 = 3", slow, noop);
  EXPECT_EQ(timed.status().code(), ErrorCode::kDeadlineExceeded) << timed.status().ToString();
  // The callback's error stops the scan and is what the caller gets.
  int batches = 0;
  auto stopped = q().Scan("SELECT * FROM workers", ScanOptions{}, [&](const ScanBatch&) {
    ++batches;
    return Status::Conflict("enough");
  });
  EXPECT_EQ(stopped.status().code(), ErrorCode::kConflict);
  EXPECT_EQ(batches, 1);
  // The connection went back to the pool each time.
  EXPECT_TRUE(q().Scan("SELECT 1", ScanOptions{}, noop).ok());
}

}  // namespace
}  // namespace lakehouse
