// IndicatorStore lookups: exact IPs (v4/v6), nested networks, parent domains,
// case of hashes and URL hosts, chained duplicates and expiry.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/time.h"
#include "detectors/intel/indicator_store.h"
#include "detectors/intel/intel_detector.h"
#include "detectors/intel/intel_feeds.h"

namespace loghunt {
namespace {

FeedConfig Feed(std::string name, FeedFormat format) {
  FeedConfig c;
  c.name = std::move(name);
  c.format = format;
  return c;
}

TEST(IndicatorStore, NestedNetworksResolveToTheMostSpecific) {
  IndicatorStore s;
  uint16_t f = s.AddFeed("f");
  ASSERT_TRUE(s.Add(IndicatorType::kNetwork, "10.0.0.0/8", f, 10, "wide", 0));
  ASSERT_TRUE(s.Add(IndicatorType::kNetwork, "10.1.2.0/24", f, 90, "narrow", 0));
  ASSERT_TRUE(s.Add(IndicatorType::kNetwork, "2001:db8::/32", f, 50, "v6", 0));
  EXPECT_FALSE(s.Add(IndicatorType::kNetwork, "10.0.0.0/33", f, 1, "", 0));
  EXPECT_EQ(s.MatchIp("10.1.2.3", 0)->description, "narrow");
  EXPECT_EQ(s.MatchIp("10.9.2.3", 0)->description, "wide");
  EXPECT_EQ(s.MatchIp("2001:db8:1::5", 0)->description, "v6");
  EXPECT_EQ(s.MatchIp("11.0.0.1", 0), nullptr);
  EXPECT_EQ(s.MatchIp("::a01:203", 0), nullptr);  // not the mapped form
  // IPv6 networks of /96 to /128 (they never matched).
  ASSERT_TRUE(s.Add(IndicatorType::kNetwork, "2001:db9::/112", f, 50, "v6/112", 0));
  ASSERT_TRUE(s.Add(IndicatorType::kNetwork, "2001:db9:1::5/128", f, 50, "v6/128", 0));
  ASSERT_NE(s.MatchIp("2001:db9::5", 0), nullptr);
  EXPECT_EQ(s.MatchIp("2001:db9::5", 0)->description, "v6/112");
  ASSERT_NE(s.MatchIp("2001:db9:1::5", 0), nullptr);
  EXPECT_EQ(s.MatchIp("2001:db9:1::5", 0)->description, "v6/128");
  EXPECT_EQ(s.MatchIp("2001:db9::1:5", 0), nullptr);
}

TEST(IndicatorStore, DomainsMatchTheirSubdomainsNotTheirParents) {
  IndicatorStore s;
  uint16_t f = s.AddFeed("f");
  ASSERT_TRUE(s.Add(IndicatorType::kDomain, "Evil.Example.com.", f, 50, "", 0));
  EXPECT_NE(s.MatchDomain("a.b.evil.example.COM", 0), nullptr);
  EXPECT_NE(s.MatchDomain("evil.example.com", 0), nullptr);
  EXPECT_EQ(s.MatchDomain("example.com", 0), nullptr);
  EXPECT_EQ(s.MatchDomain("notevil.example.com", 0), nullptr);
}

TEST(IndicatorStore, HashesAndUrlHostsIgnoreCaseUrlPathsDoNot) {
  IndicatorStore s;
  uint16_t f = s.AddFeed("f");
  ASSERT_TRUE(s.Add(IndicatorType::kHash, "D41D8CD98F00B204E9800998ECF8427E", f, 50, "", 0));
  ASSERT_TRUE(s.Add(IndicatorType::kUrl, "HTTP://Evil.com/Payload", f, 50, "", 0));
  EXPECT_FALSE(s.Add(IndicatorType::kHash, "abc", f, 50, "", 0));
  EXPECT_NE(s.MatchHash("d41d8cd98f00b204e9800998ecf8427e", 0), nullptr);
  EXPECT_NE(s.MatchUrl("http://evil.COM/Payload", 0), nullptr);
  EXPECT_EQ(s.MatchUrl("http://evil.com/payload", 0), nullptr);
}

TEST(IndicatorStore, ManyIndicatorsEachFoundPastTheFilterGrowthAndOthersNot) {
  // The Bloom filters in front of the maps grow (and are refilled) while
  // indicators are added: every one must still be found, in any case.
  IndicatorStore s;
  uint16_t f = s.AddFeed("f");
  auto hex = [](uint32_t i) {
    char buf[9];
    std::snprintf(buf, sizeof(buf), "%08X", i);
    return std::string(buf) + std::string(56, 'C');
  };
  for (uint32_t i = 0; i < 10000; ++i) {
    ASSERT_TRUE(s.Add(IndicatorType::kHash, hex(i), f, 50, "", 0));
    ASSERT_TRUE(s.Add(IndicatorType::kIp,
                      "10." + std::to_string(i >> 8) + "." + std::to_string(i & 255) + ".1", f, 50,
                      "", 0));
    ASSERT_TRUE(
        s.Add(IndicatorType::kNetwork,
              "172." + std::to_string(i % 16 + 16) + "." + std::to_string(i >> 4 & 255) + ".0/24",
              f, 50, "", 0));
    ASSERT_TRUE(
        s.Add(IndicatorType::kDomain, "d" + std::to_string(i) + ".example.com", f, 50, "", 0));
  }
  for (uint32_t i = 0; i < 10000; ++i) {
    std::string lower = hex(i);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ASSERT_NE(s.MatchHash(lower, 0), nullptr) << i;
    ASSERT_NE(s.MatchIp("10." + std::to_string(i >> 8) + "." + std::to_string(i & 255) + ".1", 0),
              nullptr);
    ASSERT_NE(
        s.MatchIp("172." + std::to_string(i % 16 + 16) + "." + std::to_string(i >> 4 & 255) + ".77",
                  0),
        nullptr);
    ASSERT_NE(s.MatchDomain("www.d" + std::to_string(i) + ".example.com", 0), nullptr);
  }
  EXPECT_EQ(s.MatchIp("10.200.0.2", 0), nullptr);
  EXPECT_EQ(s.MatchDomain("d10000.example.com", 0), nullptr);
  EXPECT_EQ(s.MatchHash(std::string(64, '0'), 0), nullptr);
}

TEST(IndicatorStore, MatchHashesAnswersAsMatchHashDoesForEachValue) {
  IndicatorStore s;
  uint16_t f = s.AddFeed("f");
  ASSERT_TRUE(s.Add(IndicatorType::kHash, "d41d8cd98f00b204e9800998ecf8427e", f, 50, "md5", 0));
  ASSERT_TRUE(s.Add(IndicatorType::kHash, std::string(40, 'a'), f, 50, "sha1", 0));
  ASSERT_TRUE(s.Add(IndicatorType::kHash, std::string(64, 'B'), f, 50, "sha256", 1000));
  // More than one batch of four: hits, misses, case, blanks, bad lengths, expiry.
  const std::string sha1 = " " + std::string(40, 'a') + " ", sha256 = std::string(64, 'b');
  const std::vector<std::string_view> values = {"D41D8CD98F00B204E9800998ECF8427E",
                                                "",
                                                "abc",
                                                sha1,
                                                "d41d8cd98f00b204e9800998ecf8427f",
                                                sha256,
                                                "d41d8cd98f00b204e9800998ecf8427e"};
  for (int64_t now : {int64_t{0}, int64_t{999}, int64_t{1000}}) {
    std::vector<const Indicator*> out(values.size(), nullptr);
    s.MatchHashes(values, now, out.data());
    for (size_t i = 0; i < values.size(); ++i) {
      EXPECT_EQ(out[i], s.MatchHash(values[i], now)) << i << " at " << now;
    }
    EXPECT_NE(out[0], nullptr);
    EXPECT_NE(out[3], nullptr);
    EXPECT_EQ(out[5] != nullptr, now < 1000);
  }
}

TEST(IndicatorStore, ExpiredIndicatorFallsBackToALiveDuplicate) {
  IndicatorStore s;
  uint16_t a = s.AddFeed("a"), b = s.AddFeed("b");
  ASSERT_TRUE(s.Add(IndicatorType::kIp, "192.0.2.1", a, 50, "old", 1000));
  EXPECT_EQ(s.MatchIp("192.0.2.1", 999)->description, "old");
  EXPECT_EQ(s.MatchIp("192.0.2.1", 1000), nullptr);
  ASSERT_TRUE(s.Add(IndicatorType::kIp, "192.0.2.1", b, 50, "new", 0));
  EXPECT_EQ(s.MatchIp("192.0.2.1", 1000)->feed, b);
}

// A feed listing a value again with the same validity adds nothing: the
// first would always be the one matched. Each Add walked the chain of equal
// values, so loading n duplicates took O(n^2) (100k: 35 s). Other validities
// and other feeds are chained after it, in load order.
TEST(IndicatorStore, DuplicatesOfAFeedWithTheSameValidityAreOneIndicator) {
  IndicatorStore s;
  std::string list;
  for (int i = 0; i < 5000; ++i) list += "192.0.2.1\n";
  FeedLoadReport r;
  std::string error;
  ASSERT_TRUE(LoadFeedText(Feed("dup", FeedFormat::kList), list, &s, &r, &error)) << error;
  EXPECT_EQ(r.loaded, 5000u);
  EXPECT_EQ(s.size(), 1u);

  uint16_t a = s.AddFeed("a"), b = s.AddFeed("b");
  ASSERT_TRUE(s.Add(IndicatorType::kIp, "192.0.2.2", a, 50, "a until 1000", 1000));
  ASSERT_TRUE(s.Add(IndicatorType::kIp, "192.0.2.2", a, 50, "a until 2000", 2000));
  ASSERT_TRUE(s.Add(IndicatorType::kIp, "192.0.2.2", a, 90, "a until 2000 again", 2000));
  ASSERT_TRUE(s.Add(IndicatorType::kIp, "192.0.2.2", b, 50, "b", 0));
  ASSERT_TRUE(s.Add(IndicatorType::kIp, "192.0.2.2", b, 50, "b again", 0));
  EXPECT_EQ(s.size(), 4u);
  EXPECT_EQ(s.MatchIp("192.0.2.2", 999)->description, "a until 1000");
  EXPECT_EQ(s.MatchIp("192.0.2.2", 1000)->description, "a until 2000");
  EXPECT_EQ(s.MatchIp("192.0.2.2", 2000)->description, "b");
}

TEST(IntelFeeds, PlainListGuessesTypesAndSkipsGarbage) {
  IndicatorStore s;
  FeedConfig c = Feed("list", FeedFormat::kList);
  FeedLoadReport r;
  std::string error;
  ASSERT_TRUE(LoadFeedText(c,
                           "# comment\n1.2.3.4\n5.6.0.0/16\nevil.example\nhttp://x.example/a\n"
                           "d41d8cd98f00b204e9800998ecf8427e\nnot an indicator\n",
                           &s, &r, &error));
  EXPECT_EQ(r.loaded, 5u);
  EXPECT_EQ(r.skipped, 1u);
  EXPECT_NE(s.MatchIp("5.6.7.8", 0), nullptr);
  c.type = "nonsense";
  EXPECT_FALSE(LoadFeedText(c, "1.2.3.4\n", &s, &r, &error));
}

// A comment after a list value (`#`, or `;` as in Spamhaus DROP) is its
// description; the row was skipped. A hosts-file row (`0.0.0.0 name`) is
// not read as its address; `;` lines are comments too.
TEST(IntelFeeds, PlainListValuesWithATrailingComment) {
  IndicatorStore s;
  FeedLoadReport r;
  std::string error;
  ASSERT_TRUE(LoadFeedText(Feed("list", FeedFormat::kList),
                           "; Spamhaus DROP List\n"
                           "198.51.100.7 # c2 of campaign X\n"
                           "203.0.113.0/24 ; SBL256894\n"
                           "evil.example\t#\n"
                           "0.0.0.0 hosts.example\n",
                           &s, &r, &error));
  EXPECT_EQ(r.loaded, 3u);
  EXPECT_EQ(r.skipped, 1u);
  const Indicator* ip = s.MatchIp("198.51.100.7", 0);
  ASSERT_NE(ip, nullptr);
  EXPECT_EQ(ip->description, "c2 of campaign X");
  const Indicator* net = s.MatchIp("203.0.113.9", 0);
  ASSERT_NE(net, nullptr);
  EXPECT_EQ(net->description, "SBL256894");
  EXPECT_NE(s.MatchDomain("evil.example", 0), nullptr);
  EXPECT_EQ(s.MatchIp("0.0.0.0", 0), nullptr);
}

// STIX spells hash algorithms with a hyphen quoted in the path; the value is
// the quoted string after the operator, not the first quoted one.
TEST(IntelFeeds, StixHashPatternWithQuotedAlgorithmLoads) {
  IndicatorStore s;
  FeedLoadReport r;
  std::string error;
  const std::string sha(64, 'b');
  ASSERT_TRUE(LoadFeedText(Feed("cti", FeedFormat::kStix),
                           R"({"type":"bundle","objects":[{"type":"indicator",
                               "pattern":"[file:hashes.'SHA-256' = ')" +
                               sha +
                               R"('] OR [file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
                               "pattern_type":"stix"}]})",
                           &s, &r, &error))
      << error;
  EXPECT_EQ(r.loaded, 2u);
  EXPECT_EQ(r.skipped, 0u);
  EXPECT_NE(s.MatchHash(sha, 0), nullptr);
}

// STIX patterns whose parts hold only together (AND, FOLLOWEDBY) are not
// half-loaded (a false positive on one part); revoked indicators and those
// not valid yet are not used.
// STIX: AND / FOLLOWEDBY patterns and revoked indicators are skipped, as are
// indicators whose valid_from or valid_until cannot be read (a date without a
// time, a number): taken as absent, they made the indicator permanent.
// valid_from and valid_until are judged at the event's time, so an indicator
// not valid yet when the feed is loaded matches once events reach it (a
// reload is not needed; an unchanged feed is not read again).
TEST(IntelFeeds, StixSkipsConjunctionsRevokedAndUnreadableValidity) {
  IndicatorStore s;
  FeedLoadReport r;
  std::string error;
  ASSERT_TRUE(LoadFeedText(Feed("cti", FeedFormat::kStix),
                           R"({"type":"bundle","objects":[
        {"type":"indicator","pattern_type":"stix",
         "pattern":"[ipv4-addr:value = '203.0.113.7'] AND [domain-name:value = 'a.example']"},
        {"type":"indicator","pattern_type":"stix",
         "pattern":"[ipv4-addr:value = '203.0.113.8'] FOLLOWEDBY [ipv4-addr:value = '203.0.113.9']"},
        {"type":"indicator","pattern_type":"stix","revoked":true,
         "pattern":"[ipv4-addr:value = '203.0.113.10']"},
        {"type":"indicator","pattern_type":"stix","valid_from":"2200-01-01T00:00:00Z",
         "pattern":"[ipv4-addr:value = '203.0.113.11']"},
        {"type":"indicator","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z",
         "valid_until":"2030-01-01T00:00:00Z", "pattern":"[ipv4-addr:value = '203.0.113.12']"},
        {"type":"indicator","pattern_type":"stix","valid_until":"2025-01-01",
         "pattern":"[ipv4-addr:value = '203.0.113.13']"},
        {"type":"indicator","pattern_type":"stix","valid_until":1700000000,
         "pattern":"[ipv4-addr:value = '203.0.113.14']"},
        {"type":"indicator","pattern_type":"stix","valid_from":"soon",
         "pattern":"[ipv4-addr:value = '203.0.113.15']"}]})",
                           &s, &r, &error))
      << error;
  EXPECT_EQ(r.loaded, 2u);
  EXPECT_EQ(r.skipped, 6u);
  const int64_t y2025 = *ParseRfc3339("2025-06-01T00:00:00Z");
  for (const char* ip : {"203.0.113.7", "203.0.113.8", "203.0.113.9", "203.0.113.10",
                         "203.0.113.11", "203.0.113.13", "203.0.113.14", "203.0.113.15"}) {
    EXPECT_EQ(s.MatchIp(ip, y2025), nullptr) << ip;
  }
  EXPECT_NE(s.MatchIp("203.0.113.12", y2025), nullptr);
  // Before its valid_from and from its valid_until on, not.
  EXPECT_EQ(s.MatchIp("203.0.113.12", *ParseRfc3339("2019-12-31T23:59:59Z")), nullptr);
  EXPECT_EQ(s.MatchIp("203.0.113.12", *ParseRfc3339("2030-01-01T00:00:00Z")), nullptr);
  EXPECT_NE(s.MatchIp("203.0.113.11", *ParseRfc3339("2200-01-01T00:00:00Z")), nullptr);
}

// A byte-order mark does not hide the first column or value; an expiry that
// cannot be read skips its row, a date is valid through that day.
TEST(IntelFeeds, ByteOrderMarkAndUnreadableExpiry) {
  IndicatorStore s;
  FeedLoadReport r;
  std::string error;
  ASSERT_TRUE(LoadFeedText(Feed("list", FeedFormat::kList),
                           "\xEF\xBB\xBF"
                           "198.51.100.1\n",
                           &s, &r, &error));
  EXPECT_EQ(r.loaded, 1u);
  EXPECT_NE(s.MatchIp("198.51.100.1", 0), nullptr);
  FeedConfig csv = Feed("csv", FeedFormat::kCsv);
  csv.csv_header = true;
  csv.columns.value = "indicator";
  csv.columns.expires = "expires";
  FeedLoadReport rc;
  ASSERT_TRUE(LoadFeedText(csv,
                           "\xEF\xBB\xBF"
                           "indicator,expires\n198.51.100.2,not-a-date\n"
                           "198.51.100.3,2020-01-01\n198.51.100.4,\n",
                           &s, &rc, &error))
      << error;
  EXPECT_EQ(rc.loaded, 2u);
  EXPECT_EQ(rc.skipped, 1u);
  EXPECT_EQ(s.MatchIp("198.51.100.2", 0), nullptr);
  const int64_t day_2020_01_01 = 1'577'836'800LL * kNanosPerSecond;
  EXPECT_NE(s.MatchIp("198.51.100.3", day_2020_01_01 + 3600 * kNanosPerSecond), nullptr);
  EXPECT_EQ(s.MatchIp("198.51.100.3", day_2020_01_01 + 86'401LL * kNanosPerSecond), nullptr);
  EXPECT_NE(s.MatchIp("198.51.100.4", 0), nullptr);
}

// A field of the wrong type skips its object, not the feed; a feed that
// failed part way is disabled, so what it read is not cited as its own.
TEST(IntelFeeds, ABadObjectIsSkippedAndAFailedFeedIsNotUsed) {
  IndicatorStore s;
  FeedLoadReport r;
  std::string error;
  ASSERT_TRUE(LoadFeedText(Feed("cti", FeedFormat::kStix),
                           R"({"type":"bundle","objects":[
        {"type":"indicator","pattern_type":"stix","pattern":5},
        {"type":"indicator","pattern_type":"stix","description":["x"],
         "pattern":"[ipv4-addr:value = '192.0.2.1']"},
        {"type":"indicator","pattern_type":"stix","pattern":"[ipv4-addr:value = '192.0.2.2']"}]})",
                           &s, &r, &error))
      << error;
  EXPECT_EQ(r.loaded, 1u);
  EXPECT_EQ(r.skipped, 2u);
  EXPECT_NE(s.MatchIp("192.0.2.2", 0), nullptr);

  uint16_t bad = s.AddFeed("bad");
  uint16_t good = s.AddFeed("good");
  ASSERT_TRUE(s.Add(IndicatorType::kIp, "192.0.2.9", bad, 90, "from bad", 0));
  ASSERT_TRUE(s.Add(IndicatorType::kIp, "192.0.2.10", bad, 90, "from bad", 0));
  ASSERT_TRUE(s.Add(IndicatorType::kIp, "192.0.2.10", good, 50, "from good", 0));
  s.DisableFeed(bad);
  EXPECT_EQ(s.MatchIp("192.0.2.9", 0), nullptr);
  ASSERT_NE(s.MatchIp("192.0.2.10", 0), nullptr);
  EXPECT_EQ(s.MatchIp("192.0.2.10", 0)->description, "from good");
}

TEST(IntelFeeds, MalformedJsonFailsTheLoad) {
  IndicatorStore s;
  std::string error;
  EXPECT_FALSE(LoadFeedText(Feed("x", FeedFormat::kStix), "{", &s, nullptr, &error));
  EXPECT_FALSE(LoadFeedText(Feed("x", FeedFormat::kMisp), "{\"a\":1}", &s, nullptr, &error));
  // An object of the wrong shape inside a well-formed bundle is skipped.
  FeedLoadReport r;
  EXPECT_TRUE(
      LoadFeedText(Feed("x", FeedFormat::kStix), "{\"objects\": [{\"type\": 5}]}", &s, &r, &error));
  EXPECT_EQ(r.skipped, 1u);
}

// STIX keywords are case-insensitive and the whitespace around brackets is
// optional: AND and FOLLOWEDBY in any spelling skip the whole indicator (its
// first part was loaded alone: false positives), as do qualifiers; OR in any
// case joins comparisons that each load.
TEST(IntelFeeds, StixConjunctionsInEverySpellingSkipTheWholeIndicator) {
  const char* patterns[] = {
      "[ipv4-addr:value = '203.0.113.50']\nAND\n[domain-name:value = 'x.example']",
      "[ipv4-addr:value = '203.0.113.51'\nAND domain-name:value = 'x.example']",
      "[ipv4-addr:value = '203.0.113.52']AND[domain-name:value = 'x.example']",
      "[ipv4-addr:value = '203.0.113.53' and domain-name:value = 'x.example']",
      "[ipv4-addr:value = '203.0.113.54'] followedby [domain-name:value = 'x.example']",
      "[ipv4-addr:value = '203.0.113.55']\tAND\t[domain-name:value = 'x.example']",
      "([ipv4-addr:value = '203.0.113.56'] OR [ipv4-addr:value = '203.0.113.57'])"
      "AND[domain-name:value = 'x.example']",
      "[ipv4-addr:value = '203.0.113.58'] WITHIN 300 SECONDS",
      "[ipv4-addr:value='203.0.113.60']",
      "[ipv4-addr:value = '203.0.113.61'] or\n[ipv4-addr:value = '203.0.113.62']",
  };
  nlohmann::json bundle = {{"type", "bundle"}, {"objects", nlohmann::json::array()}};
  for (const char* p : patterns) {
    bundle["objects"].push_back({{"type", "indicator"}, {"pattern_type", "stix"}, {"pattern", p}});
  }
  IndicatorStore s;
  FeedLoadReport r;
  std::string error;
  ASSERT_TRUE(LoadFeedText(Feed("cti", FeedFormat::kStix), bundle.dump(), &s, &r, &error)) << error;
  EXPECT_EQ(r.loaded, 3u);
  EXPECT_EQ(r.skipped, 8u);
  for (int last = 50; last <= 58; ++last) {
    EXPECT_EQ(s.MatchIp("203.0.113." + std::to_string(last), 0), nullptr) << last;
  }
  for (const char* ip : {"203.0.113.60", "203.0.113.61", "203.0.113.62"}) {
    EXPECT_NE(s.MatchIp(ip, 0), nullptr) << ip;
  }
}

// STIX says revoked is a boolean and confidence an integer: an object with
// either of another type is skipped and counted ("revoked": "true" was used
// as not revoked, "confidence": "10" as absent).
TEST(IntelFeeds, StixRevokedOrConfidenceOfTheWrongTypeSkipsTheObject) {
  IndicatorStore s;
  FeedLoadReport r;
  std::string error;
  ASSERT_TRUE(LoadFeedText(Feed("cti", FeedFormat::kStix),
                           R"({"type":"bundle","objects":[
        {"type":"indicator","pattern_type":"stix","revoked":"true",
         "pattern":"[ipv4-addr:value = '203.0.113.95']"},
        {"type":"indicator","pattern_type":"stix","confidence":"10",
         "pattern":"[ipv4-addr:value = '203.0.113.96']"},
        {"type":"indicator","pattern_type":"stix","revoked":false,"confidence":10,
         "pattern":"[ipv4-addr:value = '203.0.113.97']"}]})",
                           &s, &r, &error))
      << error;
  EXPECT_EQ(r.loaded, 1u);
  EXPECT_EQ(r.skipped, 2u);
  EXPECT_EQ(s.MatchIp("203.0.113.95", 0), nullptr);
  EXPECT_EQ(s.MatchIp("203.0.113.96", 0), nullptr);
  ASSERT_NE(s.MatchIp("203.0.113.97", 0), nullptr);
  EXPECT_EQ(s.MatchIp("203.0.113.97", 0)->confidence, 10);
}

// RFC 4180: a quoted field may hold line breaks; the row goes on after them.
// A '#' line is a comment whatever quotes it has, and a quote left open to
// the end of the file ends with its line, as before.
TEST(IntelFeeds, CsvQuotedFieldsMaySpanLines) {
  FeedConfig c = Feed("csv", FeedFormat::kCsv);
  c.columns.type = "1";
  c.columns.description = "2";
  c.columns.confidence = "3";
  IndicatorStore s;
  FeedLoadReport r;
  std::string error;
  ASSERT_TRUE(LoadFeedText(c,
                           "203.0.113.14,ip,\"multi\nline, \"\"quoted\"\"\",50\n"
                           "# a comment with a \" quote\n"
                           "203.0.113.15,ip,\"crlf\r\nline\",60\r\n"
                           "203.0.113.16,ip,plain,70\n"
                           "203.0.113.17,ip,\"open\n203.0.113.18,ip,after,80\n",
                           &s, &r, &error))
      << error;
  EXPECT_EQ(r.loaded, 5u);
  EXPECT_EQ(r.skipped, 0u);
  ASSERT_NE(s.MatchIp("203.0.113.14", 0), nullptr);
  EXPECT_EQ(s.MatchIp("203.0.113.14", 0)->description, "multi\nline, \"quoted\"");
  EXPECT_EQ(s.MatchIp("203.0.113.14", 0)->confidence, 50);
  ASSERT_NE(s.MatchIp("203.0.113.15", 0), nullptr);
  EXPECT_EQ(s.MatchIp("203.0.113.15", 0)->confidence, 60);
  EXPECT_NE(s.MatchIp("203.0.113.16", 0), nullptr);
  EXPECT_NE(s.MatchIp("203.0.113.17", 0), nullptr);
  ASSERT_NE(s.MatchIp("203.0.113.18", 0), nullptr);
  EXPECT_EQ(s.MatchIp("203.0.113.18", 0)->confidence, 80);
}

// Event.Attribute must be an array, as the error says (an object loaded
// nothing, without an error); an attribute that is not an object is skipped
// and counted, as is one MISP marks deleted.
TEST(IntelFeeds, MispAttributeThatIsNotAnArrayFailsTheLoad) {
  IndicatorStore s;
  FeedLoadReport r;
  std::string error;
  EXPECT_FALSE(LoadFeedText(
      Feed("misp", FeedFormat::kMisp),
      R"({"Event":{"info":"x","Attribute":{"type":"ip-dst","value":"1.2.3.4"}}})", &s, &r, &error));
  EXPECT_NE(error.find("Attribute"), std::string::npos) << error;
  r = {};
  ASSERT_TRUE(LoadFeedText(Feed("misp2", FeedFormat::kMisp),
                           R"({"Event":{"info":"x","Attribute":[
        "1.2.3.5",
        {"type":"ip-dst","value":"1.2.3.6","deleted":true},
        {"type":"ip-dst","value":"1.2.3.7","deleted":false}],
        "Object":[{"Attribute":{"type":"ip-dst","value":"1.2.3.8"}},
                  {"Attribute":[{"type":"ip-dst","value":"1.2.3.9"}]}]}})",
                           &s, &r, &error))
      << error;
  EXPECT_EQ(r.loaded, 2u);
  EXPECT_EQ(r.skipped, 3u);
  EXPECT_EQ(s.MatchIp("1.2.3.6", 0), nullptr);
  EXPECT_EQ(s.MatchIp("1.2.3.8", 0), nullptr);
  EXPECT_NE(s.MatchIp("1.2.3.7", 0), nullptr);
  EXPECT_NE(s.MatchIp("1.2.3.9", 0), nullptr);
}

TEST(IntelDetector, AnnotatesTheObservablesOfOtherAlertsOnTheSameEvent) {
  auto store = std::make_shared<IndicatorStore>();
  uint16_t f = store->AddFeed("cti");
  ASSERT_TRUE(store->Add(IndicatorType::kDomain, "evil.example", f, 70, "c2", 0));
  IntelDetector detector(store);
  Event e;
  e.host = "h";
  e.timestamp_ns = 1;
  e.position = {"t", 0, 5};
  Alert other = MakeAlert(e, RuleRef{"x", "x", Severity::kLow, {}}, "k");
  other.observables.push_back({"dns", "cdn.evil.example", "base64", false, ""});
  other.observables.push_back({"dns", "good.example", "", false, ""});
  std::vector<Alert> alerts{other};
  detector.Inspect(e, alerts);
  ASSERT_EQ(alerts.size(), 1u);  // nothing in the event itself matched
  size_t ti = 0;
  for (const Entity& en : alerts[0].entities) {
    if (en.type != "ThreatIntelligence") continue;
    ++ti;
    EXPECT_EQ(en.properties[0].second, "cti");
    EXPECT_EQ(en.properties.back().second, "dns:cdn.evil.example");
  }
  EXPECT_EQ(ti, 1u);
}

const Entity* ThreatIntelligenceOf(const Alert& alert) {
  for (const Entity& en : alert.entities) {
    if (en.type == "ThreatIntelligence") return &en;
  }
  return nullptr;
}

// The message is one line whatever the feed's description holds.
TEST(IntelDetector, TheMessageIsOneLineWhateverTheDescription) {
  auto store = std::make_shared<IndicatorStore>();
  uint16_t f = store->AddFeed("cti");
  ASSERT_TRUE(
      store->Add(IndicatorType::kIp, "203.0.113.21", f, 85, "d1\nsecond\r\tline\x1b[31m", 0));
  IntelDetector detector(store);
  Event e;
  e.timestamp_ns = 1;
  e.network.source_ip = "203.0.113.21";
  std::vector<Alert> alerts;
  detector.Inspect(e, alerts);
  ASSERT_EQ(alerts.size(), 1u);
  for (char c : alerts[0].summary) {
    EXPECT_TRUE(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) << alerts[0].summary;
  }
  EXPECT_NE(alerts[0].summary.find("d1 second  line [31m"), std::string::npos) << alerts[0].summary;
}

// IP observables carry the IoC extractor's address class, as the ioc
// detector's do, whether the address came from a field or the text.
TEST(IntelDetector, IpObservablesHaveTheirClass) {
  auto store = std::make_shared<IndicatorStore>();
  uint16_t f = store->AddFeed("cti");
  for (const char* ip : {"10.1.2.3", "8.8.8.8", "fe80::1"}) {
    ASSERT_TRUE(store->Add(IndicatorType::kIp, ip, f, 50, "", 0));
  }
  IntelDetector detector(store);
  Event e;
  e.timestamp_ns = 1;
  e.network.source_ip = "10.1.2.3";
  e.process.command_line = "ping 8.8.8.8 && ping6 fe80::1";
  std::vector<Alert> alerts;
  detector.Inspect(e, alerts);
  std::map<std::string, std::string> classes;
  for (const Alert& a : alerts) {
    ASSERT_EQ(a.observables.size(), 1u);
    classes[a.observables[0].value] = a.observables[0].ip_class;
  }
  EXPECT_EQ(classes,
            (std::map<std::string, std::string>{
                {"10.1.2.3", "private"}, {"8.8.8.8", "public"}, {"fe80::1", "link_local"}}));
}

// The entity another detector's alert gets is the intel.match alert's, with
// the observable it names (ValidUntil was missing).
TEST(IntelDetector, AnnotationsCarryTheMatchsThreatIntelligenceEntity) {
  auto store = std::make_shared<IndicatorStore>();
  uint16_t f = store->AddFeed("cti");
  ASSERT_TRUE(store->Add(IndicatorType::kDomain, "evil.example", f, 70, "c2",
                         *ParseRfc3339("2030-01-01T00:00:00Z")));
  IntelDetector detector(store);
  Event e;
  e.timestamp_ns = 1;
  e.position = {"t", 0, 5};
  e.dns_query = "cdn.evil.example";
  Alert other = MakeAlert(e, RuleRef{"x", "x", Severity::kLow, {}}, "k");
  other.observables.push_back({"dns", "cdn.evil.example", "base64", false, ""});
  std::vector<Alert> alerts{other};
  detector.Inspect(e, alerts);
  ASSERT_EQ(alerts.size(), 2u);
  const Entity* annotation = ThreatIntelligenceOf(alerts[0]);
  const Entity* match = ThreatIntelligenceOf(alerts[1]);
  ASSERT_NE(annotation, nullptr);
  ASSERT_NE(match, nullptr);
  auto properties = match->properties;
  properties.emplace_back("Observable", "dns:cdn.evil.example");
  EXPECT_EQ(annotation->properties, properties);
  EXPECT_EQ(match->properties.back(),
            (std::pair<std::string, std::string>{"ValidUntil", "2030-01-01T00:00:00Z"}));
  // Once: its own observable and the event's query are the same match.
  EXPECT_EQ(std::count_if(alerts[0].entities.begin(), alerts[0].entities.end(),
                          [](const Entity& en) { return en.type == "ThreatIntelligence"; }),
            1);
}

// An alert without observables (Sigma's) gets an entity for each indicator
// its event matched; an alert of another event gets none, and the intel.match
// alerts are not annotated.
TEST(IntelDetector, AlertsOfTheEventGetTheEntitiesOfItsMatches) {
  auto store = std::make_shared<IndicatorStore>();
  uint16_t f = store->AddFeed("cti");
  ASSERT_TRUE(store->Add(IndicatorType::kIp, "8.8.8.8", f, 80, "resolver abuse", 0));
  ASSERT_TRUE(store->Add(IndicatorType::kDomain, "evil-example.com", f, 70, "c2", 0));
  IntelDetector detector(store);
  Event e;
  e.timestamp_ns = 1;
  e.position = {"t", 0, 7};
  e.process.command_line = "nslookup cdn.evil-example.com 8.8.8.8";
  Event earlier = e;
  earlier.position.offset = 6;
  std::vector<Alert> alerts{
      MakeAlert(e, RuleRef{"sigma-1", "nslookup", Severity::kLow, {}}, ""),
      MakeAlert(earlier, RuleRef{"sigma-1", "nslookup", Severity::kLow, {}}, "")};
  detector.Inspect(e, alerts);
  ASSERT_EQ(alerts.size(), 4u);
  std::vector<std::string> observables;
  for (const Entity& en : alerts[0].entities) {
    if (en.type == "ThreatIntelligence") observables.push_back(en.properties.back().second);
  }
  EXPECT_EQ(observables, (std::vector<std::string>{"dns:cdn.evil-example.com", "ipv4:8.8.8.8"}));
  EXPECT_EQ(ThreatIntelligenceOf(alerts[1]), nullptr);
  for (size_t i = 2; i < alerts.size(); ++i) {
    EXPECT_EQ(alerts[i].rule.id, "loghunt.intel.match");
    EXPECT_EQ(std::count_if(alerts[i].entities.begin(), alerts[i].entities.end(),
                            [](const Entity& en) { return en.type == "ThreatIntelligence"; }),
              1);
  }
}

}  // namespace
}  // namespace loghunt
