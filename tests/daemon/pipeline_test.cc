#include "daemon/pipeline.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
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

// An asynchronous sink whose flush fails at the end of an input (its
// endpoint away) counts its undelivered alerts itself: a pipeline without a
// refused alert has no sink error (a listener without alerts showed
// sink_errors=1). A synchronous sink's failed flush loses alerts: counted.
TEST(Pipeline, AnAsynchronousSinksFailedFlushIsNotThePipelinesError) {
  struct AwaySink : CollectingSink {
    bool async() const override { return is_async; }
    bool WriteAsync(const Alert& alert, DeliveryCallback) override { return Write(alert); }
    bool Flush() override { return false; }
    bool is_async = true;
  };
  Config config;
  AwaySink away;
  Pipeline p(config, Stream::kSyslog, {&away});
  p.Process("Jan 24 15:50:41 h sudo: u : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/bash",
            {"t", -1, 1});
  p.Finish();
  EXPECT_EQ(away.alerts.size(), 1u);
  EXPECT_EQ(p.stats().sink_errors, 0u);
  AwaySink sync;
  sync.is_async = false;
  Pipeline q(config, Stream::kSyslog, {&sync});
  q.Finish();
  EXPECT_EQ(q.stats().sink_errors, 1u);
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

// Linux Sigma rules: auditd execve events name only the parent's pid, so
// ParentImage / ParentCommandLine come from the processes seen before;
// sudo commands from syslog have the command's path as Image.
TEST(Pipeline, LinuxSigmaRulesSeeTheParentImageAndTheSudoImage) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("pipeline_sigma_" + std::to_string(getpid()));
  fs::create_directories(dir);
  auto rule = [&](const std::string& id, const std::string& selection) {
    std::ofstream(dir / (id + ".yml"))
        << "title: " << id << "\nid: " << id
        << "\nlevel: high\nlogsource: {product: linux, category: process_creation}\n"
           "detection:\n  sel: "
        << selection << "\n  condition: sel\n";
  };
  rule("java-child", "{ParentImage|endswith: /java, Image|endswith: /sh}");
  rule("java-child-cmd", "{ParentCommandLine|contains: 'app.jar', CommandLine: 'sh -c id'}");
  rule("crontab-remove", "{Image|endswith: /crontab, CommandLine|contains: ' -r'}");
  Config config;
  config.risky_command_enabled = false;
  config.ioc.enabled = false;
  config.sigma.enabled = true;
  config.sigma.rules = {dir.string()};
  std::string error;
  ASSERT_TRUE(LoadSharedDetectorData(config, &error)) << error;
  CollectingSink sink;
  Pipeline audit(config, Stream::kAuditd, {&sink});
  int64_t offset = 0;
  auto exec = [&](int serial, int pid, int ppid, const std::string& exe, const std::string& args) {
    const std::string id = "audit(100.000:" + std::to_string(serial) + "): ";
    for (const std::string& line :
         {"type=SYSCALL msg=" + id + "syscall=59 pid=" + std::to_string(pid) +
              " ppid=" + std::to_string(ppid) + " uid=0 exe=\"" + exe + "\"",
          "type=EXECVE msg=" + id + args, "type=EOE msg=" + id}) {
      audit.Process(line, {"t", -1, ++offset});
    }
  };
  exec(1, 1100, 1, "/usr/bin/java", "argc=3 a0=\"java\" a1=\"-jar\" a2=\"app.jar\"");
  exec(2, 1101, 1100, "/bin/sh", "argc=3 a0=\"sh\" a1=\"-c\" a2=\"id\"");
  exec(3, 1201, 999, "/bin/sh", "argc=3 a0=\"sh\" a1=\"-c\" a2=\"id\"");  // parent unknown
  audit.Finish();
  std::vector<std::string> fired;
  for (const Alert& a : sink.alerts)
    fired.push_back(a.rule.id + "@" + std::to_string(a.position.offset));
  // Both on the child's event (records 4..6), nothing on the orphan's.
  std::sort(fired.begin(), fired.end());
  EXPECT_EQ(fired, (std::vector<std::string>{"java-child-cmd@6", "java-child@6"}));

  sink.alerts.clear();
  Pipeline syslog(config, Stream::kSyslog, {&sink});
  syslog.Process(
      "<86>Jul  8 16:08:00 h sudo: bob : TTY=pts/0 ; PWD=/ ; USER=root ; "
      "COMMAND=/usr/bin/crontab -r",
      {"s", -1, 1});
  ASSERT_EQ(sink.alerts.size(), 1u);
  EXPECT_EQ(sink.alerts[0].rule.id, "crontab-remove");

  // A reload (a new detector set taking the old one's state) keeps the
  // processes seen: the child of a parent seen before the reload still
  // matches ParentImage.
  DetectorSet before(config);
  Event java;
  java.stream = Stream::kAuditd;
  java.kind = EventKind::kProcessStart;
  java.host = "h";
  java.timestamp_ns = 1;
  java.process.pid = 2100;
  java.process.executable = "/usr/bin/java";
  java.process.command_line = "java -jar app.jar";
  std::vector<Alert> found;
  before.Inspect(java, found);
  DetectorSet after(config);
  after.TakeStateFrom(before);
  Event sh = java;
  sh.timestamp_ns = 2;
  sh.process.pid = 2101;
  sh.process.ppid = 2100;
  sh.process.executable = "/bin/sh";
  sh.process.command_line = "sh -c id";
  found.clear();
  after.Inspect(sh, found);
  EXPECT_EQ(found.size(), 2u);  // java-child and java-child-cmd
  // A refused command ran nothing: no process_creation rule fires on it.
  sink.alerts.clear();
  syslog.Process(
      "<86>Jul  8 16:08:01 h sudo: bob : 3 incorrect password attempts ; TTY=pts/0 ; "
      "PWD=/ ; USER=root ; COMMAND=/usr/bin/crontab -r",
      {"s", -1, 2});
  syslog.Process(
      "<86>Jul  8 16:08:02 h sudo: bob : user NOT in sudoers ; TTY=pts/0 ; "
      "PWD=/ ; USER=root ; COMMAND=/usr/bin/crontab -r",
      {"s", -1, 3});
  EXPECT_TRUE(sink.alerts.empty());
  fs::remove_all(dir);
}

// A reload (a new detector set taking the old one's state) keeps a command
// burst in progress: six commands before it and five after are one burst.
TEST(Pipeline, AReloadKeepsTheBurstsInProgress) {
  Config config;
  config.risky_command_enabled = false;
  config.ioc.enabled = false;
  config.command_burst.enabled = true;
  std::string error;
  ASSERT_TRUE(LoadSharedDetectorData(config, &error)) << error;
  auto command = [](int i) {
    Event e;
    e.stream = Stream::kAuditd;
    e.kind = EventKind::kProcessStart;
    e.host = "h";
    e.timestamp_ns = 1'000'000'000LL + i * 100'000'000LL;  // 100 ms apart
    e.process.pid = 3000 + i;
    e.process.user = "bob";
    e.process.executable = "/bin/ls";
    e.process.command_line = "ls";
    return e;
  };
  std::vector<Alert> alerts;
  DetectorSet before(config);
  for (int i = 0; i < 6; ++i) before.Inspect(command(i), alerts);
  EXPECT_TRUE(alerts.empty());
  DetectorSet after(config);
  after.TakeStateFrom(before);
  for (int i = 6; i < 11; ++i) after.Inspect(command(i), alerts);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].rule.id, "msticpy.syslog.command_burst");
}

}  // namespace
}  // namespace loghunt
