// End-to-end tests of the `lakehouse` binary (build/lakehouse): gen, sql, ingest, datasets.
#include <array>
#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

#include "core/json.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

using testing::RunCli;

TEST(CliTest, GenSqlIngestDatasets) {
  testing::TempDir dir;
  const std::string root = "--root " + dir.str() + " --log-level warn";
  auto gen = RunCli("gen " + root + " --workers 300 --orders 30 --seed 5");
  ASSERT_EQ(gen.exit_code, 0) << gen.out;
  Json report = Json::parse(gen.out);
  EXPECT_EQ(report["datasets"][0]["dataset"], "workers");
  EXPECT_EQ(report["datasets"][0]["rows"], 300);

  auto sql = RunCli("sql " + root + " \"SELECT count(*) FROM job_orders\"");
  ASSERT_EQ(sql.exit_code, 0) << sql.out;
  EXPECT_EQ(Json::parse(sql.out)["rows"][0][0], 30);

  auto denied = RunCli("sql " + root + " \"COPY workers TO '/tmp/x.csv'\"");
  EXPECT_NE(denied.exit_code, 0);
  EXPECT_NE(denied.out.find("permission_denied"), std::string::npos);

  testing::WriteFile(dir.path() / "in" / "extra.jsonl", "{\"a\": 1}\n{\"a\": 2}\nnot json\n");
  auto ingest =
      RunCli("ingest " + root + " --dataset extra " + (dir.path() / "in" / "extra.jsonl").string());
  ASSERT_EQ(ingest.exit_code, 0) << ingest.out;
  Json ing = Json::parse(ingest.out);
  EXPECT_EQ(ing["rows_ingested"], 2);
  EXPECT_EQ(ing["rows_quarantined"], 1);

  auto list = RunCli("datasets " + root);
  ASSERT_EQ(list.exit_code, 0) << list.out;
  EXPECT_EQ(Json::parse(list.out)["datasets"].size(), 5u);
  auto one = RunCli("datasets " + root + " workers");
  EXPECT_EQ(Json::parse(one.out)["name"], "workers");
  auto missing = RunCli("datasets " + root + " nope");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.out.find("not_found"), std::string::npos);
}

TEST(CliTest, HelpListsCommands) {
  auto help = RunCli("--help");
  EXPECT_EQ(help.exit_code, 0);
  for (const char* cmd : {"serve", "gen", "sql", "ingest", "datasets"}) {
    EXPECT_NE(help.out.find(cmd), std::string::npos) << cmd;
  }
  EXPECT_EQ(RunCli("serve --help").exit_code, 0);
}

}  // namespace
}  // namespace lakehouse

namespace lakehouse {
namespace {

TEST(CliTest, ExtractJsonReadsStdinAndPrintsTheAnswer) {
  testing::TempDir dir;
  testing::WriteFile(dir.path() / "in.txt", "Sure:\n```json\n{\"order_id\": \"O000001\"}\n```\n");
  auto r = RunCli("extract-json < " + (dir.path() / "in.txt").string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "{\"matched\":true,\"value\":{\"order_id\":\"O000001\"}}\n");
  testing::WriteFile(dir.path() / "none.txt", "no json here");
  r = RunCli("extract-json < " + (dir.path() / "none.txt").string());
  EXPECT_EQ(r.out, "{\"matched\":false,\"value\":null}\n");
}

// What a binary found on a host is: version, the commit it was built from, the libraries.
TEST(CliTest, VersionNamesCommitAndLibraries) {
  auto v = RunCli("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.out.find("lakehouse 0."), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("commit: "), std::string::npos) << v.out;
  EXPECT_EQ(v.out.find("commit: \n"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("duckdb: v1.4.4"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("hnswlib: 0.8"), std::string::npos) << v.out;
}

// `lakehouse config`: every setting with its value and where it came from; secrets masked.
TEST(CliTest, ConfigShowsEffectiveValuesAndSources) {
  testing::TempDir dir;
  const std::string toml = dir.str() + "/lh.toml";
  std::ofstream(toml) << "[sql]\ntimeout_ms = 1234\n[embed]\nopenai_api_key = "
                         "\"sk-secret-value-0123456789\"\n";
  setenv("LAKEHOUSE_SQL_MAX_ROWS", "77", 1);
  auto c = RunCli("config --config " + toml + " --root " + dir.str() + "/data");
  unsetenv("LAKEHOUSE_SQL_MAX_ROWS");
  ASSERT_EQ(c.exit_code, 0) << c.out;
  EXPECT_NE(c.out.find("sql.timeout_ms\tLAKEHOUSE_SQL_TIMEOUT_MS\t1234\tfile " + toml),
            std::string::npos)
      << c.out;
  EXPECT_NE(c.out.find("sql.max_rows\tLAKEHOUSE_SQL_MAX_ROWS\t77\tenvironment "
                       "LAKEHOUSE_SQL_MAX_ROWS"),
            std::string::npos);
  EXPECT_NE(c.out.find("server.root\tLAKEHOUSE_ROOT\t" + dir.str() + "/data\tflag --root"),
            std::string::npos);
  EXPECT_NE(c.out.find("server.port\tLAKEHOUSE_PORT\t3100\tdefault"), std::string::npos);
  EXPECT_EQ(c.out.find("sk-secret-value"), std::string::npos) << "a secret was printed";
  EXPECT_NE(c.out.find("embed.openai_api_key\tLAKEHOUSE_EMBED_OPENAI_API_KEY\tsk-…(26 chars)"),
            std::string::npos)
      << c.out;
  EXPECT_NE(RunCli("config --config " + dir.str() + "/missing.toml").exit_code, 0);
}

}  // namespace
}  // namespace lakehouse
