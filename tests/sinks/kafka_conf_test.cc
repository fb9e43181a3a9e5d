#include "sinks/kafka_conf.h"

#include <gtest/gtest.h>

#include <string>

#include "sinks/kafka_producer.h"

namespace loghunt {
namespace {

TEST(KafkaConf, QuotedConfigurationValuesAreHidden) {
  EXPECT_EQ(RedactKafkaLog("Configuration property `sasl.mechanism` set to `hunter2` but "
                           "`security.protocol` is not configured for SASL: recommend setting "
                           "`security.protocol` to SASL_SSL or SASL_PLAINTEXT"),
            "Configuration property `sasl.mechanism` set to `(hidden)` but `security.protocol` is "
            "not configured for SASL: recommend setting `security.protocol` to SASL_SSL or "
            "SASL_PLAINTEXT");
  EXPECT_EQ(RedactKafkaLog("a to `x` b to `y`"), "a to `(hidden)` b to `(hidden)`");
  EXPECT_EQ(RedactKafkaLog("cut to `secret"), "cut to `(hidden)");
  EXPECT_EQ(RedactKafkaLog("Connect to ipv4#127.0.0.1:1 failed"),
            "Connect to ipv4#127.0.0.1:1 failed");
}

// librdkafka's own log lines (here its warning about a property it quotes)
// go through the daemon's logger with the value hidden: librdkafka wrote them
// to stderr itself, a secret given as an ${env:} property in clear.
TEST(KafkaConf, LibrdkafkaLinesDoNotShowPropertyValues) {
  // The daemon's logger writes to stderr; spdlog's default one (here) to stdout.
  testing::internal::CaptureStderr();
  testing::internal::CaptureStdout();
  std::string error;
  {
    auto producer = KafkaProducer::Create(
        {{"bootstrap.servers", "127.0.0.1:1"}, {"sasl.mechanism", "hunter2-TOPSECRET"}}, &error);
    EXPECT_TRUE(producer) << error;
  }
  const std::string out = testing::internal::GetCapturedStdout();
  const std::string err = testing::internal::GetCapturedStderr() + out;
  EXPECT_EQ(err.find("hunter2"), std::string::npos) << err;
  EXPECT_NE(err.find("sasl.mechanism"), std::string::npos) << err;  // the warning itself is kept
}

}  // namespace
}  // namespace loghunt
