#include "core/text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/arena.h"
#include "core/hash.h"

namespace loghunt {
namespace {

TEST(Text, TrimAndIntegers) {
  EXPECT_EQ(Trim("  a b \r\n"), "a b");
  EXPECT_EQ(*ParseInt("-42"), -42);
  EXPECT_FALSE(ParseInt("42x"));
  EXPECT_FALSE(ParseInt(""));
  EXPECT_EQ(*ParseHexInt("0x1a2B"), 0x1a2bu);
  EXPECT_FALSE(ParseHexInt("0x"));
}

TEST(Text, DecodesHexIntoArena) {
  Arena arena;
  auto text = DecodeHex("2F62696E2F6C73", arena);  // an auditd-style hex argument
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, "/bin/ls");
  EXPECT_FALSE(DecodeHex("2F6", arena));
  EXPECT_FALSE(DecodeHex("zz", arena));
  EXPECT_FALSE(DecodeHex("", arena));
}

TEST(Text, ValidatesUtf8) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("Microsoft\xC2\xAE Windows"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));      // truncated
}

TEST(Text, ReplacesInvalidUtf8ByteByByte) {
  EXPECT_EQ(ReplaceInvalidUtf8("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(ReplaceInvalidUtf8("b\xffob"), "b\xef\xbf\xbdob");
  EXPECT_EQ(ReplaceInvalidUtf8("\xc3"), "\xef\xbf\xbd");                  // cut short
  EXPECT_EQ(ReplaceInvalidUtf8("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");  // overlong
  EXPECT_EQ(ReplaceInvalidUtf8("\xed\xa0\x80x"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx");
  EXPECT_TRUE(IsValidUtf8(ReplaceInvalidUtf8("\x80\x81\xfe ok \xf4\x90\x80\x80")));
}

TEST(Text, SplitsCsvRowsWithQuoting) {
  using Row = std::vector<std::string>;
  EXPECT_EQ(SplitCsvRow("a,b,,c"), (Row{"a", "b", "", "c"}));
  EXPECT_EQ(SplitCsvRow(R"("x,y","say ""hi""",z)"), (Row{"x,y", R"(say "hi")", "z"}));
  EXPECT_EQ(SplitCsvRow("1.2.3.4,ipv4\r"), (Row{"1.2.3.4", "ipv4"}));
  EXPECT_EQ(SplitCsvRow(R"("open,quote)"), (Row{"open,quote"}));
  EXPECT_EQ(SplitCsvRow(""), (Row{""}));
}

TEST(Text, RepairJsonTextReplacesBadBytesAndLoneSurrogates) {
  std::string out = "untouched";
  EXPECT_FALSE(RepairJsonText(R"({"a":"ok \ud83d\ude00 \\ud800 \u00e9"})", &out));
  EXPECT_EQ(out, "untouched");
  ASSERT_TRUE(RepairJsonText(R"({"a":"x\ud800y\udc00\uDBFF\u0041"})", &out));
  EXPECT_EQ(out, R"({"a":"x\ufffdy\ufffd\ufffd\u0041"})");
  ASSERT_TRUE(RepairJsonText("{\"a\":\"caf\xe9\"}", &out));
  EXPECT_EQ(out, "{\"a\":\"caf\xEF\xBF\xBD\"}");
  ASSERT_TRUE(RepairJsonText("\xff\\ud800", &out));
  EXPECT_EQ(out, "\xEF\xBF\xBD\\ufffd");
  EXPECT_FALSE(RepairJsonText("trailing \\ud8", &out));
}

TEST(KeptText, KeepsShortTextWholeAndLongTextCutWithAMarker) {
  EXPECT_EQ(KeptText("", 4), "");
  EXPECT_EQ(KeptText("abcd", 4), "abcd");
  EXPECT_EQ(KeptText("abcdef", 4), "abcd...[cut: 6 bytes in all]");
  std::string long_text(100'000, 'x');
  std::string kept = KeptText(long_text);
  EXPECT_EQ(kept, std::string(kKeptTextBytes, 'x') + "...[cut: 100000 bytes in all]");
  // Not inside a UTF-8 character: "é" is two bytes.
  EXPECT_EQ(KeptText("ab\xc3\xa9"
                     "cd",
                     3),
            "ab...[cut: 6 bytes in all]");
  EXPECT_EQ(KeptText("ab\xc3\xa9"
                     "cd",
                     4),
            "ab\xc3\xa9...[cut: 6 bytes in all]");
  std::string key = "host";
  key.push_back('\0');
  AppendKept(&key, std::string(1000, 'u'), kKeptNameBytes);
  EXPECT_EQ(key.size(), 5 + kKeptNameBytes + std::string("...[cut: 1000 bytes in all]").size());
}

TEST(Arena, ViewsSurviveGrowthAndResetReusesBlocks) {
  Arena arena(64);
  std::string_view first = arena.Copy("first");
  std::string big(1000, 'x');
  std::string_view second = arena.Copy(big);
  EXPECT_EQ(first, "first");
  EXPECT_EQ(second, big);
  size_t reserved = arena.bytes_reserved();
  arena.Reset();
  EXPECT_EQ(arena.bytes_used(), 0u);
  EXPECT_LE(arena.bytes_reserved(), reserved);  // the oversized block is released
  for (int i = 0; i < 100; ++i) arena.Copy("0123456789");
  EXPECT_EQ(arena.bytes_used(), 1000u);
}

TEST(StableId, IsDeterministicAndLengthPrefixed) {
  EXPECT_EQ(StableId().Add("ab").Add("c").Hex(), StableId().Add("ab").Add("c").Hex());
  EXPECT_NE(StableId().Add("ab").Add("c").Hex(), StableId().Add("a").Add("bc").Hex());
  EXPECT_EQ(StableId().Add("x").Hex().size(), 32u);
}

}  // namespace
}  // namespace loghunt
