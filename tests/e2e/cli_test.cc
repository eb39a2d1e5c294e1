// End-to-end tests of the `lakehouse` binary (build/lakehouse): gen, sql, ingest, datasets.
#include <array>
#include <cstdio>

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

}  // namespace
}  // namespace lakehouse
