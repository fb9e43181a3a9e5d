// KafkaProducer without a reachable broker: its local queue full,
// WaitForRoom() says so and Produce() waits for room until Interrupt()
// (SIGTERM); then the message is parked, not
// refused, and given up (done(false)) only when the producer is destroyed, so
// a source never commits its offset. The (integration) tests against a real
// broker cover delivery.
#include "sinks/kafka_producer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace loghunt {
namespace {

TEST(KafkaProducer, InterruptParksWhatAFullQueueHoldsBack) {
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

  std::atomic<int> second{-1};
  std::thread writer([&] { second = producer->Produce("alerts", "", "second", {}, done); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(second, -1) << "Produce did not wait for room in the full queue";
  producer->Interrupt();
  writer.join();
  EXPECT_EQ(second, 1) << "parked, not refused";
  EXPECT_TRUE(producer->WaitForRoom(100)) << "no waiting after Interrupt";
  EXPECT_EQ(producer->outstanding(), 2u);

  // Flush waits for the queued message only, not for the parked one.
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(producer->Flush(200));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(delivered + given_up, 0) << "nothing resolved while the producer lives";

  producer.reset();
  EXPECT_EQ(delivered, 0);
  EXPECT_EQ(given_up, 2);
}

}  // namespace
}  // namespace loghunt
