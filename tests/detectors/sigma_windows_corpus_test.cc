// All corpus Sigma rules over the complete Security-Datasets recordings in
// ../shared/corpora/windows/full/ (every channel, realistic noise). Writes the
// per-rule alert counts to <build>/sigma_windows_full_counts.tsv (a test
// artifact for false-positive review) and checks that each attack recording
// fires the rules written for the technique it records.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "detectors/rules/sigma_ruleset.h"
#include "parsers/parser.h"

namespace loghunt {
namespace {

const std::string kCorpora = LOGHUNT_CORPORA;

std::shared_ptr<const SigmaRuleSet> AllCorpusRules() {
  static std::shared_ptr<const SigmaRuleSet> rules = [] {
    SigmaLoadOptions options;
    const std::string sigma = kCorpora + "/sigma";
    options.paths = {sigma + "/rules", sigma + "/rules-threat-hunting",
                     sigma + "/rules-emerging-threats"};
    SigmaLoadReport report;
    std::string error;
    auto r = SigmaRuleSet::Load(options, &report, &error);
    EXPECT_NE(r, nullptr) << error;
    return r;
  }();
  return rules;
}

class RuleCounter : public EventHandler {
 public:
  explicit RuleCounter(SigmaMatcher* matcher) : matcher_(matcher) {}
  void OnEvent(const Event& event) override {
    ++events;
    matched_.clear();
    matcher_->Match(event, &matched_);
    for (uint32_t r : matched_) ++counts[r];
  }
  void OnError(ParseError, std::string_view, const SourcePosition&) override { ++errors; }
  std::map<uint32_t, int> counts;
  int events = 0, errors = 0;

 private:
  SigmaMatcher* matcher_;
  std::vector<uint32_t> matched_;
};

// Rule titles each recording must fire: the technique the dataset was
// recorded for (dataset names in ../shared/corpora/windows/full/).
const std::map<std::string, std::vector<std::string>> kExpected = {
    {"psh_lsass_memory_dump_comsvcs",
     {"Process Memory Dump Via Comsvcs.DLL", "LSASS Dump Keyword In CommandLine"}},
    {"cmd_mshta_vbscript_execute_psh",
     {"Suspicious MSHTA Child Process", "MSHTA Execution with Suspicious File Extensions"}},
    {"cmd_bitsadmin_download_psh_script", {"File Download Via Bitsadmin"}},
    {"wmic_remote_xsl_jscript", {"Potential Remote SquiblyTwo Technique Execution"}},
    {"schtask_create", {"Scheduled Task Creation Via Schtasks.EXE"}},
    {"empire_launcher_vbs", {"HackTool - Empire PowerShell Launch Parameters"}},
    {"empire_schtasks_creation_standard_user", {"Scheduled Task Creation Via Schtasks.EXE"}},
    {"cmd_psexec_lsa_secrets_dump",
     {"PsExec Service Execution", "Dumping of Sensitive Hives Via Reg.EXE"}},
};

TEST(SigmaWindowsCorpus, AttackRecordingsFireTheirRulesAndCountsAreKept) {
  auto rules = AllCorpusRules();
  ASSERT_NE(rules, nullptr);
  SigmaMatcher matcher(rules);
  auto parser = MakeParser(Stream::kWinevent, ParserOptions{});
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(kCorpora + "/windows/full")) {
    if (e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), 8u);

  std::string artifact = std::string(LOGHUNT_BINARY_DIR) + "/sigma_windows_full_counts.tsv";
  FILE* out = std::fopen(artifact.c_str(), "w");
  ASSERT_NE(out, nullptr) << artifact;
  std::fprintf(out, "dataset\tevents\trule_id\tlevel\talerts\ttitle\n");
  int total_events = 0, total_alerts = 0;
  std::set<std::string> checked;
  for (const auto& path : files) {
    RuleCounter counter(&matcher);
    std::ifstream in(path);
    std::string line;
    SourcePosition position{path.filename().string(), -1, 0};
    while (std::getline(in, line)) {
      ++position.offset;
      if (line.empty()) continue;  // blank lines in the recordings are not events
      parser->Parse(line, position, counter);
    }
    parser->Flush(counter);
    EXPECT_EQ(counter.errors, 0) << path;
    total_events += counter.events;
    std::set<std::string> fired;
    std::string name = path.stem().string();
    for (const auto& [rule, n] : counter.counts) {
      const SigmaRuleInfo& info = rules->rule(rule);
      std::fprintf(out, "%s\t%d\t%s\t%s\t%d\t%s\n", name.c_str(), counter.events, info.id.c_str(),
                   info.level.c_str(), n, info.title.c_str());
      std::printf("%-45.45s %4d  %s\n", name.c_str(), n, info.title.c_str());
      fired.insert(info.title);
      total_alerts += n;
    }
    for (const auto& [prefix, titles] : kExpected) {
      if (name.rfind(prefix + "_2020", 0) != 0) continue;
      checked.insert(prefix);
      for (const auto& title : titles) {
        EXPECT_TRUE(fired.count(title)) << name << " should fire '" << title << "'";
      }
    }
  }
  std::fclose(out);
  std::printf("windows/full: %d events, %d Sigma alerts; per-rule counts in %s\n", total_events,
              total_alerts, artifact.c_str());
  EXPECT_EQ(checked.size(), kExpected.size()) << "an expected dataset is missing";
  EXPECT_EQ(total_events, 7790);  // corpora README: 7,790 events
}

}  // namespace
}  // namespace loghunt
