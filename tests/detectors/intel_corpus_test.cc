// Threat intel over real corpora: feeds (STIX 2.1, MISP, CSV) are written by
// the test with indicators it picks from the corpus itself (the most frequent
// attacker IPs of the Loghub OpenSSH sample, a domain of its reverse-mapping
// warnings, a process image hash of the Security-Datasets Sysmon sample), and
// the expected alert counts are counted by the test in the raw lines.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "detectors/intel/intel_detector.h"
#include "detectors/intel/intel_feeds.h"
#include "parsers/parser.h"
#include "tests/parsers/syslog_test_util.h"

namespace loghunt {
namespace {

FeedConfig Feed(std::string name, FeedFormat format) {
  FeedConfig c;
  c.name = std::move(name);
  c.format = format;
  return c;
}

using testing::ReadLines;

constexpr const char* kSsh = "syslog/loghub/OpenSSH/OpenSSH_2k.log";
constexpr const char* kSysmon = "windows/security_datasets_process_creation.jsonl";

class DetectingHandler : public EventHandler {
 public:
  explicit DetectingHandler(Detector* d) : d_(d) {}
  void OnEvent(const Event& e) override { d_->Inspect(e, alerts); }
  void OnError(ParseError, std::string_view, const SourcePosition&) override {}
  std::vector<Alert> alerts;

 private:
  Detector* d_;
};

std::vector<Alert> Detect(std::shared_ptr<const IndicatorStore> store, Stream stream,
                          const std::vector<std::string>& lines) {
  IntelDetector detector(std::move(store));
  DetectingHandler h(&detector);
  auto parser = MakeParser(stream, testing::FixedYear(2024));
  int64_t n = 0;
  for (const auto& l : lines) parser->Parse(l, {"corpus", -1, ++n}, h);
  parser->Flush(h);
  return std::move(h.alerts);
}

// IPs after "Failed password for ... from ", by count, most frequent first.
std::vector<std::pair<std::string, int>> AttackerIps(const std::vector<std::string>& lines) {
  std::map<std::string, int> counts;
  for (const auto& l : lines) {
    if (l.find("Failed password for") == std::string::npos) continue;
    size_t from = l.rfind(" from ");
    if (from == std::string::npos) continue;
    size_t start = from + 6, end = l.find(' ', start);
    ++counts[l.substr(start, end - start)];
  }
  std::vector<std::pair<std::string, int>> v(counts.begin(), counts.end());
  std::sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second > b.second; });
  return v;
}

// Lines that contain `token` not as part of a longer number or name.
size_t LinesWithToken(const std::vector<std::string>& lines, const std::string& token) {
  size_t n = 0;
  auto word = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
  };
  for (const auto& l : lines) {
    for (size_t p = l.find(token); p != std::string::npos; p = l.find(token, p + 1)) {
      bool left = p == 0 || !word(l[p - 1]);
      size_t e = p + token.size();
      bool right =
          e == l.size() || !word(l[e]) || (l[e] == '.' && (e + 1 == l.size() || l[e + 1] == ' '));
      if (left && right) {
        ++n;
        break;
      }
    }
  }
  return n;
}

size_t CountFor(const std::vector<Alert>& alerts, std::string_view feed, std::string_view value) {
  size_t n = 0;
  for (const Alert& a : alerts) {
    for (const Entity& e : a.entities) {
      if (e.type != "ThreatIntelligence") continue;
      bool feed_ok = false, value_ok = false;
      for (const auto& [k, v] : e.properties) {
        feed_ok |= k == "Provider" && v == feed;
        value_ok |= k == "Indicator" && v == value;
      }
      n += feed_ok && value_ok;
    }
  }
  return n;
}

TEST(IntelCorpus, StixBundleIpsOfOpenSshAttackersAlertAndExpiredOnesDoNot) {
  auto lines = ReadLines(kSsh);
  ASSERT_FALSE(lines.empty());
  auto ips = AttackerIps(lines);
  ASSERT_GE(ips.size(), 3u);
  const std::string live = ips[0].first, expired = ips[1].first, net_ip = ips[2].first;
  // A /24 around the third attacker, as a STIX network indicator.
  std::string net = net_ip.substr(0, net_ip.rfind('.')) + ".0/24";
  nlohmann::json bundle = {
      {"type", "bundle"},
      {"id", "bundle--1"},
      {"objects",
       {{{"type", "indicator"},
         {"spec_version", "2.1"},
         {"id", "indicator--1"},
         {"name", "ssh brute force"},
         {"description", "SSH password spraying source"},
         {"confidence", 85},
         {"pattern_type", "stix"},
         {"pattern", "[ipv4-addr:value = '" + live + "']"},
         {"valid_from", "2020-01-01T00:00:00Z"}},
        {{"type", "indicator"},
         {"spec_version", "2.1"},
         {"id", "indicator--2"},
         {"description", "old campaign"},
         {"pattern_type", "stix"},
         {"pattern", "[ipv4-addr:value = '" + expired + "']"},
         {"valid_until", "2001-01-01T00:00:00Z"}},
        {{"type", "indicator"},
         {"spec_version", "2.1"},
         {"id", "indicator--3"},
         {"description", "scanner network"},
         {"pattern_type", "stix"},
         {"pattern", "[ipv4-addr:value = '" + net + "'] OR [domain-name:value = 'never.example']"}},
        {{"type", "indicator"},
         {"id", "indicator--4"},
         {"pattern_type", "stix"},
         {"pattern", "[file:name = 'a.exe' AND file:size = 3]"}},
        {{"type", "malware"}, {"id", "malware--1"}, {"name", "x"}}}}};
  FeedConfig feed = Feed("stix-test", FeedFormat::kStix);
  auto store = std::make_shared<IndicatorStore>();
  FeedLoadReport report;
  std::string error;
  ASSERT_TRUE(LoadFeedText(feed, bundle.dump(), store.get(), &report, &error)) << error;
  EXPECT_EQ(report.loaded, 4u);   // live, expired, network, domain
  EXPECT_EQ(report.skipped, 1u);  // the AND pattern

  auto alerts = Detect(store, Stream::kSyslog, lines);
  EXPECT_EQ(CountFor(alerts, "stix-test", live), LinesWithToken(lines, live));
  EXPECT_GE(CountFor(alerts, "stix-test", live), static_cast<size_t>(ips[0].second));
  EXPECT_EQ(CountFor(alerts, "stix-test", expired), 0u);
  // Every line naming an address of the /24 alerts once under the network indicator.
  std::string prefix = net_ip.substr(0, net_ip.rfind('.') + 1);
  size_t net_lines = 0;
  for (const auto& l : lines) {
    for (int last = 0; last < 256; ++last) {
      if (LinesWithToken({l}, prefix + std::to_string(last)) > 0) {
        ++net_lines;
        break;
      }
    }
  }
  EXPECT_EQ(CountFor(alerts, "stix-test", net), net_lines);
  for (const Alert& a : alerts) {
    if (CountFor({a}, "stix-test", live) == 1) {
      EXPECT_EQ(a.rule.severity, Severity::kHigh);
      EXPECT_NE(a.summary.find("SSH password spraying source"), std::string::npos);
    }
  }
}

TEST(IntelCorpus, MispFeedMatchesIpAndParentDomainOfReverseMappingWarnings) {
  auto lines = ReadLines(kSsh);
  auto ips = AttackerIps(lines);
  ASSERT_GE(ips.size(), 4u);
  const std::string ip = ips[3].first;
  // "reverse mapping checking getaddrinfo for HOST [IP] failed": take the
  // first HOST with at least three labels, and list its parent domain.
  std::string host;
  for (const auto& l : lines) {
    size_t p = l.find("getaddrinfo for ");
    if (p == std::string::npos) continue;
    std::string h = l.substr(p + 16, l.find(' ', p + 16) - p - 16);
    if (std::count(h.begin(), h.end(), '.') >= 2 && h.back() != '.') {
      host = h;
      break;
    }
  }
  ASSERT_FALSE(host.empty());
  const std::string parent = host.substr(host.find('.') + 1);
  nlohmann::json misp = {
      {"Event",
       {{"info", "OpenSSH brute force campaign"},
        {"Attribute",
         {{{"type", "ip-src"}, {"value", ip}, {"comment", "scanner"}, {"to_ids", true}},
          {{"type", "domain"}, {"value", parent}},
          {{"type", "text"}, {"value", "not an indicator"}}}},
        {"Object",
         {{{"name", "file"},
           {"Attribute",
            {{{"type", "filename|md5"},
              {"value", "x.exe|d41d8cd98f00b204e9800998ecf8427e"}}}}}}}}}};
  FeedConfig feed = Feed("misp-test", FeedFormat::kMisp);
  feed.confidence = 60;
  auto store = std::make_shared<IndicatorStore>();
  FeedLoadReport report;
  std::string error;
  ASSERT_TRUE(LoadFeedText(feed, misp.dump(), store.get(), &report, &error)) << error;
  EXPECT_EQ(report.loaded, 3u);
  EXPECT_EQ(report.skipped, 1u);

  auto alerts = Detect(store, Stream::kSyslog, lines);
  EXPECT_EQ(CountFor(alerts, "misp-test", ip), LinesWithToken(lines, ip));
  EXPECT_GT(CountFor(alerts, "misp-test", ip), 0u);
  size_t host_lines = 0;
  for (const auto& l : lines) {
    host_lines += l.find("." + parent + " ") != std::string::npos ||
                  l.find(" " + parent + " ") != std::string::npos;
  }
  EXPECT_GT(host_lines, 0u);
  EXPECT_EQ(CountFor(alerts, "misp-test", parent), host_lines);
  for (const Alert& a : alerts) {
    if (CountFor({a}, "misp-test", ip) == 1) {
      EXPECT_EQ(a.rule.severity, Severity::kMedium);
      EXPECT_NE(a.summary.find("OpenSSH brute force campaign"), std::string::npos);
    }
  }
}

TEST(IntelCorpus, CsvFeedOfSysmonImageHashAlertsOnEveryProcessWithThatImage) {
  auto lines = ReadLines(kSysmon);
  ASSERT_FALSE(lines.empty());
  // The SHA256 of the most frequent process image among Sysmon 1 events.
  std::map<std::string, int> sha_counts;
  for (const auto& l : lines) {
    auto j = nlohmann::json::parse(l, nullptr, false);
    if (j.is_discarded() || j.value("EventID", 0) != 1) continue;
    std::string hashes = j.value("Hashes", "");
    size_t p = hashes.find("SHA256=");
    if (p != std::string::npos) ++sha_counts[hashes.substr(p + 7, 64)];
  }
  ASSERT_FALSE(sha_counts.empty());
  auto best = std::max_element(sha_counts.begin(), sha_counts.end(),
                               [](auto& a, auto& b) { return a.second < b.second; });
  const std::string sha = best->first;
  std::string lower = sha;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  size_t expected = 0;
  for (const auto& l : lines) expected += l.find(sha) != std::string::npos;

  std::string csv = "indicator,kind,note,score,valid_until\n";
  csv += lower + ",sha256,\"image seen on the lab host, test feed\",90,\n";
  csv += "\"8.8.8.8\",ip,expired entry,90,2001-01-01T00:00:00Z\n";
  csv += "not-a-hash,sha256,bad,10,\n";
  FeedConfig feed = Feed("csv-test", FeedFormat::kCsv);
  feed.csv_header = true;
  feed.columns.value = "indicator";
  feed.columns.type = "kind";
  feed.columns.description = "note";
  feed.columns.confidence = "score";
  feed.columns.expires = "valid_until";
  auto store = std::make_shared<IndicatorStore>();
  FeedLoadReport report;
  std::string error;
  ASSERT_TRUE(LoadFeedText(feed, csv, store.get(), &report, &error)) << error;
  EXPECT_EQ(report.loaded, 2u);
  EXPECT_EQ(report.skipped, 1u);

  auto alerts = Detect(store, Stream::kWinevent, lines);
  EXPECT_EQ(CountFor(alerts, "csv-test", lower), expected);
  EXPECT_EQ(CountFor(alerts, "csv-test", "8.8.8.8"), 0u);
  ASSERT_FALSE(alerts.empty());
  bool has_hash_entity = false;
  for (const Entity& e : alerts[0].entities) has_hash_entity |= e.type == "FileHash";
  EXPECT_TRUE(has_hash_entity);
  EXPECT_NE(alerts[0].summary.find("image seen on the lab host, test feed"), std::string::npos);
}

}  // namespace
}  // namespace loghunt
