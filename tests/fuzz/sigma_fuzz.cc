// Fuzz target: the Sigma matcher on an attacker-controlled process creation.
// The input is the command line (and the raw event); Image is its first word,
// ParentImage its last, User its first 24 bytes. Contract: never crash, never
// read out of bounds, and match exactly as the same rules compiled with every
// pattern scanned (no deferred clause), and as each rule loaded alone.
// The rules below cover triggers and deferred clauses on several fields
// (literals, encodings, windash, a PCRE2-confirmed regex, fieldref, keywords)
// and one clause of 200 deferred literals, whose comparisons pass the
// per-field budget on any command line longer than 82 bytes. Sharing counts,
// and so triggers and deferral, differ between the rule set and a rule
// alone, which makes the single-rule sets a second oracle.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "detectors/rules/sigma_ruleset.h"

namespace {

using loghunt::SigmaMatcher;
using loghunt::SigmaRuleSet;

std::vector<std::string> RuleTexts() {
  std::vector<std::string> detections = {
      "  img: {Image|endswith: ['\\cmd.exe', '\\powershell.exe', cmd.exe]}\n"
      "  cli: {CommandLine|contains: [' /c ', whoami, '-enc', 'http']}\n"
      "  condition: img and cli\n",
      "  cli: {CommandLine|contains|all: ['-nop', hidden]}\n"
      "  par: {ParentImage|endswith: '.exe'}\n"
      "  condition: cli and not par\n",
      "  cli: {CommandLine|wide|base64offset|contains: [whoami, 'http://']}\n"
      "  condition: cli\n",
      "  cli: {CommandLine|contains|windash: [' -enc', ' -e ']}\n"
      "  img: {Image|contains: power}\n"
      "  condition: all of them\n",
      "  cli: {CommandLine|re: '(\\w+) \\1'}\n"
      "  img: {Image|startswith: 'c:'}\n"
      "  condition: cli and img\n",
      "  sel: {CommandLine|startswith: [cmd, powershell]}\n"
      "  f: {CommandLine|endswith: ['.ps1', '.bat']}\n"
      "  condition: sel and not f\n",
      "  k: [mimikatz, sekurlsa]\n"
      "  condition: k\n",
      "  cli: {CommandLine: '*\\temp\\*'}\n"
      "  u: {User|contains: admin}\n"
      "  condition: cli or u\n",
      "  cli: {CommandLine|contains|cased: IEX}\n"
      "  img: {Image|endswith: powershell.exe}\n"
      "  condition: cli and img\n",
      "  ref: {Image|fieldref: ParentImage}\n"
      "  cli: {CommandLine|contains: cmd}\n"
      "  condition: ref and cli\n",
  };
  std::string many = "  t: {CommandLine|contains: http}\n  d: {CommandLine|contains: [";
  for (int i = 0; i < 200; ++i) many += (i ? ", zz" : "zz") + std::to_string(i);
  detections.push_back(many + "]}\n  condition: t and not d\n");
  std::vector<std::string> texts;
  for (size_t i = 0; i < detections.size(); ++i) {
    texts.push_back("title: fuzz " + std::to_string(i) + "\nid: fuzz-" + std::to_string(i) +
                    "\nlogsource: {product: windows, category: process_creation}\n"
                    "detection:\n" +
                    detections[i]);
  }
  return texts;
}

struct Sets {
  std::shared_ptr<const SigmaRuleSet> all, scanned;
  std::vector<std::shared_ptr<const SigmaRuleSet>> single;
};

std::shared_ptr<const SigmaRuleSet> Load(const std::vector<std::string>& texts,
                                         bool defer_clauses = true) {
  loghunt::SigmaFieldMapping mapping;
  std::vector<std::string> errors;
  if (!loghunt::LoadSigmaMapping("", &mapping, &errors)) std::abort();
  loghunt::SigmaLoadReport report;
  std::string error;
  auto set = SigmaRuleSet::FromTexts(texts, {}, mapping, &report, &error, defer_clauses);
  if (set == nullptr || !report.rejected.empty() || set->rule_count() != texts.size()) {
    std::abort();  // the rules above are all valid
  }
  return set;
}

std::vector<uint32_t> Run(SigmaMatcher& matcher, const loghunt::Event& event,
                          const std::string_view* command_line) {
  std::vector<uint32_t> matched;
  matcher.Match(event, &matched, command_line);
  return matched;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Sets sets = [] {
    Sets s;
    std::vector<std::string> texts = RuleTexts();
    s.all = Load(texts);
    s.scanned = Load(texts, false);
    for (const std::string& t : texts) s.single.push_back(Load({t}));
    return s;
  }();
  static SigmaMatcher all(sets.all);
  static SigmaMatcher scanned(sets.scanned);
  static std::vector<std::unique_ptr<SigmaMatcher>> single = [] {
    std::vector<std::unique_ptr<SigmaMatcher>> m;
    for (const auto& s : sets.single) m.push_back(std::make_unique<SigmaMatcher>(s));
    return m;
  }();

  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t first_blank = text.find(' ');
  size_t last_blank = text.rfind(' ');
  std::string_view image = text.substr(0, first_blank);
  std::string_view parent =
      last_blank == std::string_view::npos ? text : text.substr(last_blank + 1);
  loghunt::Event event;
  event.stream = loghunt::Stream::kWinevent;
  event.kind = loghunt::EventKind::kProcessStart;
  event.raw = text;
  event.extras = {{"Image", image},
                  {"CommandLine", text},
                  {"ParentImage", parent},
                  {"User", text.substr(0, 24)}};
  // The decoded-layer path: the second half is a second command-line value.
  const std::string_view layer = text.substr(size / 2);
  // A second value equal to the first changes nothing.
  if (Run(all, event, &text) != Run(all, event, nullptr)) std::abort();
  for (const std::string_view* command_line :
       {static_cast<const std::string_view*>(nullptr), &layer}) {
    std::vector<uint32_t> together = Run(all, event, command_line);
    std::vector<uint32_t> alone;
    for (uint32_t r = 0; r < single.size(); ++r) {
      if (!Run(*single[r], event, command_line).empty()) alone.push_back(r);
    }
    if (together != alone || together != Run(scanned, event, command_line)) std::abort();
  }
  return 0;
}
