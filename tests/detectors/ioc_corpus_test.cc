// The external IoC suites in ../shared/corpora/ioc/ (ioc-finder,
// python-iocextract, msticpy, ioc-fanger) and msticpy's base64 samples.
//
// Each case is mapped to our types (corpora/README.md §1 names theirs) and
// judged by its expected_kind: asserted_exhaustive -> set equality per type
// (types not listed must come back empty); reference_output / asserted ->
// every expected value, refanged, is found, and an empty expectation means
// we find none; asserted_count -> unique count; ioc-fanger fang/defang -> the
// indicators of the input equal those of the expected output. Cases whose
// types we do not support (yara rules, TLP labels, bitcoin, ...) are skipped.
//
// The pass rate per suite and per type is printed; every failing case is
// written to $LOGHUNT_IOC_FAILURES (default <build>/ioc-failures.md; the
// committed copy is docs/ioc-failures.md) with a reason.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "detectors/decode/decoder.h"
#include "detectors/ioc/ioc_extractor.h"

namespace loghunt {
namespace {

using Values = std::map<std::string, std::set<std::string>>;  // type -> values

struct Tally {
  int pass = 0, fail = 0, skipped = 0;
};

class Harness {
 public:
  Harness() : plain_(IocPatterns::Default(), PlainOptions()) {}

  // Our indicators of `text` (resolve_priority off: each type judged alone).
  Values Run(std::string_view text, bool defanged, bool decode) {
    arena_.Reset();
    iocs_.clear();
    IocExtractor& ex = defanged ? defanged_ : plain_;
    ex.Extract(text, arena_, &iocs_);
    if (decode) {
      for (const DecodedLayer& l : decoder_.Decode(text)) ex.Extract(l.text, arena_, &iocs_);
    }
    Values v;
    for (const Ioc& i : iocs_) v[std::string(IocTypeName(i.type))].insert(std::string(i.value));
    return v;
  }
  // Expected values are normalized as we report URLs: refanged, and the
  // "http:\\host" / "http__host" / "https:__host" spellings as "://".
  std::string Refang(std::string_view s) {
    Arena arena;
    std::string out(loghunt::Refang(s, arena));
    size_t i = 0;
    while (i < out.size() && std::isalpha(static_cast<unsigned char>(out[i]))) ++i;
    if (i > 0 && i < 8) {
      for (std::string_view sep : {":\\\\", ":__", "__"}) {
        if (out.compare(i, sep.size(), sep) == 0) {
          out.replace(i, sep.size(), "://");
          break;
        }
      }
    }
    return out;
  }

 private:
  static IocOptions PlainOptions() {
    IocOptions o;
    o.defanged = false;
    o.resolve_priority = false;
    return o;
  }
  static IocOptions DefangedOptions() {
    IocOptions o;
    o.resolve_priority = false;
    return o;
  }
  IocExtractor plain_;
  IocExtractor defanged_{IocPatterns::Default(), DefangedOptions()};
  Decoder decoder_;
  Arena arena_;
  std::vector<Ioc> iocs_;
};

std::vector<std::string> MapType(const std::string& suite, const std::string& key) {
  static const std::map<std::string, std::vector<std::string>> kFinder = {
      {"urls", {"url"}},   {"domains", {"dns"}},           {"ipv4s", {"ipv4"}},
      {"ipv6s", {"ipv6"}}, {"email_addresses", {"email"}}, {"md5s", {"md5"}},
      {"sha1s", {"sha1"}}, {"sha256s", {"sha256"}},        {"sha512s", {"sha512"}}};
  static const std::map<std::string, std::vector<std::string>> kIocextract = {
      {"urls", {"url"}},          {"emails", {"email"}},
      {"ipv4s", {"ipv4"}},        {"ipv6s", {"ipv6"}},
      {"ips", {"ipv4", "ipv6"}},  {"md5s", {"md5"}},
      {"sha1s", {"sha1"}},        {"sha256s", {"sha256"}},
      {"sha512s", {"sha512"}},    {"hashes", {"md5", "sha1", "sha256", "sha512"}},
      {"refanged_url", {"url"}},  {"refanged_email", {"email"}},
      {"refanged_ipv4", {"ipv4"}}};
  static const std::map<std::string, std::vector<std::string>> kMsticpy = {
      {"ipv4", {"ipv4"}},
      {"ipv6", {"ipv6"}},
      {"dns", {"dns"}},
      {"url", {"url"}},
      {"email", {"email"}},
      {"windows_path", {"windows_path"}},
      {"linux_path", {"linux_path"}},
      {"md5_hash", {"md5"}},
      {"sha1_hash", {"sha1"}},
      {"sha256_hash", {"sha256"}}};
  const auto& table = suite == "ioc-finder" ? kFinder : suite == "msticpy" ? kMsticpy : kIocextract;
  auto it = table.find(key);
  return it == table.end() ? std::vector<std::string>{} : it->second;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool ContainsNoCase(const std::set<std::string>& set, const std::string& v) {
  std::string lv = Lower(v);
  for (const std::string& s : set) {
    if (Lower(s) == lv) return true;
  }
  return false;
}

std::string Show(const std::set<std::string>& s) {
  std::string out = "[";
  for (const auto& v : s) out += (out.size() > 1 ? ", " : "") + v;
  return out + "]";
}

std::string Oneline(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 160)) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (c == '|')
      out += "\\|";
    else
      out += c;
  }
  if (s.size() > 160) out += "...";
  return out;
}

// Why a case fails, as far as a rule can tell; the rest is left to triage.
std::string Reason(const std::string& suite, const std::string& input, const std::string& type,
                   const std::set<std::string>& expected, const std::set<std::string>& got) {
  for (const auto& e : expected) {
    if (e.find_first_of(" \t\r\n") != std::string::npos)
      return "deliberate: indicator wrapped across whitespace (iocextract wrapped variant); we "
             "never join across whitespace";
    if (e.find("__") != std::string::npos && type == "url")
      return "deliberate: 'scheme__host' spelling only as http/https/ftp";
  }
  for (const auto& e : expected) {
    if (type == "url" && e.find(':') == std::string::npos && !e.empty())
      return "deliberate: iocextract reports the still-encoded base64 text as a URL; we report "
             "the decoded URL (chain base64), and only for fragments of >= 30 characters";
    if (type == "url" && e.rfind("ftp://", 0) == 0 && input.rfind("ftx", 0) == 0)
      return "deliberate: the ftx scheme is not refanged to ftp";
  }
  if (suite == "ioc-finder" && !got.empty() && expected.empty())
    return "difference: ioc-finder reports it as another type (xmpp, imphash, url part, ...)";
  for (const auto& e : expected) {
    if (type == "email" &&
        (e.find("@[") != std::string::npos ||
         e.find_first_not_of("0123456789.", e.find('@') + 1) == std::string::npos))
      return "deliberate: emails with an IP or address-literal host are not reported";
    if ((type == "email" || type == "dns") && e.size() > 4 &&
        e.compare(e.size() - 4, 4, ".tld") == 0)
      return "deliberate: '.tld' is not a public suffix (libpsl), so the domain is rejected";
  }
  if ((type == "email" || type == "dns") && input.find(".tld") != std::string::npos)
    return "deliberate: '.tld' is not a public suffix (libpsl), so the domain is rejected";
  if (type == "ipv6" && input.find("::ffff:") != std::string::npos)
    return "deliberate: embedded-IPv4 IPv6 (::ffff:a.b.c.d) is reported as ipv6 (RFC 4291)";
  if (type == "dns" && !got.empty() && expected.size() < got.size())
    return "deliberate: domains inside URLs and emails are reported as dns too (msticpy)";
  if (suite == "ioc-finder" && (type == "url" || type == "dns"))
    return "difference: ioc-finder URL/domain grammar (schemeless URLs, ports, case)";
  return "to triage";
}

TEST(IocCorpus, ExternalSuitesPassRate) {
  Harness h;
  std::map<std::string, Tally> by_suite, by_type;
  std::ostringstream failures;
  simdjson::dom::parser parser;
  for (const std::string suite : {"ioc-finder", "python-iocextract", "msticpy", "ioc-fanger"}) {
    std::string path = std::string(LOGHUNT_CORPORA) + "/ioc/" + suite + ".jsonl";
    std::ifstream in(path);
    ASSERT_TRUE(in) << path;
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      simdjson::dom::element c;
      ASSERT_EQ(parser.parse(line).get(c), simdjson::SUCCESS) << path << ":" << number;
      std::string input(c["input"].get_string().value());
      std::string kind(c["expected_kind"].get_string().value_unsafe());
      std::string source(c["source"].get_string().value_unsafe());
      std::string_view extractor;
      if (c["extractor"].get_string().get(extractor) != simdjson::SUCCESS) extractor = {};
      bool defang_option = true;
      simdjson::dom::object options;
      if (c["options"].get_object().get(options) == simdjson::SUCCESS) {
        bool b;
        if (options["defanged"].get_bool().get(b) == simdjson::SUCCESS) defang_option = b;
      }
      // (type, expected values, got values, pass)
      struct Check {
        std::string type;
        std::set<std::string> expected, got;
        bool pass;
      };
      std::vector<Check> checks;
      // iocextract's extract_urls includes its encoded-URL search.
      bool decode = extractor == "extract_encoded_urls" || extractor == "extract_iocs" ||
                    extractor == "extract_urls";
      Values got = h.Run(input, defang_option, decode);

      if (suite == "ioc-fanger") {
        std::string op(c["operation"].get_string().value_unsafe());
        simdjson::dom::array arr;
        std::string_view target = op == "fang" ? "fanged" : "defanged";
        if (c["expected"][target].get_array().get(arr) != simdjson::SUCCESS) continue;
        std::string out(arr.at(0).get_string().value_unsafe());
        Values mine = op == "fang" ? h.Run(input, true, false) : h.Run(input, false, false);
        Values theirs = op == "fang" ? h.Run(out, false, false) : h.Run(out, true, false);
        std::set<std::string> a, b;
        for (auto& [t, vs] : mine)
          for (auto& v : vs) a.insert(t + ":" + v);
        for (auto& [t, vs] : theirs)
          for (auto& v : vs) b.insert(t + ":" + v);
        if (a.empty() && b.empty()) {
          ++by_suite[suite].skipped;
          continue;
        }
        checks.push_back({op, b, a, a == b});
      } else if (suite == "msticpy") {
        simdjson::dom::object counts = c["expected_count"].get_object().value_unsafe();
        for (auto [key, value] : counts) {
          auto types = MapType(suite, std::string(key));
          if (types.empty()) continue;
          const auto& g = got[types[0]];
          int64_t n;
          bool pass;
          std::string want;
          if (value.get_int64().get(n) == simdjson::SUCCESS) {
            pass = static_cast<int64_t>(g.size()) == n;
            want = "count " + std::to_string(n);
          } else {
            pass = !g.empty();
            want = "count >0";
          }
          checks.push_back({types[0], {want}, g, pass});
        }
      } else {
        simdjson::dom::object expected = c["expected"].get_object().value_unsafe();
        std::set<std::string> listed;
        for (auto [key, value] : expected) {
          auto types = MapType(suite, std::string(key));
          if (types.empty()) continue;
          std::set<std::string> want;
          simdjson::dom::array arr;
          if (value.get_array().get(arr) != simdjson::SUCCESS) continue;
          for (auto v : arr) {
            std::string_view s;
            if (v.get_string().get(s) == simdjson::SUCCESS) want.insert(h.Refang(s));
          }
          std::set<std::string> mine;
          for (const auto& t : types) {
            listed.insert(t);
            mine.insert(got[t].begin(), got[t].end());
          }
          bool pass;
          if (kind == "asserted_exhaustive") {
            pass = want.size() == mine.size();
            for (const auto& w : want) pass = pass && ContainsNoCase(mine, w);
          } else if (want.empty()) {
            pass = mine.empty();
          } else {
            pass = true;
            for (const auto& w : want) pass = pass && ContainsNoCase(mine, w);
          }
          checks.push_back({types[0], want, mine, pass});
        }
        if (checks.empty()) {
          ++by_suite[suite].skipped;
          continue;
        }
        if (kind == "asserted_exhaustive") {
          for (const char* t :
               {"ipv4", "ipv6", "dns", "url", "email", "md5", "sha1", "sha256", "sha512"}) {
            if (listed.count(t) || got[t].empty()) continue;
            checks.push_back({t, {}, got[t], false});
          }
        }
      }
      if (checks.empty()) {
        ++by_suite[suite].skipped;
        continue;
      }
      bool pass = true;
      for (const Check& k : checks) {
        (k.pass ? by_type[k.type].pass : by_type[k.type].fail)++;
        if (!k.pass) {
          pass = false;
          failures << "| " << suite << ":" << number << " | " << Oneline(source) << " | `"
                   << Oneline(input) << "` | " << k.type << " | " << Oneline(Show(k.expected))
                   << " | " << Oneline(Show(k.got)) << " | "
                   << Reason(suite, input, k.type, k.expected, k.got) << " |\n";
        }
      }
      (pass ? by_suite[suite].pass : by_suite[suite].fail)++;
    }
  }
  int pass = 0, total = 0;
  std::ostringstream summary;
  for (const auto& [suite, t] : by_suite) {
    summary << "suite " << suite << ": " << t.pass << "/" << (t.pass + t.fail) << " pass ("
            << (t.pass + t.fail ? 100.0 * t.pass / (t.pass + t.fail) : 0) << "%), " << t.skipped
            << " skipped (unsupported types or no indicators)\n";
    pass += t.pass;
    total += t.pass + t.fail;
  }
  for (const auto& [type, t] : by_type) {
    summary << "type " << type << ": " << t.pass << "/" << (t.pass + t.fail) << " checks pass\n";
  }
  double rate = 100.0 * pass / total;
  summary << "overall: " << pass << "/" << total << " (" << rate << "%)\n";
  std::cout << summary.str();
  const char* env = std::getenv("LOGHUNT_IOC_FAILURES");
  std::string out_path = env ? env : std::string(LOGHUNT_BINARY_DIR) + "/ioc-failures.md";
  std::ofstream out(out_path);
  out << "# IoC corpus failures\n\nWritten by tests/detectors/ioc_corpus_test.cc; one row per "
         "failing check. Reasons starting with \"deliberate\" are documented in "
         "docs/ioc.md.\n\n```\n"
      << summary.str() << "```\n\n| case | source | input | type | expected | got | reason |\n"
      << "|---|---|---|---|---|---|---|\n"
      << failures.str();
  // The target is 95%; today's rate is a regression floor, not the
  // goal. docs/ioc-failures.md lists every failing check with its reason.
  EXPECT_GE(rate, 63.0);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(IocCorpus, MsticpyBase64MessageDecodesIncludingArchives) {
  std::string text = ReadFile(std::string(LOGHUNT_CORPORA) + "/ioc/base64/msticpy_base64msg.txt");
  ASSERT_FALSE(text.empty());
  Decoder decoder;
  const auto& layers = decoder.Decode(text);
  std::set<std::string> chains;
  for (const auto& l : layers) chains.insert(std::string(l.chain));
  for (const auto& l : layers) {
    std::cout << "layer depth=" << l.depth << " chain=" << l.chain << " name=" << l.name
              << " text=" << Oneline(l.text.substr(0, 60)) << "\n";
  }
  EXPECT_TRUE(chains.count("base64 > tar")) << "the tar member";
  EXPECT_GE(layers.size(), 5u);
}

TEST(IocCorpus, MsticpyZippedBase64Decodes) {
  std::string text =
      ReadFile(std::string(LOGHUNT_CORPORA) + "/ioc/base64/msticpy_b64text_inzip.txt");
  Decoder decoder;
  const auto& layers = decoder.Decode(text);
  ASSERT_FALSE(layers.empty());
  bool zip = false;
  for (const auto& l : layers) {
    std::cout << "layer chain=" << l.chain << " name=" << l.name << " text=" << Oneline(l.text)
              << "\n";
    zip = zip || (l.chain.substr(0, 12) == "base64 > zip" && l.name == "txtenc.txt");
  }
  EXPECT_TRUE(zip);
}

}  // namespace
}  // namespace loghunt
