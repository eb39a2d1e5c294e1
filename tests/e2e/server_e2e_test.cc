// End-to-end: the real server on a loopback port, real HTTP, real DuckDB, real files.
#include <fstream>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace lakehouse {
namespace {

using testing::HttpClient;
using testing::TestServer;

class ServerE2ETest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new TestServer(2000, 200); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static TestServer* server_;
};
TestServer* ServerE2ETest::server_ = nullptr;

TEST_F(ServerE2ETest, HealthReadyAndMetrics) {
  HttpClient c = server_->Client();
  auto h = c.Get("/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.json()["status"], "ok");
  auto r = c.Get("/readyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["ready"], true);
  EXPECT_EQ(r.json()["datasets"], 4);
  auto m = c.Get("/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.headers["content-type"].find("text/plain"), std::string::npos);
  EXPECT_NE(m.body.find(
                "lakehouse_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}"),
            std::string::npos);
  EXPECT_NE(m.body.find("lakehouse_http_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(m.body.find("lakehouse_http_requests_in_flight"), std::string::npos);
  auto ui = c.Get("/");
  EXPECT_EQ(ui.status, 200);
  EXPECT_NE(ui.body.find("<title>Lakehouse</title>"), std::string::npos);
}

// /metrics names the build and carries the standard process_* metrics, and Prometheus's own
// linter (promtool, from Debian's prometheus package, put in third_party/ by scripts/setup.sh)
// accepts it.
TEST_F(ServerE2ETest, MetricsPassPromtool) {
  HttpClient c = server_->Client();
  c.Get("/v1/datasets");
  const std::string metrics = c.Get("/metrics").body;
  EXPECT_NE(metrics.find("lakehouse_build_info{version=\""), std::string::npos);
  EXPECT_NE(metrics.find("duckdb=\"v1.4.4\""), std::string::npos);
  for (const char* m : {"process_cpu_seconds_total ", "process_resident_memory_bytes ",
                        "process_virtual_memory_bytes ", "process_start_time_seconds ",
                        "process_open_fds ", "process_max_fds "})
    EXPECT_NE(metrics.find(std::string("\n") + m), std::string::npos) << m;
  EXPECT_NE(metrics.find("# TYPE process_cpu_seconds_total counter"), std::string::npos);
  testing::TempDir dir;
  const std::string path = dir.str() + "/metrics.txt";
  std::ofstream(path) << metrics;
  const std::string cmd = std::string(LAKEHOUSE_SOURCE_DIR) +
                          "/third_party/prometheus/promtool check metrics < " + path + " > " +
                          path + ".out 2>&1";
  const int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << "promtool check metrics: " << testing::ReadFile(path + ".out")
                   << " (promtool is put in third_party/prometheus by scripts/setup.sh)";
}

// The console: every screen's deep link answers the page (with its security headers), the
// assets are served from the binary with an ETag and gzip, and nothing else is an asset.
TEST_F(ServerE2ETest, ConsolePagesAndAssets) {
  HttpClient c = server_->Client();
  for (const char* path : {"/ui/orders", "/ui/orders/O000001", "/ui/workers/W0000001", "/ui/search",
                           "/ui/data", "/ui/operations", "/ui"}) {
    auto r = c.Get(path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_NE(r.body.find("<title>Lakehouse</title>"), std::string::npos) << path;
    EXPECT_NE(r.headers["content-security-policy"].find("script-src 'self'"), std::string::npos);
    EXPECT_NE(r.headers["content-security-policy"].find("frame-ancestors 'none'"),
              std::string::npos);
    EXPECT_EQ(r.headers["x-content-type-options"], "nosniff");
  }
  auto js = c.Get("/ui/assets/app.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.headers["content-type"], "text/javascript; charset=utf-8");
  EXPECT_NE(js.body.find("import"), std::string::npos);
  const std::string etag = js.headers["etag"];
  ASSERT_FALSE(etag.empty());
  auto again = c.Request("GET", "/ui/assets/app.js", "", {{"if-none-match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  auto gz = c.Request("GET", "/ui/assets/uplot.js", "", {{"accept-encoding", "gzip, br"}});
  EXPECT_EQ(gz.status, 200);
  EXPECT_EQ(gz.headers["content-encoding"], "gzip");
  ASSERT_GE(gz.body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(gz.body[0]), 0x1f);  // gzip's magic bytes
  EXPECT_EQ(static_cast<unsigned char>(gz.body[1]), 0x8b);
  EXPECT_LT(gz.body.size(), c.Get("/ui/assets/uplot.js").body.size() / 2);
  EXPECT_EQ(c.Get("/ui/assets/nope.js").status, 404);
  EXPECT_EQ(c.Get("/ui/assets/index.html").status, 404);  // the page only at its routes
  EXPECT_EQ(c.Get("/ui/nothing").status, 404);
}

// The observer's chart series: one point per step over the window, the newest last.
TEST_F(ServerE2ETest, ObserverSeries) {
  HttpClient c = server_->Client();
  for (int i = 0; i < 3; ++i) c.Get("/v1/datasets");
  c.Get("/v1/datasets/nope");
  for (const auto& [window, step] :
       std::vector<std::pair<std::string, int>>{{"1m", 1}, {"15m", 15}, {"1h", 60}}) {
    auto r = c.Get("/v1/observer/series?window=" + window);
    ASSERT_EQ(r.status, 200) << r.body;
    const Json j = r.json();
    EXPECT_EQ(j["step_seconds"], step);
    ASSERT_EQ(j["points"].size(), 60u);
    EXPECT_LT(j["points"][0]["t"].get<int64_t>(), j["points"][59]["t"].get<int64_t>());
  }
  // The observer sees requests a moment after they are answered.
  int64_t requests = 0, client_errors = 0;
  for (int attempt = 0; attempt < 100 && client_errors == 0; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    requests = client_errors = 0;
    const Json series = c.Get("/v1/observer/series?window=1h").json();
    for (const Json& p : series["points"]) {
      requests += p["requests"].get<int64_t>();
      client_errors += p["client_errors"].get<int64_t>();
    }
  }
  EXPECT_GE(requests, 4);
  EXPECT_GE(client_errors, 1);
}

// X-Request-Id is echoed when the client sends one and generated otherwise.
TEST_F(ServerE2ETest, RequestIds) {
  HttpClient c = server_->Client();
  auto a = c.Request("GET", "/healthz", "", {{"x-request-id", "abc-123"}});
  EXPECT_EQ(a.headers["x-request-id"], "abc-123");
  auto b = c.Get("/healthz");
  auto d = c.Get("/healthz");
  EXPECT_FALSE(b.headers["x-request-id"].empty());
  EXPECT_NE(b.headers["x-request-id"], d.headers["x-request-id"]);
}

TEST_F(ServerE2ETest, SqlOverHttp) {
  HttpClient c = server_->Client();
  auto r =
      c.PostJson("/v1/sql", {{"sql", "SELECT count(*) AS n FROM workers WHERE status = 'active'"}});
  ASSERT_EQ(r.status, 200) << r.body;
  Json j = r.json();
  EXPECT_EQ(j["columns"][0]["name"], "n");
  EXPECT_GT(j["rows"][0][0].get<int64_t>(), 1700);
  EXPECT_EQ(j["row_count"], 1);
  EXPECT_EQ(j["truncated"], false);
  EXPECT_TRUE(j["elapsed_ms"].is_number());
  auto t = c.PostJson("/v1/sql", {{"sql", "SELECT worker_id FROM workers"}, {"limit", 5}});
  EXPECT_EQ(t.json()["row_count"], 5);
  EXPECT_EQ(t.json()["truncated"], true);
}

TEST_F(ServerE2ETest, SqlErrors) {
  HttpClient c = server_->Client();
  auto forbidden = c.PostJson("/v1/sql", {{"sql", "COPY workers TO '/tmp/out.csv'"}});
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_EQ(forbidden.json()["error"]["code"], "permission_denied");
  auto passwd = c.PostJson("/v1/sql", {{"sql", "SELECT * FROM read_csv('/etc/passwd')"}});
  EXPECT_EQ(passwd.status, 403);
  auto attach = c.PostJson("/v1/sql", {{"sql", "ATTACH '/tmp/x.db'"}});
  EXPECT_EQ(attach.status, 403);
  auto install = c.PostJson("/v1/sql", {{"sql", "INSTALL httpfs"}});
  EXPECT_EQ(install.status, 403);
  auto bad_json = c.Request("POST", "/v1/sql", "{\"sql\":", {{"content-type", "application/json"}});
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(bad_json.json()["error"]["code"], "invalid_argument");
  auto missing = c.PostJson("/v1/sql", Json::object());
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.json()["error"]["message"], "field 'sql' is required");
  auto bad_limit = c.PostJson("/v1/sql", {{"sql", "SELECT 1"}, {"limit", 0}});
  EXPECT_EQ(bad_limit.status, 400);
  auto syntax = c.PostJson("/v1/sql", {{"sql", "SELEC 1"}});
  EXPECT_EQ(syntax.status, 400);
}

TEST_F(ServerE2ETest, UnknownRoutesAndMethods) {
  HttpClient c = server_->Client();
  auto nf = c.Get("/v1/nope");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.json()["error"]["code"], "not_found");
  auto na = c.Request("DELETE", "/v1/sql");
  EXPECT_EQ(na.status, 405);
  EXPECT_EQ(na.headers["allow"], "POST");
  EXPECT_EQ(na.json()["error"]["code"], "method_not_allowed");
  // The connection is still usable after errors (keep-alive).
  EXPECT_EQ(c.Get("/healthz").status, 200);
}

TEST_F(ServerE2ETest, DatasetsOverHttp) {
  HttpClient c = server_->Client();
  auto list = c.Get("/v1/datasets");
  ASSERT_EQ(list.status, 200);
  std::vector<std::string> names;
  const Json body = list.json();
  for (const auto& d : body["datasets"]) names.push_back(d["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"clients", "fills", "job_orders", "workers"}));
  auto one = c.Get("/v1/datasets/workers");
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.json()["current_version"], 1);
  EXPECT_EQ(one.json()["versions"][0]["row_count"], 2000);
  EXPECT_EQ(c.Get("/v1/datasets/nope").status, 404);
  EXPECT_EQ(c.Get("/v1/datasets/BAD..name").status, 400);
}

TEST_F(ServerE2ETest, IngestOverHttp) {
  HttpClient c = server_->Client();
  auto r = c.Request(
      "POST", "/v1/datasets/notes/ingest?filename=notes.csv",
      "worker_id,note,score\nW0000001,reliable,5\nW0000002,late twice,two\nW0000003,great,4\n",
      {{"content-type", "text/csv"}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json()["version"], 1);
  EXPECT_EQ(r.json()["rows_ingested"], 3);  // new dataset: 'two' makes score a VARCHAR column
  auto r2 = c.Request(
      "POST", "/v1/datasets/notes/ingest?format=jsonl",
      "{\"worker_id\":\"W0000004\",\"note\":\"ok\",\"score\":\"3\"}\n{\"worker_id\":5}\n");
  ASSERT_EQ(r2.status, 201) << r2.body;
  EXPECT_EQ(r2.json()["version"], 2);
  EXPECT_EQ(r2.json()["rows_ingested"], 1);
  EXPECT_EQ(r2.json()["rows_quarantined"], 1);
  EXPECT_TRUE(r2.json()["quarantine"].get<std::string>().starts_with("_quarantine/"));
  auto q = c.PostJson("/v1/sql", {{"sql", "SELECT count(*) FROM notes"}});
  ASSERT_EQ(q.status, 200) << q.body;
  EXPECT_EQ(q.json()["rows"][0][0], 1);
  auto old = c.PostJson("/v1/sql", {{"sql", "SELECT count(*) FROM \"notes@v1\""}});
  EXPECT_EQ(old.json()["rows"][0][0], 3);
  auto media =
      c.Request("POST", "/v1/datasets/notes/ingest", "x", {{"content-type", "application/xml"}});
  EXPECT_EQ(media.status, 415);
  auto name = c.Request("POST", "/v1/datasets/Bad-Name/ingest?format=csv", "a\n1\n");
  EXPECT_EQ(name.status, 400);
}

// A slow query runs on the worker pool: health checks keep answering meanwhile.
TEST_F(ServerE2ETest, SlowQueryDoesNotBlockOtherRequests) {
  auto slow = std::async(std::launch::async, [&] {
    HttpClient c = server_->Client();
    return c.PostJson("/v1/sql",
                      {{"sql", "SELECT count(*) FROM range(600000000) t WHERE t.range % 11 = 1"}});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  HttpClient c = server_->Client();
  for (int i = 0; i < 20; ++i) EXPECT_EQ(c.Get("/healthz").status, 200);
  EXPECT_EQ(slow.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout)
      << "the slow query finished before the health checks: make it slower";
  slow.wait();
}

TEST(ServerLimitsTest, BodyOverLimitIs413AndQueryTimeoutIs504) {
  TestServer server(0, 0, 42, [](Config& c) {
    c.max_body_bytes = 4096;
    c.sql_timeout_ms = 300;
  });
  HttpClient c = server.Client();
  auto big =
      c.Request("POST", "/v1/sql", std::string(10000, ' '), {{"content-type", "application/json"}});
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.json()["error"]["code"], "payload_too_large");
  HttpClient c2 = server.Client();
  auto slow = c2.PostJson(
      "/v1/sql", {{"sql", "SELECT count(*) FROM range(100000000000) t WHERE t.range % 7 = 1"}});
  EXPECT_EQ(slow.status, 504);
  EXPECT_EQ(slow.json()["error"]["code"], "deadline_exceeded");
}

// Stop waits for in-flight requests: a query running when shutdown starts still answers.
TEST(ServerShutdownTest, InFlightRequestsFinish) {
  auto server =
      std::make_unique<TestServer>(0, 0, 42, [](Config& c) { c.shutdown_grace_ms = 20000; });
  const int port = server->port();
  auto inflight = std::async(std::launch::async, [port] {
    HttpClient c(port);
    return c.PostJson("/v1/sql",
                      {{"sql", "SELECT count(*) FROM range(150000000) t WHERE t.range % 3 = 1"}});
  });
  // Stop once the query is being served (the /metrics request itself is the other one).
  HttpClient probe(port);
  for (int i = 0; i < 600; ++i) {
    if (probe.Get("/metrics").body.find("lakehouse_http_requests_in_flight 2\n") !=
        std::string::npos)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  server->app().Stop();
  auto r = inflight.get();
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_THROW(HttpClient c(port), std::exception);  // no longer listening
}

// A client that connected before shutdown began and sends its request just after gets its
// answer, not a closed connection; one that never sends does not hold the shutdown for the
// whole grace period.
TEST(ServerShutdownTest, ConnectionsOpenedBeforeStopAreServed) {
  auto server =
      std::make_unique<TestServer>(0, 0, 42, [](Config& c) { c.shutdown_grace_ms = 60000; });
  const int port = server->port();
  HttpClient late(port);
  HttpClient silent(port);
  auto stopped = std::async(std::launch::async, [&server] {
    const auto begun = std::chrono::steady_clock::now();
    server->app().Stop();
    return std::chrono::steady_clock::now() - begun;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto r = late.Get("/healthz");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["connection"], "close");
  // The silent connection is let go after the first-request window (1 s), far from 60 s.
  EXPECT_LT(stopped.get(), std::chrono::seconds(30));
}

}  // namespace
}  // namespace lakehouse
