// Tests of src/query/query_engine: read-only SQL over catalog views, limits, timeouts,
// and the JSON rendering of DuckDB types.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include <fmt/format.h>

#include "query/result_cache.h"
#include "query/scan.h"
#include "server/services.h"
#include "staffing/generator.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

using testing::TempDir;

class QueryEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Services::Open(testing::TestConfig(dir_.str()));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    services_ = std::move(s).value();
    staffing::GenOptions o;
    o.workers = 500;
    o.orders = 60;
    ASSERT_TRUE(staffing::Generate(*services_->workspace, o).ok());
  }
  Result<QueryResult> Run(const std::string& sql, int64_t max_rows = 1000, int timeout_ms = 30000) {
    QueryOptions o;
    o.max_rows = max_rows;
    o.timeout = std::chrono::milliseconds(timeout_ms);
    return services_->query->Query(sql, o);
  }
  Json Rows(const std::string& sql) {
    auto r = Run(sql);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
    return r.ok() ? Json::parse(r->rows_json) : Json();
  }

  TempDir dir_;
  std::unique_ptr<Services> services_;
};

TEST_F(QueryEngineTest, DatasetsAreViews) {
  EXPECT_EQ(Rows("SELECT count(*) FROM workers"), Json::parse("[[500]]"));
  EXPECT_EQ(Rows("SELECT count(*) FROM job_orders"), Json::parse("[[60]]"));
  EXPECT_EQ(Rows("SELECT count(*) FROM \"workers@v1\""), Json::parse("[[500]]"));
}

// Each write or file-touching statement is refused with 403 and says why.
// A statement that names an old version holds it against retention while it runs.
TEST_F(QueryEngineTest, AVersionNamedByARunningStatementIsInUse) {
  QueryEngine& q = *services_->query;
  EXPECT_TRUE(q.VersionsInUse("workers").empty());
  ScanOptions so;
  std::vector<int64_t> during;
  auto scanned = q.Scan("SELECT count(*) FROM \"workers@v1\" JOIN \"clients@v1\" USING (city)", so,
                        [&](const ScanBatch&) {
                          during = q.VersionsInUse("workers");
                          return Status::OK();
                        });
  ASSERT_TRUE(scanned.ok()) << scanned.status().ToString();
  EXPECT_EQ(during, std::vector<int64_t>{1});
  EXPECT_TRUE(q.VersionsInUse("workers").empty());
}

TEST_F(QueryEngineTest, WritesAndFileAccessAreForbidden) {
  const char* forbidden[] = {
      "COPY workers TO '/tmp/lakehouse-copy.csv'",
      "COPY (SELECT 1) TO 'datasets/x.csv'",
      "ATTACH '/tmp/lakehouse-attach.db' AS x",
      "INSTALL httpfs",
      "LOAD httpfs",
      "SELECT * FROM read_csv('/etc/passwd')",
      "SELECT * FROM read_text('/etc/hostname')",
      "CREATE TABLE t AS SELECT 1",
      "CREATE OR REPLACE VIEW workers AS SELECT 1",
      "DROP VIEW workers",
      "INSERT INTO workers SELECT * FROM workers",
      "SET enable_external_access = true",
      "PRAGMA threads=1",
      "EXPORT DATABASE '/tmp/lakehouse-export'",
  };
  for (const char* sql : forbidden) {
    auto r = Run(sql);
    ASSERT_FALSE(r.ok()) << sql;
    EXPECT_EQ(r.status().code(), ErrorCode::kPermissionDenied)
        << sql << ": " << r.status().ToString();
  }
  auto create = Run("CREATE TABLE t AS SELECT 1");
  EXPECT_NE(create.status().message().find("CREATE statements are not allowed"), std::string::npos);
  // The views are still intact afterwards.
  EXPECT_EQ(Rows("SELECT count(*) FROM workers"), Json::parse("[[500]]"));
}

TEST_F(QueryEngineTest, BadSqlIsInvalidArgument) {
  EXPECT_EQ(Run("SELEC 1").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Run("SELECT * FROM no_such_table").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Run("").status().code(), ErrorCode::kInvalidArgument);
  auto two = Run("SELECT 1; SELECT 2");
  EXPECT_EQ(two.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(two.status().message().find("one statement"), std::string::npos);
}

TEST_F(QueryEngineTest, RowLimitTruncates) {
  auto r = Run("SELECT worker_id FROM workers ORDER BY worker_id", 7);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->row_count, 7);
  EXPECT_TRUE(r->truncated);
  auto all = Run("SELECT worker_id FROM workers", 500);
  EXPECT_FALSE(all->truncated);
  EXPECT_EQ(all->row_count, 500);
}

// A query past its deadline is interrupted and reported as deadline_exceeded, and the
// pooled connection works afterwards.
TEST_F(QueryEngineTest, TimeoutInterruptsLongQueries) {
  auto r = Run("SELECT count(*) FROM range(100000000000) a WHERE a.range % 7 = 3", 10, 200);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kDeadlineExceeded) << r.status().ToString();
  for (int i = 0; i < 6; ++i) EXPECT_EQ(Rows("SELECT 42"), Json::parse("[[42]]"));
}

// Types render as JSON values: numbers, booleans, null, dates, lists, structs, maps.
TEST_F(QueryEngineTest, TypesRenderAsJson) {
  auto r =
      Run("SELECT 1::TINYINT a, 2::BIGINT b, 1.5::DOUBLE c, 12.34::DECIMAL(9,2) d, true e, NULL f, "
          "'x\"y' g, "
          "DATE '2026-12-01' h, TIMESTAMP '2026-12-01 08:30:00' i, ['a','b'] j, {'k': 1, 'l': "
          "[2,3]} k, "
          "MAP {'m': 1} l, 'nan'::DOUBLE m, 170141183460469231731687303715884105727::HUGEINT n, "
          "'5f0c2a1e-1b2c-4d3e-8f40-123456789abc'::UUID o, INTERVAL 3 DAY p, [1,2]::INTEGER[2] q");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(
      Json::parse(r->rows_json)[0],
      Json::parse(
          R"([1,2,1.5,12.34,true,null,"x\"y","2026-12-01","2026-12-01T08:30:00",["a","b"],)"
          R"({"k":1,"l":[2,3]},{"m":1},null,170141183460469231731687303715884105727,)"
          R"("5f0c2a1e-1b2c-4d3e-8f40-123456789abc",{"months":0,"days":3,"micros":0},[1,2]])"));
  EXPECT_EQ(r->columns[3].type, "DECIMAL(9,2)");
  EXPECT_EQ(r->columns[9].type, "VARCHAR[]");
  EXPECT_EQ(r->columns[16].type, "INTEGER[2]");
}

// Property: every temporal type renders its infinities as DuckDB's own strings, alone and
// inside lists, structs and maps, and its finite values as DuckDB prints them (ISO 8601 with
// 'T'). Regression: 'infinity'::TIMESTAMP was a 500 and 'infinity'::DATE "5881580-07-11".
TEST_F(QueryEngineTest, TemporalValuesRenderLikeDuckDBIncludingInfinities) {
  const char* types[] = {"DATE",         "TIMESTAMP",    "TIMESTAMP_S",
                         "TIMESTAMP_MS", "TIMESTAMP_NS", "TIMESTAMPTZ"};
  for (const char* type : types) {
    for (const char* inf : {"infinity", "-infinity"}) {
      const std::string v = fmt::format("'{}'::{}", inf, type);
      auto r = Run(fmt::format("SELECT {0}, [{0}, NULL], {{'at': {0}}}, MAP {{'k': {0}}}", v));
      ASSERT_TRUE(r.ok()) << v << ": " << r.status().ToString();
      const Json row = Json::parse(r->rows_json)[0];
      EXPECT_EQ(row[0], inf) << v;
      EXPECT_EQ(row[1], Json::array({inf, nullptr})) << v;
      EXPECT_EQ(row[2]["at"], inf) << v;
      EXPECT_EQ(row[3]["k"], inf) << v;
    }
  }
  // Finite values in years 1..9999, against DuckDB's own VARCHAR cast.
  std::mt19937_64 rng(18);
  std::uniform_int_distribution<int64_t> seconds(-62135596800LL, 253402300799LL);
  for (int i = 0; i < 200; ++i) {
    const int64_t s = seconds(rng);
    const int64_t micros = (i % 3 == 0) ? 0 : static_cast<int64_t>(rng() % 1000000);
    for (const char* type : {"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATE"}) {
      // TIMESTAMP_NS spans 1677..2262 only.
      const int64_t at = std::string_view(type) == "TIMESTAMP_NS" ? s % 9000000000LL : s;
      const std::string v =
          fmt::format("(make_timestamp({}::BIGINT * 1000000 + {}))::{}", at, micros, type);
      auto r = Run(fmt::format("SELECT {0}, CAST({0} AS VARCHAR)", v));
      ASSERT_TRUE(r.ok()) << v << ": " << r.status().ToString();
      const Json row = Json::parse(r->rows_json)[0];
      // Fractions compared without trailing zeros (DuckDB prints TIMESTAMP_NS with 9 digits).
      auto trim = [](std::string x) {
        if (x.find('.') == std::string::npos) return x;
        while (x.back() == '0') x.pop_back();
        if (x.back() == '.') x.pop_back();
        return x;
      };
      std::string expected = row[1].get<std::string>();
      std::replace(expected.begin(), expected.end(), ' ', 'T');
      EXPECT_EQ(trim(row[0].get<std::string>()), trim(expected)) << v;
    }
  }
  // Times of day, with and without a time zone offset.
  auto t =
      Run("SELECT TIME '08:30:00', TIME '23:59:59.123456', '12:30:00+02:00'::TIMETZ, "
          "'07:00:00-05:30'::TIMETZ");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(Json::parse(t->rows_json)[0],
            Json::parse(R"(["08:30:00","23:59:59.123456","12:30:00+02:00","07:00:00-05:30"])"));
}

TEST_F(QueryEngineTest, ResultJsonShape) {
  auto r = Run("SELECT 'a' AS x, 1 AS y");
  ASSERT_TRUE(r.ok());
  Json j = Json::parse(r->ToJsonText());
  std::vector<std::string> keys;
  for (auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"columns", "rows", "row_count", "truncated", "elapsed_ms"}));
  EXPECT_EQ(j["columns"],
            Json::parse(R"([{"name":"x","type":"VARCHAR"},{"name":"y","type":"INTEGER"}])"));
}

// Concurrent queries share the pool without interfering.
TEST_F(QueryEngineTest, ConcurrentQueries) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto r = Run("SELECT role, count(*) FROM workers GROUP BY role");
        if (r.ok() && r->row_count > 10) ok++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 80);
}

// The result cache answers a repeated statement, never across a commit, and never a
// statement whose answer changes by itself.
TEST_F(QueryEngineTest, RepeatedAnswersComeFromTheCacheUntilADatasetChanges) {
  const std::string sql = "SELECT count(*) FROM notes";
  testing::WriteFile(dir_.path() / "notes1.csv", "id,note\n1,a\n2,b\n");
  ASSERT_TRUE(services_->ingestor
                  ->Ingest("notes", IngestFormat::kCsv, (dir_.path() / "notes1.csv").string(), "t")
                  .ok());
  EXPECT_EQ(Rows(sql), Json::parse("[[2]]"));
  EXPECT_EQ(Rows(sql), Json::parse("[[2]]"));  // from the cache
  testing::WriteFile(dir_.path() / "notes2.csv", "id,note\n1,a\n2,b\n3,c\n");
  ASSERT_TRUE(services_->ingestor
                  ->Ingest("notes", IngestFormat::kCsv, (dir_.path() / "notes2.csv").string(), "t")
                  .ok());
  EXPECT_EQ(Rows(sql), Json::parse("[[3]]")) << "a cached answer outlived its version";
  // A row cap is part of the key.
  auto capped = Run("SELECT id FROM notes ORDER BY id", 1);
  ASSERT_TRUE(capped.ok());
  EXPECT_TRUE(capped->truncated);
  auto full = Run("SELECT id FROM notes ORDER BY id", 10);
  ASSERT_TRUE(full.ok());
  EXPECT_FALSE(full->truncated);
  EXPECT_EQ(full->row_count, 3);
}

TEST(ResultCache, KeepsOnlyWhatCannotChangeByItselfAndStaysInItsBudget) {
  EXPECT_TRUE(ResultCache::Cacheable("SELECT count(*) FROM workers WHERE role = 'welder'"));
  for (const char* sql : {"SELECT now()", "SELECT random()", "select CURRENT_DATE", "SELECT uuid()",
                          "SELECT * FROM duckdb_settings()"})
    EXPECT_FALSE(ResultCache::Cacheable(sql)) << sql;

  ResultCache cache(8000);  // answers up to 1000 bytes; these cost ~860 each: 9 fit
  QueryResult r;
  r.rows_json = std::string(600, 'x');
  for (int i = 0; i < 20; ++i) cache.Put("k" + std::to_string(i), r, cache.generation());
  EXPECT_EQ(cache.size(), 9u);
  EXPECT_TRUE(cache.Get("k19").has_value());  // the newest stay
  EXPECT_FALSE(cache.Get("k0").has_value());  // the oldest went
  const uint64_t before = cache.generation();
  cache.Clear();
  cache.Put("late", r, before);  // computed before the commit: not kept
  EXPECT_FALSE(cache.Get("late").has_value());
  QueryResult big;
  big.rows_json = std::string(5000, 'x');
  cache.Put("big", big, cache.generation());
  EXPECT_FALSE(cache.Get("big").has_value());
}

}  // namespace
}  // namespace lakehouse

namespace lakehouse {
namespace {

using testing::TempDir;

// An s3:// root's cache may let a part go (storage/s3_object_store.h): a statement that meets
// a missing part asks the fetch hook for it and runs once more, instead of failing.
TEST(QueryEngineFetch, AStatementThatMeetsAnEvictedPartFetchesItAndRunsAgain) {
  TempDir dir;
  auto s = Services::Open(testing::TestConfig(dir.str()));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  staffing::GenOptions o;
  o.workers = 200;
  o.orders = 20;
  ASSERT_TRUE(staffing::Generate(*(*s)->workspace, o).ok());
  const std::filesystem::path datasets = dir.path() / "datasets";
  const std::filesystem::path away = dir.path() / "evicted.parquet";
  std::vector<std::string> asked;
  QueryEngineOptions qo;
  qo.datasets_dir = std::filesystem::canonical(datasets).string();
  qo.pool_size = 2;
  qo.fetch = [&](const std::vector<std::string>& keys) {
    for (const auto& k : keys) {
      asked.push_back(k);
      std::error_code ec;
      if (std::filesystem::exists(away, ec)) std::filesystem::rename(away, dir.path() / k, ec);
    }
    return Status::OK();
  };
  auto engine = QueryEngine::Open(qo);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  ASSERT_TRUE((*engine)->Attach(*(*s)->catalog).ok());
  asked.clear();
  const auto part = datasets / "clients" / "v1" / "part-0.parquet";
  std::filesystem::rename(part, away);  // the cache let it go
  QueryOptions q;
  auto r = (*engine)->Query("SELECT count(*) FROM clients", q);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Json::parse(r->rows_json)[0][0].get<int64_t>() > 0, true);
  EXPECT_EQ(asked, std::vector<std::string>{"datasets/clients/v1/part-0.parquet"});
  EXPECT_TRUE(std::filesystem::exists(part));
}

// A live overlay's owner queues rows and the engine asks for them before any statement
// that names the dataset, cached answers included; other statements never ask.
TEST(QueryEngineLive, TheFlushHookRunsBeforeEveryStatementNamingItsDataset) {
  TempDir dir;
  QueryEngineOptions qo;
  qo.datasets_dir = dir.str();
  qo.pool_size = 2;
  qo.result_cache_bytes = 1 << 20;
  auto opened = QueryEngine::Open(qo);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  QueryEngine& engine = **opened;
  const LiveOverlay overlay{"things@live", "(id VARCHAR)",
                            [](const DatasetVersion*, const std::string&) {
                              return std::string("SELECT * FROM \"things@live\"");
                            }};
  ASSERT_TRUE(engine.SetLiveOverlay("things", overlay, nullptr).ok());
  std::vector<std::vector<LiveValue>> queued;
  int flushes = 0;
  engine.SetLiveFlush("things", [&] {
    ++flushes;
    if (queued.empty()) return Status::OK();
    Status st = engine.AppendLive("things", queued);
    queued.clear();
    return st;
  });
  auto count = [&](const std::string& sql) {
    auto r = engine.Query(sql, QueryOptions{});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? Json::parse(r->rows_json)[0][0].get<int64_t>() : -1;
  };
  queued.push_back({std::string("a")});
  EXPECT_EQ(count("SELECT count(*) FROM things"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM things"), 1);  // from the cache, still asked
  EXPECT_EQ(flushes, 2);
  queued.push_back({std::string("b")});
  EXPECT_EQ(count("SELECT count(*) FROM things"), 2);  // the cached answer was dropped
  EXPECT_EQ(count("SELECT count(*) FROM THINGS WHERE id <> 'z'"), 2);
  EXPECT_EQ(flushes, 4);
  EXPECT_EQ(count("SELECT 42"), 42);  // names no overlay: not asked
  EXPECT_EQ(flushes, 4);
  queued.push_back({std::string("c")});
  std::vector<std::string> ids;
  auto scanned =
      engine.Scan("SELECT id FROM things ORDER BY id", ScanOptions{}, [&](const ScanBatch& b) {
        for (size_t i = 0; i < b.rows(); ++i) ids.emplace_back(b[0].String(i));
        return Status::OK();
      });
  ASSERT_TRUE(scanned.ok()) << scanned.status().ToString();
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(flushes, 5);
  // Cleared: never asked again (the owner may be gone).
  engine.SetLiveFlush("things", nullptr);
  queued.push_back({std::string("d")});
  EXPECT_EQ(count("SELECT count(*) FROM things WHERE id >= 'a'"), 3);
  EXPECT_EQ(flushes, 5);
}

}  // namespace
}  // namespace lakehouse
