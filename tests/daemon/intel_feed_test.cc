// Kafka-fed threat intel end to end on librdkafka's mock cluster: indicators
// produced to a topic reach the daemon's detectors (config `format: kafka`),
// an indicator whose valid_until is before the event's time does not match
// while one still valid does, and later messages (a tombstone, an update
// extending the expiry) change what matches.
#include "daemon/intel_feed.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <prometheus/registry.h>

#include <chrono>
#include <optional>
#include <thread>

#include "core/time.h"
#include "daemon/metrics.h"
#include "daemon/pipeline.h"
#include "parsers/parser.h"

namespace loghunt {
namespace {

class CollectingSink : public AlertSink {
 public:
  std::string_view name() const override { return "collect"; }
  bool Write(const Alert& alert) override {
    alerts.push_back(alert);
    return true;
  }
  std::vector<Alert> alerts;
};

class TimeOf : public EventHandler {
 public:
  void OnEvent(const Event& e) override { time_ns = e.timestamp_ns; }
  void OnError(ParseError, std::string_view, const SourcePosition&) override {}
  int64_t time_ns = 0;
};

// A mock cluster with one topic, and a producer into it.
class MockKafka {
 public:
  explicit MockKafka(const std::string& topic) : topic_(topic) {
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    cluster_ = rd_kafka_mock_cluster_new(rk_, 1);
    bootstraps_ = rd_kafka_mock_cluster_bootstraps(cluster_);
    rd_kafka_mock_topic_create(cluster_, topic.c_str(), 3, 1);
    rd_kafka_conf_t* pconf = rd_kafka_conf_new();
    rd_kafka_conf_set(pconf, "bootstrap.servers", bootstraps_.c_str(), errstr, sizeof errstr);
    producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, errstr, sizeof errstr);
  }
  ~MockKafka() {
    rd_kafka_destroy(producer_);
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(rk_);
  }
  // A null `value` produces a tombstone.
  void Produce(const std::string& key, const std::string* value) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        producer_, RD_KAFKA_V_TOPIC(topic_.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
        RD_KAFKA_V_VALUE(value ? const_cast<char*>(value->data()) : nullptr,
                         value ? value->size() : 0),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
    ASSERT_EQ(rd_kafka_flush(producer_, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  const std::string& bootstraps() const { return bootstraps_; }

 private:
  std::string topic_;
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_t* producer_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstraps_;
};

std::string Indicator(const std::string& ip, int64_t valid_until_ns) {
  return R"({"type":"ip","value":")" + ip + R"(","confidence":85,"description":"kafka c2",)" +
         R"("valid_until":")" + FormatRfc3339(valid_until_ns) + R"("})";
}

// Waits until the feed consumed `messages` messages.
bool WaitForMessages(const std::string& feed, uint64_t messages) {
  for (int i = 0; i < 200; ++i) {
    KafkaIntelFeedStats s;
    if (KafkaIntelFeedStatsOf(feed, &s) && s.messages >= messages) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

size_t IntelAlerts(const CollectingSink& sink) {
  size_t n = 0;
  for (const Alert& a : sink.alerts) n += a.rule.id == "loghunt.intel.match";
  return n;
}

TEST(KafkaIntelFeed, ExpiredIndicatorDoesNotMatchValidOneDoesAndLaterMessagesApply) {
  // Two sshd failures from two attackers; the indicators' expiry is set
  // relative to the events' own time.
  const std::string line_a =
      "Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for root from 203.0.113.7 port 38926 "
      "ssh2";
  const std::string line_b =
      "Dec 10 06:55:48 LabSZ sshd[24202]: Failed password for root from 198.51.100.9 port 38927 "
      "ssh2";
  Config config;
  config.parser.default_year = 2026;
  TimeOf time;
  MakeParser(Stream::kSyslog, config.parser)->Parse(line_a, {}, time);
  const int64_t t = time.time_ns;
  ASSERT_GT(t, 0);
  const int64_t hour = int64_t{3600} * 1'000'000'000;

  MockKafka kafka("intel.indicators");
  const std::string valid = Indicator("203.0.113.7", t + hour);
  const std::string expired = Indicator("198.51.100.9", t - hour);  // before both events
  kafka.Produce("ip:203.0.113.7", &valid);
  kafka.Produce("ip:198.51.100.9", &expired);

  std::vector<std::string> errors;
  ASSERT_TRUE(
      LoadConfigText("parsers: {year: 2026}\n"
                     "detectors:\n"
                     "  intel:\n"
                     "    enabled: true\n"
                     "    feeds:\n"
                     "      - {name: kafka-ti, format: kafka, topic: intel.indicators,\n"
                     "         brokers: '" +
                         kafka.bootstraps() + "', max_indicators: 1000, load_timeout_ms: 20000}\n",
                     "t.yaml", &config, &errors))
      << errors[0];
  ASSERT_EQ(config.intel.kafka_feeds.size(), 1u);
  CollectingSink sink;
  {
    Pipeline p(config, Stream::kSyslog, {&sink});  // reads the topic to its end first
    KafkaIntelFeedStats s;
    ASSERT_TRUE(KafkaIntelFeedStatsOf("kafka-ti", &s));
    EXPECT_TRUE(s.loaded);
    EXPECT_EQ(s.indicators.size, 2u);
    p.Process(line_a, {"t", -1, 1});
    p.Process(line_b, {"t", -1, 2});
    ASSERT_EQ(IntelAlerts(sink), 1u);
    EXPECT_NE(sink.alerts.back().summary.find("203.0.113.7"), std::string::npos);
    EXPECT_NE(sink.alerts.back().summary.find("feed kafka-ti"), std::string::npos);

    // Removed by a tombstone; the expired one is extended by an update.
    kafka.Produce("ip:203.0.113.7", nullptr);
    const std::string extended = Indicator("198.51.100.9", t + hour);
    kafka.Produce("ip:198.51.100.9", &extended);
    ASSERT_TRUE(WaitForMessages("kafka-ti", 4));
    sink.alerts.clear();
    p.Process(line_a, {"t", -1, 3});
    p.Process(line_b, {"t", -1, 4});
    ASSERT_EQ(IntelAlerts(sink), 1u);
    EXPECT_NE(sink.alerts.back().summary.find("198.51.100.9"), std::string::npos);
    ASSERT_TRUE(KafkaIntelFeedStatsOf("kafka-ti", &s));
    EXPECT_EQ(s.indicators.removed, 1u);
    EXPECT_EQ(s.indicators.updated, 1u);
    EXPECT_EQ(s.indicators.size, 1u);
    EXPECT_EQ(s.bad_messages, 0u);
  }
  // The feed stops with the last detector holding it.
  KafkaIntelFeedStats s;
  EXPECT_FALSE(KafkaIntelFeedStatsOf("kafka-ti", &s));
}

// The indicators gauge of a feed that ends (dropped by a reload, the last
// detector holding it gone) is removed: it kept showing the feed's last size.
TEST(KafkaIntelFeed, AnEndedFeedsIndicatorsGaugeIsRemoved) {
  MockKafka kafka("intel.gauge");
  const std::string valid = Indicator("203.0.113.7", NowNanos() + int64_t{3600} * 1'000'000'000);
  kafka.Produce("ip:203.0.113.7", &valid);
  std::string error;
  auto metrics = Metrics::Create("", &error);
  ASSERT_TRUE(metrics) << error;
  IntelFeedMetricsScope scope(metrics.get());
  // The feed's series of loghunt_intel_feed_indicators, as a scrape sees them.
  auto gauge = [&]() -> std::optional<double> {
    for (const auto& family : metrics->registry().Collect()) {
      if (family.name != "loghunt_intel_feed_indicators") continue;
      for (const auto& m : family.metric) {
        for (const auto& label : m.label) {
          if (label.name == "feed" && label.value == "gauged") return m.gauge.value;
        }
      }
    }
    return std::nullopt;
  };
  Config config;
  std::vector<std::string> errors;
  ASSERT_TRUE(
      LoadConfigText("detectors:\n"
                     "  intel:\n"
                     "    enabled: true\n"
                     "    feeds:\n"
                     "      - {name: gauged, format: kafka, topic: intel.gauge, brokers: '" +
                         kafka.bootstraps() + "', load_timeout_ms: 20000}\n",
                     "t.yaml", &config, &errors))
      << errors[0];
  {
    Pipeline p(config, Stream::kSyslog, {});
    std::optional<double> shown;
    // Published about once a second by the feed's thread.
    for (int i = 0; i < 100 && (shown = gauge()) != 1.0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(shown);
    ASSERT_EQ(*shown, 1.0);
  }
  KafkaIntelFeedStats s;
  ASSERT_FALSE(KafkaIntelFeedStatsOf("gauged", &s));  // the feed ended
  EXPECT_FALSE(gauge()) << "still shown: " << *gauge();
}

}  // namespace
}  // namespace loghunt
