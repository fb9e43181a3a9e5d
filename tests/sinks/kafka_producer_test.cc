// KafkaProducer: Produce() never waits. A message that finds the local queue
// full is parked and sent once there is room; writers wait in WaitForRoom(),
// which counts parked messages. After Interrupt() (SIGTERM) parked messages
// are no longer sent but given up (done(false)) when the producer is
// destroyed, so a source never commits their offsets. The (integration)
// tests against a real broker cover delivery further.
#include "sinks/kafka_producer.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "sinks/kafka_sink.h"

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

// Close() gives up what is still queued at the end of a run, logs how many
// and counts them in failed(), which the run's exit status reads after it:
// they were given up silently in the destructor, after the status was read
// (a broker away at SIGTERM: exit 0).
TEST(KafkaProducer, CloseGivesUpWhatIsQueuedAndSaysSo) {
  std::string error;
  auto producer = KafkaProducer::Create({{"bootstrap.servers", "127.0.0.1:9"}, {"log_level", "0"}},
                                        &error);  // nobody there
  ASSERT_NE(producer, nullptr) << error;
  std::atomic<int> given_up{0};
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(producer->Produce("alerts", "", "m", {}, [&](bool ok) { given_up += !ok; }));
  }
  producer->Interrupt();
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log)));
  producer->Close();
  spdlog::set_default_logger(previous);
  EXPECT_EQ(given_up, 3);
  EXPECT_EQ(producer->failed(), 3u);
  EXPECT_NE(log.str().find("stopping: 3 message(s) undelivered, given up"), std::string::npos)
      << log.str();
  producer->Close();  // once only
  EXPECT_EQ(producer->failed(), 3u);
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

// Captures the default logger's lines while it lives.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>(
        "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)));
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }
  size_t Count(const std::string& what) const {
    const std::string t = text();
    size_t n = 0;
    for (size_t at = t.find(what); at != std::string::npos; at = t.find(what, at + 1)) ++n;
    return n;
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

// A message the broker refuses for good (here: its topic has an error, as a
// topic name Kafka cannot have does) is given up and logged once, then once
// a minute with a count: it was one line per message (1,000 lines in 1 ms).
TEST(KafkaProducer, PermanentDeliveryFailuresAreLoggedOnceWithACount) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_t* owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  ASSERT_NE(owner, nullptr) << errstr;
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(owner, 1);
  ASSERT_NE(cluster, nullptr);
  rd_kafka_mock_topic_set_error(cluster, "refused", RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION);
  std::atomic<int> delivered{0}, given_up{0};
  {
    LogCapture log;
    std::string error;
    auto producer = KafkaProducer::Create(
        {{"bootstrap.servers", rd_kafka_mock_cluster_bootstraps(cluster)}, {"log_level", "0"}},
        &error);
    ASSERT_NE(producer, nullptr) << error;
    auto done = [&](bool ok) { ++(ok ? delivered : given_up); };
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(producer->Produce("refused", "", "m" + std::to_string(i), {}, done));
    }
    producer->Flush(30'000);
    EXPECT_EQ(given_up, 50);
    EXPECT_EQ(producer->failed(), 50u);
    producer.reset();
    EXPECT_EQ(log.Count("kafka producer: message to refused given up"), 1u) << log.text();
  }
  EXPECT_EQ(delivered, 0);
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(owner);
}

// An alert the producer refuses outright (over message.max.bytes: a 900 KB
// command line made a 4.5 MB alert) is logged with its id and rule, and the
// reason; it was only counted.
TEST(KafkaSink, AnAlertRefusedByTheProducerIsLogged) {
  LogCapture log;
  std::string error;
  auto sink = KafkaSink::Create(
      {{"bootstrap.servers", "127.0.0.1:9"}, {"message.max.bytes", "1000"}, {"log_level", "0"}},
      "alerts", AlertFormat::kJson, &error);
  ASSERT_NE(sink, nullptr) << error;
  Alert alert;
  alert.id = "alert-big";
  alert.rule = {"test.rule", "Test rule", Severity::kHigh, {}};
  alert.summary = std::string(5000, 'x');
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(sink->WriteAsync(alert, [](bool) {}));
  EXPECT_EQ(log.Count("alert-big (test.rule"), 1u) << log.text();
  EXPECT_NE(log.text().find("too large"), std::string::npos) << log.text();
  sink->Interrupt();
}

}  // namespace
}  // namespace loghunt
