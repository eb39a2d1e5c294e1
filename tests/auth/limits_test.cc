// Client limits: a token bucket refills at its rate up to its burst and says how long to
// wait; a concurrency bound gives a slot back when its hold goes away.
#include "auth/limits.h"

#include <gtest/gtest.h>

namespace lakehouse::auth {
namespace {

TEST(RateLimiter, BurstThenRateAndTheWaitUntilTheNextToken) {
  RateLimiter r;
  const int64_t t0 = 1'000'000'000;
  // 2 requests/s with a burst of 2: two at once, the third waits half a second.
  EXPECT_EQ(r.Take("k", 2, 2, t0), 0);
  EXPECT_EQ(r.Take("k", 2, 2, t0), 0);
  const double wait = r.Take("k", 2, 2, t0);
  EXPECT_NEAR(wait, 0.5, 1e-9);
  EXPECT_NEAR(r.Take("k", 2, 2, t0 + 250'000), 0.25, 1e-9);  // a refused take costs nothing
  EXPECT_EQ(r.Take("k", 2, 2, t0 + 500'000), 0);
  // Clients have their own buckets; a rate of 0 is no limit.
  EXPECT_EQ(r.Take("other", 2, 2, t0), 0);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(r.Take("free", 0, 0, t0), 0);
  // Idle time refills up to the burst, never beyond.
  EXPECT_EQ(r.Take("k", 2, 2, t0 + 60'000'000), 0);
  EXPECT_EQ(r.Take("k", 2, 2, t0 + 60'000'000), 0);
  EXPECT_GT(r.Take("k", 2, 2, t0 + 60'000'000), 0);
}

TEST(ConcurrencyLimiter, SlotsComeBackWhenHoldsAreDropped) {
  ConcurrencyLimiter c;
  auto a = c.TryAcquire("k", 2);
  auto b = c.TryAcquire("k", 2);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(c.TryAcquire("k", 2), nullptr);
  EXPECT_NE(c.TryAcquire("other", 2), nullptr);  // a temporary: released at once
  EXPECT_EQ(c.InFlight("k"), 2);
  EXPECT_EQ(c.InFlight("other"), 0);
  a.reset();
  EXPECT_EQ(c.InFlight("k"), 1);
  auto again = c.TryAcquire("k", 2);
  EXPECT_NE(again, nullptr);
  b.reset();
  again.reset();
  EXPECT_EQ(c.InFlight("k"), 0);
}

}  // namespace
}  // namespace lakehouse::auth
