// SigmaHQ's own regression data: for every rule in
// ../shared/corpora/sigma/regression_index.jsonl, replay its evtx_dump export
// through the winevent parser and the Sigma engine (all corpus rules loaded,
// as in production) and check the rule fires on match_count events (on every
// event when match_count is null).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "detectors/rules/sigma_ruleset.h"
#include "parsers/parser.h"
#include "parsers/winevent/json_object_splitter.h"

namespace loghunt {
namespace {

const std::string kSigma = std::string(LOGHUNT_CORPORA) + "/sigma";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::shared_ptr<const SigmaRuleSet> AllCorpusRules() {
  static std::shared_ptr<const SigmaRuleSet> rules = [] {
    SigmaLoadOptions options;
    options.paths = {kSigma + "/rules", kSigma + "/rules-threat-hunting",
                     kSigma + "/rules-emerging-threats"};
    SigmaLoadReport report;
    std::string error;
    auto r = SigmaRuleSet::Load(options, &report, &error);
    EXPECT_NE(r, nullptr) << error;
    return r;
  }();
  return rules;
}

// Counts, per event, whether one rule matched.
class CountingHandler : public EventHandler {
 public:
  CountingHandler(SigmaMatcher* matcher, uint32_t rule) : matcher_(matcher), rule_(rule) {}
  void OnEvent(const Event& event) override {
    ++events;
    matched_.clear();
    matcher_->Match(event, &matched_);
    for (uint32_t r : matched_) hits += r == rule_;
  }
  void OnError(ParseError reason, std::string_view, const SourcePosition&) override {
    ++errors;
    last_error = std::string(ParseErrorName(reason));
  }
  int events = 0, hits = 0, errors = 0;
  std::string last_error;

 private:
  SigmaMatcher* matcher_;
  uint32_t rule_;
  std::vector<uint32_t> matched_;
};

TEST(SigmaRegressionCorpus, EveryIndexedRuleFiresOnItsOwnEvents) {
  auto rules = AllCorpusRules();
  ASSERT_NE(rules, nullptr);
  std::map<std::string, uint32_t> by_id;
  for (uint32_t i = 0; i < rules->rule_count(); ++i) by_id[rules->rule(i).id] = i;
  SigmaMatcher matcher(rules);
  auto parser = MakeParser(Stream::kWinevent, ParserOptions{});

  std::ifstream index(kSigma + "/regression_index.jsonl");
  ASSERT_TRUE(index) << "missing regression_index.jsonl";
  std::string line;
  int total = 0, passed = 0;
  std::vector<std::string> failures;
  while (std::getline(index, line)) {
    if (line.empty()) continue;
    ++total;
    YAML::Node entry = YAML::Load(line);
    std::string id = entry["rule_id"].as<std::string>();
    std::string json = entry["event_json"].as<std::string>();
    YAML::Node count = entry["match_count"];
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      failures.push_back(id + ": rule not loaded");
      continue;
    }
    std::string text = ReadAll(kSigma + "/" + json);
    JsonSplitResult split = SplitJsonObjects(text);
    CountingHandler handler(&matcher, it->second);
    SourcePosition position{json, -1, 0};
    for (std::string_view object : split.objects) {
      ++position.offset;
      parser->Parse(object, position, handler);
    }
    parser->Flush(handler);
    int expected = count.IsNull() ? handler.events : count.as<int>();
    if (split.ok && handler.errors == 0 && handler.events > 0 && handler.hits == expected) {
      ++passed;
    } else {
      failures.push_back(id + " (" + rules->rule(it->second).title + "): expected " +
                         std::to_string(expected) + " of " + std::to_string(handler.events) +
                         " events, fired on " + std::to_string(handler.hits) +
                         (handler.errors ? ", parse errors: " + std::to_string(handler.errors) +
                                               " (" + handler.last_error + ")"
                                         : "") +
                         (split.ok ? "" : ", file did not split"));
    }
  }
  std::printf("sigma regression: %d of %d rules pass (%.1f%%)\n", passed, total,
              total ? 100.0 * passed / total : 0.0);
  for (const auto& f : failures) std::printf("  FAIL %s\n", f.c_str());
  ASSERT_EQ(total, 136) << "regression_index.jsonl changed";
  EXPECT_GE(passed * 100, total * 95) << passed << " of " << total << " pass";
}

}  // namespace
}  // namespace loghunt
