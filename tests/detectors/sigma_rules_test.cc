// Sigma engine semantics on minimal rules and events written for each case:
// modifiers, wildcards, conditions, field mapping, and rejection reasons.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "detectors/rules/sigma_detector.h"
#include "detectors/rules/sigma_ruleset.h"
#include "detectors/rules/sigma_ruleset_impl.h"
#include "detectors/rules/sigma_values.h"

namespace loghunt {
namespace {

std::string Rule(const std::string& detection, const std::string& product = "windows") {
  return "title: t\nid: r1\nlevel: high\ntags: [attack.t1059]\nauthor: a\n"
         "logsource: {product: " +
         product +
         ", category: process_creation}\n"
         "detection:\n" +
         detection;
}

struct Loaded {
  std::shared_ptr<const SigmaRuleSet> rules;
  SigmaLoadReport report;
};

Loaded Load(const std::vector<std::string>& texts) {
  SigmaFieldMapping mapping;
  std::vector<std::string> errors;
  EXPECT_TRUE(LoadSigmaMapping("", &mapping, &errors));
  Loaded l;
  std::string error;
  l.rules = SigmaRuleSet::FromTexts(texts, {}, mapping, &l.report, &error);
  EXPECT_NE(l.rules, nullptr) << error;
  return l;
}

// A Sysmon-1-like event: EventData fields as extras, as the winevent parser keeps them.
Event Sysmon(std::vector<ExtraField> extras) {
  Event e;
  e.stream = Stream::kWinevent;
  e.kind = EventKind::kProcessStart;
  e.extras = std::move(extras);
  return e;
}

bool Fires(const std::string& detection, const Event& event) {
  Loaded l = Load({Rule(detection)});
  EXPECT_EQ(l.report.rejected.size(), 0u)
      << (l.report.rejected.empty() ? "" : l.report.rejected[0].reason);
  if (l.rules == nullptr || l.rules->rule_count() != 1) return false;
  SigmaMatcher m(l.rules);
  std::vector<uint32_t> hits;
  m.Match(event, &hits);
  return hits.size() == 1;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

std::string Rejection(const std::string& text) {
  Loaded l = Load({text});
  return l.report.rejected.empty() ? "" : l.report.rejected[0].reason;
}

const Event kCmd = Sysmon({{"Image", "C:\\Windows\\System32\\cmd.exe"},
                           {"CommandLine", "cmd.exe /c whoami /all"},
                           {"ParentImage", "C:\\Windows\\explorer.exe"},
                           {"IntegrityLevel", "High"},
                           {"LogonId", "0x3e7"},
                           {"SourceIp", "10.1.2.3"}});

TEST(SigmaRules, StringModifiersAreCaseInsensitiveByDefault) {
  EXPECT_TRUE(Fires("  s: {Image|endswith: '\\CMD.EXE'}\n  condition: s\n", kCmd));
  EXPECT_TRUE(Fires("  s: {Image|startswith: 'c:\\windows\\'}\n  condition: s\n", kCmd));
  EXPECT_TRUE(Fires("  s: {CommandLine|contains: 'WHOAMI'}\n  condition: s\n", kCmd));
  EXPECT_TRUE(Fires("  s: {IntegrityLevel: high}\n  condition: s\n", kCmd));
  EXPECT_FALSE(Fires("  s: {IntegrityLevel: hig}\n  condition: s\n", kCmd));
  EXPECT_FALSE(Fires("  s: {CommandLine|contains|cased: 'WHOAMI'}\n  condition: s\n", kCmd));
  EXPECT_TRUE(Fires("  s: {CommandLine|contains|cased: 'whoami'}\n  condition: s\n", kCmd));
}

TEST(SigmaRules, WildcardsAndEscapes) {
  EXPECT_TRUE(Fires("  s: {CommandLine: 'cmd.exe * /all'}\n  condition: s\n", kCmd));
  EXPECT_TRUE(Fires("  s: {CommandLine: 'cmd.ex? /c*'}\n  condition: s\n", kCmd));
  EXPECT_FALSE(Fires("  s: {CommandLine: 'cmd.exe \\* /all'}\n  condition: s\n", kCmd));
  EXPECT_TRUE(
      Fires("  s: {CommandLine: 'a\\*b'}\n  condition: s\n", Sysmon({{"CommandLine", "a*b"}})));
  // ? is one character, also one of several UTF-8 bytes, and not two.
  EXPECT_TRUE(
      Fires("  s: {User: 'DOM\\J?rg'}\n  condition: s\n", Sysmon({{"User", "DOM\\J\xc3\xb6rg"}})));
  EXPECT_TRUE(Fires("  s: {User: 'DOM\\J?rg'}\n  condition: s\n", Sysmon({{"User", "DOM\\Jorg"}})));
  EXPECT_TRUE(Fires("  s: {CommandLine|endswith: ' ? EUR'}\n  condition: s\n",
                    Sysmon({{"CommandLine", "pay \xe2\x82\xac EUR"}})));
  EXPECT_FALSE(Fires("  s: {User: 'DOM\\J?rg'}\n  condition: s\n", Sysmon({{"User", "DOM\\Jrg"}})));
  EXPECT_FALSE(
      Fires("  s: {User: 'DOM\\J?rg'}\n  condition: s\n", Sysmon({{"User", "DOM\\Jo\xc3\xb6rg"}})));
}

TEST(SigmaRules, ListsAreAnyUnlessAll) {
  EXPECT_TRUE(Fires("  s: {CommandLine|contains: [nope, whoami]}\n  condition: s\n", kCmd));
  EXPECT_FALSE(Fires("  s: {CommandLine|contains|all: [nope, whoami]}\n  condition: s\n", kCmd));
  EXPECT_TRUE(Fires("  s: {CommandLine|contains|all: ['/c', whoami]}\n  condition: s\n", kCmd));
}

TEST(SigmaRules, WindashMatchesEveryDashForm) {
  const std::string d = "  s: {CommandLine|contains|windash: ' -all'}\n  condition: s\n";
  EXPECT_TRUE(Fires(d, kCmd));  // '/all'
  EXPECT_TRUE(Fires(d, Sysmon({{"CommandLine", "whoami -all"}})));
  EXPECT_TRUE(Fires(d, Sysmon({{"CommandLine",
                                "whoami \xe2\x80\x93"
                                "all"}})));  // en dash
  EXPECT_FALSE(Fires(d, Sysmon({{"CommandLine", "whoami +all"}})));
}

TEST(SigmaRules, RegexWithSubModifiers) {
  EXPECT_TRUE(Fires("  s: {CommandLine|re: 'who[a-z]{2}i'}\n  condition: s\n", kCmd));
  EXPECT_FALSE(Fires("  s: {CommandLine|re: 'WHOAMI'}\n  condition: s\n", kCmd));
  EXPECT_TRUE(Fires("  s: {CommandLine|re|i: 'WHOAMI'}\n  condition: s\n", kCmd));
  // Backreference: not exact in Hyperscan, so prefilter + PCRE2 confirm.
  Event twice = Sysmon({{"CommandLine", "abcabc"}});
  EXPECT_TRUE(Fires("  s: {CommandLine|re: '(abc)\\1'}\n  condition: s\n", twice));
  EXPECT_FALSE(Fires("  s: {CommandLine|re: '(abd)\\1'}\n  condition: s\n", twice));
}

TEST(SigmaRules, RegexBacktrackingIsBounded) {
  // Catastrophic for a backtracking engine; must return (as no match) quickly.
  Event evil = Sysmon({{"CommandLine", std::string(40, 'a') + "!"}});
  EXPECT_FALSE(Fires("  s: {CommandLine|re: '^(a+)+\\1$'}\n  condition: s\n", evil));
}

TEST(SigmaRules, Base64AndUtf16Encodings) {
  // "whoami" in UTF-16LE then base64, at three alignments, as -enc launchers carry it.
  const std::string d = "  s: {CommandLine|wide|base64offset|contains: 'whoami'}\n  condition: s\n";
  for (const std::string prefix : {"", "x", "xy"}) {
    std::string b64 = sigma::Base64Encode(sigma::ToUtf16(prefix + "whoami /all", false));
    EXPECT_TRUE(Fires(d, Sysmon({{"CommandLine", "powershell -enc " + b64}}))) << prefix;
  }
  EXPECT_FALSE(
      Fires(d, Sysmon({{"CommandLine", "powershell -enc " + sigma::Base64Encode("whoami")}})));
  EXPECT_TRUE(Fires("  s: {CommandLine|base64|contains: 'whoami'}\n  condition: s\n",
                    Sysmon({{"CommandLine", "echo d2hvYW1p | base64 -d"}})));
  EXPECT_EQ(sigma::Base64Encode("whoami"), "d2hvYW1p");
}

TEST(SigmaRules, NullExistsNumericCidrFieldref) {
  EXPECT_TRUE(Fires("  s: {OriginalFileName: null}\n  condition: s\n", kCmd));
  EXPECT_FALSE(Fires("  s: {Image: null}\n  condition: s\n", kCmd));
  EXPECT_TRUE(Fires("  s: {Image|exists: true}\n  condition: s\n", kCmd));
  EXPECT_TRUE(Fires("  s: {Hashes|exists: false}\n  condition: s\n", kCmd));
  Event pid = Sysmon({{"ProcessId", "4242"}, {"ParentProcessId", "4242"}});
  EXPECT_TRUE(Fires("  s: {ProcessId|gt: 4000}\n  condition: s\n", pid));
  EXPECT_FALSE(Fires("  s: {ProcessId|lt: 4000}\n  condition: s\n", pid));
  EXPECT_TRUE(Fires("  s: {ProcessId|lte: 4242}\n  condition: s\n", pid));
  EXPECT_TRUE(Fires("  s: {SourceIp|cidr: 10.0.0.0/8}\n  condition: s\n", kCmd));
  EXPECT_FALSE(Fires("  s: {SourceIp|cidr: 192.168.0.0/16}\n  condition: s\n", kCmd));
  EXPECT_TRUE(Fires("  s: {ProcessId|fieldref: ParentProcessId}\n  condition: s\n", pid));
  EXPECT_FALSE(Fires("  s: {ProcessId|fieldref: Image}\n  condition: s\n", pid));
}

TEST(SigmaRules, Conditions) {
  const std::string sel =
      "  sel_a: {Image|endswith: '\\cmd.exe'}\n"
      "  sel_b: {CommandLine|contains: nothing}\n"
      "  filter: {ParentImage|endswith: '\\explorer.exe'}\n";
  EXPECT_TRUE(Fires(sel + "  condition: 1 of sel_*\n", kCmd));
  EXPECT_FALSE(Fires(sel + "  condition: all of sel_*\n", kCmd));
  EXPECT_FALSE(Fires(sel + "  condition: sel_a and not filter\n", kCmd));
  EXPECT_TRUE(Fires(sel + "  condition: (sel_a or sel_b) and filter\n", kCmd));
  EXPECT_TRUE(Fires(sel + "  condition: not sel_b\n", kCmd));  // no string hit needed
  EXPECT_TRUE(Fires(sel + "  condition: 1 of them\n", kCmd));
  EXPECT_FALSE(Fires(sel + "  condition: all of them\n", kCmd));
  EXPECT_TRUE(Fires(sel + "  condition: 2 of them\n", kCmd));
  // A list of maps is OR; keywords search the whole raw event.
  EXPECT_TRUE(
      Fires("  s:\n    - {Image: nope}\n    - {IntegrityLevel: High}\n  condition: s\n", kCmd));
  Event raw = kCmd;
  raw.raw = "{\"CommandLine\":\"mimikatz sekurlsa::logonpasswords\"}";
  EXPECT_TRUE(Fires("  k: [sekurlsa, nothing]\n  condition: k\n", raw));
}

// With many rules, a field with many case-insensitive patterns is folded to
// lower case once and scanned without Hyperscan's caseless mode, and a rule
// becomes a candidate only through its rarest required clause (here not the
// Image suffix that 80 other rules share). Neither may change what matches.
TEST(SigmaRules, LargeRuleSetsMatchLikeSmallOnes) {
  std::vector<std::string> texts;
  for (int i = 0; i < 80; ++i) {
    texts.push_back(
        Rule("  img: {Image|endswith: '\\cmd.exe'}\n  cli: {CommandLine|contains: filler" +
             std::to_string(i) + "}\n  condition: img and cli\n"));
  }
  const std::vector<std::pair<std::string, bool>> cases = {
      {"  s: {CommandLine|contains: 'WHOAMI /ALL'}\n  condition: s\n", true},
      {"  s: {CommandLine|contains|cased: 'WHOAMI'}\n  condition: s\n", false},
      {"  s: {CommandLine|contains|cased: 'whoami'}\n  condition: s\n", true},
      {"  s: {CommandLine|re: 'WHOAMI'}\n  condition: s\n", false},
      {"  s: {CommandLine|re|i: 'WHOAMI'}\n  condition: s\n", true},
      {"  s: {CommandLine|re: 'who[a-z]{2}i'}\n  condition: s\n", true},
      {"  s: {CommandLine: 'CMD.EXE /c *'}\n  condition: s\n", true},
      {"  s: {CommandLine|contains|windash: ' -ALL'}\n  condition: s\n", true},
      {"  img: {Image|endswith: '\\cmd.exe'}\n  cli: {CommandLine|contains: nothing}\n"
       "  condition: img and cli\n",
       false},
      {"  img: {Image|endswith: '\\cmd.exe'}\n  cli: {CommandLine|contains: '/ALL'}\n"
       "  condition: img and cli\n",
       true},
      {"  img: {Image|endswith: '\\cmd.exe'}\n  cli: {CommandLine|contains: whoami}\n"
       "  condition: img and not cli\n",
       false},
      {"  img: {Image|endswith: '\\cmd.exe'}\n  par: {ParentImage|endswith: '\\nope.exe'}\n"
       "  cli: {CommandLine|contains|all: [WhoAmI, ' /c ']}\n"
       "  condition: (img or par) and cli\n",
       true},
      {"  sel_img: {Image|endswith: '\\cmd.exe'}\n  sel_cli: {CommandLine|contains: [x1, x2]}\n"
       "  condition: all of sel_*\n",
       false},
      {"  sel_img: {Image|endswith: '\\cmd.exe'}\n  sel_cli: {CommandLine|contains: [x1, x2]}\n"
       "  condition: 1 of sel_*\n",
       true},
  };
  for (const auto& c : cases) texts.push_back(Rule(c.first));
  Loaded l = Load(texts);
  ASSERT_EQ(l.report.rejected.size(), 0u);
  SigmaMatcher m(l.rules);
  std::vector<uint32_t> hits;
  m.Match(kCmd, &hits);
  for (size_t i = 0; i < cases.size(); ++i) {
    bool fired = std::find(hits.begin(), hits.end(), 80 + i) != hits.end();
    EXPECT_EQ(fired, cases[i].second) << cases[i].first;
  }
  for (uint32_t h : hits) EXPECT_GE(h, 80u) << "a filler rule fired";
  Event filler = kCmd;
  filler.extras[1].value = "cmd.exe /c FILLER7";
  hits.clear();
  m.Match(filler, &hits);
  EXPECT_NE(std::find(hits.begin(), hits.end(), 7u), hits.end());
}

// A clause that is not its rule's trigger leaves the Hyperscan databases when
// its values are plain literals, and is compared directly once the trigger
// made the rule a candidate; past sigma::kDirectBudgetBytes of comparisons on
// a field in one event, the field's deferred database is scanned instead.
// Every modifier that yields such literals must give the verdict a scan
// gives, both ways. Each case is one rule; its trigger is a Product literal
// no other rule has (a rule's trigger is its clause whose patterns fewest
// rules share; on a tie, the first).
TEST(SigmaRules, DeferredClausesMatchLikeScannedOnes) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"  d: {Image|endswith: '\\CMD.exe'}\n", true},
      {"  d: {Image|endswith: '\\cmd.ex'}\n", false},
      {"  d: {Image|startswith: 'C:\\WINDOWS\\'}\n", true},
      {"  d: {Image|startswith: 'D:\\'}\n", false},
      {"  d: {Image: 'c:\\windows\\system32\\cmd.exe'}\n", true},
      {"  d: {Image: 'c:\\windows\\system32\\cmd.ex'}\n", false},
      {"  d: {Image: '*System32*'}\n", true},  // stars make it contains
      {"  d: {Image: '*SysWOW64*'}\n", false},
      {"  d: {Image: 'c:*'}\n", true},    // startswith
      {"  d: {Image: '*.EXE'}\n", true},  // endswith
      {"  d: {Image|contains|cased: 'System32'}\n", true},
      {"  d: {Image|contains|cased: 'system32'}\n", false},
      {"  d: {ParentImage|endswith: [nope.exe, '\\explorer.exe']}\n", true},
      {"  d: {ParentImage|endswith|all: [nope.exe, '\\explorer.exe']}\n", false},
      {"  d: {OriginalFileName|endswith: 'cmd.exe'}\n", false},  // field absent
      {"  d: {CommandLine|contains: 'EXE /C'}\n", true},
      {"  d: {CommandLine|contains: '/C WHOAMI /ALL /X'}\n", false},
      {"  d: {CommandLine|startswith: 'CMD.EXE'}\n", true},
      {"  d: {CommandLine|endswith: '/ALL'}\n", true},
      {"  d: {CommandLine|endswith: 'WHOAMI'}\n", false},
      {"  d: {CommandLine|wide|base64offset|contains: 'whoami'}\n", false},
  };
  std::vector<std::string> texts;
  std::string products;
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string product = "product" + std::to_string(100 + i);
    products += product + " ";
    texts.push_back(Rule("  t: {Product|contains: '" + product + "'}\n" + cases[i].first +
                         "  condition: t and d\n"));
  }
  Loaded l = Load(texts);
  ASSERT_EQ(l.report.rejected.size(), 0u);
  EXPECT_GE(l.report.deferred_patterns, cases.size() - 1) << "clauses were not deferred";
  SigmaMatcher m(l.rules);
  // Extras are views: the texts outlive the events.
  const std::string b64 = sigma::Base64Encode(sigma::ToUtf16("x whoami /all", false));
  const std::string padding(sigma::kDirectBudgetBytes, ' ');
  for (const std::string& middle : {std::string(" "), padding}) {
    const std::string command_line = "cmd.exe /c" + middle + "whoami /all";
    Event event = Sysmon({{"Image", "C:\\Windows\\System32\\cmd.exe"},
                          {"CommandLine", command_line},
                          {"ParentImage", "C:\\Windows\\explorer.exe"},
                          {"Product", products}});
    std::vector<uint32_t> hits;
    m.Match(event, &hits);
    for (size_t i = 0; i < cases.size(); ++i) {
      bool fired = std::find(hits.begin(), hits.end(), i) != hits.end();
      EXPECT_EQ(fired, cases[i].second)
          << cases[i].first << " command line of " << command_line.size() << " bytes";
    }
    // An encoded command line: the deferred base64offset literals compare
    // with the original (unfolded) text, case-sensitively.
    const std::string encoded_text = command_line + "; powershell -enc " + b64;
    const std::string lowered_text = command_line + "; powershell -enc " + Lower(b64);
    for (const auto& [text, fires] : {std::pair{&encoded_text, true}, {&lowered_text, false}}) {
      Event encoded = event;
      encoded.extras[1].value = *text;
      hits.clear();
      m.Match(encoded, &hits);
      EXPECT_EQ(std::find(hits.begin(), hits.end(), cases.size() - 1) != hits.end(), fires)
          << "base64offset, command line of " << text->size() << " bytes";
    }
  }
}

// Extras are gathered in one pass per event; as a lookup would, the first
// extra of a key is the field's value and a missing key is no value.
TEST(SigmaRules, FirstExtraOfAKeyIsTheFieldValue) {
  Event e = Sysmon({{"CommandLine", "first"}, {"Image", "x"}, {"CommandLine", "second"}});
  EXPECT_TRUE(Fires("  s: {CommandLine: first}\n  condition: s\n", e));
  EXPECT_FALSE(Fires("  s: {CommandLine: second}\n  condition: s\n", e));
  EXPECT_TRUE(Fires("  s: {ParentImage: null}\n  condition: s\n", e));
  EXPECT_FALSE(Fires("  s: {Image|exists: false}\n  condition: s\n", e));
}

TEST(SigmaRules, SecurityEventNamesMapToSysmonNames) {
  Event e;
  e.stream = Stream::kWinevent;
  e.kind = EventKind::kProcessStart;
  e.extras = {{"NewProcessName", "C:\\Windows\\System32\\rundll32.exe"},
              {"ParentProcessName", "C:\\Windows\\System32\\cmd.exe"},
              {"SubjectUserName", "alice"}};
  EXPECT_TRUE(
      Fires("  s: {Image|endswith: '\\rundll32.exe', ParentImage|endswith: '\\cmd.exe', "
            "User: alice}\n  condition: s\n",
            e));
}

// EventID, Channel and Provider_Name come from the event's System part, which
// the winevent parser reads into winlog.event_id, the channel (program) and
// winlog.provider_name rather than keeping them as EventData extras.
// Field-less selections (keywords) search the keywords field: plain values
// and '|all' lists are searched for, as are modifiers without a comparison.
TEST(SigmaRules, KeywordListsAreSearchedForEvenWithModifiers) {
  Event e = kCmd;
  e.raw =
      "Image=C:\\Windows\\System32\\cmd.exe CommandLine=cmd.exe /c whoami /all "
      "ParentImage=C:\\Windows\\explorer.exe";
  EXPECT_TRUE(Fires("  k: [whoami]\n  condition: k\n", e));
  EXPECT_TRUE(Fires("  k: {'|all': [whoami, explorer]}\n  condition: k\n", e));
  EXPECT_FALSE(Fires("  k: {'|all': [whoami, notepad]}\n  condition: k\n", e));
  EXPECT_TRUE(Fires("  k: {'|contains|all': [whoami, explorer]}\n  condition: k\n", e));
  EXPECT_TRUE(Fires("  k: {'|startswith': ['Image=C:']}\n  condition: k\n", e));
  EXPECT_FALSE(Fires("  k: {'|startswith': [whoami]}\n  condition: k\n", e));
}

TEST(SigmaRules, SystemFieldsMapToTheParsedEnvelope) {
  Event e = Sysmon({{"Image", "C:\\Windows\\System32\\cmd.exe"},
                    {"winlog.event_id", "1"},
                    {"winlog.provider_name", "Microsoft-Windows-Sysmon"}});
  e.program = "Microsoft-Windows-Sysmon/Operational";
  EXPECT_TRUE(Fires("  s: {EventID: 1, Image|endswith: '\\cmd.exe'}\n  condition: s\n", e));
  EXPECT_TRUE(Fires("  s: {EventID: [4688, 1]}\n  condition: s\n", e));
  EXPECT_FALSE(Fires("  s: {EventID: 4688}\n  condition: s\n", e));
  EXPECT_TRUE(Fires("  s: {Channel: 'Microsoft-Windows-Sysmon/Operational'}\n  condition: s\n", e));
  EXPECT_TRUE(Fires("  s: {Provider_Name: 'Microsoft-Windows-Sysmon'}\n  condition: s\n", e));
}

TEST(SigmaRules, LinuxRulesRunOnAuditdProcessStarts) {
  Event e;
  e.stream = Stream::kAuditd;
  e.kind = EventKind::kProcessStart;
  e.process.executable = "/usr/bin/curl";
  e.process.command_line = "curl -s http://x/a.sh";
  std::string rule =
      Rule("  s: {Image|endswith: /curl, CommandLine|contains: 'http'}\n  condition: s\n", "linux");
  Loaded l = Load({rule});
  SigmaMatcher m(l.rules);
  std::vector<uint32_t> hits;
  m.Match(e, &hits);
  EXPECT_EQ(hits.size(), 1u);
  hits.clear();
  m.Match(kCmd, &hits);  // a Windows event is not in a Linux rule's logsource
  EXPECT_TRUE(hits.empty());
}

TEST(SigmaRules, UnsupportedOrMalformedRulesAreRejectedWithAReason) {
  EXPECT_NE(Rejection(Rule("  s: {Image: x}\n  condition: s | count() > 5\n")).find("aggregation"),
            std::string::npos);
  EXPECT_NE(
      Rejection(Rule("  s: {Image|frobnicate: x}\n  condition: s\n")).find("unknown modifier"),
      std::string::npos);
  EXPECT_NE(Rejection(Rule("  s: {Image|expand: '%x%'}\n  condition: s\n")).find("expand"),
            std::string::npos);
  EXPECT_NE(
      Rejection(Rule("  s: {Image: x}\n  condition: s and t\n")).find("unknown selection 't'"),
      std::string::npos);
  EXPECT_NE(Rejection(Rule("  s: {Image: x}\n  condition: (s\n")).find("missing ')'"),
            std::string::npos);
  EXPECT_NE(Rejection(Rule("  s: {CommandLine|re: '(unclosed'}\n  condition: s\n")).find("regex"),
            std::string::npos);
  EXPECT_NE(Rejection(Rule("  s: {Image: x}\n  condition: s\n", "macos")).find("no field mapping"),
            std::string::npos);
  EXPECT_NE(Rejection("title: [unclosed\n").find("YAML"), std::string::npos);
  EXPECT_NE(Rejection("just text").find("not a Sigma rule"), std::string::npos);
  EXPECT_NE(Rejection(Rule("  s: {Image: x}\n")).find("no condition"), std::string::npos)
      << Rejection(Rule("  s: {Image: x}\n"));
  // Nesting is bounded (20,000 levels overflowed the stack); 100 is allowed.
  auto nested = [](int levels, const std::string& open, const std::string& close) {
    std::string c;
    for (int i = 0; i < levels; ++i) c += open;
    c += "s";
    for (int i = 0; i < levels; ++i) c += close;
    return "  s: {Image|endswith: cmd.exe}\n  condition: " + c + "\n";
  };
  EXPECT_EQ(Rejection(Rule(nested(100, "(", ")"))), "");
  EXPECT_NE(Rejection(Rule(nested(20000, "(", ")"))).find("nests deeper than 100"),
            std::string::npos);
  EXPECT_NE(Rejection(Rule(nested(200000, "not ", ""))).find("nests deeper than 100"),
            std::string::npos);
  EXPECT_TRUE(Fires(nested(100, "(", ")"), kCmd));
  // A value too long for Hyperscan rejects its rule, not the whole rule set
  // (one 17,000-character value made every rule fail to compile).
  EXPECT_NE(Rejection(Rule("  s: {CommandLine|contains: '" + std::string(17000, 'x') +
                           "'}\n  condition: s\n"))
                .find("value of 17000 bytes (at most 4096)"),
            std::string::npos);
  std::string stars;
  for (int i = 0; i < 2000; ++i) stars += "*a";
  EXPECT_EQ(Rejection(Rule("  s: {CommandLine: '" + stars + "'}\n  condition: s\n")), "");
  std::string dashes(2000, '-');
  std::string why =
      Rejection(Rule("  s: {CommandLine|windash|contains: '" + dashes + "'}\n  condition: s\n"));
  EXPECT_TRUE(why.empty() || why.find("Hyperscan cannot compile") != std::string::npos) << why;
  Loaded both =
      Load({Rule("  s: {CommandLine|contains: '" + std::string(5000, 'x') + "'}\n  condition: s\n"),
            Rule("  s: {Image|endswith: cmd.exe}\n  condition: s\n")});
  EXPECT_EQ(both.report.loaded, 1u);
  EXPECT_EQ(both.report.rejected.size(), 1u);
  // A rejected rule leaves the others intact.
  Loaded l = Load({Rule("  s: {Image|bogus: x}\n  condition: s\n"),
                   Rule("  s: {Image|endswith: cmd.exe}\n  condition: s\n")});
  EXPECT_EQ(l.report.loaded, 1u);
  SigmaMatcher m(l.rules);
  std::vector<uint32_t> hits;
  m.Match(kCmd, &hits);
  EXPECT_EQ(hits, std::vector<uint32_t>{0});
}

TEST(SigmaRules, MappingFileErrorsNameFileLineAndKey) {
  SigmaFieldMapping mapping;
  std::vector<std::string> errors;
  EXPECT_FALSE(
      ReadSigmaMapping("logsources:\n  x:\n    events:\n      - {stream: kafka, kind: logon}\n",
                       "m.yaml", &mapping, &errors));
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].find("m.yaml:4: logsources.x.events[0].stream: unknown stream 'kafka'"),
            std::string::npos)
      << errors[0];
  // A user file extends the built-in mapping field by field.
  errors.clear();
  ASSERT_TRUE(LoadSigmaMapping("", &mapping, &errors));
  ASSERT_TRUE(ReadSigmaMapping(
      "logsources:\n  windows_process_creation:\n    fields:\n      Image: [MyImage]\n", "u.yaml",
      &mapping, &errors));
  const SigmaLogsourceMapping* m =
      mapping.Find({{"product", "windows"}, {"category", "process_creation"}});
  ASSERT_NE(m, nullptr);
  std::string_view v;
  ASSERT_TRUE(m->SourcesOf("Image")[0].Read(Sysmon({{"MyImage", "x.exe"}}), &v));
  EXPECT_EQ(v, "x.exe");
  EXPECT_EQ(m->SourcesOf("CommandLine").size(), 2u);  // untouched
}

TEST(SigmaRules, DetectorAlertsCarryRuleMetadataAndReloadSwapsAtomically) {
  Loaded l = Load({Rule("  s: {Image|endswith: cmd.exe}\n  condition: s\n")});
  auto handle = std::make_shared<SigmaRuleSetHandle>(l.rules);
  SigmaDetector detector(handle);
  std::vector<Alert> alerts;
  detector.Inspect(kCmd, alerts);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].rule.id, "r1");
  EXPECT_EQ(alerts[0].rule.severity, Severity::kHigh);
  EXPECT_EQ(alerts[0].rule.tags[0], "attack.t1059");
  // Decoded layer: a rule that only matches after decoding is marked so.
  Loaded l2 = Load({Rule("  s: {CommandLine|contains: secret}\n  condition: s\n")});
  handle->Publish(l2.rules);
  alerts.clear();
  detector.Inspect(kCmd, alerts);
  EXPECT_TRUE(alerts.empty());
  detector.InspectDecoded(kCmd, "echo secret", "base64", alerts);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_NE(alerts[0].summary.find("after decoding: base64"), std::string::npos);
  // A rule set with a rejected rule is not published.
  SigmaLoadOptions bad;
  bad.paths = {"/nonexistent/rules"};
  SigmaLoadReport report;
  std::string error;
  EXPECT_FALSE(handle->Reload(bad, &report, &error));
  EXPECT_EQ(handle->Get(), l2.rules);
}

// SIGHUP: the shared rule sets are read again from disk, and detectors switch
// with their next event; a rule broken while editing keeps the running set,
// while a rule the first load already rejected (unsupported) does not block.
TEST(SigmaRules, SharedRuleSetsAreReadAgainOnReload) {
  const std::string dir = testing::TempDir() + "sigma-reload-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir + "/" + name) << text;
  };
  auto rule = [](const std::string& id) {
    return "title: t\nid: " + id +
           "\nlogsource: {product: windows, category: process_creation}\n"
           "detection:\n  s: {Image|endswith: cmd.exe}\n  condition: s\n";
  };
  write("a.yml", rule("first"));
  write("unsupported.yml",
        "title: u\nid: u\nlogsource: {product: windows, category: "
        "process_creation}\ndetection:\n  s: {Image|nosuchmodifier: x}\n"
        "  condition: s\n");
  SigmaLoadOptions options;
  options.paths = {dir};
  SigmaLoadReport report;
  std::string error;
  bool first = false;
  auto handle = SharedSigmaRuleSet(options, &report, &error, &first);
  ASSERT_NE(handle, nullptr) << error;
  EXPECT_TRUE(first);
  ASSERT_EQ(report.rejected.size(), 1u);
  SigmaDetector detector(handle);
  auto fired = [&] {
    std::vector<Alert> alerts;
    detector.Inspect(kCmd, alerts);
    return alerts.size() == 1 ? alerts[0].rule.id : std::string("(none)");
  };
  EXPECT_EQ(fired(), "first");

  auto reload = [&] {
    for (const SigmaReloadResult& r : ReloadSharedSigmaRuleSets()) {
      if (r.options.paths == options.paths) return r;
    }
    ADD_FAILURE() << "the shared set was not reloaded";
    return SigmaReloadResult{};
  };
  write("a.yml", rule("second"));
  SigmaReloadResult r = reload();
  EXPECT_TRUE(r.published) << r.error;
  EXPECT_EQ(r.report.rejected.size(), 1u);  // the unsupported rule, tolerated
  EXPECT_EQ(fired(), "second");

  write("a.yml", "title: t\nid: third\ndetection: [\n");  // broken while editing
  r = reload();
  EXPECT_FALSE(r.published);
  EXPECT_NE(r.error.find("keeping the old rule set"), std::string::npos) << r.error;
  EXPECT_EQ(fired(), "second");

  std::filesystem::remove(dir + "/unsupported.yml");
  write("a.yml", rule("fourth"));
  r = reload();
  EXPECT_TRUE(r.published) << r.error;
  EXPECT_EQ(fired(), "fourth");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace loghunt

namespace loghunt {
namespace {

// A rule source of which every rule is rejected is no rule set: `run` and
// check-config say so (exit 2) and name the reasons. It loaded as an empty
// set, with only a warning per rule, and check-config said ok.
TEST(SigmaRules, EveryRuleRejectedIsALoadError) {
  const std::string dir = testing::TempDir() + "sigma-none-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/unsupported.yml")
      << "title: u\nid: u\nlogsource: {product: windows, category: process_creation}\n"
         "detection:\n  s: {Image|nosuchmodifier: x}\n  condition: s\n";
  SigmaLoadOptions options;
  options.paths = {dir};
  SigmaLoadReport report;
  std::string error;
  bool first = false;
  EXPECT_EQ(SharedSigmaRuleSet(options, &report, &error, &first), nullptr);
  EXPECT_NE(error.find("none of the 1 rule file(s) loaded"), std::string::npos) << error;
  EXPECT_NE(error.find("unsupported.yml"), std::string::npos) << error;
  EXPECT_NE(error.find("nosuchmodifier"), std::string::npos) << error;
  std::filesystem::remove_all(dir);
}

TEST(SigmaRules, RulesRunOnDecodedCommandLineLayers) {
  // A PowerShell -EncodedCommand (UTF-16LE base64) hiding "Invoke-Mimikatz".
  Loaded l = Load({Rule("  s: {CommandLine|contains: 'invoke-mimikatz'}\n  condition: s\n")});
  auto handle = std::make_shared<SigmaRuleSetHandle>(l.rules);
  std::string b64 = sigma::Base64Encode(sigma::ToUtf16("IEX (Invoke-Mimikatz -DumpCreds)", false));
  std::string cmd = "powershell.exe -NoP -enc " + b64;
  Event e = Sysmon({{"Image", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"},
                    {"CommandLine", cmd}});
  e.process.command_line = cmd;
  std::vector<Alert> alerts;
  SigmaDetector plain(handle, /*decode_layers=*/false);
  plain.Inspect(e, alerts);
  EXPECT_TRUE(alerts.empty());
  SigmaDetector decoding(handle);
  decoding.Inspect(e, alerts);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].rule.tags.back(), "loghunt.decoded");
  EXPECT_NE(alerts[0].summary.find("after decoding: base64"), std::string::npos)
      << alerts[0].summary;
}

// A decoded layer is a second value of CommandLine, not a replacement: a
// filter that excludes the plain command line still excludes the event.
TEST(SigmaRules, DecodedLayersKeepFiltersOnThePlainCommandLine) {
  std::string b64 = sigma::Base64Encode(sigma::ToUtf16("Get-Date", false));
  std::string cmd = "powershell.exe -enc " + b64;
  Event e = Sysmon({{"Image", "C:\\x\\powershell.exe"}, {"CommandLine", cmd}});
  e.process.command_line = cmd;
  auto alerts_of = [&](const std::string& detection) {
    Loaded l = Load({Rule(detection)});
    auto handle = std::make_shared<SigmaRuleSetHandle>(l.rules);
    SigmaDetector detector(handle);
    std::vector<Alert> alerts;
    detector.Inspect(e, alerts);
    return alerts.size();
  };
  // Holds on the plain event already: one alert, not repeated for the layer.
  EXPECT_EQ(alerts_of("  sel: {Image|endswith: '\\powershell.exe'}\n  condition: sel\n"), 1u);
  // The filter holds for the plain value: no alert from the decoded layer
  // either (it fired when the layer replaced the command line).
  EXPECT_EQ(alerts_of("  sel: {Image|endswith: '\\powershell.exe'}\n"
                      "  filter: {CommandLine|contains: ' -enc'}\n"
                      "  condition: sel and not filter\n"),
            0u);
  // A selection on the decoded text and a filter the plain value passes.
  EXPECT_EQ(alerts_of("  sel: {CommandLine|contains: 'get-date'}\n"
                      "  filter: {CommandLine|contains: 'invoke-'}\n"
                      "  condition: sel and not filter\n"),
            1u);
  // Equality with the decoded text.
  EXPECT_EQ(alerts_of("  sel: {CommandLine: 'get-date'}\n  condition: sel\n"), 1u);

  // null and exists: false hold only when they hold for both values: an
  // event without a command line given a decoded one has a command line.
  Event bare = Sysmon({{"Image", "C:\\x\\powershell.exe"}});
  const std::string_view layer = "Get-Date";
  for (const char* absent : {"{CommandLine: null}", "{CommandLine|exists: false}"}) {
    Loaded l = Load({Rule(std::string("  sel: {Image|endswith: '\\powershell.exe'}\n  absent: ") +
                          absent + "\n  condition: sel and absent\n")});
    SigmaMatcher m(l.rules);
    std::vector<uint32_t> plain, decoded;
    m.Match(bare, &plain);
    m.Match(bare, &decoded, &layer);
    EXPECT_EQ(plain.size(), 1u) << absent;
    EXPECT_TRUE(decoded.empty()) << absent;
  }
}

}  // namespace
}  // namespace loghunt
