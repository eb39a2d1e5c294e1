// Tests of src/memory/memory_store: ADD / UPDATE / NOOP / DELETE with full history, search,
// and durability: reopen, a torn log tail, kill -9 during a write storm, and the search
// index healed from the log (lost, stale, or built with another model).
#include <chrono>
#include <filesystem>

#include <gtest/gtest.h>

#include "core/fields.h"
#include "memory/memory_store.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

namespace fs = std::filesystem;

class MemoryStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<MemoryStore> Open(double threshold = 0.7) {
    MemoryStoreOptions o;
    o.dir = dir_.str() + "/memory";
    o.update_threshold = threshold;
    auto s = MemoryStore::Open(o, embed_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  static MemoryWriteRequest W(std::string subject, std::string text,
                              std::string source = "coordinator", std::string observed = "") {
    return MemoryWriteRequest{std::move(subject), std::move(text), std::move(source),
                              std::move(observed)};
  }
  testing::TempDir dir_;
  Config config_;
  EmbedService embed_{config_};
};

TEST_F(MemoryStoreTest, AddUpdateNoopAndHistory) {
  auto store = Open();
  auto a = store->Write(W("worker:W1", "prefers night shifts", "coordinator", "2026-11-20"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->op, "ADD");
  EXPECT_EQ(a->memory.ToJson()["id"], "mem_000001");
  EXPECT_EQ(a->memory.ToJson()["version"], 1);
  EXPECT_EQ(a->memory.ToJson()["observed_at"], "2026-11-20");
  EXPECT_FALSE(a->previous.has_value());
  EXPECT_TRUE(a->ToJson()["previous"].is_null());

  // The same fact restated (cosine >= threshold) is a new version of the same memory.
  auto u = store->Write(W("worker:W1", "prefers night shift", "email"));
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->op, "UPDATE");
  EXPECT_EQ(u->memory.ToJson()["id"], "mem_000001");
  EXPECT_EQ(u->memory.ToJson()["version"], 2);
  EXPECT_EQ(u->memory.ToJson()["text"], "prefers night shift");
  EXPECT_EQ(u->ToJson()["previous"]["text"], "prefers night shifts");
  EXPECT_GE(u->ToJson()["previous"]["similarity"].get<double>(), 0.7);

  // A different fact about the same subject is its own memory; about another subject too.
  auto b = store->Write(W("worker:W1", "speaks Spanish and English"));
  EXPECT_EQ(b->op, "ADD");
  EXPECT_EQ(b->memory.ToJson()["id"], "mem_000002");
  auto c = store->Write(W("worker:W2", "prefers night shift"));
  EXPECT_EQ(c->op, "ADD");
  EXPECT_EQ(c->memory.ToJson()["id"], "mem_000003");

  // The same text from the same source again changes nothing.
  auto n = store->Write(W("worker:W1", "speaks Spanish and English"));
  EXPECT_EQ(n->op, "NOOP");
  EXPECT_EQ(n->memory.ToJson()["version"], 1);
  // ... from another source it is a new version that records who said it.
  auto s = store->Write(W("worker:W1", "speaks Spanish and English", "email"));
  EXPECT_EQ(s->op, "UPDATE");
  EXPECT_EQ(s->memory.ToJson()["source"], "email");

  auto h = store->Get("mem_000001");
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->HistoryJson()["versions"].size(), 2u);
  EXPECT_EQ(h->HistoryJson()["versions"][0]["op"], "ADD");
  EXPECT_EQ(h->HistoryJson()["versions"][0]["text"], "prefers night shifts");
  EXPECT_EQ(h->HistoryJson()["versions"][0]["observed_at"], "2026-11-20");
  EXPECT_TRUE(h->HistoryJson()["versions"][0]["similarity"].is_null());
  EXPECT_EQ(h->HistoryJson()["versions"][1]["op"], "UPDATE");
  EXPECT_EQ(h->HistoryJson()["versions"][1]["source"], "email");
  EXPECT_TRUE(h->HistoryJson()["versions"][1]["observed_at"].is_null());

  auto list = store->ListSubject("worker:W1");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, "mem_000001");
  EXPECT_EQ(store->ListSubject("worker:W404").size(), 0u);
}

TEST_F(MemoryStoreTest, DeleteIsAVersionedTombstone) {
  auto store = Open();
  ASSERT_TRUE(store->Write(W("client:C1", "requires steel-toe boots on site")).ok());
  auto d = store->Delete("mem_000001", "coordinator");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->op, "DELETE");
  EXPECT_EQ(d->memory.ToJson()["deleted"], true);
  EXPECT_EQ(d->memory.ToJson()["version"], 2);
  EXPECT_EQ(store->Delete("mem_000001", "coordinator").status().code(), ErrorCode::kConflict);
  EXPECT_EQ(store->Delete("mem_999999", "coordinator").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store->Get("mem_999999").status().code(), ErrorCode::kNotFound);

  auto h = store->Get("mem_000001");
  ASSERT_EQ(h->HistoryJson()["versions"].size(), 2u);
  EXPECT_EQ(h->HistoryJson()["versions"][1]["op"], "DELETE");
  EXPECT_TRUE(h->HistoryJson()["versions"][1]["text"].is_null());
  EXPECT_EQ(h->HistoryJson()["deleted"], true);
  // A deleted memory is neither listed nor found, and a new write of the fact is an ADD.
  EXPECT_EQ(store->ListSubject("client:C1").size(), 0u);
  auto found = store->Search("steel-toe boots", "", 5);
  EXPECT_EQ(found->size(), 0u);
  auto again = store->Write(W("client:C1", "requires steel-toe boots on site"));
  EXPECT_EQ(again->op, "ADD");
  EXPECT_EQ(again->memory.ToJson()["id"], "mem_000002");
}

TEST_F(MemoryStoreTest, SearchBySubjectAndAcrossSubjects) {
  auto store = Open();
  ASSERT_TRUE(store->Write(W("worker:W1", "prefers night shifts")).ok());
  ASSERT_TRUE(store->Write(W("worker:W1", "has a CDL-A license with hazmat endorsement")).ok());
  ASSERT_TRUE(store->Write(W("worker:W2", "night shift only, days conflict with school")).ok());
  ASSERT_TRUE(store->Write(W("client:C7", "pays weekly, net 15 invoicing")).ok());

  auto all = store->Search("night shift", "", 10);
  ASSERT_TRUE(all.ok());
  Json r = Json::array();
  for (const auto& hit : *all) r.push_back(hit.ToJson());
  ASSERT_EQ(r.size(), 4u);
  EXPECT_TRUE(r[0]["text"].get<std::string>().find("night") != std::string::npos);
  EXPECT_TRUE(r[1]["text"].get<std::string>().find("night") != std::string::npos);
  for (size_t i = 1; i < r.size(); ++i) EXPECT_GE(r[i - 1]["score"], r[i]["score"]);

  auto one = store->Search("night shift", "worker:W1", 10);
  ASSERT_EQ(one->size(), 2u);
  for (const auto& m : *one) EXPECT_EQ(m.memory.subject, "worker:W1");
  EXPECT_EQ((*one)[0].memory.text(), "prefers night shifts");
  EXPECT_EQ(store->Search("night shift", "", 1)->size(), 1u);
}

TEST_F(MemoryStoreTest, EverythingSurvivesAReopen) {
  {
    auto store = Open();
    ASSERT_TRUE(store->Write(W("worker:W1", "prefers night shifts")).ok());
    ASSERT_TRUE(store->Write(W("worker:W1", "prefers night shift")).ok());
    ASSERT_TRUE(store->Write(W("worker:W2", "speaks Spanish")).ok());
    ASSERT_TRUE(store->Delete("mem_000002", "coordinator").ok());
  }
  auto store = Open();
  EXPECT_EQ(store->Get("mem_000001")->versions.size(), 2u);
  EXPECT_TRUE(store->Get("mem_000002")->deleted());
  // Ids continue after the highest one.
  auto next = store->Write(W("worker:W3", "owns reliable transportation"));
  EXPECT_EQ(next->memory.ToJson()["id"], "mem_000003");
  EXPECT_EQ(store->Stats().versions, 5);
  EXPECT_EQ(store->Stats().live, 2u);
}

TEST_F(MemoryStoreTest, ATornLogTailIsCutAndWritesGoOn) {
  {
    auto store = Open();
    ASSERT_TRUE(store->Write(W("worker:W1", "prefers night shifts")).ok());
    ASSERT_TRUE(store->Write(W("worker:W2", "speaks Spanish")).ok());
  }
  const fs::path log = dir_.path() / "memory" / "memories.log";
  const std::string bytes = testing::ReadFile(log);
  testing::WriteFile(log, bytes.substr(0, bytes.size() - 3));
  auto store = Open();
  EXPECT_TRUE(store->Get("mem_000001").ok());
  EXPECT_EQ(store->Get("mem_000002").status().code(), ErrorCode::kNotFound);
  // The index item of the cut write is dropped too (reconciliation), so search agrees.
  EXPECT_EQ(store->Search("Spanish", "", 5)->size(), 1u);
  auto w = store->Write(W("worker:W2", "speaks Spanish"));
  EXPECT_EQ(w->memory.ToJson()["id"], "mem_000002");
  store.reset();
  EXPECT_TRUE(Open()->Get("mem_000002").ok());
}

TEST_F(MemoryStoreTest, TheSearchIndexIsRebuiltFromTheLog) {
  {
    auto store = Open();
    for (int i = 0; i < 30; ++i)
      ASSERT_TRUE(store
                      ->Write(W("worker:W" + std::to_string(i),
                                "certified welder number " + std::to_string(i)))
                      .ok());
  }
  fs::remove_all(dir_.path() / "memory" / "index");
  auto store = Open();
  EXPECT_EQ(store->Stats().index["count"], 30);
  auto hit = store->Search("certified welder number 17", "", 1);
  EXPECT_EQ((*hit)[0].memory.subject, "worker:W17");
}

TEST_F(MemoryStoreTest, AnotherEmbeddingModelRebuildsTheIndex) {
  { ASSERT_TRUE(Open()->Write(W("worker:W1", "prefers night shifts")).ok()); }
  Config other;
  other.embed_hash_dims = 64;
  other.embed_default_model = "hash/small";
  EmbedService embed(other);
  MemoryStoreOptions o;
  o.dir = dir_.str() + "/memory";
  auto store = MemoryStore::Open(o, embed);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->Stats().index["model"], "hash/small");
  EXPECT_EQ((*store)->Stats().index["count"], 1);
  EXPECT_EQ((*store)->Search("night shifts", "", 1)->size(), 1u);
}

// kill -9 during a write storm: every acknowledged write is there after a restart, with
// its version history intact, and the index agrees with the log.
TEST_F(MemoryStoreTest, KillNineLosesNothingAcknowledged) {
  { ASSERT_NE(Open(), nullptr); }
  std::unique_ptr<MemoryStore> writer;  // opened in the child
  const int last = testing::KillDuringWrites(
      [&](int i) {
        if (!writer) writer = Open();
        // Every third write restates the previous fact of its subject (an UPDATE).
        const std::string text = i % 3 == 2 ? "fact " + std::to_string(i - 1) + " restated"
                                            : "distinct fact number " + std::to_string(i);
        return writer && writer->Write(W("worker:W" + std::to_string(i / 3), text)).ok();
      },
      std::chrono::milliseconds(800));
  ASSERT_GE(last + 1, 50) << "the child made no progress, or died";

  auto store = Open();
  ASSERT_NE(store, nullptr);
  const Json stats = store->Stats().ToJson();
  EXPECT_GE(stats["versions"].get<int64_t>(), last + 1);
  // Every acknowledged subject has its memories.
  for (int s = 0; s <= last / 3; ++s) {
    auto list = store->ListSubject("worker:W" + std::to_string(s));
    EXPECT_GE(list.size(), 1u) << s;
  }
  EXPECT_EQ(stats["index"]["count"], stats["live"]);
}

TEST(MemoryFields, ParseNamesTheField) {
  auto ok = ParseMemoryWrite(Json{{"subject", "worker:W1"}, {"text", "x"}, {"source", "s"}});
  EXPECT_TRUE(ok.ok());
  auto missing = ParseMemoryWrite(Json{{"subject", "worker:W1"}, {"text", "x"}});
  EXPECT_EQ(missing.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("source"), std::string::npos);
  auto blank = ParseMemoryWrite(Json{{"subject", " "}, {"text", "x"}, {"source", "s"}});
  EXPECT_NE(blank.status().message().find("subject"), std::string::npos);
  auto control = ParseMemoryWrite(Json{{"subject", "worker:W1\n"}, {"text", "x"}, {"source", "s"}});
  EXPECT_NE(control.status().message().find("one line"), std::string::npos);
  auto long_text = ParseMemoryWrite(
      Json{{"subject", "worker:W1"}, {"text", std::string(5000, 'a')}, {"source", "s"}});
  EXPECT_NE(long_text.status().message().find("limit is 4000"), std::string::npos);
  EXPECT_TRUE(CheckTimestamp("observed_at", "2026-02-28").ok());
  EXPECT_TRUE(CheckTimestamp("observed_at", "2024-02-29T10:00:00Z").ok());
  EXPECT_FALSE(CheckTimestamp("observed_at", "2026-02-29").ok());
  EXPECT_FALSE(CheckTimestamp("observed_at", "yesterday").ok());
  EXPECT_FALSE(CheckTimestamp("observed_at", "2026-13-01").ok());
  EXPECT_FALSE(CheckTimestamp("observed_at", "2026-11-24X").ok());
}

}  // namespace
}  // namespace lakehouse
