#include "daemon/line_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace loghunt {
namespace {

struct Line {
  std::string text;
  bool too_long;
};

std::vector<Line> ReadAll(const std::string& input, size_t max_line) {
  FILE* f = std::tmpfile();  // LineReader reads the descriptor: it needs a real file
  std::fwrite(input.data(), 1, input.size(), f);
  std::fflush(f);
  std::rewind(f);
  LineReader reader(f, max_line);
  std::vector<Line> lines;
  std::string_view line;
  bool too_long;
  while (reader.Next(&line, &too_long)) lines.push_back({std::string(line), too_long});
  std::fclose(f);
  return lines;
}

TEST(LineReader, SplitsLinesStripsCrAndKeepsLastUnterminated) {
  auto lines = ReadAll("a\r\n\nbc\nlast", 100);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].text, "a");
  EXPECT_EQ(lines[1].text, "");
  EXPECT_EQ(lines[2].text, "bc");
  EXPECT_EQ(lines[3].text, "last");
}

// A line a little over the limit arrives whole in the buffer: too long all
// the same (it was returned whole, so the limit depended on the buffer).
TEST(LineReader, ALineJustOverTheLimitIsTooLong) {
  auto lines = ReadAll("12345\n123456\n1234\n", 5);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_FALSE(lines[0].too_long);
  EXPECT_TRUE(lines[1].too_long);
  EXPECT_EQ(lines[1].text, "12345");
  EXPECT_EQ(lines[2].text, "1234");
  EXPECT_FALSE(lines[2].too_long);
}

TEST(LineReader, DropsAByteOrderMarkAtTheStartOnly) {
  auto lines = ReadAll(
      "\xEF\xBB\xBF"
      "first\n\xEF\xBB\xBF"
      "second\n",
      100);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].text, "first");
  EXPECT_EQ(lines[1].text,
            "\xEF\xBB\xBF"
            "second");  // inside the stream: data
}

TEST(LineReader, OverlongLineIsReportedOnceAndSkipped) {
  std::string huge(5000000, 'x');  // larger than the reader's buffer
  auto lines = ReadAll("ok\n" + huge + "\nafter\n", 1024);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].text, "ok");
  EXPECT_TRUE(lines[1].too_long);
  EXPECT_EQ(lines[1].text.size(), 1024u);
  EXPECT_EQ(lines[2].text, "after");
  EXPECT_FALSE(lines[2].too_long);
}

TEST(LineReader, ReturnsEachLineOfAPipeAsItArrives) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  FILE* in = fdopen(fds[0], "rb");
  LineReader reader(in, 1024);
  std::string_view line;
  bool too_long;
  // Without waiting for a full buffer or end of input: the writer stays open.
  ASSERT_EQ(write(fds[1], "first\n", 6), 6);
  ASSERT_TRUE(reader.Next(&line, &too_long));
  EXPECT_EQ(line, "first");
  ASSERT_EQ(write(fds[1], "second\n", 7), 7);
  ASSERT_TRUE(reader.Next(&line, &too_long));
  EXPECT_EQ(line, "second");
  close(fds[1]);
  EXPECT_FALSE(reader.Next(&line, &too_long));
  std::fclose(in);
}

TEST(LineReader, ManyLinesAcrossBufferRefills) {
  std::string input;
  for (int i = 0; i < 100000; ++i) input += "line " + std::to_string(i) + "\n";
  auto lines = ReadAll(input, 1024);
  ASSERT_EQ(lines.size(), 100000u);
  EXPECT_EQ(lines[99999].text, "line 99999");
  EXPECT_EQ(lines[54321].text, "line 54321");
}

struct Message {
  std::string text;
  bool too_long;
  int64_t first_line;
  bool operator==(const Message&) const = default;
};

// Feeds `lines` (numbered from 1) through JsonObjectLines, then finishes.
std::vector<Message> Join(const std::vector<std::string>& lines, size_t max_bytes = 1 << 20) {
  JsonObjectLines objects(max_bytes);
  std::vector<Message> out;
  std::string_view message;
  bool too_long;
  int64_t first;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (objects.Add(lines[i], static_cast<int64_t>(i + 1), &message, &too_long, &first)) {
      out.push_back({std::string(message), too_long, first});
    }
  }
  if (objects.Finish(&message, &first)) out.push_back({std::string(message), false, first});
  return out;
}

// NDJSON lines pass as they are; evtx_dump's pretty-printed objects are
// joined (before, each of their lines was a bad_json error).
TEST(JsonObjectLines, JoinsPrettyObjectsAndPassesWholeLines) {
  auto out = Join({R"({"EventID": 1})", "{", R"(  "a": "} { \" ]",)", R"(  "b": {"c": [1, 2]})",
                   "}", "", R"({"EventID": 2})", "  {", R"(  "x": "a \"}\" b")", "}"});
  EXPECT_EQ(out, (std::vector<Message>{
                     {R"({"EventID": 1})", false, 1},
                     {"{\n"
                      R"(  "a": "} { \" ]",)"
                      "\n"
                      R"(  "b": {"c": [1, 2]})"
                      "\n}",
                      false, 2},
                     {"", false, 6},
                     {R"({"EventID": 2})", false, 7},
                     {"  {\n"
                      R"(  "x": "a \"}\" b")"
                      "\n}",
                      false, 8},
                 }));
}

TEST(JsonObjectLines, AnOverlongObjectIsCutOnceAndAnOpenOneEndsTheInput) {
  std::vector<std::string> lines = {"{"};
  for (int i = 0; i < 100; ++i) lines.push_back(R"(  "k": "vvvvvvvvvv",)");
  lines.push_back("}");
  lines.push_back(R"({"after": 1})");
  lines.push_back("{");
  lines.push_back(R"(  "open": 1)");
  auto out = Join(lines, 200);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[0].too_long);
  EXPECT_EQ(out[0].text.size(), 200u);
  EXPECT_EQ(out[0].first_line, 1);
  EXPECT_EQ(out[1], (Message{R"({"after": 1})", false, 103}));
  EXPECT_EQ(out[2], (Message{"{\n"
                             R"(  "open": 1)",
                             false, 104}));  // the parser reports it
}

}  // namespace
}  // namespace loghunt
