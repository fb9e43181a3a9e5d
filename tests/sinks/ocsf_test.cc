#include "sinks/ocsf.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

namespace loghunt {
namespace {

TEST(Ocsf, AlertBecomesADetectionFinding) {
  Alert a;
  a.id = "0123abcd";
  a.time_ns = 1'700'000'000'123'456'789;
  a.rule = {
      "risky.encoded_command", "Encoded PowerShell", Severity::kCritical, {"attack.t1059.001"}};
  a.key = "k";
  a.host = "ws-7";
  a.summary = "powershell -enc ... on ws-7";
  a.observables.push_back({"ipv4", "203.0.113.9", "base64 > utf16le", false, "public"});
  a.entities.push_back({"Account", {{"Name", "alice"}, {"Domain", "CORP"}}});
  a.entities.push_back({"Host", {{"HostName", "ws-7"}}});
  a.entities.push_back(
      {"ThreatIntelligence", {{"Provider", "cti"}, {"Confidence", "90"}, {"Value", "x"}}});
  a.evidence_json = R"({"process.command_line":"powershell -enc"})";
  a.position = {"syslog", 3, 42};
  std::string out;
  AppendAlertFormatted(a, AlertFormat::kOcsf, &out);
  rapidjson::Document d;
  d.Parse(out.data(), out.size());
  ASSERT_TRUE(d.IsObject()) << out;
  EXPECT_EQ(d["class_uid"].GetInt(), 2004);
  EXPECT_EQ(d["category_uid"].GetInt(), 2);
  EXPECT_EQ(d["type_uid"].GetInt(), 200401);
  EXPECT_EQ(d["activity_id"].GetInt(), 1);
  EXPECT_EQ(d["severity_id"].GetInt(), 5);
  EXPECT_EQ(d["time"].GetInt64(), 1'700'000'000'123);
  EXPECT_STREQ(d["metadata"]["version"].GetString(), "1.1.0");
  EXPECT_STREQ(d["metadata"]["product"]["name"].GetString(), "loghunt");
  EXPECT_STREQ(d["finding_info"]["uid"].GetString(), "0123abcd");
  EXPECT_STREQ(d["finding_info"]["title"].GetString(), "Encoded PowerShell");
  EXPECT_STREQ(d["finding_info"]["analytic"]["uid"].GetString(), "risky.encoded_command");
  EXPECT_STREQ(d["finding_info"]["types"][0].GetString(), "attack.t1059.001");
  EXPECT_STREQ(d["device"]["hostname"].GetString(), "ws-7");
  EXPECT_STREQ(d["raw_data"].GetString(), a.evidence_json.c_str());
  EXPECT_EQ(d["unmapped"]["loghunt.position.offset"].GetInt(), 42);
  bool ip = false, user = false;
  for (const auto& o : d["observables"].GetArray()) {
    ip = ip || (o["type_id"].GetInt() == 2 && std::string(o["value"].GetString()) == "203.0.113.9");
    user = user || (o["type_id"].GetInt() == 4 && std::string(o["value"].GetString()) == "alice");
  }
  EXPECT_TRUE(ip);
  EXPECT_TRUE(user);
  // The host once (device.hostname, not again as Host.HostName).
  int hosts = 0;
  for (const auto& o : d["observables"].GetArray()) hosts += o["type_id"].GetInt() == 1;
  EXPECT_EQ(hosts, 1);
  // Entity properties that are no observable are kept in unmapped.
  const auto& entities = d["unmapped"]["loghunt.entities"];
  ASSERT_TRUE(entities.IsArray()) << out;
  bool provider = false, domain = false;
  for (const auto& e : entities.GetArray()) {
    std::string type = e["type"].GetString();
    provider = provider ||
               (type == "ThreatIntelligence" && std::string(e["Provider"].GetString()) == "cti" &&
                std::string(e["Confidence"].GetString()) == "90");
    domain = domain || (type == "Account" && std::string(e["Domain"].GetString()) == "CORP");
  }
  EXPECT_TRUE(provider) << out;
  EXPECT_TRUE(domain) << out;
}

TEST(Ocsf, FormatNamesParse) {
  AlertFormat f;
  ASSERT_TRUE(ParseAlertFormat("ocsf", &f));
  EXPECT_EQ(f, AlertFormat::kOcsf);
  EXPECT_FALSE(ParseAlertFormat("cef", &f));
}

}  // namespace
}  // namespace loghunt
