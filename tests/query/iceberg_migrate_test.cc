// `lakehouse migrate`: a root in the catalog.v1 layout (catalog/<name>.json over the same
// Parquet parts) becomes Iceberg tables in place: refused before, the same SQL answers
// after, resumable after a kill, a no-op the second time.
#include <gtest/gtest.h>

#include <fstream>

#include "catalog/catalog.h"
#include "iceberg/table.h"
#include "storage/local_object_store.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

using testing::RunCli;

Json Answer(const std::string& root, const std::string& sql) {
  auto r = RunCli("sql --root " + root + " \"" + sql + "\"");
  const size_t at = r.out.find("{\"columns\"");  // after log lines on stderr
  if (r.exit_code != 0 || at == std::string::npos) return Json(r.out);
  return Json::parse(r.out.substr(at))["rows"];
}

// Turns an Iceberg root back into the catalog.v1 layout the way older binaries wrote it;
// `keep_first_snapshot_of` keeps that table's first metadata file, as a migration killed
// after its first snapshot would have left it.
void MakeLegacy(const std::string& root, const std::string& keep_first_snapshot_of = "") {
  auto store = LocalObjectStore::Open(root);
  ASSERT_TRUE(store.ok());
  auto cat = Catalog::Open(**store);
  ASSERT_TRUE(cat.ok()) << cat.status().ToString();
  for (const auto& m : (*cat)->List()) {
    ASSERT_TRUE((*store)->Put("catalog/" + m.name + ".json", DumpJson(m.ToJson())).ok());
    auto objects = (*store)->List("datasets/" + m.name + "/metadata/");
    // snap-1's list, its manifest (named in that list) and v1.metadata.json make snapshot 1.
    std::string keep_manifest;
    if (m.name == keep_first_snapshot_of) {
      for (const auto& o : *objects)
        if (o.key.find("/snap-1-1-") != std::string::npos)
          keep_manifest = o.key.substr(o.key.find("/snap-1-1-") + 10, 36) + "-m0.avro";
    }
    for (const auto& o : *objects) {
      const bool keep =
          m.name == keep_first_snapshot_of &&
          (o.key.find("/snap-1-1-") != std::string::npos ||
           o.key.find("/v1.metadata.json") != std::string::npos ||
           (!keep_manifest.empty() && o.key.find(keep_manifest) != std::string::npos));
      if (!keep) {
        ASSERT_TRUE((*store)->Delete(o.key).ok());
      }
    }
    if (m.name == keep_first_snapshot_of) {
      ASSERT_TRUE((*store)->Put("datasets/" + m.name + "/metadata/version-hint.text", "1").ok());
    }
  }
}

TEST(IcebergMigrate, AnOldRootBecomesTablesWithTheSameAnswers) {
  testing::TempDir dir;
  const std::string root = dir.str() + "/root";
  ASSERT_EQ(RunCli("gen --root " + root + " --workers 120 --orders 20 --seed 42").exit_code, 0);
  const std::string csv = dir.str() + "/p.csv";
  std::ofstream(csv) << "placement_id,hours\nP1,40\nP2,32\n";
  ASSERT_EQ(RunCli("ingest --root " + root + " --dataset placements " + csv).exit_code, 0);
  ASSERT_EQ(
      RunCli("ingest --root " + root + " --dataset placements --mode append " + csv).exit_code, 0);
  const std::vector<std::string> queries = {
      "SELECT * FROM workers ORDER BY worker_id", "SELECT * FROM job_orders ORDER BY ALL",
      "SELECT * FROM placements ORDER BY ALL", "SELECT count(*) FROM \\\"placements@v1\\\""};
  std::vector<Json> before;
  for (const auto& q : queries) before.push_back(Answer(root, q));
  ASSERT_TRUE(before[0].is_array() && before[0].size() == 120) << before[0].dump().substr(0, 300);
  ASSERT_EQ(before[3], Json::parse("[[2]]"));

  MakeLegacy(root);
  auto refused = RunCli("sql --root " + root + " \"SELECT 1\"");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.out.find("lakehouse migrate"), std::string::npos) << refused.out;

  auto migrated = RunCli("migrate --root " + root);
  ASSERT_EQ(migrated.exit_code, 0) << migrated.out;
  Json report = Json::parse(migrated.out.substr(migrated.out.find('{')));
  for (const auto& d : report["datasets"]) EXPECT_EQ(d["status"], "migrated") << d.dump();
  for (size_t i = 0; i < queries.size(); ++i)
    EXPECT_EQ(Answer(root, queries[i]), before[i]) << queries[i];
  EXPECT_FALSE(std::filesystem::exists(root + "/catalog/workers.json"));

  // Killed after placements' first snapshot: the next run writes only what is missing.
  MakeLegacy(root, "placements");
  auto resumed = RunCli("migrate --root " + root);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out;
  report = Json::parse(resumed.out.substr(resumed.out.find('{')));
  bool saw = false;
  for (const auto& d : report["datasets"]) {
    if (d["name"] != "placements") continue;
    saw = true;
    EXPECT_EQ(d["versions"], 2);
    EXPECT_EQ(d["snapshots_written"], 1) << d.dump();
  }
  EXPECT_TRUE(saw) << report.dump();
  for (size_t i = 0; i < queries.size(); ++i)
    EXPECT_EQ(Answer(root, queries[i]), before[i]) << queries[i];

  auto again = RunCli("migrate --root " + root);
  ASSERT_EQ(again.exit_code, 0);
  EXPECT_EQ(Json::parse(again.out.substr(again.out.find('{')))["datasets"], Json::array());
}

}  // namespace
}  // namespace lakehouse
