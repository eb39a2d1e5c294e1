// The one table of _kb sources (storage/kb_sources.h): names and schemas are unique, the
// log writes each source's own file, the journal names each event as the table says, and
// the materializer processes exactly these sources in this order.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "distill/evidence.h"
#include "journal/kb_events.h"
#include "storage/kb_log.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

TEST(KbSources, NamesSchemasAndLookups) {
  std::set<std::string_view> names, schemas;
  for (size_t i = 0; i < KbSources().size(); ++i) {
    const KbSourceInfo& s = KbSources()[i];
    EXPECT_EQ(static_cast<size_t>(s.id), i) << s.name;  // the enum indexes the table
    EXPECT_TRUE(names.insert(s.name).second) << s.name;
    EXPECT_TRUE(schemas.insert(s.schema).second) << s.schema;
    EXPECT_EQ(s.schema.substr(s.schema.size() - 3), ".v1") << s.schema;
    EXPECT_EQ(FindKbSource(s.name), &s);
    EXPECT_EQ(&KbSourceOf(s.id), &s);
  }
  EXPECT_EQ(FindKbSource("no_such_source"), nullptr);
}

TEST(KbSources, LogWritesEachSourcesFileAndTellsTheListener) {
  testing::TempDir dir;
  KbLog kb(dir.path());
  std::vector<KbSource> heard;
  kb.SetListener([&](KbSource s, const Json&) { heard.push_back(s); });
  for (const KbSourceInfo& s : KbSources())
    kb.Append(s.id, Json{{"schema", s.schema}, {"n", static_cast<int>(s.id)}});
  ASSERT_EQ(heard.size(), kKbSourceCount);
  for (const KbSourceInfo& s : KbSources()) {
    std::ifstream in(dir.path() / (std::string(s.name) + ".jsonl"));
    std::string line;
    ASSERT_TRUE(std::getline(in, line)) << s.name;
    EXPECT_EQ(Json::parse(line)["schema"], s.schema);
    EXPECT_EQ(heard[static_cast<size_t>(s.id)], s.id);
  }
}

TEST(KbSources, JournalEventTypesComeFromTheTable) {
  for (const KbSourceInfo& s : KbSources()) {
    Json line{{"schema", s.schema}, {"request_id", "r1"}, {"op", "record"}, {"order_id", "O1"}};
    auto e = EventFromKbLine(s.id, line);
    if (s.event.empty()) {
      EXPECT_FALSE(e.has_value()) << s.name;
      continue;
    }
    ASSERT_TRUE(e.has_value()) << s.name;
    EXPECT_EQ(e->trace_id, "r1");
    if (s.id == KbSource::kPlaybooks)
      EXPECT_EQ(e->type, "playbook.record");
    else
      EXPECT_EQ(e->type, s.event) << s.name;
  }
}

TEST(KbSources, TheMaterializerReadsExactlyTheseSources) {
  const auto& specs = distill::Sources();
  ASSERT_EQ(specs.size(), kKbSourceCount);
  for (size_t i = 0; i < specs.size(); ++i) {
    ASSERT_TRUE(specs[i].id.has_value());
    EXPECT_EQ(*specs[i].id, KbSources()[i].id);
    EXPECT_EQ(specs[i].name, KbSources()[i].name);
    EXPECT_EQ(specs[i].schema, KbSources()[i].schema);
    // A line without the source's schema is refused by its transform.
    distill::EvidenceTransformer tf;
    distill::EvidenceDraft d;
    EXPECT_FALSE(
        tf.Transform(specs[i], R"({"schema":"other.v1","at":"2026-12-01T00:00:00Z"})", d).ok());
  }
}

}  // namespace
}  // namespace lakehouse
