// Golden fixtures for every distillation schema: the `_kb` lines in contracts/distill/kb/
// (one or more per source, with bad lines and an undeclared source) go through
// materialize -> score -> export sft|rag|preference on a fresh root, and every output file
// must equal contracts/distill/expected/<the same path> byte for byte (recorded_at pinned).
// To regenerate after an intended change: LAKEHOUSE_UPDATE_CONTRACTS=1 build/lakehouse_tests
// --gtest_filter='DistillContracts.*', then review the diff.
#include <gtest/gtest.h>

#include "core/clock.h"
#include "distill/exports.h"
#include "distill/materializer.h"
#include "distill/receipts.h"
#include "distill/scorer.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::TempDir;

// Every pipeline output under `root` (relative paths), sorted.
std::vector<std::string> Outputs(const fs::path& root) {
  std::vector<std::string> out;
  for (const char* dir : {"evidence", "scored", "exports", "_quarantine"})
    for (const fs::path& p : distill::JsonlFiles(root / dir))
      out.push_back(distill::RelPath(root, p));
  return out;
}

TEST(DistillContracts, PipelineOutputsMatchGoldenFiles) {
  const fs::path fixtures = testing::ContractsDir() / "distill";
  TempDir root;
  fs::create_directories(root.path() / "_kb");
  for (const auto& e : fs::directory_iterator(fixtures / "kb"))
    fs::copy_file(e.path(), root.path() / "_kb" / e.path().filename());

  distill::MaterializeOptions mo;
  mo.root = root.path();
  mo.recorded_at_millis = *ParseRfc3339Millis("2026-11-25T00:00:00.000Z");
  ASSERT_TRUE(distill::Materialize(mo).ok());
  ASSERT_TRUE(distill::Score(root.path()).ok());
  for (const char* kind : {"sft", "rag", "preference"}) {
    auto r = distill::Export({root.path(), kind});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  const fs::path expected = fixtures / "expected";
  const std::vector<std::string> got = Outputs(root.path());
  if (std::getenv("LAKEHOUSE_UPDATE_CONTRACTS") != nullptr) {
    fs::remove_all(expected);
    for (const std::string& rel : got)
      testing::WriteFile(expected / rel, ReadFile(root.path() / rel));
    GTEST_SKIP() << "rewrote " << got.size() << " files under " << expected;
  }
  EXPECT_EQ(got, Outputs(expected)) << "the set of output files changed";
  for (const std::string& rel : got) {
    if (!fs::exists(expected / rel)) continue;
    EXPECT_EQ(ReadFile(root.path() / rel), ReadFile(expected / rel)) << rel << " differs";
  }
}

}  // namespace
}  // namespace lakehouse
