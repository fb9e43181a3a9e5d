// KafkaSource on librdkafka's mock cluster: a partition taken away (revoked,
// or lost when the group coordinator drops the member) while its alerts are
// still undelivered (the sink's flush gave up, as when the alert broker is
// down) is committed only up to the first undelivered alert, and the late
// delivery reports still find their bookkeeping: the ASan build of this test
// reported a heap-use-after-free there before KafkaWorker kept such
// partitions' state until their last report.
//
// librdkafka 2.0.2's mock coordinator takes the partitions of the first
// member away through a session timeout (lost) when the second joins; a real
// broker revokes them. Both paths end in KafkaWorker::RemovePartition.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "daemon/config.h"
#include "daemon/embedded_kafka.h"
#include "daemon/kafka_source.h"

namespace loghunt {
namespace {

// An asynchronous sink that holds every delivery report until Release().
class HoldingSink : public AlertSink {
 public:
  std::string_view name() const override { return "holding"; }
  bool async() const override { return true; }
  bool Write(const Alert&) override { return false; }
  bool WriteAsync(const Alert& alert, DeliveryCallback done) override {
    std::lock_guard lock(mu_);
    held_.push_back({alert.position.topic, alert.position.offset, std::move(done)});
    return true;
  }
  bool Flush() override { return false; }  // gives up at once: the broker is down
  size_t queue_depth() const override {
    std::lock_guard lock(mu_);
    return held_.size();
  }

  // The lowest held offset of `topic`, -1 if none.
  int64_t LowestHeld(const std::string& topic) const {
    std::lock_guard lock(mu_);
    int64_t low = -1;
    for (const auto& h : held_) {
      if (h.topic == topic && (low < 0 || h.offset < low)) low = h.offset;
    }
    return low;
  }
  size_t Release() {
    std::vector<Held> out;
    {
      std::lock_guard lock(mu_);
      out.swap(held_);
    }
    for (auto& h : out) h.done(true);
    return out.size();
  }

 private:
  struct Held {
    std::string topic;
    int64_t offset;
    DeliveryCallback done;
  };
  mutable std::mutex mu_;
  std::vector<Held> held_;
};

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::seconds limit = std::chrono::seconds(30)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

rd_kafka_t* Consumer(const std::string& brokers, const std::string& group) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (auto [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"bootstrap.servers", brokers},
           {"group.id", group},
           {"enable.auto.commit", "false"},
           {"partition.assignment.strategy", "cooperative-sticky"},
           {"heartbeat.interval.ms", "100"},
           {"session.timeout.ms", "6000"}}) {
    EXPECT_EQ(rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err), RD_KAFKA_CONF_OK);
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  EXPECT_NE(rk, nullptr) << err;
  rd_kafka_poll_set_consumer(rk);
  return rk;
}

TEST(KafkaSourceRevoke, UndeliveredAlertsOfAPartitionTakenAwayAreNotCommittedNorFreedEarly) {
  // One partition per topic; the two demo winevent alerts and the auditd
  // ones are held undelivered. A second member joining takes partitions away.
  const std::string demo = std::string(LOGHUNT_SOURCE_DIR) + "/conf/demo/";
  const std::string yaml =
      "kafka:\n"
      "  group_id: revoke-test\n"
      "  topics: {auditd: [auditd], syslog: [syslog], winevent: [winevent]}\n"
      "  commit_interval_ms: 200\n"
      "  workers: 2\n"
      "  properties: {heartbeat.interval.ms: \"100\", session.timeout.ms: \"6000\"}\n"
      "  embedded:\n"
      "    enabled: true\n"
      "    partitions: 1\n"
      "    load:\n"
      "      - {stream: winevent, path: " +
      demo + "winevent.jsonl}\n      - {stream: auditd, path: " + demo + "auditd.log}\n";
  Config config;
  std::vector<std::string> errors;
  ASSERT_TRUE(LoadConfigText(yaml, "revoke-test.yaml", &config, &errors))
      << (errors.empty() ? "" : errors.front());
  std::string error;
  auto cluster = EmbeddedKafka::Start(config, &error);
  ASSERT_NE(cluster, nullptr) << error;
  config.kafka.brokers = cluster->bootstrap_servers();

  HoldingSink sink;
  KafkaSource source(config, {&sink}, nullptr, nullptr);
  ASSERT_TRUE(source.Open(&error)) << error;
  std::atomic<bool> stop{false};
  std::thread runner([&] { source.Run(stop, 0); });
  // A failed ASSERT returns early: stop the source first, not std::terminate.
  struct StopOnExit {
    std::atomic<bool>& stop;
    std::thread& runner;
    HoldingSink& sink;
    ~StopOnExit() {
      stop = true;
      sink.Release();
      if (runner.joinable()) runner.join();
    }
  } stop_on_exit{stop, runner, sink};

  ASSERT_TRUE(WaitFor([&] { return sink.LowestHeld("winevent") >= 0; }))
      << "no winevent alert reached the sink";
  ASSERT_TRUE(WaitFor([&] { return source.Stats().pipeline.messages >= 24; }));
  int64_t lowest = sink.LowestHeld("winevent");

  // The source commits winevent[0] up to its first held alert. Wait for that
  // commit before a second member joins: a commit sent while the group
  // rebalances is refused, and a partition lost rather than revoked (the mock
  // coordinator's way) gets no final commit.
  rd_kafka_t* other = Consumer(config.kafka.brokers, config.kafka.group_id);
  auto committed_winevent = [&] {
    rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, "winevent", 0);
    int64_t offset = -2;
    if (rd_kafka_committed(other, parts, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR)
      offset = parts->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(parts);
    return offset;
  };
  ASSERT_TRUE(WaitFor([&] { return committed_winevent() == lowest; }))
      << "the source never committed winevent[0] up to its first held alert " << lowest
      << " (committed " << committed_winevent() << ")";

  // The second member subscribes and waits for a partition. The mock
  // coordinator sometimes never gives it one (seen in 1 of some 20 CI runs:
  // three generations in 25 s, each assigning only the first member, the
  // second member's assignment empty); a new second member is then tried,
  // up to three in all. What the test checks comes after the hand-over.
  bool moved = false;
  for (int attempt = 0; attempt < 3 && !moved; ++attempt) {
    if (attempt > 0) {
      rd_kafka_consumer_close(other);
      rd_kafka_destroy(other);
      other = Consumer(config.kafka.brokers, config.kafka.group_id);
    }
    rd_kafka_topic_partition_list_t* sub = rd_kafka_topic_partition_list_new(1);
    for (const char* t : {"auditd", "syslog", "winevent"})
      rd_kafka_topic_partition_list_add(sub, t, RD_KAFKA_PARTITION_UA);
    ASSERT_EQ(rd_kafka_subscribe(other, sub), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(sub);
    moved = WaitFor([&] {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(other, 100);
      if (m != nullptr) rd_kafka_message_destroy(m);
      rd_kafka_topic_partition_list_t* mine = nullptr;
      bool owns = rd_kafka_assignment(other, &mine) == RD_KAFKA_RESP_ERR_NO_ERROR && mine->cnt >= 1;
      if (mine != nullptr) rd_kafka_topic_partition_list_destroy(mine);
      return owns;
    });
  }
  ASSERT_TRUE(moved) << "no second member got a partition (three tried)";

  // Taking the partition away did not commit past the first held alert.
  EXPECT_EQ(committed_winevent(), lowest) << "the commit must stop at the first undelivered alert";

  // The late delivery reports arrive after the partition is gone.
  EXPECT_GE(sink.Release(), 2u);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // a worker idles, frees them

  // The source still runs; it stops cleanly.
  EXPECT_GE(source.Stats().pipeline.messages, 24u);
  stop = true;
  runner.join();
  sink.Release();  // what its own partitions still held
  rd_kafka_consumer_close(other);
  rd_kafka_destroy(other);
  EXPECT_GE(source.Stats().rebalances, 2u);
}

}  // namespace
}  // namespace loghunt
