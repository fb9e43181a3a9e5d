// detectors.intel / detectors.ancestry in the YAML config: valid sections
// build the detectors (intel before ancestry, ancestry last), bad values are
// reported as FILE:LINE: key: problem.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "daemon/config.h"
#include "daemon/pipeline.h"

namespace loghunt {
namespace {

TEST(IntelConfig, FeedsLoadRelativeToTheConfigAndDetectorsRunInOrder) {
  auto dir =
      std::filesystem::temp_directory_path() / ("intel_config_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "bad-ips.txt") << "# attackers\n203.0.113.7\n";
  std::ofstream(dir / "loghunt.yaml")
      << "detectors:\n"
         "  intel:\n"
         "    enabled: true\n"
         "    feeds:\n"
         "      - {name: local, path: bad-ips.txt, format: list, type: ip, confidence: 90}\n"
         "  ancestry:\n"
         "    enabled: true\n"
         "    max_depth: 4\n";
  Config config;
  std::vector<std::string> errors;
  ASSERT_TRUE(LoadConfig((dir / "loghunt.yaml").string(), &config, &errors)) << errors[0];
  ASSERT_EQ(config.intel.feeds.size(), 1u);
  EXPECT_EQ(config.intel.feeds[0].confidence, 90);
  EXPECT_EQ(config.ancestry.table.max_depth, 4u);
  auto detectors = MakeDetectors(config);
  ASSERT_GE(detectors.size(), 2u);
  EXPECT_EQ(detectors.back()->name(), "ancestry");
  EXPECT_EQ(detectors[detectors.size() - 2]->name(), "intel");

  Event e;
  e.kind = EventKind::kNetwork;
  e.host = "h";
  e.timestamp_ns = 1;
  e.network.destination_ip = "203.0.113.7";
  std::vector<Alert> alerts;
  detectors[detectors.size() - 2]->Inspect(e, alerts);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].rule.id, "loghunt.intel.match");
  EXPECT_EQ(alerts[0].rule.severity, Severity::kHigh);
  std::filesystem::remove_all(dir);
}

// What a SIGHUP reload does: MakeDetectors() again from the same config.
TEST(IntelConfig, RebuiltDetectorsSeeAChangedFeedAndOldOnesKeepTheirStore) {
  auto dir =
      std::filesystem::temp_directory_path() / ("intel_reload_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "ips.txt") << "203.0.113.7\n";
  std::ofstream(dir / "loghunt.yaml")
      << "detectors:\n  risky_command: {enabled: false}\n  ioc: {enabled: false}\n"
         "  intel:\n    enabled: true\n"
         "    feeds: [{name: f, path: ips.txt, type: ip}]\n";
  Config config;
  std::vector<std::string> errors;
  ASSERT_TRUE(LoadConfig((dir / "loghunt.yaml").string(), &config, &errors));
  auto alerts_for = [](Detector& d, std::string_view ip) {
    Event e;
    e.kind = EventKind::kNetwork;
    e.timestamp_ns = 1;
    e.network.destination_ip = ip;
    std::vector<Alert> alerts;
    d.Inspect(e, alerts);
    return alerts.size();
  };
  auto before = MakeDetectors(config);
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(alerts_for(*before[0], "203.0.113.7"), 1u);
  std::ofstream(dir / "ips.txt")
      << "198.51.100.23\n198.51.100.24\n";  // another size: another version
  auto after = MakeDetectors(config);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(alerts_for(*after[0], "203.0.113.7"), 0u);
  EXPECT_EQ(alerts_for(*after[0], "198.51.100.24"), 1u);
  EXPECT_EQ(alerts_for(*before[0], "203.0.113.7"), 1u);
  std::filesystem::remove_all(dir);
}

// A reload (LoadSharedDetectorData, then MakeDetectors, from the config read
// again) applies a feed's changed settings even when its file is unchanged
// (the confidence stayed 90 until the file was rewritten), and a feed that
// cannot be loaded fails the reload (and a start) with the feed named,
// instead of silently dropping its indicators; detectors built before keep
// theirs.
TEST(IntelConfig, ReloadAppliesChangedSettingsAndRefusesABrokenFeed) {
  auto dir = std::filesystem::temp_directory_path() /
             ("intel_settings_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "ips.txt") << "203.0.113.7\n";
  auto load = [&](int confidence, const char* format) {
    std::ofstream(dir / "loghunt.yaml")
        << "detectors:\n  risky_command: {enabled: false}\n  ioc: {enabled: false}\n"
           "  intel:\n    enabled: true\n"
           "    feeds: [{name: f, path: ips.txt, type: ip, format: "
        << format << ", confidence: " << confidence << "}]\n";
    Config config;
    std::vector<std::string> errors;
    EXPECT_TRUE(LoadConfig((dir / "loghunt.yaml").string(), &config, &errors));
    return config;
  };
  auto summary = [](Detector& d) {
    Event e;
    e.kind = EventKind::kNetwork;
    e.timestamp_ns = 1;
    e.network.destination_ip = "203.0.113.7";
    std::vector<Alert> alerts;
    d.Inspect(e, alerts);
    return alerts.empty() ? std::string() : alerts[0].summary;
  };
  std::string error;
  Config first = load(90, "list");
  ASSERT_TRUE(LoadSharedDetectorData(first, &error)) << error;
  auto before = MakeDetectors(first);
  ASSERT_EQ(before.size(), 1u);
  EXPECT_NE(summary(*before[0]).find("confidence 90"), std::string::npos) << summary(*before[0]);
  Config second = load(30, "list");
  ASSERT_TRUE(LoadSharedDetectorData(second, &error)) << error;
  auto after = MakeDetectors(second);
  EXPECT_NE(summary(*after[0]).find("confidence 30"), std::string::npos) << summary(*after[0]);
  // The same file read as STIX is not a bundle: the reload fails, naming it.
  Config broken = load(30, "stix");
  EXPECT_FALSE(LoadSharedDetectorData(broken, &error));
  EXPECT_NE(error.find("detectors.intel: feed f: "), std::string::npos) << error;
  EXPECT_NE(summary(*after[0]).find("confidence 30"), std::string::npos);
  std::filesystem::remove(dir / "ips.txt");
  error.clear();
  EXPECT_FALSE(LoadSharedDetectorData(second, &error));
  EXPECT_NE(error.find("detectors.intel: feed f: "), std::string::npos) << error;
  std::filesystem::remove_all(dir);
}

// A directory is not a feed: it loaded as an empty one, so a start went on
// without its indicators and a Kafka-mode reload replaced them by none. Its
// read fails as an unreadable file's does (an empty file is an empty feed).
TEST(IntelConfig, AFeedPathThatIsADirectoryFailsTheLoad) {
  auto dir =
      std::filesystem::temp_directory_path() / ("intel_dir_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "feed");
  std::ofstream(dir / "empty.txt") << "";
  auto config = [&](const char* path) {
    std::ofstream(dir / "loghunt.yaml")
        << "detectors:\n  intel:\n    enabled: true\n    feeds: [{name: f, path: " << path
        << ", format: list}]\n";
    Config c;
    std::vector<std::string> errors;
    EXPECT_TRUE(LoadConfig((dir / "loghunt.yaml").string(), &c, &errors));
    return c;
  };
  std::string error;
  EXPECT_FALSE(LoadSharedDetectorData(config("feed"), &error));
  EXPECT_NE(error.find("detectors.intel: feed f: "), std::string::npos) << error;
  EXPECT_NE(error.find("Is a directory"), std::string::npos) << error;
  error.clear();
  EXPECT_TRUE(LoadSharedDetectorData(config("empty.txt"), &error)) << error;
  std::filesystem::remove_all(dir);
}

// Sigma runs before intel and its alerts carry no observables: they get a
// ThreatIntelligence entity for each indicator their event matched.
TEST(IntelConfig, SigmaAlertsGetTheThreatIntelligenceOfTheirEvent) {
  auto dir =
      std::filesystem::temp_directory_path() / ("intel_sigma_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "rules");
  std::ofstream(dir / "rules" / "r.yml")
      << "title: t\nid: x1\nlogsource: {product: windows, category: process_creation}\n"
         "detection:\n  s: {Image|endswith: '\\curl.exe'}\n  condition: s\n";
  std::ofstream(dir / "ips.txt") << "198.51.100.7\n";
  std::ofstream(dir / "loghunt.yaml")
      << "detectors:\n  risky_command: {enabled: false}\n  ioc: {enabled: false}\n"
         "  sigma: {enabled: true, rules: [rules]}\n"
         "  intel:\n    enabled: true\n    feeds: [{name: f, path: ips.txt, format: list}]\n";
  Config config;
  std::vector<std::string> errors;
  ASSERT_TRUE(LoadConfig((dir / "loghunt.yaml").string(), &config, &errors)) << errors[0];
  auto detectors = MakeDetectors(config);
  Event e;
  e.stream = Stream::kWinevent;
  e.kind = EventKind::kProcessStart;
  e.timestamp_ns = 1;
  e.process.command_line = "curl.exe http://198.51.100.7/a";
  e.extras = {{"Image", "C:\\Windows\\System32\\curl.exe"}};
  std::vector<Alert> alerts;
  for (auto& d : detectors) d->Inspect(e, alerts);
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].rule.id, "x1");
  EXPECT_EQ(alerts[1].rule.id, "loghunt.intel.match");
  bool annotated = false;
  for (const Entity& en : alerts[0].entities) {
    annotated = annotated || (en.type == "ThreatIntelligence" &&
                              en.properties.back().second == "ipv4:198.51.100.7");
  }
  EXPECT_TRUE(annotated);
  std::filesystem::remove_all(dir);
}

TEST(IntelConfig, FeedNamesAreUnique) {
  Config config;
  std::vector<std::string> errors;
  EXPECT_FALSE(
      LoadConfigText("detectors:\n"
                     "  intel:\n"
                     "    enabled: true\n"
                     "    feeds:\n"
                     "      - {name: x, path: a.txt}\n"
                     "      - {name: x, path: b.txt}\n"
                     "      - {name: x, format: kafka, topic: t, brokers: 127.0.0.1:9092}\n",
                     "t.yaml", &config, &errors));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "t.yaml:6: detectors.intel.feeds[1].name: duplicate feed name 'x'");
  EXPECT_EQ(errors[1], "t.yaml:7: detectors.intel.feeds[2].name: duplicate feed name 'x'");
}

TEST(IntelConfig, BadFeedValuesAreReportedWithTheirLine) {
  Config config;
  std::vector<std::string> errors;
  EXPECT_FALSE(
      LoadConfigText("detectors:\n"
                     "  intel:\n"
                     "    enabled: true\n"
                     "    feeds:\n"
                     "      - name: x\n"
                     "        path: f\n"
                     "        format: yara\n"
                     "        confidence: 101\n",
                     "t.yaml", &config, &errors));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0],
            "t.yaml:7: detectors.intel.feeds[0].format: unknown format 'yara' (list, csv, stix, "
            "misp, kafka)");
  EXPECT_EQ(errors[1], "t.yaml:8: detectors.intel.feeds[0].confidence: must be between 0 and 100");
  errors.clear();
  EXPECT_FALSE(
      LoadConfigText("detectors:\n  intel:\n    enabled: true\n", "t.yaml", &config, &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "t.yaml:3: detectors.intel.feeds: required when enabled");
}

}  // namespace
}  // namespace loghunt
