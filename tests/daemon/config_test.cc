#include "daemon/config.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace loghunt {
namespace {

TEST(Config, ShippedConfigIsValid) {
  Config c;
  std::vector<std::string> errors;
  EXPECT_TRUE(LoadConfig(LOGHUNT_SOURCE_DIR "/conf/loghunt.yaml", &c, &errors))
      << (errors.empty() ? "" : errors[0]);
  EXPECT_TRUE(LoadConfig(LOGHUNT_SOURCE_DIR "/conf/demo/loghunt-demo.yaml", &c, &errors))
      << (errors.empty() ? "" : errors[0]);
  EXPECT_EQ(c.parser.default_year, 2019);
  EXPECT_TRUE(c.kafka.enabled);
  EXPECT_TRUE(c.kafka.embedded);
  ASSERT_EQ(c.kafka.embedded_load.size(), 3u);
  // Relative paths are resolved against the config's folder.
  EXPECT_EQ(c.kafka.embedded_load[0].path, LOGHUNT_SOURCE_DIR "/conf/demo/syslog.log");
  EXPECT_EQ(c.kafka.topics[static_cast<size_t>(Stream::kWinevent)][0], "winevent");
}

TEST(Config, KafkaSectionIsValidated) {
  Config c;
  std::vector<std::string> errors;
  setenv("LOGHUNT_TEST_SECRET", "s3cret", 1);
  ASSERT_TRUE(
      LoadConfigText("kafka:\n  brokers: 127.0.0.1:9092\n  topics:\n    syslog: logs\n"
                     "  properties:\n    sasl.password: ${env:LOGHUNT_TEST_SECRET}\n",
                     "k.yaml", &c, &errors))
      << errors[0];
  EXPECT_EQ(c.kafka.topics[static_cast<size_t>(Stream::kSyslog)][0], "logs");
  ASSERT_EQ(c.kafka.properties.size(), 1u);
  EXPECT_EQ(c.kafka.properties[0].second, "s3cret");
  EXPECT_FALSE(
      LoadConfigText("kafka:\n  topics:\n    netflow: [x]\n  workers: 0\n"
                     "  properties:\n    sasl.password: ${env:LOGHUNT_UNSET_VAR_X}\n"
                     "  worker_queue_max_messages: 20000000\n"
                     "sinks:\n  - type: kafka\n",
                     "k.yaml", &c, &errors));
  std::string all;
  for (const auto& e : errors) all += e + "\n";
  EXPECT_NE(all.find("k.yaml:3: kafka.topics.netflow: unknown key"), std::string::npos) << all;
  EXPECT_NE(all.find("k.yaml:4: kafka.workers: must be between 1 and 256"), std::string::npos)
      << all;
  // Passed on as librdkafka's queued.min.messages, which stops at 10,000,000.
  EXPECT_NE(all.find("k.yaml:7: kafka.worker_queue_max_messages: must be between 100 and 10000000"),
            std::string::npos)
      << all;
  EXPECT_NE(
      all.find(
          "kafka.properties.sasl.password: environment variable LOGHUNT_UNSET_VAR_X is not set"),
      std::string::npos)
      << all;
  EXPECT_NE(all.find("kafka.brokers: required unless embedded.enabled is true"), std::string::npos)
      << all;
  EXPECT_NE(all.find("sinks[0].topic: required for a kafka sink"), std::string::npos) << all;
}

// A topic name Kafka cannot have is a config error, not a run where every
// alert (or dead letter) is refused: sinks, the dead-letter topic, source
// topics and Kafka intel feeds.
TEST(Config, KafkaTopicNamesAreValidated) {
  Config c;
  std::vector<std::string> errors;
  EXPECT_TRUE(LoadConfigText(
      "kafka:\n  brokers: k:9092\n  topics: {syslog: [a.b_c-D9]}\n"
      "  dead_letter_topic: dead-letters\nsinks:\n  - {type: kafka, topic: alerts.v1}\n",
      "k.yaml", &c, &errors))
      << errors[0];
  const std::string too_long(250, 'x');
  EXPECT_FALSE(
      LoadConfigText("kafka:\n  brokers: k:9092\n  topics: {syslog: [ok, 'bad topic']}\n"
                     "  dead_letter_topic: 'dead/letters'\n"
                     "sinks:\n  - {type: kafka, topic: '..'}\n"
                     "  - {type: kafka, topic: " +
                         too_long +
                         "}\n"
                         "detectors:\n  intel:\n    enabled: true\n    feeds:\n"
                         "      - {name: ti, format: kafka, topic: 'intel!'}\n",
                     "k.yaml", &c, &errors));
  std::string all;
  for (const auto& e : errors) all += e + "\n";
  EXPECT_NE(all.find("k.yaml:3: kafka.topics.syslog: 'bad topic' is no Kafka topic name"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("k.yaml:4: kafka.dead_letter_topic: 'dead/letters' is no Kafka topic name"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("k.yaml:6: sinks[0].topic: '..' is no Kafka topic name"), std::string::npos)
      << all;
  EXPECT_NE(all.find("k.yaml:7: sinks[1].topic: a Kafka topic name has at most 249 characters"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("detectors.intel.feeds[0].topic: 'intel!' is no Kafka topic name"),
            std::string::npos)
      << all;
  EXPECT_EQ(errors.size(), 5u) << all;
}

// A kafka sink takes its brokers from the kafka section: without one, run
// waited for ever on the first alert (also after SIGTERM).
TEST(Config, AKafkaSinkNeedsTheKafkaSection) {
  Config c;
  std::vector<std::string> errors;
  EXPECT_FALSE(LoadConfigText(
      "inputs:\n  - {stream: syslog, path: x.log}\nsinks:\n  - {type: kafka, topic: alerts}\n",
      "s.yaml", &c, &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("s.yaml:4: sinks[0].type: a kafka sink needs the kafka section"),
            std::string::npos)
      << errors[0];
}

TEST(Config, EmptyDocumentGivesDefaults) {
  Config c;
  std::vector<std::string> errors;
  ASSERT_TRUE(LoadConfigText("", "t.yaml", &c, &errors));
  EXPECT_TRUE(c.risky_command_enabled);
  EXPECT_TRUE(c.sinks.empty());
  EXPECT_EQ(c.max_message_bytes, 1u << 20);
}

TEST(Config, DuplicatePropertiesAndHeadersAndBadAddressesAreErrors) {
  Config c;
  std::vector<std::string> errors;
  EXPECT_FALSE(LoadConfigText(
      "kafka:\n  brokers: b:9092\n  topics: {syslog: s}\n  properties: {acks: all, acks: 1}\n"
      "sinks:\n  - {type: http, url: 'http://h/', headers: {X-A: 1, x-a: 2}}\n"
      "metrics: {listen: garbage}\n"
      "inputs:\n  - {type: syslog_udp, listen: 'nonsense:port'}\n",
      "t.yaml", &c, &errors));
  std::string all;
  for (const auto& e : errors) all += e + "\n";
  EXPECT_NE(all.find("t.yaml:4: kafka.properties.acks: duplicate key"), std::string::npos) << all;
  EXPECT_NE(all.find("t.yaml:6: sinks[0].headers.x-a: duplicate header"), std::string::npos) << all;
  EXPECT_NE(all.find("t.yaml:7: metrics.listen: expected IPv4:PORT"), std::string::npos) << all;
  EXPECT_NE(all.find("t.yaml:9: inputs[0].listen: required for a syslog listener: IP:PORT"),
            std::string::npos)
      << all;
  EXPECT_FALSE(
      LoadConfigText("sinks:\n  - {type: http, url: 'https://h/', ca_file: /nonexistent/ca.pem}\n",
                     "t.yaml", &c, &errors));
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].find("t.yaml:2: sinks[0].ca_file: cannot be read: /nonexistent/ca.pem"),
            std::string::npos)
      << errors[0];
  // A token goes into a header: CR LF would start another one.
  errors.clear();
  ::setenv("LOGHUNT_TEST_TOKEN", "abc\r\nX-Injected: yes", 1);
  EXPECT_FALSE(LoadConfigText(
      "sinks:\n  - {type: http, url: 'https://h/', token: '${env:LOGHUNT_TEST_TOKEN}'}\n", "t.yaml",
      &c, &errors));
  ::unsetenv("LOGHUNT_TEST_TOKEN");
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].find("t.yaml:2: sinks[0].token: a token cannot hold CR, LF or NUL"),
            std::string::npos)
      << errors[0];
  // A file that holds no PEM certificate (here: YAML) is refused here too; it
  // passed and the sink failed at start ("TLS trust store: ...", no file named).
  errors.clear();
  EXPECT_FALSE(
      LoadConfigText("sinks:\n  - {type: http, url: 'https://h/', ca_file: " LOGHUNT_SOURCE_DIR
                     "/conf/loghunt.yaml}\n",
                     "t.yaml", &c, &errors));
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].find("t.yaml:2: sinks[0].ca_file: no PEM certificate could be read from "),
            std::string::npos)
      << errors[0];
  EXPECT_TRUE(
      LoadConfigText("inputs:\n  - {type: syslog_tcp, listen: '[::1]:5514'}\n"
                     "metrics: {listen: ''}\n",
                     "t.yaml", &c, &errors))
      << (errors.empty() ? "" : errors[0]);
}

// A TCP listener's connection limits (docs: conf/loghunt.yaml, inputs).
TEST(Config, SyslogTcpConnectionLimitsAreReadAndChecked) {
  Config c;
  std::vector<std::string> errors;
  ASSERT_TRUE(
      LoadConfigText("inputs:\n  - {type: syslog_tcp, listen: 127.0.0.1:5514}\n"
                     "  - {type: syslog_tcp, listen: 127.0.0.1:5515, max_connections: 32,"
                     " max_connections_per_address: 4, frame_timeout_ms: 5000}\n",
                     "t.yaml", &c, &errors))
      << (errors.empty() ? "" : errors[0]);
  ASSERT_EQ(c.inputs.size(), 2u);
  EXPECT_EQ(c.inputs[0].max_connections, 256u);
  EXPECT_EQ(c.inputs[0].max_connections_per_address, 0u);  // a quarter
  EXPECT_EQ(c.inputs[0].frame_timeout_ms, 30'000);
  EXPECT_EQ(c.inputs[1].max_connections, 32u);
  EXPECT_EQ(c.inputs[1].max_connections_per_address, 4u);
  EXPECT_EQ(c.inputs[1].frame_timeout_ms, 5000);
  EXPECT_FALSE(
      LoadConfigText("inputs:\n  - {type: syslog_udp, listen: 127.0.0.1:5514, max_connections: 8}\n"
                     "  - {type: syslog_tcp, listen: 127.0.0.1:5515, max_connections: 8,"
                     " max_connections_per_address: 9, frame_timeout_ms: 0}\n",
                     "t.yaml", &c, &errors));
  std::string all;
  for (const auto& e : errors) all += e + "\n";
  EXPECT_NE(all.find("t.yaml:2: inputs[0].max_connections: only used by a syslog_tcp input"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("t.yaml:3: inputs[1].max_connections_per_address: must not exceed "
                     "max_connections (8)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("t.yaml:3: inputs[1].frame_timeout_ms: must be between 100 and"),
            std::string::npos)
      << all;
}

// The process table's byte bound (docs/context.md).
TEST(Config, AncestryMaxBytesIsReadAndChecked) {
  Config c;
  std::vector<std::string> errors;
  ASSERT_TRUE(LoadConfigText("", "t.yaml", &c, &errors));
  EXPECT_EQ(c.ancestry.table.max_bytes, size_t{512} << 20);
  ASSERT_TRUE(
      LoadConfigText("detectors:\n  ancestry: {max_bytes: 67108864}\n", "t.yaml", &c, &errors))
      << (errors.empty() ? "" : errors[0]);
  EXPECT_EQ(c.ancestry.table.max_bytes, size_t{64} << 20);
  EXPECT_FALSE(
      LoadConfigText("detectors:\n  ancestry: {max_bytes: 1000}\n", "t.yaml", &c, &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("t.yaml:2: detectors.ancestry.max_bytes: must be between 1048576"),
            std::string::npos)
      << errors[0];
}

TEST(Config, ASecondDocumentIsAnError) {
  Config c;
  std::vector<std::string> errors;
  EXPECT_FALSE(
      LoadConfigText("parsers: {year: 2020}\n---\nparsers: {year: [x]}\n", "t.yaml", &c, &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "t.yaml:3: (document): a second YAML document ('---'); a config is one");
  EXPECT_TRUE(LoadConfigText("---\nparsers: {year: 2020}\n", "t.yaml", &c, &errors));
}

TEST(Config, ReadsValues) {
  Config c;
  std::vector<std::string> errors;
  ASSERT_TRUE(LoadConfigText(R"(parsers:
  utc_offset: "-05:30"
  auditd:
    max_open_events: 10
sinks:
  - type: file
    path: /tmp/x.jsonl
    format: text
    fsync: true
)",
                             "t.yaml", &c, &errors))
      << errors[0];
  EXPECT_EQ(c.parser.default_utc_offset_seconds, -(5 * 3600 + 30 * 60));
  EXPECT_EQ(c.parser.audit_max_open_events, 10u);
  ASSERT_EQ(c.sinks.size(), 1u);
  EXPECT_EQ(c.sinks[0].format, AlertFormat::kText);
  EXPECT_TRUE(c.sinks[0].fsync);
}

TEST(Config, UnknownKeyAndWrongTypeNameTheLine) {
  Config c;
  std::vector<std::string> errors;
  EXPECT_FALSE(
      LoadConfigText("parsers:\n  year: 2019\n  yeer: 3\ndetectors:\n  risky_command:\n"
                     "    enabled: maybe\n",
                     "bad.yaml", &c, &errors));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].rfind("bad.yaml:3: parsers.yeer: unknown key", 0), 0u) << errors[0];
  EXPECT_EQ(
      errors[1].rfind("bad.yaml:6: detectors.risky_command.enabled: expected true or false", 0), 0u)
      << errors[1];
}

TEST(Config, RangeAndRequiredChecks) {
  Config c;
  std::vector<std::string> errors;
  EXPECT_FALSE(
      LoadConfigText("parsers:\n  max_message_bytes: 10\ninputs:\n  - stream: netflow\n"
                     "sinks:\n  - type: file\n",
                     "r.yaml", &c, &errors));
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_NE(errors[0].find("r.yaml:2: parsers.max_message_bytes: must be between"),
            std::string::npos);
  EXPECT_NE(errors[1].find("r.yaml:4: inputs[0].stream: unknown stream 'netflow'"),
            std::string::npos);
  EXPECT_NE(errors[2].find("inputs[0].path: required"), std::string::npos);
  EXPECT_NE(errors[3].find("r.yaml:6: sinks[0].path: required for a file sink"), std::string::npos);
}

TEST(Config, KafkaIntelFeedNeedsBrokers) {
  Config c;
  std::vector<std::string> errors;
  const std::string feed =
      "detectors:\n  intel:\n    enabled: true\n    feeds:\n"
      "      - {name: ti, format: kafka, topic: intel}\n";
  EXPECT_FALSE(LoadConfigText(feed, "k.yaml", &c, &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            "k.yaml:5: detectors.intel.feeds[0].brokers: required when kafka.brokers is not set");
  // The kafka section's brokers are the default.
  EXPECT_TRUE(
      LoadConfigText("kafka:\n  brokers: k1:9092\n  group_id: g\n"
                     "  topics: {syslog: [s]}\n" +
                         feed,
                     "k.yaml", &c, &errors))
      << (errors.empty() ? "" : errors[0]);
}

TEST(Config, DuplicateKeyIsAnError) {
  Config c;
  std::vector<std::string> errors;
  EXPECT_FALSE(LoadConfigText("parsers:\n  year: 2019\n  year: 2020\n", "d.yaml", &c, &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "d.yaml:3: parsers.year: duplicate key");
}

TEST(Config, SyntaxErrorIsReportedNotThrown) {
  Config c;
  std::vector<std::string> errors;
  EXPECT_FALSE(LoadConfigText("parsers: [unclosed\n", "s.yaml", &c, &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("s.yaml:", 0), 0u);
}

}  // namespace
}  // namespace loghunt
