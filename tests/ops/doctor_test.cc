// lakehouse doctor (ops/doctor.h): a healthy root says so; each kind of damage is named in
// words, as a failure or a warning, and the root is not changed.
#include "ops/doctor.h"

#include <sys/stat.h>

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/test_support.h"

namespace lakehouse {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// The first finding of `area` with `status`, or an empty one.
ops::Finding Find(const ops::DoctorReport& r, const std::string& area, const std::string& status) {
  for (const auto& f : r.findings)
    if (f.area == area && f.status == status) return f;
  return {};
}

TEST(Doctor, AHealthyRootSaysSoAndADamagedOneSaysWhatIsWrong) {
  testing::TestServer server(50, 5);  // data and the workers index; a server holds the root
  const fs::path root = server.root().path();
  ops::DoctorReport ok = ops::Doctor(root);
  EXPECT_FALSE(ok.failed()) << ok.Table();
  EXPECT_EQ(ok.ToJson()["result"], "ok") << ok.Table();
  EXPECT_THAT(Find(ok, "server", "ok").detail, HasSubstr("in use by"));
  EXPECT_THAT(Find(ok, "catalog", "ok").detail, HasSubstr("every part a whole Parquet file"));
  EXPECT_THAT(Find(ok, "vectors", "ok").detail, HasSubstr("index 'workers'"));
  EXPECT_THAT(ok.Table(), HasSubstr("healthy"));

  // Damage of each kind.
  std::string part;
  for (const auto& e : fs::recursive_directory_iterator(root / "datasets" / "clients"))
    if (e.path().extension() == ".parquet") part = e.path().string();
  ASSERT_FALSE(part.empty());
  fs::remove(part);
  std::ofstream(root / "vectors" / "workers" / "store.log", std::ios::app) << "torn";
  std::ofstream(root / "vectors" / "other.unfinished") << "x";
  std::ofstream(root / "datasets" / "clients" / "metadata" / "v2.metadata.json.tmp-abc123") << "{";
  fs::create_directories(root / "auth");
  std::ofstream(root / "auth" / "keys.log", std::ios::app);
  ::chmod((root / "auth" / "keys.log").c_str(), 0644);

  const auto before = fs::last_write_time(root / "vectors" / "workers" / "store.log");
  ops::DoctorReport bad = ops::Doctor(root);
  EXPECT_TRUE(bad.failed());
  EXPECT_EQ(bad.ToJson()["result"], "fail");
  EXPECT_THAT(Find(bad, "catalog", "fail").detail, HasSubstr("is missing"));
  EXPECT_THAT(Find(bad, "catalog", "fail").detail, HasSubstr("clients v1"));
  EXPECT_THAT(bad.Table(),
              HasSubstr("vectors/workers/store.log ends in 4 bytes of a write cut short"));
  EXPECT_THAT(bad.Table(), HasSubstr("index 'other': its last build did not finish"));
  EXPECT_THAT(Find(bad, "secrets", "fail").detail, HasSubstr("chmod 600"));
  EXPECT_THAT(Find(bad, "leftovers", "warn").detail, HasSubstr("v2.metadata.json.tmp-abc123"));
  EXPECT_EQ(fs::last_write_time(root / "vectors" / "workers" / "store.log"), before)
      << "doctor changed a file";
  EXPECT_TRUE(
      fs::exists(root / "datasets" / "clients" / "metadata" / "v2.metadata.json.tmp-abc123"))
      << "doctor deleted a file";

  ops::DoctorReport none = ops::Doctor(root / "nope");
  EXPECT_TRUE(none.failed());
  EXPECT_THAT(Find(none, "root", "fail").detail, HasSubstr("does not exist"));
}

TEST(Doctor, DiskRoomIsMeasuredAgainstTheRootNotAShareOfTheDisk) {
  EXPECT_EQ(ops::DiskStatus(100e6, 1000), "fail");
  EXPECT_EQ(ops::DiskStatus(1.5e9, 1000), "warn");
  EXPECT_EQ(ops::DiskStatus(20e9, 1000), "ok");                  // 20 GB free of 2 TB: fine
  EXPECT_EQ(ops::DiskStatus(20e9, uint64_t{30} << 30), "warn");  // root of 32 GB
}

}  // namespace
}  // namespace lakehouse
