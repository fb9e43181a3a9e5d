// Timestamps: UTC nanoseconds since the Unix epoch (int64_t), formatting to
// RFC 3339 and the civil-date arithmetic parsers need. No time zone database:
// zones are fixed offsets resolved by the caller.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace loghunt {

constexpr int64_t kNanosPerSecond = 1'000'000'000;

// Days since 1970-01-01 of a proleptic Gregorian date (month 1..12).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);

// Appends `ns` as RFC 3339 UTC with as many fraction digits as needed (0, 3, 6
// or 9), e.g. "2019-02-12T04:10:25.123Z".
void AppendRfc3339(int64_t ns, std::string* out);
std::string FormatRfc3339(int64_t ns);

// Parses "YYYY-MM-DD[T ]hh:mm:ss[.frac](Z|±hh:mm|±hhmm)?". A missing zone is
// taken as `default_offset_seconds` east of UTC. nullopt when malformed.
std::optional<int64_t> ParseRfc3339(std::string_view text, int32_t default_offset_seconds = 0);

// Parses a three-letter English month name ("Jan".."Dec"); 0 when unknown.
unsigned ParseMonthAbbrev(std::string_view name);

// Current wall-clock time in UTC nanoseconds.
int64_t NowNanos();

// a - b without overflow: timestamps from input span 1678..2262, and the
// difference of two far apart overflows int64 (a wrapped difference made
// "11 commands within 0 ms" of commands 583 years apart).
inline int64_t SpanNs(int64_t a, int64_t b) {
  int64_t d;
  if (__builtin_sub_overflow(a, b, &d)) return a > b ? INT64_MAX : INT64_MIN;
  return d;
}

}  // namespace loghunt
