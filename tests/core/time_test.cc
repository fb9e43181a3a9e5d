#include "core/time.h"

#include <gtest/gtest.h>

namespace loghunt {
namespace {

TEST(Rfc3339, FormatsEpochAndFractions) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(1551485405594000000), "2019-03-02T00:10:05.594Z");
  EXPECT_EQ(FormatRfc3339(1551485405000001000), "2019-03-02T00:10:05.000001Z");
  EXPECT_EQ(FormatRfc3339(1551485405000000001), "2019-03-02T00:10:05.000000001Z");
}

TEST(Rfc3339, ParsesZonesAndRoundTrips) {
  auto t = ParseRfc3339("2020-06-10T02:51:05.723Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(FormatRfc3339(*t), "2020-06-10T02:51:05.723Z");
  auto plus = ParseRfc3339("2020-06-10T04:51:05.723+02:00");
  ASSERT_TRUE(plus);
  EXPECT_EQ(*plus, *t);
  auto no_zone = ParseRfc3339("2020-06-10 01:51:05.723", -3600);
  ASSERT_TRUE(no_zone);
  EXPECT_EQ(*no_zone, *t);
}

TEST(Rfc3339, RejectsMalformed) {
  for (const char* bad :
       {"", "2020-06-10", "2020-13-10T00:00:00Z", "2020-06-10T25:00:00Z", "2020-06-10T00:00:00.Z",
        "2020-06-10T00:00:00+2", "2020-06-10T00:00:00Zjunk"}) {
    EXPECT_FALSE(ParseRfc3339(bad)) << bad;
  }
}

TEST(Civil, DaysFromCivilMatchesKnownDates) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
}

TEST(Month, ParsesAbbreviations) {
  EXPECT_EQ(ParseMonthAbbrev("Jan"), 1u);
  EXPECT_EQ(ParseMonthAbbrev("Dec"), 12u);
  EXPECT_EQ(ParseMonthAbbrev("dec"), 0u);
  EXPECT_EQ(ParseMonthAbbrev("Foo"), 0u);
}

}  // namespace
}  // namespace loghunt
