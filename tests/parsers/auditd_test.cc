// AuditdParser on minimal records written for each case: assembly by
// (timestamp, serial), forced completion, decoding, kinds, malformed input.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "parsers/auditd/auditd_assembler.h"
#include "parsers/auditd/auditd_parser.h"

namespace loghunt {
namespace {

struct Captured {
  EventKind kind;
  std::string id, command_line, cwd, exe, user, logon_user, logon_ip, src_ip, dst_ip, message,
      topic;
  int64_t pid, ppid, offset, first_offset;
  int32_t src_port, dst_port;
  LogonResult result;
  std::vector<std::pair<std::string, std::string>> extras;
  std::string Extra(const std::string& key) const {
    for (const auto& [k, v] : extras) {
      if (k == key) return v;
    }
    return "<absent>";
  }
};

class Collector : public EventHandler {
 public:
  void OnEvent(const Event& e) override {
    Captured c{e.kind,
               std::string(e.Extra("auditd.id")),
               std::string(e.process.command_line),
               std::string(e.process.cwd),
               std::string(e.process.executable),
               std::string(e.process.user),
               std::string(e.logon.user),
               std::string(e.logon.source_ip),
               std::string(e.network.source_ip),
               std::string(e.network.destination_ip),
               std::string(e.message),
               std::string(e.position.topic),
               e.process.pid,
               e.process.ppid,
               e.position.offset,
               e.position.first_offset,
               e.network.source_port,
               e.network.destination_port,
               e.logon.result,
               {}};
    for (const auto& f : e.extras) c.extras.emplace_back(f.key, f.value);
    events.push_back(std::move(c));
  }
  void OnError(ParseError reason, std::string_view, const SourcePosition&) override {
    errors.push_back(reason);
  }
  std::vector<Captured> events;
  std::vector<ParseError> errors;
};

class AuditdParserTest : public ::testing::Test {
 protected:
  void Feed(std::initializer_list<std::string_view> lines) {
    for (std::string_view l : lines) parser_->Parse(l, {"t", 0, ++offset_}, out_);
  }
  void Flush() { parser_->Flush(out_); }

  ParserOptions options_;
  std::unique_ptr<AuditdParser> parser_ = std::make_unique<AuditdParser>(options_);
  Collector out_;
  int64_t offset_ = 0;
};

TEST_F(AuditdParserTest, GroupsBySerialNotByTimestamp) {
  Feed({"type=SYSCALL msg=audit(100.001:1): syscall=59 pid=10 ppid=1 exe=\"/bin/a\"",
        "type=SYSCALL msg=audit(100.001:2): syscall=59 pid=20 ppid=1 exe=\"/bin/b\"",
        "type=EXECVE msg=audit(100.001:2): argc=1 a0=\"b\"",
        "type=EXECVE msg=audit(100.001:1): argc=2 a0=\"a\" a1=\"x\"",
        "type=EOE msg=audit(100.001:1): ", "type=EOE msg=audit(100.001:2): "});
  ASSERT_EQ(out_.events.size(), 2u);
  EXPECT_EQ(out_.events[0].id, "100.001:1");
  EXPECT_EQ(out_.events[0].command_line, "a x");
  EXPECT_EQ(out_.events[0].pid, 10);
  EXPECT_EQ(out_.events[0].offset, 5);  // its EOE line
  EXPECT_EQ(out_.events[0].first_offset, 1);
  EXPECT_EQ(out_.events[1].command_line, "b");
  EXPECT_EQ(out_.events[1].exe, "/bin/b");
  EXPECT_EQ(out_.events[1].offset, 6);
  EXPECT_TRUE(out_.errors.empty());
  EXPECT_EQ(parser_->OldestBufferedOffset(), -1);
}

TEST_F(AuditdParserTest, OldestBufferedOffsetIsTheFirstRecordOfTheOldestOpenEvent) {
  Feed({"type=SYSCALL msg=audit(1.000:1): pid=1", "type=SYSCALL msg=audit(1.000:2): pid=2",
        "type=PATH msg=audit(1.000:1): item=0"});
  EXPECT_EQ(parser_->OldestBufferedOffset(), 1);
  Feed({"type=EOE msg=audit(1.000:1): "});
  ASSERT_EQ(out_.events.size(), 1u);
  EXPECT_EQ(out_.events[0].first_offset, 1);
  EXPECT_EQ(out_.events[0].offset, 4);
  EXPECT_EQ(parser_->OldestBufferedOffset(), 2);
}

TEST_F(AuditdParserTest, EventWithoutEoeCompletesAfterTimeoutInStreamTime) {
  Feed({"type=SYSCALL msg=audit(100.000:1): syscall=2 pid=10",
        "type=PATH msg=audit(100.000:1): item=0 name=\"/etc/shadow\""});
  EXPECT_TRUE(out_.events.empty());
  Feed({"type=SYSCALL msg=audit(101.000:2): syscall=2 pid=11"});  // 1 s later: still open
  EXPECT_TRUE(out_.events.empty());
  Feed({"type=SYSCALL msg=audit(102.001:3): syscall=2 pid=12"});  // 2.001 s after event 1
  ASSERT_EQ(out_.events.size(), 1u);
  EXPECT_EQ(out_.events[0].id, "100.000:1");
  EXPECT_EQ(out_.events[0].offset, 2);
  EXPECT_EQ(out_.events[0].Extra("auditd.path.name"), "/etc/shadow");
  Flush();
  ASSERT_EQ(out_.events.size(), 3u);
  EXPECT_EQ(parser_->open_events(), 0u);
}

TEST_F(AuditdParserTest, LoginBeforeSyscallStaysOneEvent) {
  Feed({"type=LOGIN msg=audit(5.000:7): pid=3 uid=0 old-auid=4294967295 auid=0 ses=2 res=1",
        "type=SYSCALL msg=audit(5.000:7): arch=c000003e syscall=1 success=yes pid=3 ppid=1",
        "type=EOE msg=audit(5.000:7): "});
  ASSERT_EQ(out_.events.size(), 1u);
  EXPECT_EQ(out_.events[0].pid, 3);
  EXPECT_EQ(out_.events[0].Extra("auditd.login.old-auid"), "4294967295");
}

TEST_F(AuditdParserTest, OldestOpenEventIsCompletedBeyondTheCap) {
  options_.audit_max_open_events = 2;
  parser_ = std::make_unique<AuditdParser>(options_);
  Feed({"type=SYSCALL msg=audit(1.000:1): pid=1", "type=SYSCALL msg=audit(1.000:2): pid=2",
        "type=SYSCALL msg=audit(1.000:3): pid=3"});
  ASSERT_EQ(out_.errors.size(), 1u);
  EXPECT_EQ(out_.errors[0], ParseError::kTooManyOpen);
  ASSERT_EQ(out_.events.size(), 1u);
  EXPECT_EQ(out_.events[0].pid, 1);
  EXPECT_EQ(parser_->open_events(), 2u);
}

// Records of one id that never end (no EOE, one timestamp so no timeout):
// an event is delivered once it holds kMaxRecordsPerEvent records, and the
// next record, counted too_long, starts another event.
TEST_F(AuditdParserTest, AnEventHoldsABoundedNumberOfRecords) {
  const size_t cap = AuditdAssembler::kMaxRecordsPerEvent;
  std::vector<std::string> lines;
  lines.push_back("type=SYSCALL msg=audit(1.000:7): arch=c000003e syscall=59 pid=9 ppid=1");
  for (size_t i = 1; i < 2 * cap + 5; ++i) {
    lines.push_back("type=EXECVE msg=audit(1.000:7): argc=2 a0=\"sh\" a1=\"-c" + std::to_string(i) +
                    "\"");
  }
  for (const std::string& line : lines) Feed({line});
  EXPECT_EQ(out_.events.size(), 2u);
  EXPECT_EQ(out_.errors, std::vector<ParseError>(2, ParseError::kTooLong));
  EXPECT_EQ(parser_->open_events(), 1u);
  ASSERT_FALSE(out_.events.empty());
  EXPECT_EQ(out_.events[0].pid, 9);  // the first event keeps its SYSCALL
  Flush();
  EXPECT_EQ(out_.events.size(), 3u);
}

// Open events hold at most kMaxOpenBytes of records: beyond it the oldest
// are delivered early (too_many_open), whatever their number.
TEST_F(AuditdParserTest, OpenEventsHoldABoundedNumberOfBytes) {
  const std::string big(700'000, 'a');
  const size_t events = AuditdAssembler::kMaxOpenBytes / big.size() + 10;
  for (size_t i = 1; i <= events; ++i) {
    Feed({"type=USER_CMD msg=audit(1.000:" + std::to_string(i) + "): pid=1 uid=0 msg='cmd=" + big +
          "'"});
  }
  EXPECT_GE(out_.errors.size(), 10u);
  for (ParseError e : out_.errors) EXPECT_EQ(e, ParseError::kTooManyOpen);
  EXPECT_LT(parser_->open_events() * big.size(), AuditdAssembler::kMaxOpenBytes);
  Flush();
  EXPECT_EQ(out_.events.size(), events);
}

TEST_F(AuditdParserTest, DecodesHexAndChunkedArguments) {
  // "-c" "echo hi" (hex, has a space) and a chunked argument "abcdef".
  Feed(
      {"type=SYSCALL msg=audit(9.000:4): arch=c000003e syscall=59 pid=5 ppid=4 uid=0 "
       "exe=2F62696E2F7368 key=6B31016B32",
       "type=EXECVE msg=audit(9.000:4): argc=4 a0=\"sh\" a1=\"-c\" a2=6563686F206869 a3_len=12 "
       "a3[0]=616263 a3[1]=646566",
       "type=CWD msg=audit(9.000:4): cwd=2F746D702F6120622F",
       "type=PROCTITLE msg=audit(9.000:4): proctitle=7368002D63", "type=EOE msg=audit(9.000:4): "});
  ASSERT_EQ(out_.events.size(), 1u);
  const Captured& e = out_.events[0];
  EXPECT_EQ(e.kind, EventKind::kProcessStart);
  EXPECT_EQ(e.command_line, "sh -c echo hi abcdef");
  EXPECT_EQ(e.exe, "/bin/sh");
  EXPECT_EQ(e.cwd, "/tmp/a b/");
  EXPECT_EQ(e.Extra("process.title"), "sh -c");
  EXPECT_EQ(e.Extra("auditd.key"), "k1,k2");
  EXPECT_EQ(e.Extra("auditd.syscall"), "execve");
  EXPECT_EQ(e.Extra("process.args_count"), "4");
}

// A long argument is cut into aN[i] chunks over several EXECVE records; the
// records of one event may arrive in any order (aN[i] before aN_len too):
// each chunk goes where its [i] says.
TEST_F(AuditdParserTest, ChunkedArgumentsAreJoinedByTheirIndexNotTheirOrder) {
  Feed({"type=SYSCALL msg=audit(9.000:6): arch=c000003e syscall=59 pid=5",
        "type=EXECVE msg=audit(9.000:6): argc=2 a0=\"echo\" a1_len=18 a1[0]=616263",
        "type=EXECVE msg=audit(9.000:6):  a1[2]=676869",
        "type=EXECVE msg=audit(9.000:6):  a1[1]=646566", "type=EOE msg=audit(9.000:6): "});
  Feed({"type=SYSCALL msg=audit(9.000:7): arch=c000003e syscall=59 pid=5",
        "type=EXECVE msg=audit(9.000:7):  a1[1]=646566",
        "type=EXECVE msg=audit(9.000:7): argc=3 a0=\"echo\" a1_len=18 a1[0]=616263",
        "type=EXECVE msg=audit(9.000:7):  a1[2]=676869 a2=\"z\"", "type=EOE msg=audit(9.000:7): "});
  ASSERT_EQ(out_.events.size(), 2u);
  EXPECT_EQ(out_.events[0].command_line, "echo abcdefghi");
  EXPECT_EQ(out_.events[1].command_line, "echo abcdefghi z");
}

TEST_F(AuditdParserTest, EnrichedNamesArePreferred) {
  Feed(
      {"type=SYSCALL msg=audit(9.000:5): arch=c000003e syscall=59 pid=5 uid=1000 auid=1000 "
       "euid=0 ses=3 tty=pts0\x1d"
       "ARCH=x86_64 SYSCALL=execve AUID=\"alice\" UID=\"alice\" EUID=\"root\"",
       "type=EXECVE msg=audit(9.000:5): argc=1 a0=\"id\"", "type=EOE msg=audit(9.000:5): "});
  ASSERT_EQ(out_.events.size(), 1u);
  const Captured& e = out_.events[0];
  EXPECT_EQ(e.user, "alice");
  EXPECT_EQ(e.Extra("user.id"), "1000");
  EXPECT_EQ(e.Extra("user.audit.name"), "alice");
  EXPECT_EQ(e.Extra("user.effective.name"), "root");
  EXPECT_EQ(e.Extra("auditd.session"), "3");
  EXPECT_EQ(e.Extra("process.tty"), "pts0");
  EXPECT_EQ(e.Extra("host.architecture"), "x86_64");
}

// Without the enriched names the user is the uid, except uid 0: root on
// every Linux system (Sigma rules say `User: root`).
TEST_F(AuditdParserTest, UidZeroWithoutANameIsRoot) {
  Feed({"type=SYSCALL msg=audit(9.000:6): syscall=59 pid=6 uid=0 ses=4294967295",
        "type=EXECVE msg=audit(9.000:6): argc=1 a0=\"id\"", "type=EOE msg=audit(9.000:6): ",
        "type=SYSCALL msg=audit(9.000:7): syscall=59 pid=7 uid=1000",
        "type=EXECVE msg=audit(9.000:7): argc=1 a0=\"id\"", "type=EOE msg=audit(9.000:7): "});
  ASSERT_EQ(out_.events.size(), 2u);
  EXPECT_EQ(out_.events[0].user, "root");
  EXPECT_EQ(out_.events[0].Extra("user.id"), "0");
  EXPECT_EQ(out_.events[1].user, "1000");
}

TEST_F(AuditdParserTest, SockaddrBecomesNetworkEvent) {
  Feed({"type=SYSCALL msg=audit(9.000:6): arch=c000003e syscall=42 success=yes pid=5",
        // AF_INET6, port 443, 2001:db8::1
        "type=SOCKADDR msg=audit(9.000:6): saddr=0A0001BB0000000020010DB8000000000000000000000001"
        "00000000",
        "type=EOE msg=audit(9.000:6): ",
        "type=SYSCALL msg=audit(9.000:7): arch=c000003e syscall=49 success=yes pid=5",
        "type=SOCKADDR msg=audit(9.000:7): saddr=020000160A000001", "type=EOE msg=audit(9.000:7): ",
        "type=SYSCALL msg=audit(9.000:8): arch=c000003e syscall=42 success=no pid=5",
        "type=SOCKADDR msg=audit(9.000:8): saddr=01002F72756E2F78007A",
        "type=EOE msg=audit(9.000:8): "});
  ASSERT_EQ(out_.events.size(), 3u);
  EXPECT_EQ(out_.events[0].kind, EventKind::kNetwork);
  EXPECT_EQ(out_.events[0].dst_ip, "2001:db8::1");
  EXPECT_EQ(out_.events[0].dst_port, 443);
  EXPECT_EQ(out_.events[1].src_ip, "10.0.0.1");  // bind: the local address
  EXPECT_EQ(out_.events[1].src_port, 22);
  EXPECT_EQ(out_.events[2].Extra("destination.address"), "/run/x");
  EXPECT_EQ(out_.events[2].Extra("event.outcome"), "failure");
}

TEST_F(AuditdParserTest, UserspaceRecordsMapToLogonCommandAndAccountKinds) {
  Feed(
      {"type=USER_LOGIN msg=audit(9.000:10): pid=7 uid=0 auid=4294967295 ses=4294967295 "
       "msg='op=login acct=\"root\" exe=\"/usr/sbin/sshd\" hostname=203.0.113.9 "
       "addr=203.0.113.9 terminal=sshd res=failed'",
       "type=USER_END msg=audit(9.000:11): pid=7 uid=0 auid=1000 ses=4 msg='op=PAM:session_close "
       "acct=\"bob\" exe=\"/usr/sbin/sshd\" hostname=? addr=? terminal=ssh res=success'",
       "type=USER_CMD msg=audit(9.000:12): pid=8 uid=1000 auid=1000 ses=4 msg='cwd=\"/home/bob\" "
       "cmd=6C73202D6C61 terminal=pts/0 res=success'",
       "type=ADD_USER msg=audit(9.000:13): pid=9 uid=0 auid=1000 ses=4 msg='op=adding user "
       "id=1001 exe=\"/usr/sbin/useradd\" acct=\"eve\" res=success'"});
  Flush();
  ASSERT_EQ(out_.events.size(), 4u);
  EXPECT_EQ(out_.events[0].kind, EventKind::kLogon);
  EXPECT_EQ(out_.events[0].logon_user, "root");
  EXPECT_EQ(out_.events[0].logon_ip, "203.0.113.9");
  EXPECT_EQ(out_.events[0].result, LogonResult::kFailure);
  EXPECT_EQ(out_.events[0].Extra("user.audit.id"), "<absent>");  // 4294967295 = unset
  EXPECT_EQ(out_.events[1].kind, EventKind::kLogoff);
  EXPECT_EQ(out_.events[1].result, LogonResult::kSuccess);
  EXPECT_EQ(out_.events[2].kind, EventKind::kUserCommand);
  EXPECT_EQ(out_.events[2].command_line, "ls -la");
  EXPECT_EQ(out_.events[2].cwd, "/home/bob");
  EXPECT_EQ(out_.events[3].kind, EventKind::kAccountChange);
  EXPECT_EQ(out_.events[3].Extra("user.target.name"), "eve");
  EXPECT_EQ(out_.events[3].Extra("user.target.id"), "1001");
}

// shadow's useradd writes its op unquoted, spaces and all ("op=adding user",
// "op=adding home directory"; newer releases write "op=add-group", as in
// audit-userspace/test3.log), and names the new account only by its id: in
// ENRICHED logs the name auditd resolved the id to (ID="bob") is the target
// user, unless auditd could not resolve it ("unknown(1002)").
TEST_F(AuditdParserTest, AccountCreationKeepsTheWholeOpAndTheEnrichedTargetName) {
  Feed(
      {"type=ADD_USER msg=audit(9.000:30): pid=9 uid=0 auid=1000 ses=4 msg='op=adding user "
       "id=1001 exe=\"/usr/sbin/useradd\" hostname=? addr=? terminal=pts/0 res=success'\x1d"
       "UID=\"root\" AUID=\"alice\" ID=\"bob\"",
       "type=ADD_USER msg=audit(9.000:31): pid=9 uid=0 auid=1000 ses=4 msg='op=adding home "
       "directory id=1001 exe=\"/usr/sbin/useradd\" hostname=? addr=? terminal=pts/0 "
       "res=success'",
       "type=ADD_GROUP msg=audit(9.000:32): pid=9 uid=0 auid=1000 ses=4 msg='op=add-group "
       "acct=\"frodo\" exe=\"/usr/sbin/useradd\" hostname=? addr=? terminal=pts/0 res=success'",
       "type=ADD_USER msg=audit(9.000:33): pid=9 uid=0 auid=1000 ses=4 msg='op=adding user "
       "id=1002 exe=\"/usr/sbin/useradd\" hostname=? addr=? terminal=pts/0 res=success'\x1d"
       "UID=\"root\" AUID=\"alice\" ID=\"unknown(1002)\""});
  Flush();
  ASSERT_EQ(out_.events.size(), 4u);
  const Captured& add = out_.events[0];
  EXPECT_EQ(add.kind, EventKind::kAccountChange);
  EXPECT_EQ(add.Extra("event.action"), "adding user");
  EXPECT_EQ(add.Extra("user.target.name"), "bob");
  EXPECT_EQ(add.Extra("user.target.id"), "1001");
  EXPECT_EQ(add.Extra("user.audit.name"), "alice");  // who created it
  EXPECT_EQ(add.Extra("event.outcome"), "success");
  EXPECT_EQ(add.exe, "/usr/sbin/useradd");
  EXPECT_EQ(out_.events[1].Extra("event.action"), "adding home directory");
  EXPECT_EQ(out_.events[1].Extra("user.target.id"), "1001");
  EXPECT_EQ(out_.events[2].Extra("event.action"), "add-group");
  EXPECT_EQ(out_.events[2].Extra("user.target.name"), "frodo");
  EXPECT_EQ(out_.events[3].Extra("user.target.name"), "<absent>");
  EXPECT_EQ(out_.events[3].Extra("user.target.id"), "1002");
}

TEST_F(AuditdParserTest, OtherKindKeepsEveryFieldWithUniqueKeys) {
  Feed({"type=AVC msg=audit(9.000:20): avc:  denied  { read } for  pid=13 comm=\"x\" name=\"y\"",
        "type=SYSCALL msg=audit(9.000:20): arch=c000003e syscall=2 pid=13",
        "type=PATH msg=audit(9.000:20): item=0 name=\"/a\"",
        "type=PATH msg=audit(9.000:20): item=1 name=\"/b\"", "type=EOE msg=audit(9.000:20): "});
  ASSERT_EQ(out_.events.size(), 1u);
  const Captured& e = out_.events[0];
  EXPECT_EQ(e.kind, EventKind::kOther);
  EXPECT_EQ(e.Extra("auditd.avc.name"), "y");
  EXPECT_EQ(e.Extra("auditd.path.name"), "/a");
  EXPECT_EQ(e.Extra("auditd.path.1.name"), "/b");
  for (size_t i = 0; i < e.extras.size(); ++i) {
    for (size_t j = i + 1; j < e.extras.size(); ++j)
      EXPECT_NE(e.extras[i].first, e.extras[j].first);
  }
}

TEST_F(AuditdParserTest, JsonWrappedRecordsAreDetectedPerMessage) {
  Feed(
      {R"({"@timestamp":"x","message":"type=SYSCALL msg=audit(9.000:30): syscall=59 pid=5\u001dUID=\"alice\""})",
       "type=EXECVE msg=audit(9.000:30): argc=1 a0=\"ls\"",
       R"({"host":{"name":"h"},"message":"type=EOE msg=audit(9.000:30): "})"});
  ASSERT_EQ(out_.events.size(), 1u);
  EXPECT_EQ(out_.events[0].command_line, "ls");
  EXPECT_EQ(out_.events[0].user, "alice");
  EXPECT_TRUE(out_.errors.empty());
}

TEST_F(AuditdParserTest, MalformedInputIsCountedByReason) {
  Feed({"", "   ", "hello world", "type=SYSCALL pid=1", "type=SYSCALL msg=audit(abc:1): pid=1",
        "type=SYSCALL msg=audit(1.000): pid=1", "type=SYSCALL msg=audit(1.000:1 pid=1",
        std::string_view("type=SYSCALL msg=audit(1.000:1): a=\0b", 36), "{not json",
        R"({"msg":"type=EOE msg=audit(1.000:1): "})", R"({"message":42})", "node= type=X",
        "type= msg=audit(1.000:1): ", "type=X msg=audit(0.000:1): ",
        "type=CWD msg=audit(1.000:1): cwd=\"/a\" cwd=\"/b\""});
  std::vector<ParseError> want = {
      ParseError::kEmpty,        ParseError::kEmpty,        ParseError::kBadFrame,
      ParseError::kMissingField, ParseError::kBadTimestamp, ParseError::kBadTimestamp,
      ParseError::kBadTimestamp, ParseError::kBadEncoding,  ParseError::kBadJson,
      ParseError::kMissingField, ParseError::kWrongType,    ParseError::kBadFrame,
      ParseError::kBadFrame,     ParseError::kBadTimestamp, ParseError::kBadFrame};
  EXPECT_EQ(out_.errors, want);
  Flush();
  EXPECT_TRUE(out_.events.empty());
}

TEST_F(AuditdParserTest, TruncatedFieldsNeverReadPastTheRecord) {
  Feed({"type=EXECVE msg=audit(2.000:1): argc=3 a0=\"unterminated",
        "type=EXECVE msg=audit(2.000:2): a", "type=EXECVE msg=audit(2.000:3): a1_len=4 a1[0]=6",
        "type=SOCKADDR msg=audit(2.000:4): saddr=0A00",
        "type=USER_CMD msg=audit(2.000:5): msg='cmd="});
  Flush();
  ASSERT_EQ(out_.events.size(), 5u);
  EXPECT_EQ(out_.events[0].command_line, "unterminated");
  EXPECT_EQ(out_.events[2].command_line, "6");  // odd hex kept as text
}

}  // namespace
}  // namespace loghunt
