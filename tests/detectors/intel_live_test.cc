// Streamed indicators (LiveIndicatorStore, the messages of a Kafka feed):
// expiry judged at the event's time, upsert replacing, removal by message,
// revocation and tombstone, networks and parent domains, the memory cap, and
// the IntelDetector looking them up after the file feeds.
#include <gtest/gtest.h>

#include <cstring>

#include "core/time.h"
#include "detectors/intel/intel_detector.h"
#include "detectors/intel/live_indicators.h"

namespace loghunt {
namespace {

int64_t T(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

bool Apply(LiveIndicatorStore* s, std::string_view json, IndicatorMessageReport* r = nullptr,
           std::string_view key = "") {
  IndicatorMessageReport local;
  std::string error;
  bool ok = ApplyIndicatorMessage(key, json.data(), json.size(), 50, s, r ? r : &local, &error);
  EXPECT_TRUE(ok) << error;
  return ok;
}

Event EventFrom(std::string_view ip, int64_t time_ns) {
  Event e;
  e.stream = Stream::kSyslog;
  e.timestamp_ns = time_ns;
  e.network.source_ip = ip;
  return e;
}

TEST(LiveIndicators, ExpiryIsJudgedAtTheCallersTime) {
  LiveIndicatorStore s("kafka-ti");
  Apply(&s, R"({"type":"ip","value":"203.0.113.7","confidence":90,"description":"c2",
                "valid_until":"2026-01-01T00:00:00Z"})");
  Indicator hit;
  ASSERT_TRUE(s.MatchIp("203.0.113.7", T("2025-12-31T23:59:59Z"), &hit));
  EXPECT_EQ(hit.confidence, 90);
  EXPECT_EQ(hit.description, "c2");
  EXPECT_EQ(hit.expires_ns, T("2026-01-01T00:00:00Z"));
  EXPECT_FALSE(s.MatchIp("203.0.113.7", T("2026-01-01T00:00:00Z"), &hit));
  EXPECT_FALSE(s.MatchIp("203.0.113.8", T("2025-01-01T00:00:00Z"), &hit));
}

TEST(LiveIndicators, AnUpdateReplacesExpiryAndConfidenceARevocationRemoves) {
  LiveIndicatorStore s("kafka-ti");
  Apply(&s, R"({"type":"domain","value":"Evil.Example.","valid_until":"2020-01-01T00:00:00Z"})");
  Indicator hit;
  EXPECT_FALSE(s.MatchDomain("a.evil.example", T("2021-01-01T00:00:00Z"), &hit));
  // The feed extends the indicator: it matches again, with the new values.
  Apply(&s, R"({"type":"domain","value":"evil.example","confidence":70,
                "valid_until":"2030-01-01T00:00:00Z"})");
  ASSERT_TRUE(s.MatchDomain("a.evil.example", T("2021-01-01T00:00:00Z"), &hit));
  EXPECT_EQ(hit.confidence, 70);
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(s.stats().updated, 1u);
  // Not a parent-less name or the parent itself.
  EXPECT_FALSE(s.MatchDomain("example", T("2021-01-01T00:00:00Z"), &hit));
  IndicatorMessageReport r;
  Apply(&s, R"({"type":"domain","value":"evil.example","revoked":true})", &r);
  EXPECT_EQ(r.removed, 1u);
  EXPECT_FALSE(s.MatchDomain("a.evil.example", T("2021-01-01T00:00:00Z"), &hit));
  EXPECT_EQ(s.size(), 0u);
}

TEST(LiveIndicators, TombstoneKeyRemovesAndStixIndicatorsUpsert) {
  LiveIndicatorStore s("kafka-ti");
  IndicatorMessageReport r;
  Apply(&s, R"({"type":"indicator","spec_version":"2.1","id":"indicator--1",
                "pattern":"[ipv4-addr:value = '198.51.100.0/24'] OR [file:hashes.'SHA-256' = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'] OR [process:name = 'x']",
                "pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z","confidence":85,
                "name":"stix c2"})",
        &r);
  EXPECT_EQ(r.upserted, 2u);
  EXPECT_EQ(r.invalid, 1u);  // process:name is not an indicator we match
  Indicator hit;
  const int64_t t = *ParseRfc3339("2025-06-01T00:00:00Z");  // after valid_from
  ASSERT_TRUE(s.MatchIp("198.51.100.77", t, &hit));
  EXPECT_EQ(hit.description, "stix c2");
  EXPECT_EQ(hit.type, IndicatorType::kNetwork);
  EXPECT_TRUE(s.MatchHash(std::string(64, 'a'), t, &hit));
  EXPECT_FALSE(s.MatchHash(std::string(64, 'a'), *ParseRfc3339("2019-06-01T00:00:00Z"), &hit));
  std::string error;
  IndicatorMessageReport removed;
  ASSERT_TRUE(
      ApplyIndicatorMessage("network:198.51.100.0/24", nullptr, 0, 50, &s, &removed, &error));
  EXPECT_EQ(removed.removed, 1u);
  EXPECT_FALSE(s.MatchIp("198.51.100.77", t, &hit));
  EXPECT_FALSE(ApplyIndicatorMessage("", "[1,2]", 5, 50, &s, &removed, &error));
  EXPECT_FALSE(ApplyIndicatorMessage("", "{\"type\":\"ip\"}", 13, 50, &s, &removed, &error));
}

// A message is bad (false + error, counted by the feed), never an exception
// out of the feed's thread, whatever the JSON types of its fields: one such
// message on a compacted topic aborted the daemon at every start. A validity
// that cannot be read rejects the indicator; an "ip" with a prefix length is
// a network for tombstones as for messages.
TEST(LiveIndicators, WrongFieldTypesAreBadMessagesAndIpTombstonesRemoveNetworks) {
  LiveIndicatorStore s("kafka-ti");
  for (const char* bad : {
           R"({"type":"ip","value":"203.0.113.99","description":5})",
           R"({"type":5,"value":"203.0.113.99"})",
           R"({"type":"ip","value":"203.0.113.99","action":true})",
           R"({"type":"indicator","pattern":123})",
           R"({"type":"ip","value":"203.0.113.99","valid_until":1700000000})",
           R"({"type":"ip","value":"203.0.113.99","valid_until":"2025-01-01"})",
           R"({"type":"ip","value":"203.0.113.99","revoked":"true"})",
           R"({"type":"ip","value":"203.0.113.99","confidence":"10"})",
           R"({"type":"indicator","pattern":"[ipv4-addr:value = '10.0.0.9']","revoked":"true"})",
       }) {
    IndicatorMessageReport r;
    std::string error;
    EXPECT_FALSE(ApplyIndicatorMessage("k", bad, std::strlen(bad), 50, &s, &r, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
  // In a bundle, the bad object is invalid and the others apply.
  IndicatorMessageReport r;
  std::string error;
  const char* bundle = R"({"type":"bundle","objects":[{"type":1},
      {"type":"indicator","pattern":"[ipv4-addr:value = '203.0.113.5']","name":7},
      {"type":"indicator","pattern":"[ipv4-addr:value = '203.0.113.6']","valid_until":"never"},
      {"type":"indicator","pattern":"[ipv4-addr:value = '203.0.113.7']"}]})";
  EXPECT_TRUE(ApplyIndicatorMessage("k", bundle, std::strlen(bundle), 50, &s, &r, &error)) << error;
  EXPECT_EQ(r.upserted, 1u);
  EXPECT_EQ(r.invalid, 3u);
  EXPECT_EQ(s.size(), 1u);
  Indicator hit;
  EXPECT_TRUE(s.MatchIp("203.0.113.7", 1, &hit));

  ASSERT_TRUE(Apply(&s, R"({"type":"ip","value":"10.20.30.0/24"})"));
  EXPECT_TRUE(s.MatchIp("10.20.30.5", 1, &hit));
  IndicatorMessageReport removed;
  ASSERT_TRUE(ApplyIndicatorMessage("ip:10.20.30.0/24", nullptr, 0, 50, &s, &removed, &error));
  EXPECT_EQ(removed.removed, 1u);
  EXPECT_FALSE(s.MatchIp("10.20.30.5", 1, &hit));
}

TEST(LiveIndicators, TheCapEvictsTheLeastRecentlyUpdated) {
  LiveIndicatorStore s("kafka-ti", LiveIndicatorOptions{.max_indicators = 3});
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(s.Upsert(IndicatorType::kIp, "192.0.2." + std::to_string(i), 50, "", 0));
  }
  ASSERT_TRUE(s.Upsert(IndicatorType::kIp, "192.0.2.1", 60, "", 0));  // refreshed: now newest
  ASSERT_TRUE(s.Upsert(IndicatorType::kIp, "192.0.2.4", 50, "", 0));
  Indicator hit;
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(s.stats().evicted, 1u);
  EXPECT_FALSE(s.MatchIp("192.0.2.2", 1, &hit));
  EXPECT_TRUE(s.MatchIp("192.0.2.1", 1, &hit));
  EXPECT_TRUE(s.MatchIp("192.0.2.4", 1, &hit));
  EXPECT_FALSE(s.Upsert(IndicatorType::kIp, "not-an-ip", 50, "", 0));
  EXPECT_EQ(s.stats().invalid, 1u);
  EXPECT_EQ(s.DropExpired(INT64_MAX), 0u);  // none expires
  ASSERT_TRUE(s.Upsert(IndicatorType::kIp, "192.0.2.4", 50, "", 1000));
  EXPECT_EQ(s.DropExpired(1001), 1u);
  EXPECT_EQ(s.size(), 2u);
}

TEST(LiveIndicators, IntelDetectorAlertsOnStreamedIndicatorsOnlyWhileValidAtTheEventsTime) {
  auto live = std::make_shared<LiveIndicatorStore>("kafka-ti");
  IntelDetectorOptions options;
  options.live_feeds.push_back(live);
  IntelDetector intel(nullptr, options);
  Apply(live.get(), R"({"type":"ip","value":"203.0.113.7","confidence":85,"description":"c2",
                       "valid_until":"2026-06-01T00:00:00Z"})");
  Apply(live.get(), R"({"type":"ip","value":"203.0.113.9","confidence":85,
                       "valid_until":"2026-03-01T00:00:00Z"})");
  const int64_t t = T("2026-04-01T00:00:00Z");
  std::vector<Alert> alerts;
  intel.Inspect(EventFrom("203.0.113.7", t), alerts);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].rule.id, "loghunt.intel.match");
  EXPECT_EQ(alerts[0].rule.severity, Severity::kHigh);
  EXPECT_NE(alerts[0].summary.find("feed kafka-ti"), std::string::npos);
  bool valid_until = false;
  for (const auto& e : alerts[0].entities) {
    for (const auto& [k, v] : e.properties)
      valid_until |= k == "ValidUntil" && v.starts_with("2026-06-01");
  }
  EXPECT_TRUE(valid_until);
  alerts.clear();
  intel.Inspect(EventFrom("203.0.113.9", t), alerts);  // expired a month before the event
  EXPECT_TRUE(alerts.empty());
  // Removed from the topic: no more alerts.
  Apply(live.get(), R"({"type":"ip","value":"203.0.113.7","action":"remove"})");
  intel.Inspect(EventFrom("203.0.113.7", t), alerts);
  EXPECT_TRUE(alerts.empty());
}

}  // namespace
}  // namespace loghunt
