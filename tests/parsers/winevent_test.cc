// Unit tests of WineventParser on minimal lines written for each case: shapes,
// kinds, field mapping, views vs unescaping, and every malformed-input path.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <simdjson.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "core/serialize.h"
#include "core/time.h"
#include "detectors/cluster/rare_pattern.h"
#include "detectors/rules/sigma_mapping.h"
#include "parsers/winevent/json_object_splitter.h"
#include "parsers/winevent/winevent_parser.h"
#include "tests/parsers/winevent_test_util.h"

namespace loghunt {
namespace {

using testing::CapturedEvent;
using testing::CapturingHandler;

class WineventParserTest : public ::testing::Test {
 protected:
  // Parses one message; returns the single event (fails the test otherwise).
  CapturedEvent One(std::string_view message) {
    CapturingHandler h;
    parser_.Parse(message, {"test", 0, 1}, h);
    EXPECT_TRUE(h.errors.empty()) << "error "
                                  << ParseErrorName(h.errors.empty() ? ParseError::kNone
                                                                     : h.errors[0])
                                  << " for " << message;
    EXPECT_EQ(h.events.size(), 1u) << message;
    return h.events.empty() ? CapturedEvent{} : h.events[0];
  }
  // Parses one message that must be rejected; returns the reason.
  ParseError Error(std::string_view message) {
    CapturingHandler h;
    parser_.Parse(message, {"test", 0, 1}, h);
    EXPECT_TRUE(h.events.empty()) << message;
    EXPECT_EQ(h.errors.size(), 1u) << message;
    return h.errors.empty() ? ParseError::kNone : h.errors[0];
  }

  ParserOptions options_;
  WineventParser parser_{options_};
};

constexpr std::string_view kSysmon1 =
    R"({"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Hostname": "WS5.lab",)"
    R"( "@timestamp": "2020-06-10T02:51:05.723Z", "Image": "C:\\Windows\\System32\\cmd.exe",)"
    R"( "CommandLine": "cmd.exe /c \"whoami /all\"", "ParentImage": "C:\\Windows\\explorer.exe",)"
    R"( "ParentCommandLine": "C:\\Windows\\Explorer.EXE", "User": "LAB\\alice", "LogonId": "0x3e4",)"
    R"( "ProcessId": "2008", "ParentProcessId": 696, "IntegrityLevel": "High",)"
    R"( "CurrentDirectory": "C:\\Users\\alice\\", "OriginalFileName": "Cmd.Exe",)"
    R"( "Hashes": "SHA1=C89B,MD5=49D5,SHA256=AA09,IMPHASH=4157", "tags": ["x"], "Extra": null})";

TEST_F(WineventParserTest, FlatSysmonProcessStartFillsSlotsAndKeepsOriginalFields) {
  CapturedEvent e = One(kSysmon1);
  EXPECT_EQ(e.kind, EventKind::kProcessStart);
  EXPECT_EQ(e.host, "WS5.lab");
  EXPECT_EQ(e.program, "Microsoft-Windows-Sysmon/Operational");
  EXPECT_EQ(e.timestamp_ns, *ParseRfc3339("2020-06-10T02:51:05.723Z"));
  EXPECT_EQ(e.executable, "C:\\Windows\\System32\\cmd.exe");
  EXPECT_EQ(e.command_line, "cmd.exe /c \"whoami /all\"");
  EXPECT_EQ(e.parent_executable, "C:\\Windows\\explorer.exe");
  EXPECT_EQ(e.parent_command_line, "C:\\Windows\\Explorer.EXE");
  EXPECT_EQ(e.user, "LAB\\alice");
  EXPECT_EQ(e.logon_id, "0x3e4");
  EXPECT_EQ(e.pid, 2008);
  EXPECT_EQ(e.ppid, 696);
  EXPECT_EQ(e.cwd, "C:\\Users\\alice\\");
  EXPECT_EQ(e.extras["OriginalFileName"], "Cmd.Exe");
  EXPECT_EQ(e.extras["CommandLine"], "cmd.exe /c \"whoami /all\"");
  EXPECT_EQ(e.extras["ParentProcessId"], "696");
  EXPECT_EQ(e.extras["IntegrityLevel"], "High");
  EXPECT_EQ(e.extras["process.integrity_level"], "High");
  EXPECT_EQ(e.extras["process.hash.sha1"], "C89B");
  EXPECT_EQ(e.extras["process.hash.md5"], "49D5");
  EXPECT_EQ(e.extras["process.hash.sha256"], "AA09");
  EXPECT_EQ(e.extras["process.pe.imphash"], "4157");
  // The same hashes in their slots, in the order of `Hashes`.
  EXPECT_EQ(e.hashes, (std::vector<std::string>{"C89B", "49D5", "AA09"}));
  EXPECT_EQ(e.extras["winlog.event_id"], "1");
  // Envelope fields fill slots only; arrays and nulls are skipped.
  EXPECT_EQ(e.extras.count("EventID"), 0u);
  EXPECT_EQ(e.extras.count("Channel"), 0u);
  EXPECT_EQ(e.extras.count("tags"), 0u);
  EXPECT_EQ(e.extras.count("Extra"), 0u);
  EXPECT_EQ(e.extra_count, e.extras.size());
}

TEST_F(WineventParserTest, UnescapedStringsAreViewsIntoTheMessageEscapedOnesAreDecoded) {
  CapturedEvent e = One(kSysmon1);
  auto in_message = [&](const std::string& v) {
    return std::find(e.views_in_message.begin(), e.views_in_message.end(), v) !=
           e.views_in_message.end();
  };
  EXPECT_TRUE(in_message("Cmd.Exe"));  // no escapes: a view
  EXPECT_TRUE(in_message("2008"));
  EXPECT_TRUE(in_message("696"));                              // number token: a view
  EXPECT_FALSE(in_message("C:\\Windows\\System32\\cmd.exe"));  // escaped: decoded elsewhere
  CapturedEvent u =
      One(R"({"EventID":4663,"Channel":"Security","Obj\u0065ct":"caf\u00e9 \ud83d\ude00\t/"})");
  EXPECT_EQ(u.extras["Object"], "caf\xc3\xa9 \xf0\x9f\x98\x80\t/");
}

TEST_F(WineventParserTest, Security4688UsesHexPidsSubjectDomainUserAndMandatoryLabel) {
  CapturedEvent e = One(
      R"({"EventID": 4688, "Channel": "Security", "Hostname": "DC1", "NewProcessName": "C:\\Windows\\System32\\sppsvc.exe",)"
      R"( "ParentProcessName": "C:\\Windows\\System32\\services.exe", "CommandLine": "C:\\windows\\system32\\sppsvc.exe",)"
      R"( "NewProcessId": "0x7d8", "ProcessId": "0x2b8", "SubjectUserName": "DC1$", "SubjectDomainName": "MORDOR",)"
      R"( "SubjectLogonId": "0x3e7", "MandatoryLabel": "S-1-16-16384", "TargetUserName": "bob"})");
  EXPECT_EQ(e.kind, EventKind::kProcessStart);
  EXPECT_EQ(e.executable, "C:\\Windows\\System32\\sppsvc.exe");
  EXPECT_EQ(e.parent_executable, "C:\\Windows\\System32\\services.exe");
  EXPECT_EQ(e.command_line, "C:\\windows\\system32\\sppsvc.exe");
  EXPECT_EQ(e.pid, 0x7d8);
  EXPECT_EQ(e.ppid, 0x2b8);
  EXPECT_EQ(e.user, "MORDOR\\DC1$");
  EXPECT_EQ(e.logon_id, "0x3e7");
  EXPECT_EQ(e.extras["process.integrity_level"], "System");
  EXPECT_EQ(e.extras["NewProcessName"], "C:\\Windows\\System32\\sppsvc.exe");
  EXPECT_EQ(e.extras["TargetUserName"], "bob");
}

TEST_F(WineventParserTest, UserWithoutDomainOrWithDashDomainIsJustTheName) {
  CapturedEvent e = One(
      R"({"EventID":4688,"Channel":"Security","SubjectUserName":"bob","NewProcessName":"a.exe"})");
  EXPECT_EQ(e.user, "bob");
  e = One(
      R"({"EventID":4688,"Channel":"Security","SubjectUserName":"bob","SubjectDomainName":"-"})");
  EXPECT_EQ(e.user, "bob");
}

// XML-to-JSON converters write <Data Name="X">v</Data> as an array of named
// values; its fields were skipped without an error (a 4688 came out with no
// command line).
TEST_F(WineventParserTest, EventDataAsAnArrayOfNamedValues) {
  CapturedEvent e = One(R"({"Event": {"System": {"EventID": 4688, "Channel": "Security",
      "Computer": "ws1"}, "EventData": {"Data": [
        {"@Name": "NewProcessName", "#text": "C:\\Windows\\System32\\cmd.exe"},
        {"#text": "cmd.exe /c whoami", "@Name": "CommandLine"},
        {"#attributes": {"Name": "ParentProcessName"}, "#text": "C:\\x\\explorer.exe"},
        {"Name": "SubjectUserName", "Value": "alice"},
        {"@Name": "Empty"}, "unnamed", {"#text": "no name"}, null]}}})");
  EXPECT_EQ(e.kind, EventKind::kProcessStart);
  EXPECT_EQ(e.executable, "C:\\Windows\\System32\\cmd.exe");
  EXPECT_EQ(e.command_line, "cmd.exe /c whoami");
  EXPECT_EQ(e.parent_executable, "C:\\x\\explorer.exe");
  EXPECT_EQ(e.extras.at("SubjectUserName"), "alice");
  EXPECT_EQ(e.extras.count("Empty"), 0u);
}

// PowerShell 400/800 and other classic events have unnamed <Data> elements;
// evtx_dump writes them as {"#text": [...]} (one value: {"#text": "v"}).
// They are kept as Winlogbeat names them (param1..N) and joined as Data,
// the field Sigma's classic PowerShell rules match.
TEST_F(WineventParserTest, UnnamedEventDataIsKeptAsParamsAndJoinedAsData) {
  CapturedEvent e = One(
      R"({"Event":{"System":{"Provider":{"#attributes":{"Name":"PowerShell"}},"EventID":400,)"
      R"("Channel":"Windows PowerShell","Computer":"ws42"},"EventData":{"Data":{"#text":)"
      R"(["Available","None","\tNewEngineState=Available\r\n\tHostApplication=powershell.exe -nop"]},)"
      R"("Binary":null}}})");
  EXPECT_EQ(e.extras["param1"], "Available");
  EXPECT_EQ(e.extras["param2"], "None");
  EXPECT_EQ(e.extras["param3"],
            "\tNewEngineState=Available\r\n\tHostApplication=powershell.exe -nop");
  EXPECT_EQ(e.extras["Data"],
            "Available\nNone\n\tNewEngineState=Available\r\n\tHostApplication=powershell.exe -nop");
  EXPECT_EQ(e.extras.count("#text"), 0u);
  e = One(R"({"Event":{"System":{"EventID":7045,"Channel":"System"},)"
          R"("EventData":{"Data":{"#text":"single unnamed"},"Binary":"E207"}}})");
  EXPECT_EQ(e.extras["param1"], "single unnamed");
  EXPECT_EQ(e.extras["Data"], "single unnamed");
  EXPECT_EQ(e.extras.count("#text"), 0u);
  // Unnamed values among named ones (an array of <Data>) are numbered alike.
  e = One(R"({"Event":{"System":{"EventID":1,"Channel":"Application"},"EventData":{"Data":)"
          R"([{"@Name":"A","#text":"a"},"first",{"#text":"second"},7]}}})");
  EXPECT_EQ(e.extras["A"], "a");
  EXPECT_EQ(e.extras["param1"], "first");
  EXPECT_EQ(e.extras["param2"], "second");
  EXPECT_EQ(e.extras["param3"], "7");
  EXPECT_EQ(e.extras["Data"], "first\nsecond\n7");
}

TEST_F(WineventParserTest, KeyOrderDoesNotMatter) {
  // Split kSysmon1 into its top-level members and feed them in other orders.
  std::string body(kSysmon1.substr(1, kSysmon1.size() - 2));
  std::vector<std::string> members;
  int depth = 0;
  bool in_string = false;
  std::string cur;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (in_string) {
      if (c == '\\') {
        cur += c;
        c = body[++i];
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == ',' && depth == 0) {
      members.push_back(cur);
      cur.clear();
      continue;
    }
    cur += c;
  }
  members.push_back(cur);
  ASSERT_GT(members.size(), 15u);
  CapturedEvent reference = One(kSysmon1);
  for (int variant = 0; variant < 3; ++variant) {
    if (variant == 0) std::reverse(members.begin(), members.end());
    if (variant == 1) std::rotate(members.begin(), members.begin() + 7, members.end());
    if (variant == 2) std::sort(members.begin(), members.end());
    std::string line = "{";
    for (size_t i = 0; i < members.size(); ++i) line += (i ? "," : "") + members[i];
    line += "}";
    EXPECT_EQ(One(line), reference) << line;
  }
}

// Issue 5, done-when 2: the same 4688 as Winlogbeat, NXLog and Sentinel ship it.
TEST_F(WineventParserTest, SameEventInWinlogbeatNxlogAndSentinelShapesNormalizesIdentically) {
  const std::string data =
      R"("NewProcessName": "C:\\Windows\\System32\\rundll32.exe",)"
      R"( "CommandLine": "rundll32.exe C:\\windows\\System32\\comsvcs.dll, MiniDump 624 C:\\lsass.dmp full",)"
      R"( "ParentProcessName": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",)"
      R"( "NewProcessId": "0x1a2b", "ProcessId": "0x450", "SubjectUserName": "wardog",)"
      R"( "SubjectDomainName": "WORKSTATION5", "SubjectLogonId": "0x13899ea",)"
      R"( "MandatoryLabel": "S-1-16-12288", "TokenElevationType": "%%1937")";
  const std::string winlogbeat =
      R"({"@timestamp": "2020-10-18T23:50:09.247Z", "host": {"name": "WORKSTATION5"},)"
      R"( "event": {"code": "4688", "kind": "event"}, "agent": {"type": "winlogbeat"},)"
      R"( "winlog": {"channel": "Security", "event_id": "4688", "computer_name": "WORKSTATION5",)"
      R"( "provider_name": "Microsoft-Windows-Security-Auditing", "record_id": 12, "event_data": {)" +
      data + "}}}";
  const std::string nxlog =
      R"({"EventID": 4688, "SourceName": "Microsoft-Windows-Security-Auditing", "Hostname": "WORKSTATION5",)"
      R"( "Channel": "Security", "@timestamp": "2020-10-18T23:50:09.247Z", )" +
      data + "}";
  const std::string sentinel =
      R"({"TimeGenerated": "2020-10-18T23:50:09.247Z", "Computer": "WORKSTATION5", "EventID": 4688,)"
      R"( "EventSourceName": "Microsoft-Windows-Security-Auditing", "Channel": "Security", )" +
      data + "}";
  CapturedEvent w = One(winlogbeat), n = One(nxlog), s = One(sentinel);
  EXPECT_EQ(w.kind, EventKind::kProcessStart);
  EXPECT_EQ(w.command_line,
            "rundll32.exe C:\\windows\\System32\\comsvcs.dll, MiniDump 624 C:\\lsass.dmp full");
  EXPECT_EQ(w.user, "WORKSTATION5\\wardog");
  EXPECT_EQ(w.pid, 0x1a2b);
  EXPECT_EQ(w.host, "WORKSTATION5");
  EXPECT_EQ(w.program, "Security");
  EXPECT_EQ(w.extras["winlog.provider_name"], "Microsoft-Windows-Security-Auditing");
  EXPECT_EQ(w.extras["process.integrity_level"], "High");
  EXPECT_EQ(w, n);
  EXPECT_EQ(w, s);
  EXPECT_EQ(w.extras, n.extras);
  EXPECT_EQ(w.extras, s.extras);
}

// Windows Event Forwarding: Winlogbeat on the collector writes host.name (the
// collector) next to winlog.computer_name (the machine that logged the
// event); the event belongs to the latter whatever the key order.
TEST_F(WineventParserTest, WinlogComputerNameWinsOverTheCollectorsHostName) {
  const std::string winlog =
      R"("winlog":{"channel":"Security","computer_name":"ws42.corp.local","event_id":4624,)"
      R"("event_data":{"TargetUserName":"bob","TargetDomainName":"CORP","LogonType":"3"}})";
  const std::string host = R"("host":{"name":"wec01.corp"})";
  EXPECT_EQ(One("{" + host + "," + winlog + "}").host, "ws42.corp.local");
  EXPECT_EQ(One("{" + winlog + "," + host + "}").host, "ws42.corp.local");
  // The same for a flat record with both Hostname and Computer.
  EXPECT_EQ(
      One(R"({"Hostname":"wec01","Computer":"ws42","EventID":4624,"Channel":"Security"})").host,
      "ws42");
  EXPECT_EQ(One(R"({"host":{"name":"wec01"},"EventID":4624,"Channel":"Security"})").host, "wec01");
}

TEST_F(WineventParserTest, EvtxDumpShapeReadsSystemAndEventData) {
  CapturedEvent e = One(R"({
  "Event": {
    "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
    "System": {
      "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon", "Guid": "5770385F"}},
      "EventID": 1,
      "TimeCreated": {"#attributes": {"SystemTime": "2025-12-06T21:11:02.649150Z"}},
      "Correlation": null,
      "Execution": {"#attributes": {"ProcessID": 3904, "ThreadID": 4272}},
      "Channel": "Microsoft-Windows-Sysmon/Operational",
      "Computer": "swachchhanda"
    },
    "EventData": {
      "ProcessId": 3412,
      "Image": "C:\\Windows\\System32\\cmd.exe",
      "OriginalFileName": "Cmd.Exe",
      "CommandLine": "C:\\WINDOWS\\system32\\cmd.exe /d /s /c \"whoami\"",
      "User": "swachchhanda\\xodih",
      "TerminalSessionId": 1,
      "Hashes": "MD5=352B,SHA256=1F1D,IMPHASH=94F3",
      "ParentProcessId": 1092,
      "ParentImage": "C:\\node.exe"
    }
  }
})");
  EXPECT_EQ(e.kind, EventKind::kProcessStart);
  EXPECT_EQ(e.host, "swachchhanda");
  EXPECT_EQ(e.program, "Microsoft-Windows-Sysmon/Operational");
  EXPECT_EQ(e.timestamp_ns, *ParseRfc3339("2025-12-06T21:11:02.649150Z"));
  EXPECT_EQ(e.pid, 3412);
  EXPECT_EQ(e.ppid, 1092);
  EXPECT_EQ(e.command_line, "C:\\WINDOWS\\system32\\cmd.exe /d /s /c \"whoami\"");
  EXPECT_EQ(e.parent_executable, "C:\\node.exe");
  EXPECT_EQ(e.user, "swachchhanda\\xodih");
  EXPECT_EQ(e.extras["TerminalSessionId"], "1");
  EXPECT_EQ(e.extras["OriginalFileName"], "Cmd.Exe");
  EXPECT_EQ(e.extras["process.hash.md5"], "352B");
  EXPECT_EQ(e.extras.count("process.hash.sha1"), 0u);
  EXPECT_EQ(e.hashes, (std::vector<std::string>{"352B", "1F1D"}));
  EXPECT_EQ(e.extras["winlog.provider_name"], "Microsoft-Windows-Sysmon");
  EXPECT_EQ(e.extras.count("ThreadID"), 0u);  // System/Execution is envelope, not data
}

TEST_F(WineventParserTest, EvtxEventIdWithQualifiersAndUserData) {
  CapturedEvent e = One(
      R"({"Event":{"System":{"EventID":{"#attributes":{"Qualifiers":16384},"#text":7045},"Channel":"System"},)"
      R"("EventData":{"ServiceName":"PSEXESVC","ImagePath":"%SystemRoot%\\PSEXESVC.exe"}}})");
  EXPECT_EQ(e.kind, EventKind::kServiceInstall);
  EXPECT_EQ(e.command_line, "%SystemRoot%\\PSEXESVC.exe");
  EXPECT_EQ(e.extras["service.name"], "PSEXESVC");
  EXPECT_EQ(e.extras["winlog.event_id"], "7045");
  e = One(
      R"({"Event":{"System":{"EventID":104,"Channel":"System"},"UserData":{"LogFileCleared":)"
      R"({"#attributes":{"xmlns":"x"},"SubjectUserName":"admin","SubjectDomainName":"LAB","Channel":"Security"}}}})");
  EXPECT_EQ(e.kind, EventKind::kLogCleared);
  EXPECT_EQ(e.program, "System");
  EXPECT_EQ(e.user, "LAB\\admin");
  EXPECT_EQ(e.extras["Channel"], "Security");  // the cleared log, as data
  EXPECT_EQ(e.extras.count("xmlns"), 0u);
}

// xmltodict (Python's usual XML-to-JSON) writes attributes as "@Name" keys:
// {"TimeCreated": {"@SystemTime": ...}}, {"Provider": {"@Name": ...}}.
TEST_F(WineventParserTest, XmltodictAttributesGiveTimeAndProvider) {
  CapturedEvent e = One(
      R"({"Event":{"System":{"Provider":{"@Name":"Microsoft-Windows-Sysmon","@Guid":"{5770385F}"},)"
      R"("EventID":"1","TimeCreated":{"@SystemTime":"2024-01-15 10:00:00.123456"},)"
      R"("Execution":{"@ProcessID":"3208"},"Channel":"Microsoft-Windows-Sysmon/Operational",)"
      R"("Computer":"ws42"},"EventData":{"Data":[{"@Name":"Image","#text":"C:\\x\\cmd.exe"},)"
      R"({"@Name":"CommandLine","#text":"cmd /c whoami"}]}}})");
  EXPECT_EQ(e.kind, EventKind::kProcessStart);
  EXPECT_EQ(e.extras["winlog.provider_name"], "Microsoft-Windows-Sysmon");
  EXPECT_EQ(e.timestamp_ns, *ParseRfc3339("2024-01-15T10:00:00.123456Z"));
  EXPECT_EQ(e.command_line, "cmd /c whoami");
  e = One(
      R"({"Event":{"System":{"Provider":{"@Name":"Microsoft-Windows-Security-Auditing"},)"
      R"("EventID":{"@Qualifiers":"0","#text":"4625"},"TimeCreated":{"@SystemTime":"2024-01-15T10:00:00Z"},)"
      R"("Channel":"Security","Computer":"dc01"},"EventData":{"Data":[{"@Name":"TargetUserName","#text":"bob"}]}}})");
  EXPECT_EQ(e.kind, EventKind::kLogon);
  EXPECT_EQ(e.extras["winlog.event_id"], "4625");
  EXPECT_EQ(e.extras["winlog.provider_name"], "Microsoft-Windows-Security-Auditing");
  EXPECT_EQ(e.timestamp_ns, *ParseRfc3339("2024-01-15T10:00:00Z"));
}

TEST_F(WineventParserTest, LegacyEventIdWithQualifierBitsAndLeadingZerosAreNormalized) {
  CapturedEvent e = One(R"({"EventID":1073748869,"Channel":"System","ServiceName":"x"})");
  EXPECT_EQ(e.kind, EventKind::kServiceInstall);
  EXPECT_EQ(e.extras["winlog.event_id"], "7045");
  e = One(R"({"EventID":"04688","Channel":"Security"})");
  EXPECT_EQ(e.kind, EventKind::kProcessStart);
  EXPECT_EQ(e.extras["winlog.event_id"], "4688");
}

TEST_F(WineventParserTest, LogonEventsCarryTypeResultSourceAndWorkstation) {
  CapturedEvent e = One(
      R"({"EventID":4624,"Channel":"Security","TargetUserName":"alice","TargetDomainName":"LAB",)"
      R"("TargetLogonId":"0x51c3b8","SubjectUserName":"DC$","SubjectDomainName":"LAB","LogonType":"10",)"
      R"("IpAddress":"10.0.0.5","IpPort":"50123","WorkstationName":"KALI","ProcessName":"C:\\Windows\\System32\\lsass.exe","ProcessId":"0x2f4"})");
  EXPECT_EQ(e.kind, EventKind::kLogon);
  EXPECT_EQ(e.logon_user, "LAB\\alice");
  EXPECT_EQ(e.logon_result, LogonResult::kSuccess);
  EXPECT_EQ(e.logon_method, "remote_interactive");
  EXPECT_EQ(e.logon_source_ip, "10.0.0.5");
  EXPECT_EQ(e.extras["source.domain"], "KALI");
  EXPECT_EQ(e.logon_id, "0x51c3b8");
  EXPECT_EQ(e.executable, "C:\\Windows\\System32\\lsass.exe");
  EXPECT_EQ(e.pid, 0x2f4);

  e = One(
      R"({"EventID":4625,"Channel":"Security","TargetUserName":"root","LogonType":3,"IpAddress":"-","WorkstationName":"-"})");
  EXPECT_EQ(e.kind, EventKind::kLogon);
  EXPECT_EQ(e.logon_result, LogonResult::kFailure);
  EXPECT_EQ(e.logon_method, "network");
  EXPECT_EQ(e.logon_source_ip, "");
  EXPECT_EQ(e.extras.count("source.domain"), 0u);

  e = One(
      R"({"EventID":4634,"Channel":"Security","TargetUserName":"alice","TargetDomainName":"LAB","LogonType":"3"})");
  EXPECT_EQ(e.kind, EventKind::kLogoff);
  EXPECT_EQ(e.logon_user, "LAB\\alice");
  e = One(R"({"EventID":4647,"Channel":"Security","TargetUserName":"alice"})");
  EXPECT_EQ(e.kind, EventKind::kLogoff);
  e = One(
      R"({"EventID":4672,"Channel":"Security","SubjectUserName":"SYSTEM","SubjectDomainName":"NT AUTHORITY","SubjectLogonId":"0x3e7"})");
  EXPECT_EQ(e.kind, EventKind::kLogon);
  EXPECT_EQ(e.logon_user, "NT AUTHORITY\\SYSTEM");
  EXPECT_EQ(e.logon_id, "0x3e7");
  e = One(
      R"({"EventID":4648,"Channel":"Security","SubjectUserName":"a","TargetUserName":"admin","TargetDomainName":"LAB","IpAddress":"::1"})");
  EXPECT_EQ(e.kind, EventKind::kLogon);
  EXPECT_EQ(e.logon_user, "LAB\\admin");
  EXPECT_EQ(e.user, "a");
  EXPECT_EQ(e.logon_source_ip, "::1");
}

TEST_F(WineventParserTest, SysmonNetworkAndDns) {
  CapturedEvent e = One(
      R"({"EventID":3,"Channel":"Microsoft-Windows-Sysmon/Operational","Image":"C:\\svchost.exe","User":"NT AUTHORITY\\LOCAL SERVICE",)"
      R"("Protocol":"udp","SourceIp":"192.168.2.5","SourcePort":"61628","DestinationIp":"239.255.255.250","DestinationPort":"1900","ProcessId":"4584"})");
  EXPECT_EQ(e.kind, EventKind::kNetwork);
  EXPECT_EQ(e.source_ip, "192.168.2.5");
  EXPECT_EQ(e.source_port, 61628);
  EXPECT_EQ(e.destination_ip, "239.255.255.250");
  EXPECT_EQ(e.destination_port, 1900);
  EXPECT_EQ(e.protocol, "udp");
  EXPECT_EQ(e.executable, "C:\\svchost.exe");
  EXPECT_EQ(e.user, "NT AUTHORITY\\LOCAL SERVICE");
  EXPECT_EQ(e.pid, 4584);
  e = One(
      R"({"EventID":22,"Channel":"Microsoft-Windows-Sysmon/Operational","QueryName":"evil.example","QueryResults":"::1;","Image":"C:\\a.exe"})");
  EXPECT_EQ(e.kind, EventKind::kDnsQuery);
  EXPECT_EQ(e.extras["dns.question.name"], "evil.example");
  EXPECT_EQ(e.dns_query, "evil.example");
  EXPECT_EQ(e.extras["QueryResults"], "::1;");
}

TEST_F(WineventParserTest, AccountChangesServiceInstallsAndLogClears) {
  CapturedEvent e = One(
      R"({"EventID":4720,"Channel":"Security","SubjectUserName":"admin","SubjectDomainName":"LAB","SubjectLogonId":"0x1",)"
      R"("TargetUserName":"backdoor","TargetDomainName":"LAB"})");
  EXPECT_EQ(e.kind, EventKind::kAccountChange);
  EXPECT_EQ(e.user, "LAB\\admin");
  EXPECT_EQ(e.extras["user.target.name"], "LAB\\backdoor");
  for (int id : {4722, 4724, 4738}) {
    e = One(R"({"EventID":)" + std::to_string(id) +
            R"(,"Channel":"Security","TargetUserName":"u"})");
    EXPECT_EQ(e.kind, EventKind::kAccountChange) << id;
  }
  e = One(
      R"({"EventID":4732,"Channel":"Security","SubjectUserName":"admin","TargetUserName":"Administrators",)"
      R"("MemberName":"-","MemberSid":"S-1-5-21-1-2-3-1104"})");
  EXPECT_EQ(e.kind, EventKind::kAccountChange);
  EXPECT_EQ(e.extras["group.name"], "Administrators");
  EXPECT_EQ(e.extras["user.target.name"], "S-1-5-21-1-2-3-1104");
  e = One(
      R"({"EventID":4728,"Channel":"Security","TargetUserName":"Domain Admins","MemberName":"CN=bob,DC=lab"})");
  EXPECT_EQ(e.extras["user.target.name"], "CN=bob,DC=lab");

  e = One(
      R"({"EventID":4697,"Channel":"Security","ServiceName":"evil","ServiceFileName":"cmd /c calc"})");
  EXPECT_EQ(e.kind, EventKind::kServiceInstall);
  EXPECT_EQ(e.command_line, "cmd /c calc");
  EXPECT_EQ(e.extras["service.name"], "evil");
  e = One(
      R"({"SourceName":"Service Control Manager","ServiceName":"PSEXESVC","ImagePath":"%SystemRoot%\\PSEXESVC.exe","Channel":"System","EventID":7045})");
  EXPECT_EQ(e.kind, EventKind::kServiceInstall);
  EXPECT_EQ(e.extras["winlog.provider_name"], "Service Control Manager");
  e = One(R"({"EventID":1102,"Channel":"Security","SubjectUserName":"admin"})");
  EXPECT_EQ(e.kind, EventKind::kLogCleared);
  e = One(R"({"EventID":104,"Channel":"System"})");
  EXPECT_EQ(e.kind, EventKind::kLogCleared);
}

TEST_F(WineventParserTest, IdsAreOnlyMeaningfulInTheirChannel) {
  // EventID 1 outside Sysmon (e.g. a Kernel-General time change) is not a process start.
  EXPECT_EQ(One(R"({"EventID":1,"Channel":"System","Image":"x"})").kind, EventKind::kOther);
  EXPECT_EQ(One(R"({"EventID":104,"Channel":"Security"})").kind, EventKind::kOther);
  EXPECT_EQ(One(R"({"EventID":4688,"Channel":"Microsoft-Windows-Sysmon/Operational"})").kind,
            EventKind::kOther);
  // Lower-case channel names occur in the Security-Datasets.
  EXPECT_EQ(One(R"({"EventID":4688,"Channel":"security"})").kind, EventKind::kProcessStart);
}

TEST_F(WineventParserTest, OtherEventsKeepAllEventDataAsExtras) {
  CapturedEvent e = One(
      R"({"EventID":4663,"Channel":"Security","ObjectName":"\\Device\\X","AccessMask":"0x1","HandleId":"0xb38","Level":0,"Archived":true})");
  EXPECT_EQ(e.kind, EventKind::kOther);
  EXPECT_EQ(e.extras["ObjectName"], "\\Device\\X");
  EXPECT_EQ(e.extras["AccessMask"], "0x1");
  EXPECT_EQ(e.extras["HandleId"], "0xb38");
  EXPECT_EQ(e.extras["Level"], "0");
  EXPECT_EQ(e.extras["Archived"], "true");
  EXPECT_EQ(e.extras["winlog.event_id"], "4663");
  EXPECT_EQ(e.extras.size(), 6u);
}

TEST_F(WineventParserTest, TimestampPrefersEventTimeOverReceiptTime) {
  CapturedEvent e = One(
      R"({"EventID":5,"@timestamp":"2020-10-23T02:36:44.000Z","TimeCreated":"2020-10-23T02:36:43.128Z","EventTime":"2020-10-22 22:36:43"})");
  EXPECT_EQ(e.timestamp_ns, *ParseRfc3339("2020-10-23T02:36:43.128Z"));
  e = One(R"({"EventID":5,"EventTime":"2020-10-22 22:36:43","@timestamp":"bogus"})");
  EXPECT_EQ(e.timestamp_ns, *ParseRfc3339("2020-10-22T22:36:43Z"));
  e = One(R"({"EventID":5,"TimeCreated":"yesterday"})");
  EXPECT_EQ(e.timestamp_ns, 0);  // unreadable time: the event is kept, time unknown
  // Found by the fuzzer: years outside int64 nanoseconds (1677..2262) overflowed.
  e = One(R"({"EventID":5,"TimeCreated":"0001-01-01T00:00:00Z"})");
  EXPECT_EQ(e.timestamp_ns, 0);
  e = One(
      R"({"EventID":5,"TimeCreated":"9999-12-31T23:59:59Z","@timestamp":"2020-01-01T00:00:00Z"})");
  EXPECT_EQ(e.timestamp_ns, *ParseRfc3339("2020-01-01T00:00:00Z"));
}

TEST_F(WineventParserTest, MessageFieldIsUnescapedIntoTheMessageSlot) {
  CapturedEvent e = One(R"({"EventID":1,"Message":"Process Create:\r\nImage: C:\\a.exe"})");
  EXPECT_EQ(e.message, "Process Create:\r\nImage: C:\\a.exe");
  EXPECT_EQ(e.extras.count("Message"), 0u);
  e = One(R"({"winlog":{"event_id":4634},"message":"An account was logged off."})");
  EXPECT_EQ(e.message, "An account was logged off.");
}

// Calls `check` with each event while the parser's views are still valid.
class CheckingHandler : public EventHandler {
 public:
  explicit CheckingHandler(std::function<void(const Event&)> check) : check_(std::move(check)) {}
  void OnEvent(const Event& e) override {
    ++events;
    check_(e);
  }
  void OnError(ParseError reason, std::string_view, const SourcePosition&) override {
    ADD_FAILURE() << "error " << ParseErrorName(reason);
  }
  int events = 0;

 private:
  std::function<void(const Event&)> check_;
};

// The message slot is left escaped until read; reading it, through any of the
// ways consumers do, gives the decoded text.
TEST_F(WineventParserTest, EscapedMessageIsDecodedWhenReadAndEveryConsumerSeesTheText) {
  constexpr std::string_view kDecoded = "Process Create:\r\nImage: C:\\a.exe\t\"x\"";
  CheckingHandler unread([&](const Event& e) { EXPECT_FALSE(e.message.decoded()); });
  parser_.Parse(R"({"EventID":1,"Message":"Process Create:\r\nImage: C:\\a.exe\t\"x\""})",
                {"test", 0, 1}, unread);
  EXPECT_EQ(unread.events, 1);

  CheckingHandler consumers([&](const Event& e) {
    EXPECT_FALSE(e.message.empty());  // answered without decoding
    EXPECT_FALSE(e.message.decoded());
    std::string_view text = e.message;
    EXPECT_EQ(text, kDecoded);
    EXPECT_TRUE(e.message.decoded());
    EXPECT_EQ(e.message.view(), kDecoded);
    EXPECT_EQ(e.message.view().data(), text.data());  // decoded once

    // Serializer (alert evidence).
    rapidjson::Document doc;
    doc.Parse(SerializeEvent(e).c_str());
    ASSERT_TRUE(doc.IsObject() && doc.HasMember("message"));
    EXPECT_EQ(std::string_view(doc["message"].GetString(), doc["message"].GetStringLength()),
              kDecoded);
    // Sigma rules reading the `message` field.
    std::string_view sigma_value;
    ASSERT_TRUE(EventFieldSource::Parse("message").Read(e, &sigma_value));
    EXPECT_EQ(sigma_value, kDecoded);
  });
  parser_.Parse(R"({"EventID":1,"Message":"Process Create:\r\nImage: C:\\a.exe\t\"x\""})",
                {"test", 0, 1}, consumers);
  EXPECT_EQ(consumers.events, 1);

  // Clustering tokenizes the message (no command line): decoded, "\r\n" is a
  // separator, so the two lines give two tokens, not one.
  ClusterDetectorConfig config;
  config.enabled = true;
  config.warmup_events = 0;
  RarePatternDetector cluster(config);
  CheckingHandler clustering([&](const Event& e) {
    std::vector<Alert> alerts;
    cluster.Inspect(e, alerts);
  });
  parser_.Parse(R"({"EventID":4634,"Hostname":"ws1","Message":"Logoff:\r\nAccount\tgone"})",
                {"test", 0, 1}, clustering);
  ClusterSnapshot snapshot = cluster.Snapshot();
  ASSERT_EQ(snapshot.hosts.size(), 1u);
  ASSERT_EQ(snapshot.hosts[0].patterns.size(), 1u);
  EXPECT_EQ(snapshot.hosts[0].patterns[0].template_text, "Logoff: Account gone");

  // Unescaped text and text with \u are decoded while parsing.
  CheckingHandler plain([&](const Event& e) {
    EXPECT_TRUE(e.message.decoded());
    EXPECT_EQ(e.message.view(), "An account was logged off.");
  });
  parser_.Parse(R"({"EventID":4634,"Message":"An account was logged off."})", {"test", 0, 1},
                plain);
  CheckingHandler unicode([&](const Event& e) {
    EXPECT_TRUE(e.message.decoded());
    EXPECT_EQ(e.message.view(), "caf\xc3\xa9\r\n");
  });
  parser_.Parse(R"({"EventID":4634,"Message":"caf\u00e9\r\n"})", {"test", 0, 1}, unicode);
}

// The parser's own unescaping loop works in 16-byte steps; escapes on and across
// step boundaries, runs of escapes and \u (left to simdjson) must all decode
// exactly as simdjson decodes them.
TEST_F(WineventParserTest, EscapesDecodeLikeSimdjsonAtEveryOffset) {
  const std::string_view escapes[] = {
      R"(\\)", R"(\")",   R"(\/)",   R"(\b)",     R"(\f)",           R"(\n)",  R"(\r)",
      R"(\t)", R"(\r\n)", R"(\\\\)", R"(\u00e9)", R"(\ud83d\ude00)", R"(\"\\)"};
  simdjson::dom::parser dom;
  for (std::string_view esc : escapes) {
    for (size_t before = 0; before < 36; ++before) {
      for (size_t after : {0u, 1u, 15u, 16u, 17u, 40u}) {
        std::string body = std::string(before, 'a') + std::string(esc) + std::string(after, 'z') +
                           std::string(esc);
        std::string json = R"({"EventID":1,"V":")" + body + R"(","W":"x\\y"})";
        std::string_view expected;
        ASSERT_EQ(dom.parse(json)["V"].get_string().get(expected), simdjson::SUCCESS) << json;
        CapturedEvent e = One(json);
        EXPECT_EQ(e.extras["V"], expected) << json;
        EXPECT_EQ(e.extras["W"], "x\\y") << json;
      }
    }
  }
}

// The message is checked while parsing in 64-byte blocks and decoded when read
// in 16-byte steps: both must agree with simdjson at every offset.
TEST_F(WineventParserTest, DeferredMessageDecodesLikeSimdjsonAtEveryOffset) {
  const std::string_view escapes[] = {R"(\\)",   R"(\")", R"(\/)",   R"(\b)",     R"(\f)",  R"(\n)",
                                      R"(\r\n)", R"(\t)", R"(\\\\)", R"(\u00e9)", R"(\"\\)"};
  simdjson::dom::parser dom;
  for (std::string_view esc : escapes) {
    for (size_t before = 0; before < 132; ++before) {
      for (size_t after : {0u, 1u, 63u, 64u, 65u}) {
        std::string body = std::string(before, 'a') + std::string(esc) + std::string(after, 'z') +
                           std::string(esc);
        std::string json = R"({"EventID":1,"Message":")" + body + R"(","Message":"second"})";
        std::string_view expected;
        ASSERT_EQ(dom.parse(json)["Message"].get_string().get(expected), simdjson::SUCCESS);
        CapturedEvent e = One(json);
        EXPECT_EQ(e.message, expected) << json;
      }
    }
  }
}

// One invalid UTF-8 byte or lone surrogate escape (Windows strings may hold
// one) hid the whole event, a process creation from every rule, as
// bad_encoding: they become U+FFFD and the event is read. A surrogate pair
// stays as it is.
TEST_F(WineventParserTest, BadCharactersBecomeReplacementCharactersNotALostEvent) {
  constexpr std::string_view kHead =
      R"({"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"ws42",)"
      R"("Image":"C:\\x\\mimikatz.exe","ProcessId":1,"CommandLine":"mimikatz )";
  const std::string fffd = "\xEF\xBF\xBD";
  CapturedEvent lone = One(std::string(kHead) + R"(\ud800 sekurlsa::logonpasswords"})");
  EXPECT_EQ(lone.command_line, "mimikatz " + fffd + " sekurlsa::logonpasswords");
  CapturedEvent low = One(std::string(kHead) + R"(\udc00\ud83d x"})");
  EXPECT_EQ(low.command_line, "mimikatz " + fffd + fffd + " x");
  CapturedEvent byte = One(std::string(kHead) + "caf\xe9 sekurlsa::logonpasswords\"}");
  EXPECT_EQ(byte.command_line, "mimikatz caf" + fffd + " sekurlsa::logonpasswords");
  CapturedEvent pair = One(std::string(kHead) + R"(\ud83d\ude00"})");
  EXPECT_EQ(pair.command_line, "mimikatz \xF0\x9F\x98\x80");
  CapturedEvent message = One(R"({"EventID":1,"Message":"a\ud800b\\ud800"})");
  EXPECT_EQ(message.message, "a" + fffd + "b\\ud800");
}

TEST_F(WineventParserTest, BadEscapesInTheDeferredMessageAreStillRejected) {
  for (size_t before : {0u, 15u, 62u, 63u, 64u, 100u}) {
    std::string pad(before, 'a');
    for (std::string_view bad : {R"(\x)", R"(\u12)", R"(\\\q)"}) {
      std::string json = R"({"EventID":1,"Message":")" + pad + std::string(bad) + R"(\r\n"})";
      EXPECT_EQ(Error(json), ParseError::kBadEncoding) << json;
      // A duplicate message is checked too, though the first one wins.
      json = R"({"EventID":1,"Message":"ok","Message":")" + pad + std::string(bad) + R"("})";
      EXPECT_EQ(Error(json), ParseError::kBadEncoding) << json;
    }
  }
}

// simdjson reads past the end of its input; the parser parses a message in
// place only when those bytes are in the message's own page, and copies it
// otherwise. A message that ends where unmapped memory begins must parse.
TEST_F(WineventParserTest, MessageEndingAtUnmappedMemoryParses) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  void* mem = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  char* guard = static_cast<char*>(mem) + page;
  ASSERT_EQ(mprotect(guard, page, PROT_NONE), 0);
  const std::string json =
      R"({"EventID":4688,"Channel":"Security","NewProcessName":"C:\\x.exe","Message":"a\r\nb"})";
  for (size_t gap : {0u, 1u, 63u, 64u, 65u, 200u}) {
    char* start = guard - gap - json.size();
    std::memcpy(start, json.data(), json.size());
    CapturedEvent e = One(std::string_view(start, json.size()));
    EXPECT_EQ(e.executable, "C:\\x.exe") << gap;
    EXPECT_EQ(e.message, "a\r\nb") << gap;
  }
  munmap(mem, 2 * page);
}

TEST_F(WineventParserTest, DuplicateKeysKeepTheFirstValueAndExtrasStayUnique) {
  CapturedEvent e = One(
      R"({"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Image":"first.exe","Image":"second.exe",)"
      R"("winlog.event_id":"99","EventID":7})");
  EXPECT_EQ(e.kind, EventKind::kProcessStart);
  EXPECT_EQ(e.executable, "first.exe");
  EXPECT_EQ(e.extras["Image"], "first.exe");
  EXPECT_EQ(e.extra_count, e.extras.size());
}

TEST_F(WineventParserTest, WinlogbeatEventCodeIsAFallbackForTheEventId) {
  CapturedEvent e = One(
      R"({"event":{"code":4688},"winlog":{"channel":"Security","event_data":{"NewProcessName":"a.exe"}}})");
  EXPECT_EQ(e.kind, EventKind::kProcessStart);
  EXPECT_EQ(e.executable, "a.exe");
}

TEST_F(WineventParserTest, SentinelAccountIsUsedWhenSubjectNamesAreAbsent) {
  CapturedEvent e = One(
      R"({"EventID":4688,"Channel":"Security","Account":"LAB\\carol","NewProcessName":"a.exe"})");
  EXPECT_EQ(e.user, "LAB\\carol");
  EXPECT_EQ(e.extras["Account"], "LAB\\carol");
}

TEST_F(WineventParserTest, UnreadablePidsAndPortsAreUnknownNotErrors) {
  CapturedEvent e = One(
      R"({"EventID":3,"Channel":"Microsoft-Windows-Sysmon/Operational","ProcessId":"abc","SourcePort":"99999","DestinationPort":{"x":1}})");
  EXPECT_EQ(e.pid, -1);
  EXPECT_EQ(e.source_port, -1);
  EXPECT_EQ(e.destination_port, -1);
}

TEST_F(WineventParserTest, MalformedMessagesAreReportedWithAReason) {
  EXPECT_EQ(Error(""), ParseError::kEmpty);
  EXPECT_EQ(Error(" \t\r\n"), ParseError::kEmpty);
  EXPECT_EQ(Error("\n"), ParseError::kEmpty);
  EXPECT_EQ(One(" \n{\"EventID\":4634} \r\n").kind, EventKind::kLogoff);
  EXPECT_EQ(Error("not json"), ParseError::kBadJson);
  EXPECT_EQ(Error(R"({"EventID":1,)"), ParseError::kTruncated);
  EXPECT_EQ(Error(R"({"EventID":1,"Image":"C:\\)"), ParseError::kTruncated);
  EXPECT_EQ(Error(R"({"EventID":1} {"EventID":2})"), ParseError::kBadJson);
  EXPECT_EQ(Error(R"({"EventID":1} x)"), ParseError::kBadJson);
  EXPECT_EQ(Error(R"({"EventID" 1})"), ParseError::kBadJson);
  EXPECT_EQ(Error(R"({"EventID":1,"a":tru})"), ParseError::kBadJson);
  EXPECT_EQ(Error(R"({"EventID":1,"a":nul})"), ParseError::kBadJson);
  EXPECT_EQ(Error(R"({"EventID":1,"a":12abc})"), ParseError::kBadJson);
  EXPECT_EQ(Error(R"({"EventID":1,"a":1,})"), ParseError::kBadJson);
  EXPECT_EQ(Error(R"([{"EventID":1}])"), ParseError::kUnsupported);
  EXPECT_EQ(Error(R"("EventID")"), ParseError::kUnsupported);
  EXPECT_EQ(Error("4688"), ParseError::kUnsupported);
  EXPECT_EQ(Error(R"({})"), ParseError::kMissingField);
  EXPECT_EQ(Error(R"({"Channel":"Security","CommandLine":"x"})"), ParseError::kMissingField);
  EXPECT_EQ(Error(R"({"winlog":{"channel":"Security"}})"), ParseError::kMissingField);
  EXPECT_EQ(Error(R"({"EventID":"abc"})"), ParseError::kWrongType);
  EXPECT_EQ(Error(R"({"EventID":4688.5})"), ParseError::kWrongType);
  EXPECT_EQ(Error(R"({"EventID":-1})"), ParseError::kWrongType);
  EXPECT_EQ(Error(R"({"EventID":99999999999})"), ParseError::kWrongType);
  EXPECT_EQ(Error(R"({"EventID":true})"), ParseError::kWrongType);
  EXPECT_EQ(Error(R"({"EventID":null})"), ParseError::kWrongType);
  EXPECT_EQ(Error(R"({"EventID":{"a":1}})"), ParseError::kWrongType);
  EXPECT_EQ(Error(R"({"EventID":[4688]})"), ParseError::kWrongType);
  EXPECT_EQ(Error(R"({"winlog":{"event_id":{}}})"), ParseError::kWrongType);
  EXPECT_EQ(Error(R"({"Event":{"System":{"EventID":{"#attributes":{}}}}})"),
            ParseError::kWrongType);
  EXPECT_EQ(Error(R"({"EventID":1,"a":"bad \x escape"})"), ParseError::kBadEncoding);
  EXPECT_EQ(Error(R"({"EventID":1,"a":"bad \u12 escape"})"), ParseError::kBadEncoding);
  EXPECT_EQ(Error(R"({"EventID":1,"b\q":"bad key escape"})"), ParseError::kBadEncoding);
  EXPECT_EQ(Error("nul"), ParseError::kBadJson);
  EXPECT_EQ(Error("[1,2"), ParseError::kBadJson);
  std::string huge =
      R"({"EventID":1,"a":")" + std::string(WineventParser::kMaxMessageBytes, 'x') + "\"}";
  EXPECT_EQ(Error(huge), ParseError::kTooLong);
}

TEST_F(WineventParserTest, DeepNestingIsSkippedWithoutRecursion) {
  // Nested values outside the known shapes are skipped by simdjson, not walked.
  std::string deep = R"({"EventID":4663,"a":)" + std::string(100000, '[') +
                     std::string(100000, ']') + R"(,"b":"c"})";
  EXPECT_EQ(One(deep).extras["b"], "c");
  std::string unbalanced = R"({"EventID":4663,"a":)" + std::string(100000, '[') + "}";
  EXPECT_NE(Error(unbalanced), ParseError::kNone);
}

TEST_F(WineventParserTest, ParsingContinuesAfterABadMessage) {
  CapturingHandler h;
  parser_.Parse(R"({"EventID":1,"a":"\x"})", {}, h);
  parser_.Parse(R"({"EventID":)", {}, h);
  parser_.Parse(kSysmon1, {"t", 3, 42}, h);
  ASSERT_EQ(h.errors.size(), 2u);
  ASSERT_EQ(h.events.size(), 1u);
  EXPECT_EQ(h.events[0].command_line, "cmd.exe /c \"whoami /all\"");
}

TEST(JsonObjectSplitterTest, SplitsConcatenatedPrettyPrintedObjects) {
  std::string text =
      "{\n  \"a\": {\"b\": \"}{\"},\n  \"c\": [1, {\"d\": \"\\\"}\"}]\n}\n\n{\"e\": 1}{\"f\":2}\n";
  JsonSplitResult r = SplitJsonObjects(text);
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.objects.size(), 3u);
  EXPECT_EQ(r.objects[0], text.substr(0, text.find("\n\n")));
  EXPECT_EQ(r.objects[1], "{\"e\": 1}");
  EXPECT_EQ(r.objects[2], "{\"f\":2}");
  EXPECT_TRUE(SplitJsonObjects("").ok);
  EXPECT_TRUE(SplitJsonObjects(" \n").objects.empty());
}

TEST(JsonObjectSplitterTest, ReportsStrayTextAndUnclosedObjects) {
  JsonSplitResult r = SplitJsonObjects("{\"a\":1} x {\"b\":2}");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error_offset, 8u);
  ASSERT_EQ(r.objects.size(), 1u);
  r = SplitJsonObjects("{\"a\":1}\n{\"b\":\"}");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error_offset, 8u);
  EXPECT_EQ(r.objects.size(), 1u);
  r = SplitJsonObjects("{\"a\":\"\\");  // ends inside an escape
  EXPECT_FALSE(r.ok);
}

}  // namespace
}  // namespace loghunt
