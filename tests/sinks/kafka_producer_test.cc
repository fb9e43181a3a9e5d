// KafkaProducer: Produce() never waits. A message that finds the local queue
// full is parked and sent once there is room; writers wait in WaitForRoom(),
// which counts parked messages. After Interrupt() (SIGTERM) parked messages
// are no longer sent but given up (done(false)) when the producer is
// destroyed, so a source never commits their offsets. The (integration)
// tests against a real broker cover delivery further.
#include "sinks/kafka_producer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace loghunt {
namespace {

TEST(KafkaProducer, AFullQueueParksInsteadOfWaitingAndInterruptGivesUpAtDestruction) {
  std::string error;
  auto producer = KafkaProducer::Create({{"bootstrap.servers", "127.0.0.1:9"},  // nobody there
                                         {"queue.buffering.max.messages", "1"},
                                         {"log_level", "0"}},
                                        &error);
  ASSERT_NE(producer, nullptr) << error;
  std::atomic<int> delivered{0}, given_up{0};
  auto done = [&](bool ok) { ++(ok ? delivered : given_up); };
  EXPECT_TRUE(producer->WaitForRoom(0));
  ASSERT_TRUE(producer->Produce("alerts", "", "first", {}, done));  // queued
  EXPECT_FALSE(producer->WaitForRoom(100)) << "a queue of one holding one has no room";

  // A worker holding its lock must not wait inside Produce (it stalled the
  // consumer past max.poll.interval.ms and the systemd watchdog).
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(producer->Produce("alerts", "", "second", {}, done)) << "parked, not refused";
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_FALSE(producer->WaitForRoom(100)) << "the parked message counts";
  EXPECT_EQ(producer->outstanding(), 2u);

  producer->Interrupt();
  EXPECT_TRUE(producer->WaitForRoom(100)) << "no waiting after Interrupt";
  // Flush waits for the queued message only, not for the parked one.
  start = std::chrono::steady_clock::now();
  EXPECT_FALSE(producer->Flush(200));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(delivered + given_up, 0) << "nothing resolved while the producer lives";

  producer.reset();
  EXPECT_EQ(delivered, 0);
  EXPECT_EQ(given_up, 2);
}

// With a broker (librdkafka's mock cluster), messages parked behind a full
// queue of one are all delivered, in order of production.
TEST(KafkaProducer, ParkedMessagesAreSentOnceThereIsRoom) {
  std::string error;
  auto producer = KafkaProducer::Create(
      {{"test.mock.num.brokers", "1"}, {"queue.buffering.max.messages", "1"}, {"log_level", "0"}},
      &error);
  ASSERT_NE(producer, nullptr) << error;
  std::atomic<int> delivered{0}, given_up{0};
  auto done = [&](bool ok) { ++(ok ? delivered : given_up); };
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(producer->Produce("alerts", "", "m" + std::to_string(i), {}, done));
  }
  EXPECT_TRUE(producer->Flush(30'000));
  EXPECT_EQ(delivered, 20);
  EXPECT_EQ(given_up, 0);
  EXPECT_EQ(producer->outstanding(), 0u);
}

}  // namespace
}  // namespace loghunt
