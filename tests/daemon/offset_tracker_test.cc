#include "daemon/offset_tracker.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace loghunt {
namespace {

TEST(OffsetTracker, NothingToCommitBeforeTheFirstMessage) {
  OffsetTracker t;
  EXPECT_EQ(t.CommitOffset(-1), -1);
}

TEST(OffsetTracker, CommitsPastProcessedMessages) {
  OffsetTracker t;
  for (int64_t o = 10; o < 15; ++o) t.Processed(o);
  EXPECT_EQ(t.CommitOffset(-1), 15);
}

TEST(OffsetTracker, ARewindMovesTheCommitBack) {
  // Messages 50..59 of an older assignment were still processed after the
  // partition came back; fetching restarts at the committed offset 40.
  OffsetTracker t;
  for (int64_t o = 50; o < 60; ++o) t.Processed(o);
  EXPECT_EQ(t.CommitOffset(-1), 60);
  t.Processed(40);
  EXPECT_EQ(t.CommitOffset(-1), 41) << "40..59 are not all processed in this pass";
  for (int64_t o = 41; o < 60; ++o) t.Processed(o);
  EXPECT_EQ(t.CommitOffset(-1), 60);
}

TEST(OffsetTracker, PendingDeliveryHoldsTheWatermark) {
  OffsetTracker t;
  t.Processed(10);
  t.AddPending(11);
  t.AddPending(11);  // two alerts from one message
  t.Processed(11);
  t.AddPending(12);
  t.Processed(12);
  t.Processed(13);
  EXPECT_EQ(t.CommitOffset(-1), 11);
  t.Resolve(12);  // a later delivery does not move past an earlier pending one
  EXPECT_EQ(t.CommitOffset(-1), 11);
  t.Resolve(11);
  EXPECT_EQ(t.CommitOffset(-1), 11);
  t.Resolve(11);
  EXPECT_EQ(t.CommitOffset(-1), 14);
  EXPECT_EQ(t.pending(), 0u);
}

TEST(OffsetTracker, BufferedParserStateHoldsTheWatermark) {
  OffsetTracker t;
  for (int64_t o = 0; o < 100; ++o) t.Processed(o);
  EXPECT_EQ(t.CommitOffset(/*parser_oldest=*/42), 42);
  EXPECT_EQ(t.CommitOffset(-1), 100);
}

TEST(OffsetTracker, ResolvesFromOtherThreads) {
  OffsetTracker t;
  for (int64_t o = 0; o < 1000; ++o) {
    t.AddPending(o);
    t.Processed(o);
  }
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&t, k] {
      for (int64_t o = k; o < 1000; o += 4) t.Resolve(o);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(t.CommitOffset(-1), 1000);
}

}  // namespace
}  // namespace loghunt
