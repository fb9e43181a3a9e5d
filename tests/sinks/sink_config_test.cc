// The `sinks:` keys of the http and syslog sinks and the `suppression:`
// section: parsed into their options, and mistakes reported as FILE:LINE.
#include <gtest/gtest.h>

#include "daemon/config.h"

namespace loghunt {
namespace {

TEST(SinkConfig, HttpAndSyslogSinksAreRead) {
  setenv("LOGHUNT_TEST_HEC_TOKEN", "secret-token", 1);
  Config c;
  std::vector<std::string> errors;
  ASSERT_TRUE(LoadConfigText(R"(sinks:
  - type: http
    url: https://splunk.example:8088/services/collector/event
    preset: splunk_hec
    token: ${env:LOGHUNT_TEST_HEC_TOKEN}
    index: security
    format: ocsf
    batch_max_alerts: 100
    linger_ms: 50
    max_retries: 7
    headers:
      X-Tenant: blue
  - type: syslog
    transport: tcp
    address: 127.0.0.1:6514
    facility: local3
    format: text
  - type: syslog
    transport: unix
suppression:
  window_seconds: 120
  max_keys: 500
)",
                             "t.yaml", &c, &errors))
      << (errors.empty() ? "" : errors[0]);
  ASSERT_EQ(c.sinks.size(), 3u);
  const HttpSinkOptions& h = c.sinks[0].http;
  EXPECT_EQ(h.preset, HttpPreset::kSplunkHec);
  EXPECT_EQ(h.token, "secret-token");
  EXPECT_EQ(h.index, "security");
  EXPECT_EQ(h.format, AlertFormat::kOcsf);
  EXPECT_EQ(h.batch_max_alerts, 100u);
  EXPECT_EQ(h.linger_ms, 50);
  EXPECT_EQ(h.max_retries, 7);
  EXPECT_EQ(h.enqueue_timeout_ms, -1) << "by default a full queue is waited for, not refused";
  ASSERT_EQ(h.headers.size(), 1u);
  EXPECT_EQ(h.headers[0].second, "blue");
  const SyslogSinkOptions& s = c.sinks[1].syslog;
  EXPECT_EQ(s.transport, SyslogTransport::kTcp);
  EXPECT_EQ(s.facility, 19);
  EXPECT_EQ(s.format, AlertFormat::kText);
  EXPECT_EQ(c.sinks[2].syslog.address, "/dev/log");
  EXPECT_TRUE(c.suppression.enabled);
  EXPECT_EQ(c.suppression.window_seconds, 120);
  EXPECT_EQ(c.suppression.max_keys, 500u);
}

TEST(SinkConfig, MistakesAreReportedWithLines) {
  Config c;
  std::vector<std::string> errors;
  EXPECT_FALSE(LoadConfigText(R"(sinks:
  - type: http
    preset: kibana
  - type: syslog
    transport: udp
    address: nohost
    facility: nope
  - type: stdout
    url: http://x/
  - type: http
    url: http://x/
    preset: splunk_hec
    enqueue_timeout_ms: -2
suppression:
  window_seconds: 0
)",
                              "t.yaml", &c, &errors));
  std::string all;
  for (const auto& e : errors) all += e + "\n";
  EXPECT_NE(all.find("t.yaml:2: sinks[0].url: required"), std::string::npos) << all;
  EXPECT_NE(all.find("t.yaml:3: sinks[0].preset: expected webhook"), std::string::npos) << all;
  EXPECT_NE(all.find("t.yaml:6: sinks[1].address: expected HOST:PORT"), std::string::npos) << all;
  EXPECT_NE(all.find("t.yaml:7: sinks[1].facility: unknown facility"), std::string::npos) << all;
  EXPECT_NE(all.find("t.yaml:9: sinks[2].url: only used by an http sink"), std::string::npos)
      << all;
  EXPECT_NE(all.find("sinks[3].token: required for the splunk_hec preset"), std::string::npos)
      << all;
  EXPECT_NE(all.find("t.yaml:13: sinks[3].enqueue_timeout_ms: must be between -1 and"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("t.yaml:15: suppression.window_seconds: must be between"), std::string::npos)
      << all;
}

// An http url the sink cannot use fails the config (check-config, exit 2),
// with its line: it passed, and `run` exited 1, restarted by systemd. So do
// header names and values that are not HTTP's.
TEST(SinkConfig, AnHttpUrlTheSinkCannotUseIsAConfigError) {
  Config c;
  std::vector<std::string> errors;
  EXPECT_FALSE(LoadConfigText(R"(sinks:
  - type: http
    url: http://:80/h
  - type: http
    url: "http://user:pw@example.com/h"
  - type: http
    url: http://example.com/h
    headers: {"Bad Header": x, X-A: "a\r\nX-Injected: 1"}
)",
                              "u.yaml", &c, &errors));
  std::string all;
  for (const auto& e : errors) all += e + "\n";
  EXPECT_NE(all.find("u.yaml:3: sinks[0].url: url has no host"), std::string::npos) << all;
  EXPECT_NE(all.find("u.yaml:5: sinks[1].url: url: credentials in the url"), std::string::npos)
      << all;
  // A header value with CR LF went to the wire as is (another header).
  EXPECT_NE(all.find("u.yaml:8: sinks[2].headers.Bad Header: not a header name"), std::string::npos)
      << all;
  EXPECT_NE(all.find("u.yaml:8: sinks[2].headers.X-A: a header value cannot hold CR"),
            std::string::npos)
      << all;
}

}  // namespace
}  // namespace loghunt
