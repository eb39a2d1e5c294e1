// Tests of src/journal/forwarder: a split service's events reach the journal service's
// POST /v1/journal/events in order, batched, and survive the journal service answering
// errors for a while. The journal service is a real in-test HTTP server.
#include <atomic>
#include <mutex>

#include <gtest/gtest.h>

#include "journal/forwarder.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

JournalEvent Event(int i) {
  JournalEvent e;
  e.type = "test.event";
  e.subject = "s" + std::to_string(i);
  e.trace_id = "t" + std::to_string(i);
  e.payload = Json{{"i", i}};
  return e;
}

TEST(JournalForwarder, DeliversEveryEventInOrderAndRetriesAfterErrors) {
  std::mutex mu;
  std::vector<JournalEvent> received;
  std::atomic<int> refuse{2};  // the first two posts fail, as a journal that is starting
  testing::FakeProvider journal([&](Router& r) {
    r.Add("POST", "/v1/journal/events", [&](HttpRequest& req) {
      if (refuse.fetch_sub(1) > 0)
        return HttpResponse::Error(Status::Unavailable("the journal is not open yet"));
      auto batch = ParseEventBatch(Json::parse(req.body));
      if (!batch.ok()) return HttpResponse::Error(batch.status());
      std::lock_guard lock(mu);
      for (auto& e : *batch) received.push_back(std::move(e));
      return HttpResponse::FromJsonText(200, R"({"appended":1})");
    });
  });
  JournalForwarderOptions o;
  o.url = journal.url();
  o.max_batch = 7;
  JournalForwarder forwarder(o);
  for (int i = 0; i < 100; ++i) forwarder.Append(Event(i));
  ASSERT_TRUE(forwarder.Flush(std::chrono::seconds(10)));
  EXPECT_EQ(forwarder.delivered(), 100u);
  std::lock_guard lock(mu);
  ASSERT_EQ(received.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(received[static_cast<size_t>(i)].subject, "s" + std::to_string(i));
    EXPECT_EQ(received[static_cast<size_t>(i)].trace_id, "t" + std::to_string(i));
    EXPECT_EQ(received[static_cast<size_t>(i)].payload["i"], i);
  }
}

TEST(JournalForwarder, ABadBatchIsRefusedNamingTheEventAndField) {
  auto r = ParseEventBatch(
      Json{{"events", Json::array({Json{{"type", "a"}}, Json{{"type", "b"}, {"payload", 3}}})}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "events[1].payload must be an object");
  EXPECT_FALSE(ParseEventBatch(Json{{"events", Json::array()}}).ok());
  EXPECT_FALSE(ParseEventBatch(Json::object()).ok());
}

}  // namespace
}  // namespace lakehouse
