// msticpy's command burst and risky sudo session detections on syslog lines
// written for each case (msticpy's own data: rules_msticpy_corpus_test.cc).
#include "detectors/rules/msticpy_sudo.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/text.h"
#include "parsers/parser.h"

namespace loghunt {
namespace {

class Run : public EventHandler {
 public:
  explicit Run(Detector* detector) : detector_(detector) {}
  void OnEvent(const Event& e) override { detector_->Inspect(e, alerts); }
  void OnError(ParseError, std::string_view, const SourcePosition&) override { ++errors; }
  std::vector<Alert> alerts;
  int errors = 0;

 private:
  Detector* detector_;
};

// RFC 5424 lines "TIME HOST PROGRAM PID MESSAGE" through the syslog parser.
std::vector<Alert> Feed(Detector& detector, const std::vector<std::string>& lines) {
  Run run(&detector);
  auto parser = MakeParser(Stream::kSyslog, ParserOptions{});
  int64_t n = 0;
  for (const std::string& l : lines) parser->Parse("<86>1 " + l, {"t", -1, ++n}, run);
  parser->Flush(run);
  EXPECT_EQ(run.errors, 0);
  return run.alerts;
}

std::string Sudo(const std::string& time, const std::string& user, int pid,
                 const std::string& command) {
  return "2024-03-01T" + time + "Z web1 sudo " + std::to_string(pid) + " - - " + user +
         " : TTY=pts/0 ; PWD=/home/" + user + " ; USER=root ; COMMAND=" + command;
}
std::string Opened(const std::string& time, const std::string& service, const std::string& by,
                   int pid) {
  return "2024-03-01T" + time + "Z web1 " + service + " " + std::to_string(pid) + " - - pam_unix(" +
         service + ":session): session opened for user root by " + by + "(uid=0)";
}
std::string Closed(const std::string& time, const std::string& service, int pid) {
  return "2024-03-01T" + time + "Z web1 " + service + " " + std::to_string(pid) + " - - pam_unix(" +
         service + ":session): session closed for user root";
}

// A sudo command line on `host` at 10:00:00.100 (pid 4242).
std::string SudoOn(const std::string& host, const std::string& user, const std::string& command) {
  return "2024-03-01T10:00:00.100Z " + host + " sudo 4242 - - " + user +
         " : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=" + command;
}

// sudo logs the command a moment before it opens the session: with
// sub-second times (RFC 5424, journald) the command is earlier than the open.
TEST(RiskySudoSession, TheCommandLoggedJustBeforeTheOpenIsInTheSession) {
  RiskySudoSessionDetector d;
  auto alerts = Feed(
      d, {Sudo("10:00:00.100", "alice", 4242, "/bin/bash"),
          Opened("10:00:00.101", "sudo", "alice", 4242), Closed("10:00:05.000", "sudo", 4242)});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_NE(alerts[0].summary.find("sudo session of 'alice'"), std::string::npos)
      << alerts[0].summary;
  EXPECT_NE(alerts[0].summary.find("/bin/bash"), std::string::npos) << alerts[0].summary;
}

// The same across a second boundary, and without pids (msticpy's data has
// none): 60 ms before the open is still just before it.
TEST(RiskySudoSession, TheCommandJustBeforeTheOpenCountsAcrossASecondBoundary) {
  RiskySudoSessionDetector d;
  auto alerts = Feed(d, {"2024-03-01T10:00:00.950Z web1 sudo - - - alice : TTY=pts/0 ; "
                         "PWD=/home/alice ; USER=root ; COMMAND=/bin/bash",
                         "2024-03-01T10:00:01.010Z web1 sudo - - - pam_unix(sudo:session): "
                         "session opened for user root by alice(uid=1000)",
                         Closed("10:00:05.000", "sudo", 4242)});
  EXPECT_EQ(alerts.size(), 1u);
}

// cron opens a PAM session for every job: eleven jobs in a second are
// neither a sudo session nor, for this detector, sudo commands.
TEST(RiskySudoSession, CronSessionsAndJobsAreNotSudo) {
  RiskySudoSessionDetector d;
  std::vector<std::string> lines;
  for (int i = 0; i < 11; ++i) {
    std::string t = "10:00:00." + std::to_string(100 + i * 10);
    int pid = 5000 + i;
    lines.push_back(Opened(t, "cron", "", pid));
    lines.push_back("2024-03-01T" + t + "Z web1 CRON " + std::to_string(pid) +
                    " - - (root) CMD (/bin/bash /opt/job" + std::to_string(i) + ".sh)");
    lines.push_back(Closed(t, "cron", pid));
  }
  EXPECT_TRUE(Feed(d, lines).empty());
}

// Two users' sudo sessions at once: each command is credited to its own
// user's session (msticpy pairs by time alone: bob's command went to the
// session alice had open, and bob's session was ignored as nested).
TEST(RiskySudoSession, ACommandIsCreditedToItsOwnUsersSession) {
  RiskySudoSessionDetector d;
  auto alerts = Feed(
      d, {Sudo("10:00:00", "alice", 100, "/usr/bin/id"), Opened("10:00:00", "sudo", "alice", 100),
          Sudo("10:00:05", "bob", 200, "/bin/bash"), Opened("10:00:05", "sudo", "bob", 200),
          Closed("10:00:06", "sudo", 200), Closed("10:00:10", "sudo", 100)});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_NE(alerts[0].summary.find("sudo session of 'bob'"), std::string::npos)
      << alerts[0].summary;
}

// The burst's eleventh command arrives late with an earlier time: one
// alert for the burst, its span max - min (it said "within -600 ms").
TEST(CommandBurst, OutOfOrderCommandsGiveOneAlertWithTheirSpan) {
  CommandBurstDetector d;
  std::vector<std::string> lines;
  for (int i = 0; i < 10; ++i) {
    lines.push_back(Sudo("10:00:00." + std::to_string(100 + i * 100).substr(0, 3), "alice", 1,
                         "/usr/bin/id " + std::to_string(i)));
  }
  lines.back() = Sudo("10:00:01.000", "alice", 1, "/usr/bin/id 9");
  lines.push_back(Sudo("09:59:59.500", "alice", 1, "/usr/bin/id 10"));
  lines.push_back(Sudo("10:00:01.100", "alice", 1, "/usr/bin/id 11"));
  lines.push_back(Sudo("10:00:01.200", "alice", 1, "/usr/bin/id 12"));
  auto alerts = Feed(d, lines);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_NE(alerts[0].summary.find("within 1500 ms"), std::string::npos) << alerts[0].summary;
}

// A risky command waits in the detector for its session: a long one is kept
// as its first 8 KiB and a marker, which the alert shows (the whole 100 KB
// command was kept, for each of up to 8 commands per host).
TEST(RiskySudoSession, ALongCommandIsShownCutInTheAlert) {
  RiskySudoSessionDetector d;
  const std::string command = "/bin/bash -c " + std::string(100'000, 'x');
  auto alerts = Feed(d, {Sudo("10:00:00.100", "alice", 4242, command),
                         Opened("10:00:00.101", "sudo", "alice", 4242)});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_LT(alerts[0].summary.size(), 8192u + 200);
  EXPECT_NE(alerts[0].summary.find(": /bin/bash -c xxxx"), std::string::npos);
  EXPECT_TRUE(alerts[0].summary.ends_with("x...[cut: 100013 bytes in all]"))
      << alerts[0].summary.substr(alerts[0].summary.size() -
                                  std::min<size_t>(alerts[0].summary.size(), 100));
}

TEST(RiskySudoSession, ACommandOfUsualLengthIsShownWhole) {
  RiskySudoSessionDetector d;
  const std::string command = "/bin/bash -c '" + std::string(4000, 'y') + "'";
  auto alerts = Feed(d, {Sudo("10:00:00.100", "alice", 4242, command),
                         Opened("10:00:00.101", "sudo", "alice", 4242)});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_TRUE(alerts[0].summary.ends_with(": " + command));
}

// The detector counts the bytes it holds: 1,000 hosts with a 100 KB risky
// command waiting each hold their first kKeptTextBytes, and a smaller
// max_bytes resets the state (as max_keys hosts do) rather than grow.
TEST(RiskySudoSession, WaitingCommandsOfManyHostsStayWithinMaxBytes) {
  const std::string command = "/bin/bash -c " + std::string(100'000, 'x');
  std::vector<std::string> lines;
  for (int h = 0; h < 1000; ++h)
    lines.push_back(SudoOn("host" + std::to_string(h), "alice", command));
  CommandBurstOptions o;
  RiskySudoSessionDetector d(o);
  EXPECT_TRUE(Feed(d, lines).empty());
  EXPECT_EQ(d.resets(), 0u);
  EXPECT_GE(d.bytes(), 1000 * kKeptTextBytes);
  EXPECT_LE(d.bytes(), 1000 * (kKeptTextBytes + 1024));
  EXPECT_LE(d.bytes(), o.max_bytes);
  o.max_bytes = 1 << 20;
  RiskySudoSessionDetector small(o);
  EXPECT_TRUE(Feed(small, lines).empty());
  EXPECT_GT(small.resets(), 0u);
  EXPECT_LE(small.bytes(), o.max_bytes);
}

// Host and user names key the windows: a 100 KB user name is kept as its
// first kKeptNameBytes and a marker, and its commands still make a burst.
TEST(CommandBurst, LongUserNamesAreKeptCut) {
  CommandBurstDetector d;
  std::vector<std::string> lines;
  for (int u = 0; u < 1000; ++u)
    lines.push_back(SudoOn("web1", std::to_string(u) + std::string(100'000, 'u'), "/bin/ls"));
  EXPECT_TRUE(Feed(d, lines).empty());
  EXPECT_LE(d.bytes(), 1000 * (kKeptNameBytes + 1024));
  lines.assign(11, SudoOn("web1", "0" + std::string(100'000, 'u'), "/bin/ls"));
  EXPECT_EQ(Feed(d, lines).size(), 1u);
}

// A reload (SIGHUP) builds new detectors that take over the old ones'
// state: a session opened before it is still open, and a burst in progress
// goes on (and one already reported is not reported again).
TEST(MsticpySudoReload, SessionsAndBurstsInProgressSurviveAReload) {
  RiskySudoSessionDetector before;
  EXPECT_TRUE(Feed(before, {Opened("10:00:00.000", "sudo", "alice", 4242)}).empty());
  RiskySudoSessionDetector after;
  after.TakeStateFrom(before);
  auto alerts = Feed(after, {Sudo("10:00:01.000", "alice", 4242, "/bin/bash"),
                             Closed("10:00:05.000", "sudo", 4242)});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_NE(alerts[0].summary.find("/bin/bash"), std::string::npos) << alerts[0].summary;

  CommandBurstDetector burst_before;
  std::vector<std::string> first, second;
  for (int i = 0; i < 6; ++i)
    first.push_back(Sudo("11:00:00." + std::to_string(i), "bob", 10 + i, "/bin/ls"));
  for (int i = 6; i < 11; ++i)
    second.push_back(Sudo("11:00:00." + std::to_string(i), "bob", 10 + i, "/bin/ls"));
  EXPECT_TRUE(Feed(burst_before, first).empty());
  CommandBurstDetector burst_after;
  burst_after.TakeStateFrom(burst_before);
  EXPECT_EQ(Feed(burst_after, second).size(), 1u);  // 11 commands in 1 s
  CommandBurstDetector burst_again;
  burst_again.TakeStateFrom(burst_after);
  EXPECT_TRUE(Feed(burst_again, {Sudo("11:00:01.5", "bob", 30, "/bin/ls")}).empty());  // same burst
  // Another detector type gives nothing and takes nothing.
  CommandBurstDetector other;
  other.TakeStateFrom(after);
  EXPECT_TRUE(Feed(other, second).empty());
}

}  // namespace
}  // namespace loghunt
