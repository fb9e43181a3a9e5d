#include "daemon/pipeline.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace loghunt {
namespace {

class CollectingSink : public AlertSink {
 public:
  std::string_view name() const override { return "collect"; }
  bool Write(const Alert& alert) override {
    alerts.push_back(alert);
    return ok;
  }
  std::vector<Alert> alerts;
  bool ok = true;
};

TEST(Pipeline, CountsEventsErrorsAndRoutesAlerts) {
  Config config;
  config.parser.default_year = 2019;
  CollectingSink sink;
  Pipeline p(config, Stream::kSyslog, {&sink});
  p.Process(
      "Jan 24 15:50:41 ip-172-31-30-110 sudo[6040]: ec2-user : TTY=pts/0 ; PWD=/var/log ; "
      "USER=root ; COMMAND=/bin/bash -c id",
      {"t", -1, 1});
  p.Process("", {"t", -1, 2});
  p.Process("not a syslog line", {"t", -1, 3});
  p.CountTooLong("xxxx", {"t", -1, 4});
  p.Finish();
  const PipelineStats& st = p.stats();
  EXPECT_EQ(st.messages, 4u);
  EXPECT_EQ(st.events, 1u);
  EXPECT_EQ(st.events_by_kind[static_cast<size_t>(EventKind::kUserCommand)], 1u);
  EXPECT_EQ(st.errors(), 3u);
  EXPECT_EQ(st.errors_by_reason[static_cast<size_t>(ParseError::kEmpty)], 1u);
  EXPECT_EQ(st.errors_by_reason[static_cast<size_t>(ParseError::kTooLong)], 1u);
  ASSERT_EQ(sink.alerts.size(), 1u);
  EXPECT_EQ(sink.alerts[0].rule.id, "msticpy.syslog.bin_bash");
  EXPECT_EQ(sink.alerts[0].position.offset, 1);
  EXPECT_NE(st.Summary().find("empty=1"), std::string::npos);
}

TEST(Pipeline, SinkFailuresAreCounted) {
  Config config;
  CollectingSink sink;
  sink.ok = false;
  Pipeline p(config, Stream::kSyslog, {&sink});
  p.Process("Jan 24 15:50:41 h sudo: u : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/bash",
            {"t", -1, 1});
  EXPECT_EQ(p.stats().sink_errors, 1u);
}

TEST(Pipeline, DisabledDetectorRaisesNothing) {
  Config config;
  config.risky_command_enabled = false;
  CollectingSink sink;
  Pipeline p(config, Stream::kSyslog, {&sink});
  p.Process("Jan 24 15:50:41 h sudo: u : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/bash",
            {"t", -1, 1});
  EXPECT_EQ(p.stats().events, 1u);
  EXPECT_TRUE(sink.alerts.empty());
}

// A Sigma rule path or GeoIP database that cannot be loaded is an error
// before a start or a reload, not a detector silently left out.
TEST(Pipeline, SharedDetectorDataThatCannotLoadIsAnError) {
  Config config;
  std::string error;
  EXPECT_TRUE(LoadSharedDetectorData(config, &error)) << error;
  config.sigma.enabled = true;
  config.sigma.rules = {"/nonexistent/rules"};
  EXPECT_FALSE(LoadSharedDetectorData(config, &error));
  EXPECT_NE(error.find("detectors.sigma: no rules loaded: /nonexistent/rules"), std::string::npos)
      << error;
  config.sigma.enabled = false;
  config.geoip.enabled = true;
  config.geoip.city_db = "/nonexistent/city.mmdb";
  EXPECT_FALSE(LoadSharedDetectorData(config, &error));
  EXPECT_NE(error.find("detectors.geoip: "), std::string::npos) << error;
}

}  // namespace
}  // namespace loghunt
