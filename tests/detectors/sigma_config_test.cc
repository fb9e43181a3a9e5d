// detectors.sigma in loghunt.yaml: validation messages and the wiring into
// MakeDetectors.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "daemon/config.h"
#include "daemon/pipeline.h"

namespace loghunt {
namespace {

TEST(SigmaConfig, KeysAreValidated) {
  Config c;
  std::vector<std::string> errors;
  ASSERT_TRUE(
      LoadConfigText("detectors:\n  sigma:\n    enabled: true\n    rules: [a, b]\n"
                     "    mappings: m.yaml\n",
                     "t.yaml", &c, &errors));
  EXPECT_TRUE(c.sigma.enabled);
  EXPECT_EQ(c.sigma.rules, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c.sigma.mappings, "m.yaml");

  EXPECT_FALSE(LoadConfigText("detectors:\n  sigma:\n    enabled: true\n", "t.yaml", &c, &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            "t.yaml:3: detectors.sigma.rules: required when enabled (rule files or directories)");

  EXPECT_FALSE(LoadConfigText("detectors:\n  sigma:\n    rule: x\n", "t.yaml", &c, &errors));
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].find("t.yaml:3: detectors.sigma.rule: unknown key"), std::string::npos)
      << errors[0];
}

TEST(SigmaConfig, EnabledSigmaAddsADetectorWithRulesRelativeToTheConfig) {
  auto dir = std::filesystem::temp_directory_path() / "loghunt_sigma_config_test";
  std::filesystem::create_directories(dir / "rules");
  std::ofstream(dir / "rules" / "r.yml")
      << "title: t\nid: x1\nlogsource: {product: windows, category: process_creation}\n"
         "detection:\n  s: {Image|endswith: '\\whoami.exe'}\n  condition: s\n";
  std::ofstream(dir / "loghunt.yaml")
      << "detectors:\n  risky_command: {enabled: false}\n  sigma:\n    enabled: true\n"
         "    rules: [rules]\n";
  Config c;
  std::vector<std::string> errors;
  ASSERT_TRUE(LoadConfig((dir / "loghunt.yaml").string(), &c, &errors));
  auto detectors = MakeDetectors(c);
  bool found = false;
  for (const auto& d : detectors) found = found || d->name() == "sigma";
  EXPECT_TRUE(found);
  Event e;
  e.stream = Stream::kWinevent;
  e.kind = EventKind::kProcessStart;
  e.extras = {{"Image", "C:\\Windows\\System32\\whoami.exe"}};
  std::vector<Alert> alerts;
  for (auto& d : detectors) d->Inspect(e, alerts);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].rule.id, "x1");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace loghunt

namespace loghunt {
namespace {

TEST(MsticpySudoConfig, SectionsEnableTheBuiltInsWithTheirParameters) {
  Config c;
  std::vector<std::string> errors;
  ASSERT_TRUE(
      LoadConfigText("detectors:\n  command_burst: {enabled: true, events: 2, seconds: 60}\n"
                     "  risky_sudo_session: {enabled: true}\n",
                     "t.yaml", &c, &errors));
  EXPECT_EQ(c.command_burst.events, 2);
  EXPECT_EQ(c.command_burst.seconds, 60);
  EXPECT_EQ(c.risky_sudo_session.events, 10);
  std::vector<std::string> names;
  for (const auto& d : MakeDetectors(c)) names.emplace_back(d->name());
  EXPECT_NE(std::find(names.begin(), names.end(), "command_burst"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "risky_sudo_session"), names.end());
  EXPECT_FALSE(LoadConfigText("detectors:\n  command_burst: {events: 0}\n", "t.yaml", &c, &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "t.yaml:2: detectors.command_burst.events: must be between 1 and 10000");
}

}  // namespace
}  // namespace loghunt
