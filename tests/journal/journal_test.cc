// Tests of src/journal/journal: append and query, group commit, rotation and retention,
// recovery from a torn or corrupt tail at every offset of the last record, and kill -9
// during a write storm.
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "journal/journal.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

namespace fs = std::filesystem;

JournalEvent Ev(const std::string& type, const std::string& subject,
                Json payload = Json::object()) {
  JournalEvent e;
  e.type = type;
  e.subject = subject;
  e.trace_id = "t-" + subject;
  e.payload = std::move(payload);
  return e;
}

std::unique_ptr<Journal> OpenJournal(const std::string& dir, int64_t segment_bytes = 64LL << 20,
                                     int64_t retention_bytes = 1LL << 30) {
  JournalOptions o;
  o.dir = dir;
  o.segment_bytes = segment_bytes;
  o.retention_bytes = retention_bytes;
  o.flush_interval_ms = 2;
  auto j = Journal::Open(o);
  EXPECT_TRUE(j.ok()) << j.status().ToString();
  return j.ok() ? std::move(*j) : nullptr;
}

std::vector<uint64_t> Seqs(const std::vector<JournalEvent>& events) {
  std::vector<uint64_t> out;
  for (const auto& e : events) out.push_back(e.seq);
  return out;
}

TEST(Journal, AppendsAndQueriesByTypeSubjectTimeAndSeq) {
  testing::TempDir dir;
  auto j = OpenJournal(dir.str() + "/journal");
  EXPECT_EQ(j->Append(Ev("memory.write", "worker:W1", {{"op", "ADD"}})), 1u);
  EXPECT_EQ(j->Append(Ev("validate", "fill")), 2u);
  EXPECT_EQ(j->Append(Ev("memory.delete", "worker:W1")), 3u);
  EXPECT_EQ(j->Append(Ev("chat.call", "local/planner")), 4u);
  ASSERT_TRUE(j->Sync().ok());

  JournalQuery q;
  EXPECT_EQ(Seqs(*j->Read(q)), (std::vector<uint64_t>{1, 2, 3, 4}));
  q.type = "memory.";
  EXPECT_EQ(Seqs(*j->Read(q)), (std::vector<uint64_t>{1, 3}));
  q.type = "memory.write";
  EXPECT_EQ(Seqs(*j->Read(q)), (std::vector<uint64_t>{1}));
  q = JournalQuery();
  q.subject = "worker:W1";
  q.after_seq = 1;
  EXPECT_EQ(Seqs(*j->Read(q)), (std::vector<uint64_t>{3}));
  q = JournalQuery();
  q.limit = 2;
  EXPECT_EQ(Seqs(*j->Read(q)), (std::vector<uint64_t>{1, 2}));
  q = JournalQuery();
  q.until_ms = SystemClock::Get().NowMillis() - 60000;
  EXPECT_TRUE(j->Read(q)->empty());
  const auto events = *j->Read(JournalQuery());
  EXPECT_EQ(events[0].payload["op"], "ADD");
  EXPECT_EQ(events[0].trace_id, "t-worker:W1");
  const Json wire = events[0].ToJson();
  EXPECT_EQ(wire.begin().key(), "seq");
  EXPECT_TRUE(ParseRfc3339Millis(wire["ts"].get<std::string>()).has_value());
}

TEST(Journal, SeqContinuesAcrossReopenAndOldEventsAreReadFromSegments) {
  testing::TempDir dir;
  {
    auto j = OpenJournal(dir.str() + "/journal", 8192);
    // Rotation happens between batches: sync every 50 so there are several segments.
    for (int i = 0; i < 500; ++i) {
      j->Append(Ev(i % 2 ? "odd" : "even", "s" + std::to_string(i)));
      if (i % 50 == 49) {
        EXPECT_TRUE(j->Sync().ok());
      }
    }
  }
  JournalOptions o;
  o.dir = dir.str() + "/journal";
  o.segment_bytes = 8192;
  o.ring_events = 50;  // most reads must come from the segments
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)->last_seq(), 500u);
  EXPECT_GT((*j)->Stats()["segments"].get<int>(), 3);
  EXPECT_EQ((*j)->Append(Ev("even", "after")), 501u);
  ASSERT_TRUE((*j)->Sync().ok());  // readers see durable events only
  JournalQuery q;
  q.after_seq = 120;
  q.limit = 5;
  EXPECT_EQ(Seqs(*(*j)->Read(q)), (std::vector<uint64_t>{121, 122, 123, 124, 125}));
  q = JournalQuery();
  q.subject = "s333";
  auto one = (*j)->Read(q);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].seq, 334u);
  q = JournalQuery();
  q.type = "odd";
  q.limit = 1000;
  EXPECT_EQ((*j)->Read(q)->size(), 250u);
  q = JournalQuery();
  q.after_seq = 495;
  EXPECT_EQ(Seqs(*(*j)->Read(q)), (std::vector<uint64_t>{496, 497, 498, 499, 500, 501}));
}

// Cut the last record at every byte offset, or flip a byte in it: recovery keeps every
// record before it, and seq continues from there.
TEST(Journal, RecoveryCutsATornOrCorruptTailAtEveryOffset) {
  testing::TempDir dir;
  const std::string jdir = dir.str() + "/journal";
  {
    auto j = OpenJournal(jdir);
    for (int i = 0; i < 10; ++i) j->Append(Ev("t", "s" + std::to_string(i), {{"i", i}}));
  }
  const fs::path seg = *fs::directory_iterator(jdir);
  const std::string full = testing::ReadFile(seg);
  // The last record's start: replay the frames.
  size_t last_start = 0, off = 0;
  while (off + 8 <= full.size()) {
    uint32_t len;
    std::memcpy(&len, full.data() + off, 4);
    last_start = off;
    off += 8 + len;
  }
  for (size_t cut = last_start; cut < full.size(); ++cut) {
    for (bool flip : {false, true}) {
      std::string bytes = full;
      if (flip) {
        bytes[cut] = static_cast<char>(bytes[cut] ^ 0x5a);
      } else {
        bytes.resize(cut);
      }
      testing::WriteFile(seg, bytes);
      auto j = OpenJournal(jdir);
      ASSERT_NE(j, nullptr);
      ASSERT_EQ(j->last_seq(), 9u) << "cut/flip at " << cut;
      EXPECT_EQ(j->Stats()["recovery"]["cut_bytes"],
                full.size() - last_start - (flip ? 0 : full.size() - cut));
      EXPECT_EQ(j->Append(Ev("t", "again")), 10u);
      ASSERT_TRUE(j->Sync().ok());
      auto all = *j->Read(JournalQuery{0, {}, {}, "", "", 100});
      ASSERT_EQ(all.size(), 10u);
      EXPECT_EQ(all[8].payload["i"], 8);
      EXPECT_EQ(all[9].subject, "again");
    }
  }
}

TEST(Journal, GroupCommitSharesFsyncsAmongConcurrentWriters) {
  testing::TempDir dir;
  auto j = OpenJournal(dir.str() + "/journal");
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    writers.emplace_back([&] {
      for (int i = 0; i < 200; ++i)
        if (!j->AppendDurable(Ev("durable", "w")).ok()) ++failures;
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(failures.load(), 0);
  const Json s = j->Stats();
  EXPECT_EQ(s["durable_seq"], 1600);
  EXPECT_LT(s["fsyncs"].get<int>(), 1600) << s.dump();  // batched, not one per append
}

TEST(Journal, RotationAndRetentionBySize) {
  testing::TempDir dir;
  auto j = OpenJournal(dir.str() + "/journal", 4096, 16384);
  for (int i = 0; i < 2000; ++i) {
    j->Append(Ev("bulk", "s", {{"pad", std::string(100, 'x')}}));
    if (i % 50 == 0) {
      ASSERT_TRUE(j->Sync().ok());
    }
  }
  ASSERT_TRUE(j->Sync().ok());
  const Json s = j->Stats();
  EXPECT_LE(s["bytes"].get<int64_t>(), 16384 + 8192) << s.dump();
  EXPECT_GT(s["first_seq"].get<int64_t>(), 1) << s.dump();  // the oldest segments are gone
  // What remains reads back in order, starting where retention left off.
  auto rest = *j->Read(JournalQuery{0, {}, {}, "", "", 10000});
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest.back().seq, 2000u);
  for (size_t i = 1; i < rest.size(); ++i) EXPECT_EQ(rest[i].seq, rest[i - 1].seq + 1);
}

TEST(Journal, FollowWaitsForTheNextMatchingEvent) {
  testing::TempDir dir;
  auto j = OpenJournal(dir.str() + "/journal");
  j->Append(Ev("a", "x"));
  JournalQuery q;
  q.after_seq = 1;
  q.type = "b";
  auto started = std::chrono::steady_clock::now();
  auto none = j->Follow(q, std::chrono::milliseconds(100));
  EXPECT_TRUE(none->empty());
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(90));
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    j->Append(Ev("a", "not this one"));
    j->Append(Ev("b", "this one"));
  });
  auto got = j->Follow(q, std::chrono::seconds(10));
  later.join();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].subject, "this one");
}

TEST(Journal, KillNineKeepsEveryDurableEventAndSeqHasNoGaps) {
  testing::TempDir dir;
  const std::string jdir = dir.str() + "/journal";
  std::unique_ptr<Journal> writer;  // opened in the child
  const int last = testing::KillDuringWrites(
      [&](int i) {
        if (!writer) writer = OpenJournal(jdir, 16384);
        // Every 5th is acknowledged durable; the others are fire-and-forget.
        if (i % 5 == 4) return writer->AppendDurable(Ev("storm", std::to_string(i))).ok();
        writer->Append(Ev("storm", std::to_string(i)));
        return true;
      },
      std::chrono::milliseconds(600), 200);
  ASSERT_GE(last + 1, 200) << "the child made no progress, or died";
  auto j = OpenJournal(jdir, 16384);
  ASSERT_NE(j, nullptr);
  // Every durable ack (the last multiple of 5 below `last`) survived, in order, no gaps.
  const uint64_t acked = static_cast<uint64_t>((last + 1) / 5 * 5);
  EXPECT_GE(j->last_seq(), acked);
  auto all = *j->Read(JournalQuery{0, {}, {}, "", "", 100000});
  ASSERT_EQ(all.size(), j->last_seq());
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].seq, i + 1);
    EXPECT_EQ(all[i].subject, std::to_string(i));
  }
  EXPECT_EQ(j->Append(Ev("after", "restart")), all.size() + 1);
}

}  // namespace
}  // namespace lakehouse
