#include "core/lazy_text.h"

#include <gtest/gtest.h>

#include <string>

#include "core/event.h"

namespace loghunt {
namespace {

// A decoder that upper-cases into a buffer and counts its calls.
struct Upper {
  std::string out;
  int calls = 0;
  static std::string_view Decode(void* self, std::string_view encoded) {
    auto* u = static_cast<Upper*>(self);
    ++u->calls;
    u->out.clear();
    for (char c : encoded) u->out += static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
    return u->out;
  }
};

TEST(LazyTextTest, DecodesOnTheFirstReadOnly) {
  Upper upper;
  const LazyText text("abc", &Upper::Decode, &upper);
  EXPECT_FALSE(text.decoded());
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(upper.calls, 0);
  std::string_view v = text;
  EXPECT_EQ(v, "ABC");
  EXPECT_EQ(text.view(), "ABC");
  EXPECT_TRUE(text.decoded());
  EXPECT_EQ(upper.calls, 1);
}

TEST(LazyTextTest, PlainTextIsReadAsIs) {
  Event e;
  EXPECT_TRUE(e.message.empty());
  EXPECT_EQ(e.message.view(), "");
  e.message = std::string_view("plain");
  EXPECT_TRUE(e.message.decoded());
  EXPECT_EQ(e.message.view(), "plain");
  std::string copy = std::string(e.message.view());
  EXPECT_EQ(copy, "plain");
  e.Clear();
  EXPECT_TRUE(e.message.empty());
}

TEST(LazyTextTest, ACopyMadeBeforeTheFirstReadDecodesOnItsOwn) {
  Upper upper;
  Event e;
  e.message = LazyText("xy", &Upper::Decode, &upper);
  Event copy = e;
  EXPECT_EQ(copy.message.view(), "XY");
  EXPECT_FALSE(e.message.decoded());
  EXPECT_EQ(e.message.view(), "XY");
  EXPECT_EQ(upper.calls, 2);
}

}  // namespace
}  // namespace loghunt
