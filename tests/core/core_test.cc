// Tests of src/core: Status/Result, JSON helpers, clock formatting, config precedence, metrics.
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>

#include <gtest/gtest.h>

#include "core/background_thread.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/file_io.h"
#include "core/ids.h"
#include "core/json.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/status.h"
#include "core/systemd_notify.h"
#include "core/writeback.h"

namespace lakehouse {
namespace {

// Every error code maps to its documented wire name and HTTP status.
TEST(StatusTest, ErrorTableMapsCodesToWireNamesAndHttpStatuses) {
  EXPECT_EQ(Status::InvalidArgument("x").http_status(), 400);
  EXPECT_EQ(Status::PermissionDenied("x").http_status(), 403);
  EXPECT_EQ(Status::NotFound("x").http_status(), 404);
  EXPECT_EQ(Status::AlreadyExists("x").http_status(), 409);
  EXPECT_EQ(Status::PayloadTooLarge("x").http_status(), 413);
  EXPECT_EQ(Status::Unprocessable("x").http_status(), 422);
  EXPECT_EQ(Status::Unavailable("x").http_status(), 503);
  EXPECT_EQ(Status::DeadlineExceeded("x").http_status(), 504);
  EXPECT_EQ(ErrorCodeName(ErrorCode::kPermissionDenied), "permission_denied");
  EXPECT_EQ(Status::NotFound("gone").WithContext("dataset x").ToString(),
            "not_found: dataset x: gone");
  EXPECT_TRUE(Status::OK().ok());
}

Result<int> Half(int x) {
  if (x % 2 != 0) return Status::InvalidArgument("odd");
  return x / 2;
}
Result<int> Quarter(int x) {
  LH_ASSIGN_OR_RETURN(int h, Half(x));
  return Half(h);
}

// LH_ASSIGN_OR_RETURN passes values through and returns the first error.
TEST(StatusTest, ResultPropagatesValuesAndErrors) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_FALSE(Quarter(6).ok());
  EXPECT_EQ(Quarter(6).status().message(), "odd");
}

// The error envelope is exactly {"error":{"code","message"}}, keys in that order.
TEST(JsonTest, ErrorJsonHasFixedShape) {
  EXPECT_EQ(DumpJson(ErrorJson(Status::NotFound("no such dataset"))),
            R"({"error":{"code":"not_found","message":"no such dataset"}})");
}

// Bad request bodies get a message naming what was wrong.
TEST(JsonTest, ParseErrorsNameTheProblem) {
  auto r = ParseJsonObject("{bad");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("invalid JSON at byte"), std::string::npos);
  auto arr = ParseJsonObject("[1]");
  ASSERT_FALSE(arr.ok());
  EXPECT_NE(arr.status().message().find("must be a JSON object, got array"), std::string::npos);
  EXPECT_FALSE(ParseJsonObject("").ok());
  // A number out of double range is bad input too, not an exception (found by fuzzing).
  auto big = ParseJsonObject(R"({"limit": 1e999})");
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(big.status().message().find("number overflow"), std::string::npos);
}

TEST(JsonTest, TypedFieldAccessExplainsWrongTypes) {
  Json j = Json::parse(R"({"sql": 5, "limit": "x", "ok": "s"})");
  auto sql = RequiredString(j, "sql");
  ASSERT_FALSE(sql.ok());
  EXPECT_EQ(sql.status().message(), "field 'sql' must be a string, got number");
  EXPECT_EQ(RequiredString(j, "missing").status().message(), "field 'missing' is required");
  EXPECT_FALSE(OptionalInt(j, "limit").ok());
  EXPECT_FALSE(OptionalBool(j, "ok").ok());
  auto absent = OptionalInt(j, "nope");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());
}

// Escaping covers quotes, backslashes, control characters and invalid UTF-8.
TEST(JsonTest, AppendJsonEscapedProducesValidJson) {
  std::string out;
  AppendJsonEscaped(out, std::string("a\"b\\c\n\x01 é \xff end"));
  EXPECT_EQ(out, "a\\\"b\\\\c\\n\\u0001 é \xEF\xBF\xBD end");
  EXPECT_NO_THROW(Json::parse("\"" + out + "\""));
}

TEST(ClockTest, FormatsRfc3339AndCivilDates) {
  EXPECT_EQ(FormatRfc3339Millis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Millis(1795505395123), "2026-11-24T07:29:55.123Z");
  EXPECT_EQ(FormatRfc3339Millis(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(DaysFromCivil(2026, 12, 1), 20788);
  const CivilDate d = CivilFromDays(20788);
  EXPECT_EQ(FormatDate(d), "2026-12-01");
}

TEST(IdsTest, HashesAreStableAndRequestIdsUnique) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Fnv1a64(""), 1469598103934665603ULL);
  EXPECT_NE(NextRequestId(), NextRequestId());
  EXPECT_EQ(RandomHex(4).size(), 8u);
}

// Precedence: defaults < TOML < environment; unknown keys and bad values are errors.
TEST(ConfigTest, TomlThenEnvironmentOverride) {
  Config cfg;
  ASSERT_TRUE(cfg.ApplyToml("[server]\nport = 4000\nroot = \"/srv/data\"\naccess_log = "
                            "false\n[sql]\nmax_rows = 7\n",
                            "test.toml")
                  .ok());
  EXPECT_EQ(cfg.port, 4000);
  EXPECT_EQ(cfg.root, "/srv/data");
  EXPECT_FALSE(cfg.access_log);
  EXPECT_EQ(cfg.sql_max_rows, 7);
  setenv("LAKEHOUSE_PORT", "4100", 1);
  ASSERT_TRUE(cfg.ApplyEnvironment().ok());
  unsetenv("LAKEHOUSE_PORT");
  EXPECT_EQ(cfg.port, 4100);
  EXPECT_TRUE(cfg.Validate().ok());
}

TEST(ConfigTest, RejectsUnknownKeysAndBadValues) {
  Config cfg;
  auto st = cfg.ApplyToml("[server]\nprot = 1\n", "x.toml");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("server.prot: unknown setting"), std::string::npos);
  EXPECT_FALSE(cfg.ApplyToml("[server]\nport = \"abc\"\n", "x.toml").ok());
  EXPECT_FALSE(cfg.ApplyToml("[server\n", "x.toml").ok());
  setenv("LAKEHOUSE_SQL_TIMEOUT_MS", "soon", 1);
  EXPECT_FALSE(cfg.ApplyEnvironment().ok());
  unsetenv("LAKEHOUSE_SQL_TIMEOUT_MS");
  cfg.port = 70000;
  EXPECT_FALSE(cfg.Validate().ok());
}

// A background job runs on a thread of its own, named, at the nice value asked, and answers
// what it answers; the caller's priority is left as it was; nice 0 runs the job in place.
TEST(BackgroundThread, RunsTheJobNicerOnItsOwnThreadAndLeavesTheCallerAsItWas) {
  struct Seen {
    pid_t tid;
    int nice;
    std::string name;
  };
  auto here = [] {
    char name[16] = {};
    pthread_getname_np(pthread_self(), name, sizeof name);
    return Seen{gettid(), getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())), name};
  };
  const Seen caller = here();
  ASSERT_LT(caller.nice, 19);  // the test would prove nothing at 19 already
  const Seen bg = RunInBackground("bg-test-thread-name-cut", 19, here);
  EXPECT_NE(bg.tid, caller.tid);
  EXPECT_EQ(bg.nice, 19);
  EXPECT_EQ(bg.name, "bg-test-thread-");  // Linux keeps 15 characters
  EXPECT_EQ(here().nice, caller.nice);
  const Seen in_place = RunInBackground("unused", 0, here);
  EXPECT_EQ(in_place.tid, caller.tid);
  // A move-only answer (a Result) comes back whole.
  Result<std::unique_ptr<int>> boxed = RunInBackground(
      "bg-test", 10, [] { return Result<std::unique_ptr<int>>(std::make_unique<int>(7)); });
  ASSERT_TRUE(boxed.ok());
  EXPECT_EQ(**boxed, 7);
}

// The Prometheus text has HELP/TYPE lines, labels and cumulative histogram buckets.
TEST(MetricsTest, RendersPrometheusText) {
  MetricsRegistry reg;
  reg.GetCounter("t_requests_total", "requests", {"route"}, {"/a"}).Inc(3);
  reg.GetGauge("t_in_flight", "in flight", {}, {}).Set(2);
  auto& h = reg.GetHistogram("t_latency_seconds", "latency", {}, {}, {0.1, 1.0});
  h.Observe(0.05);
  h.Observe(0.5);
  h.Observe(5);
  reg.RegisterCallbackGauge("t_cache_bytes", "bytes", [] { return 42.0; });
  const std::string text = reg.RenderPrometheus();
  EXPECT_NE(text.find("# TYPE t_requests_total counter\nt_requests_total{route=\"/a\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("t_in_flight 2\n"), std::string::npos);
  EXPECT_NE(text.find("t_latency_seconds_bucket{le=\"0.1\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("t_latency_seconds_bucket{le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("t_latency_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("t_latency_seconds_count 3\n"), std::string::npos);
  EXPECT_NE(text.find("t_cache_bytes 42\n"), std::string::npos);
}

// --log-format json: every line one JSON object, messages escaped, access lines structured.
TEST(Logging, JsonFormatWritesOneObjectPerLine) {
  ASSERT_TRUE(InitLogging("info", "json").ok());
  ::testing::internal::CaptureStderr();
  spdlog::info("a \"quoted\" message\nwith a newline");
  LogAccess(AccessRecord{"GET", "/v1/x?y=1", "/v1/x", "rid-1", "127.0.0.1:5", 201, 12, 1500, 700});
  spdlog::default_logger()->flush();
  AccessLog().flush();
  const std::string out = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(InitLogging("info", "text").ok());
  std::vector<Json> lines;
  for (size_t at = 0, nl; (nl = out.find('\n', at)) != std::string::npos; at = nl + 1)
    lines.push_back(Json::parse(out.substr(at, nl - at)));
  ASSERT_EQ(lines.size(), 2u) << out;
  EXPECT_EQ(lines[0]["level"], "info");
  EXPECT_EQ(lines[0]["logger"], "lakehouse");
  EXPECT_EQ(lines[0]["message"], "a \"quoted\" message\nwith a newline");
  EXPECT_EQ(lines[0]["time"].get<std::string>().back(), 'Z');
  EXPECT_EQ(lines[1]["logger"], "access");
  EXPECT_EQ(lines[1]["request_id"], "rid-1");
  EXPECT_EQ(lines[1]["route"], "/v1/x");
  EXPECT_EQ(lines[1]["status"], 201);
  EXPECT_DOUBLE_EQ(lines[1]["latency_ms"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(lines[1]["first_byte_ms"].get<double>(), 0.7);
  EXPECT_FALSE(InitLogging("info", "yaml").ok());
  EXPECT_FALSE(InitLogging("loud", "text").ok());
}

// sd_notify's protocol: one datagram to $NOTIFY_SOCKET; nothing (false) without it.
TEST(SystemdNotify, SendsTheStateToTheNotifySocket) {
  unsetenv("NOTIFY_SOCKET");
  EXPECT_FALSE(NotifySystemd("READY=1"));
  const std::string path = "/tmp/lh-notify-" + std::to_string(getpid());
  const int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
  unlink(path.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  setenv("NOTIFY_SOCKET", path.c_str(), 1);
  EXPECT_TRUE(NotifySystemd("READY=1\nSTATUS=serving"));
  char buf[64] = {};
  const ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), "READY=1\nSTATUS=serving");
  unsetenv("NOTIFY_SOCKET");
  close(fd);
  unlink(path.c_str());
}

// core/writeback.h: each append hands the kernel the whole MiB chunks it completed, once.
TEST(Writeback, StartsTheChunksAnAppendCompleted) {
  constexpr uint64_t kMiB = kWritebackChunkBytes;
  char tmpl[] = "/tmp/lakehouse-writeback-XXXXXX";
  const int fd = ::mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  const std::string path = tmpl;
  // Appended through AppendToFile in pieces that straddle chunk ends: the bytes are intact.
  std::string want;
  for (int i = 0; i < 12; ++i) {
    const std::string piece(300 * 1024, static_cast<char>('a' + i));
    ASSERT_TRUE(AppendToFile(path, piece, /*sync=*/false).ok());
    want += piece;
  }
  {
    auto mapped = MappedFile::Open(path);
    ASSERT_TRUE(mapped.ok());
    EXPECT_TRUE(mapped->data() == want);
  }
  EXPECT_EQ(StartWriteback(fd, kMiB / 2, kMiB / 2), 0u);            // inside the first chunk
  EXPECT_EQ(StartWriteback(fd, kMiB, kMiB / 2), kMiB);              // completes it
  EXPECT_EQ(StartWriteback(fd, kMiB + 5, 10), kMiB);                // crosses its end
  EXPECT_EQ(StartWriteback(fd, kMiB + 20, 10), 0u);                 // done already
  EXPECT_EQ(StartWriteback(fd, 3 * kMiB + 1, 2 * kMiB), 2 * kMiB);  // two at once
  EXPECT_EQ(StartWriteback(fd, 2 * kMiB, 5 * kMiB), 2 * kMiB);      // more than the file
  ::close(fd);
  unlink(path.c_str());
}

}  // namespace
}  // namespace lakehouse
