// Regression tests for what an adversarial run broke (issue 18): each fails without its fix.
// Real server on loopback, real files, real DuckDB; a full disk is a real kernel limit
// (RLIMIT_FSIZE: writes past it fail with EFBIG, as a full disk fails with ENOSPC).
#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/machine.h"
#include "journal/journal.h"
#include "query/query_engine.h"
#include "server/services.h"
#include "support/test_support.h"
#include "vector/vector_store.h"

namespace lakehouse {
namespace {

using testing::HttpClient;
using testing::HttpResult;
using testing::TempDir;
using testing::TestServer;

// Writes past `bytes` fail (EFBIG) for this process until the guard is destroyed.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    std::signal(SIGXFSZ, SIG_IGN);  // the default action would kill the test
    getrlimit(RLIMIT_FSIZE, &saved_);
    rlimit r = saved_;
    r.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &r);
  }
  ~FileSizeLimit() { setrlimit(RLIMIT_FSIZE, &saved_); }

 private:
  rlimit saved_{};
};

std::string BigCsv(int rows) {
  std::string csv = "id,name\n";
  for (int i = 0; i < rows; ++i) csv += fmt::format("{},n{}\n", i, i);
  return csv;
}

HttpResult Ingest(HttpClient& c, const std::string& name, const std::string& body,
                  const std::string& type = "text/csv") {
  return c.Request("POST", "/v1/datasets/" + name + "/ingest", body, {{"content-type", type}});
}

Json Sql(HttpClient& c, const std::string& sql) {
  auto r = c.PostJson("/v1/sql", {{"sql", sql}});
  EXPECT_EQ(r.status, 200) << sql << ": " << r.body;
  return r.status == 200 ? r.json() : Json();
}

// 1. A body over 1 MiB sent with Content-Length was a 400 "body limit exceeded" (Beast's
// default request limit, applied while reading the header). Property over sizes around
// both limits: only bodies over the route's limit are refused, always with 413.
TEST(Hardening, BodiesOverOneMebibyteWithContentLengthAreRead) {
  TestServer server(0, 0, 42, [](Config& c) { c.max_body_bytes = 3 << 20; });
  HttpClient c = server.Client();
  const std::string csv = BigCsv(100000);  // ~1.4 MB, as in the report
  ASSERT_GT(csv.size(), 1u << 20);
  auto r = Ingest(c, "big", csv);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json()["rows_ingested"], 100000);
  for (size_t size : {(1u << 20) - 1, 1u << 20, (1u << 20) + 1, 2u << 20, (3u << 20) + 1}) {
    HttpClient k = server.Client();
    // A JSON body of `size` bytes: {"sql":"SELECT 1 --xxxx..."}
    std::string body = R"({"sql":"SELECT 1 --)";
    body += std::string(size - body.size() - 2, 'x');
    body += "\"}";
    ASSERT_EQ(body.size(), size);
    auto q = k.Request("POST", "/v1/sql", body, {{"content-type", "application/json"}});
    if (size > (3u << 20)) {
      EXPECT_EQ(q.status, 413) << size;
    } else {
      EXPECT_EQ(q.status, 200) << size << ": " << q.body.substr(0, 200);
    }
  }
}

// 2. An infinite timestamp in a CSV landed and then made every query of the dataset a 500.
TEST(Hardening, InfiniteTimestampsInADatasetStayQueryable) {
  TestServer server;
  HttpClient c = server.Client();
  auto r = Ingest(c, "shifts",
                  "id,starts,ends\n1,2026-12-01 08:00:00,2026-12-01 17:00:00\n"
                  "2,-infinity,infinity\n");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json()["columns"][2]["type"].get<std::string>().rfind("TIMESTAMP", 0), 0u) << r.body;
  Json rows = Sql(c, "SELECT id, starts, ends FROM shifts ORDER BY id")["rows"];
  EXPECT_EQ(rows, Json::parse(R"([[1,"2026-12-01T08:00:00","2026-12-01T17:00:00"],)"
                              R"([2,"-infinity","infinity"]])"));
  EXPECT_EQ(Sql(c, "SELECT 'infinity'::DATE, ['-infinity'::TIMESTAMP]")["rows"],
            Json::parse(R"([["infinity",["-infinity"]]])"));
}

// 3. Events acknowledged by POST /v1/journal/events were lost by a kill -9 and their seqs
// given to other events. With a 10 s group-commit window (the old code acknowledged
// before it), every acknowledged seq must still name its event after the crash.
TEST(Hardening, AcknowledgedJournalSeqsSurviveKillNine) {
  TempDir root;
  std::unique_ptr<TestServer> server;
  std::unique_ptr<HttpClient> client;
  // The child reports each acknowledged event's seq through a file (written after the ack).
  const std::string acks = (root.path() / "acks.txt").string();
  const int last = testing::KillDuringWrites(
      [&](int i) {
        if (!server) {
          server = std::make_unique<TestServer>(0, 0, 42, [&](Config& c) {
            c.root = (root.path() / "data").string();
            c.journal_flush_interval_ms = 10000;
          });
          client = std::make_unique<HttpClient>(server->port());
        }
        auto r = client->PostJson(
            "/v1/journal/events",
            {{"events",
              Json::array({{{"type", "tool.sync"}, {"subject", fmt::format("n{}", i)}}})}});
        if (r.status != 200 || r.json()["durable"] != true) return false;
        std::ofstream(acks, std::ios::app) << i << ' ' << r.json()["last_seq"] << '\n';
        return true;
      },
      std::chrono::milliseconds(300), 5);
  ASSERT_GE(last, 4) << "the child made no progress, or died";
  JournalOptions o;
  o.dir = (root.path() / "data" / "journal").string();
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  std::ifstream in(acks);
  int i = 0;
  uint64_t seq = 0, max_seq = 0;
  int checked = 0;
  while (in >> i >> seq) {
    JournalQuery q;
    q.after_seq = seq - 1;
    q.limit = 1;
    auto events = (*j)->Read(q);
    ASSERT_TRUE(events.ok());
    ASSERT_EQ(events->size(), 1u) << "acknowledged seq " << seq << " is gone";
    EXPECT_EQ((*events)[0].seq, seq);
    EXPECT_EQ((*events)[0].subject, fmt::format("n{}", i)) << "seq " << seq << " names another";
    max_seq = std::max(max_seq, seq);
    ++checked;
  }
  EXPECT_GE(checked, 5);
  JournalEvent e;
  e.type = "after";
  EXPECT_GT((*j)->Append(e), max_seq);
}

// 3b. Readers see only durable events: what a reader saw, a crash cannot take back.
TEST(Hardening, JournalReadersSeeOnlyDurableEvents) {
  TempDir dir;
  JournalOptions o;
  o.dir = dir.str();
  o.flush_interval_ms = 10000;
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok());
  JournalEvent e;
  e.type = "t";
  const uint64_t seq = (*j)->Append(e);
  JournalQuery q;
  EXPECT_TRUE((*j)->Read(q)->empty()) << "a reader saw seq " << seq << " before it was durable";
  EXPECT_TRUE((*j)->Follow(q, std::chrono::milliseconds(50))->empty());
  EXPECT_EQ((*j)->durable_seq(), 0u);
  ASSERT_TRUE((*j)->Sync().ok());
  auto events = (*j)->Read(q);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].seq, seq);
}

// 4. The deadline holds for a statement DuckDB cannot interrupt (one huge scalar), and
// answers are capped in bytes; the memory limit defaults to a share of the machine.
TEST(Hardening, SqlDeadlineHoldsAndAnswersAreCappedInBytes) {
  TestServer server(0, 0, 42, [](Config& c) {
    c.sql_timeout_ms = 1000;
    c.sql_max_answer_bytes = 64 << 10;
    c.sql_pool_size = 2;
  });
  HttpClient c = server.Client();
  const auto start = std::chrono::steady_clock::now();
  auto slow = c.PostJson("/v1/sql", {{"sql", "SELECT length(repeat('x', 600000000))"}});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(slow.status, 504) << slow.body;
  EXPECT_LT(took, std::chrono::milliseconds(4000)) << "the answer waited for the statement";
  // The pool still answers meanwhile (the abandoned statement's connection was replaced).
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Sql(c, "SELECT 42")["rows"], Json::parse("[[42]]"));

  auto huge = c.PostJson("/v1/sql", {{"sql", "SELECT repeat('x', 1000000)"}});
  EXPECT_EQ(huge.status, 413) << huge.body.substr(0, 300);
  EXPECT_NE(huge.body.find("max_answer_bytes"), std::string::npos);
  Json many = Sql(c, "SELECT repeat('y', 1000) FROM range(1000)");
  EXPECT_EQ(many["truncated"], true);
  EXPECT_EQ(many["truncated_by"], "bytes");
  EXPECT_LT(many["row_count"].get<int64_t>(), 1000);
  EXPECT_GT(many["row_count"].get<int64_t>(), 10);

  // Not DuckDB's 80% of RAM: 30% of the machine (or the container) for queries.
  Json limit = Sql(c, "SELECT current_setting('memory_limit')")["rows"][0][0];
  ASSERT_TRUE(limit.is_string());
  const std::string text = limit.get<std::string>();
  double amount = std::stod(text);
  if (text.find("GiB") != std::string::npos) amount *= 1024.0 * 1024 * 1024;
  if (text.find("MiB") != std::string::npos) amount *= 1024.0 * 1024;
  EXPECT_LT(amount, 0.45 * static_cast<double>(MachineMemoryBytes())) << text;
}

// 4b. setseed() in one request changed a pooled connection's random state for the next.
TEST(Hardening, SetseedDoesNotLeakIntoThePool) {
  TestServer server(0, 0, 42, [](Config& c) { c.sql_pool_size = 1; });
  HttpClient c = server.Client();
  Sql(c, "SELECT setseed(0.25)");
  const Json a = Sql(c, "SELECT random()")["rows"];
  Sql(c, "SELECT setseed(0.25)");
  const Json b = Sql(c, "SELECT random()")["rows"];
  EXPECT_NE(a, b) << "random() after another request's setseed is predictable";
}

// 5. Slow queries held every worker thread: a memory write waited, queued queries
// answered 504 late. Now SQL has its own pool, a full queue is a 503 with Retry-After,
// and time spent queued counts against the deadline.
TEST(Hardening, SlowQueriesDoNotStarveOtherRoutes) {
  TestServer server(50, 5, 42, [](Config& c) {
    c.query_threads = 2;
    c.queue_depth = 1;
    c.sql_timeout_ms = 2500;
  });
  const std::string slow_sql = "SELECT count(*) FROM range(100000000000) t WHERE t.range % 7 = 1";
  std::vector<std::future<HttpResult>> slow;
  for (int i = 0; i < 4; ++i) {
    slow.push_back(std::async(std::launch::async, [&] {
      HttpClient k = server.Client();
      return k.PostJson("/v1/sql", {{"sql", slow_sql}});
    }));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  HttpClient c = server.Client();
  auto write = c.PostJson(
      "/v1/memory",
      {{"subject", "worker:W0000007"}, {"text", "prefers nights"}, {"source", "coordinator"}});
  EXPECT_EQ(write.status, 201) << write.body;
  int running = 0;
  for (auto& f : slow)
    running += f.wait_for(std::chrono::milliseconds(0)) == std::future_status::timeout;
  EXPECT_GE(running, 2) << "the memory write waited for the slow queries";
  int busy = 0, late = 0;
  for (auto& f : slow) {
    HttpResult r = f.get();
    if (r.status == 503) {
      ++busy;
      EXPECT_EQ(r.headers["retry-after"], "1");
    } else {
      EXPECT_EQ(r.status, 504) << r.body;
      ++late;
    }
  }
  EXPECT_EQ(busy, 1) << "two run, one waits, the fourth is refused";
  EXPECT_EQ(late, 3);
}

// 6. On a full disk a 20-item upsert answered 500 and 18 items were there after restart.
TEST(Hardening, AFailedUpsertBatchLeavesNothing) {
  TempDir dir;
  IndexSpec spec;
  spec.name = "notes";
  spec.dims = 4;
  auto item = [](int i) {
    VectorItem it;
    it.id = fmt::format("item-{}", i);
    it.vector = {1.0f + static_cast<float>(i), 2, 3, 4};
    it.payload = Json{{"text", std::string(200, 'p')}};
    return it;
  };
  {
    auto store = VectorStore::Open(dir.str());
    ASSERT_TRUE(store.ok());
    auto index = (*store)->Create(spec);
    ASSERT_TRUE(index.ok());
    std::vector<VectorItem> first;
    for (int i = 0; i < 5; ++i) first.push_back(item(i));
    ASSERT_TRUE((*index)->Upsert(first).ok());
    const auto log = std::filesystem::path(dir.str()) / "notes" / "store.log";
    const auto size = std::filesystem::file_size(log);
    std::vector<VectorItem> batch;
    for (int i = 5; i < 25; ++i) batch.push_back(item(i));
    {
      FileSizeLimit full(size + 2000);  // room for a few of the 20 records, not all
      Status st = (*index)->Upsert(batch);
      EXPECT_FALSE(st.ok());
      EXPECT_EQ(st.code(), ErrorCode::kInsufficientStorage) << st.ToString();
    }
    EXPECT_EQ((*index)->Count(), 5u);
    EXPECT_EQ(std::filesystem::file_size(log), size) << "the partial append was not cut back";
  }
  auto reopened = VectorStore::Open(dir.str());
  ASSERT_TRUE(reopened.ok());
  auto index = (*reopened)->Get("notes");
  ASSERT_TRUE(index.ok());
  EXPECT_EQ((*index)->Count(), 5u) << "part of the failed batch came back after a restart";
}

// 7. Ingest on a full disk answered 400; error answers carried absolute server paths.
TEST(Hardening, IngestOnAFullDiskIsInsufficientStorageWithoutServerPaths) {
  TestServer server;
  HttpClient c = server.Client();
  // Small enough for the kernel to take the whole body before the server answers (the
  // answer comes as soon as staging fails), bigger than the "disk".
  const std::string csv = BigCsv(8000);
  HttpResult r;
  {
    FileSizeLimit full(32 << 10);
    r = Ingest(c, "big", csv);
  }
  EXPECT_EQ(r.status, 507) << r.body;
  EXPECT_EQ(r.json()["error"]["code"], "insufficient_storage");
  const std::string root = std::filesystem::absolute(server.root().path()).string();
  EXPECT_EQ(r.body.find(root), std::string::npos) << r.body;
  // The dataset was not created, and the disk being fine again, the same upload lands
  // (on a new connection: the 507 closed that one).
  HttpClient k = server.Client();
  EXPECT_EQ(k.Get("/v1/datasets/big").status, 404);
  EXPECT_EQ(Ingest(k, "big", csv).status, 201);
  // A missing part file: the IO error names it relative to the root.
  for (const auto& f : std::filesystem::recursive_directory_iterator(server.root().path())) {
    if (f.path().extension() == ".parquet" && f.path().string().find("/big/") != std::string::npos)
      std::filesystem::remove(f.path());
  }
  auto broken = k.PostJson("/v1/sql", {{"sql", "SELECT count(*) FROM big"}});
  EXPECT_GE(broken.status, 400);
  EXPECT_EQ(broken.body.find(root), std::string::npos) << broken.body;
  EXPECT_NE(broken.body.find("<root>"), std::string::npos) << broken.body;
  // Nor in what DuckDB's catalog shows (each view's read_parquet paths).
  auto views =
      k.PostJson("/v1/sql", {{"sql", "SELECT sql FROM duckdb_views() WHERE NOT internal"}});
  EXPECT_EQ(views.status, 200) << views.body;
  EXPECT_EQ(views.body.find(root), std::string::npos) << views.body;
  EXPECT_NE(views.body.find("<root>/datasets/"), std::string::npos) << views.body;
}

// 7. Vectors: zero and denormal vectors in a cosine index scored null; ids holding '/'
// could be stored but never fetched or deleted.
TEST(Hardening, CosineRefusesZeroVectorsAndIdsWithSlashesRoundTrip) {
  TestServer server;
  HttpClient c = server.Client();
  ASSERT_EQ(c.PostJson("/v1/indexes", {{"name", "v"}, {"dims", 3}}).status, 201);
  for (const Json& vec : {Json::array({0.0, 0.0, 0.0}), Json::array({1e-30, 1e-30, 0.0})}) {
    auto r = c.PostJson("/v1/indexes/v/upsert",
                        {{"items", Json::array({{{"id", "z"}, {"vector", vec}}})}});
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("zero (or denormal)"), std::string::npos) << r.body;
    auto s = c.PostJson("/v1/indexes/v/search", {{"vector", vec}});
    EXPECT_EQ(s.status, 400) << s.body;
  }
  auto up = c.PostJson("/v1/indexes/v/upsert",
                       {{"items", Json::array({{{"id", "a/b c"}, {"vector", {1, 0, 0}}}})}});
  ASSERT_EQ(up.status, 200) << up.body;
  auto got = c.Get("/v1/indexes/v/items/a%2Fb%20c");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.json()["id"], "a/b c");
  auto search = c.PostJson("/v1/indexes/v/search", {{"vector", {1, 0.1, 0}}});
  EXPECT_TRUE(search.json()["results"][0]["score"].is_number());
  EXPECT_EQ(c.Request("DELETE", "/v1/indexes/v/items/a%2Fb%20c").status, 200);
  EXPECT_EQ(c.Get("/v1/indexes/v/items/a%2Fb%20c").status, 404);
}

// 7. Dataset names could shadow DuckDB's own schemas and catalog views.
TEST(Hardening, DatasetNamesCannotShadowSystemNames) {
  TestServer server;
  HttpClient c = server.Client();
  for (const char* name : {"pg_class", "information_schema", "duckdb_tables", "main", "temp"}) {
    auto r = Ingest(c, name, "a\n1\n");
    EXPECT_EQ(r.status, 400) << name << ": " << r.body;
    EXPECT_NE(r.body.find("reserved"), std::string::npos) << r.body;
  }
  EXPECT_EQ(Ingest(c, "pgx", "a\n1\n").status, 201);
}

// 7. JSONL with mixed types in one column kept the JSON quotes in the strings.
TEST(Hardening, JsonlMixedTypesLandAsPlainText) {
  TestServer server;
  HttpClient c = server.Client();
  auto r =
      Ingest(c, "mixed", "{\"v\":1}\n{\"v\":\"notnum\"}\n{\"v\":true}\n", "application/x-ndjson");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Sql(c, "SELECT v FROM mixed ORDER BY v")["rows"],
            Json::parse(R"([["1"],["notnum"],["true"]])"));
}

// 7. An unterminated quote refused the whole file near the start and folded the good rows
// after it into one quarantine record near the end; invalid UTF-8 lost its bytes.
// Property: for random files with random defects, rows in = rows landed + rows quarantined,
// and every good row lands.
TEST(Hardening, CsvQuarantineAccountsForEveryRow) {
  TestServer server;
  HttpClient c = server.Client();
  std::mt19937 rng(18);
  for (int round = 0; round < 12; ++round) {
    const int rows = 20 + static_cast<int>(rng() % 200);
    std::string csv = "id,name,score\n";
    int good = 0, bad = 0;
    for (int i = 0; i < rows; ++i) {
      switch (rng() % 12) {
        case 0:
          csv += fmt::format("{},\"unterminated {},3\n", i, i);  // a quote never closed
          ++bad;
          break;
        case 1:
          csv += fmt::format("{},bad\xff\xfe utf8,4\n", i);
          ++bad;
          break;
        case 2:
          csv += fmt::format("{},too,many,columns\n", i);
          ++bad;
          break;
        case 3:
          csv += fmt::format("{},\"quoted, with comma\",5\n", i);
          ++good;
          break;
        default:
          csv += fmt::format("{},name{},{}\n", i, i, i % 10);
          ++good;
      }
    }
    const std::string name = fmt::format("acct{}", round);
    auto r = Ingest(c, name, csv);
    ASSERT_EQ(r.status, 201) << "round " << round << ": " << r.body;
    const Json rep = r.json();
    EXPECT_EQ(rep["rows_read"], rows) << round;
    EXPECT_EQ(rep["rows_ingested"].get<int64_t>() + rep["rows_quarantined"].get<int64_t>(), rows)
        << round << ": " << rep.dump();
    EXPECT_EQ(rep["rows_ingested"], good) << round << ": " << rep.dump();
    EXPECT_EQ(rep["rows_quarantined"], bad) << round;
  }
  // Invalid UTF-8 is quarantined byte for byte.
  auto r = Ingest(c, "utf", "id,name\n1,ok\n2,caf\xe9\n");
  ASSERT_EQ(r.status, 201) << r.body;
  bool found = false;
  for (const auto& f : std::filesystem::recursive_directory_iterator(server.root().path())) {
    if (f.path().filename() != "utf.jsonl") continue;
    std::ifstream in(f.path());
    std::string line;
    while (std::getline(in, line)) {
      Json rec = Json::parse(line);
      EXPECT_EQ(rec["raw_encoding"], "base64");
      EXPECT_EQ(rec["raw"], "MixjYWbp");  // base64 of "2,caf\xe9"
      EXPECT_EQ(rec["line_offset"], 2);
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

// 8. While the workers index was being built, retrieve answered 404 "does not exist".
TEST(Hardening, AnIndexBeingBuiltAnswers503WithRetryAfter) {
  TestServer server;
  server.app().services().vectors->BeginBuild("workers",
                                              [] { return std::string("indexing 10/20 workers"); });
  HttpClient c = server.Client();
  auto r = c.PostJson("/v1/matrix/retrieve", {{"query", "forklift operator"}});
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.headers["retry-after"], "1");
  EXPECT_NE(r.body.find("being built (indexing 10/20 workers)"), std::string::npos) << r.body;
  auto s = c.PostJson("/v1/indexes/workers/search", {{"text", "forklift"}});
  EXPECT_EQ(s.status, 503) << s.body;
  server.app().services().vectors->EndBuild("workers");
  EXPECT_EQ(c.PostJson("/v1/indexes/workers/search", {{"text", "forklift"}}).status, 404);
}

}  // namespace
}  // namespace lakehouse
