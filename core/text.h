// Small text helpers shared by parsers and detectors: trimming, splitting,
// hex decoding, integer parsing. All take and return views; none allocate
// except the ones that write into an Arena.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/arena.h"

namespace loghunt {

// ASCII whitespace: space, \t, \r, \n, \v, \f.
inline bool IsAsciiSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// Inline: called per field and per indicator lookup.
inline std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && IsAsciiSpace(s.back())) s.remove_suffix(1);
  return s;
}
inline std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsAsciiSpace(s.front())) s.remove_prefix(1);
  return TrimRight(s);
}

// Parses a whole decimal integer (optional leading '-'); nullopt on anything else.
std::optional<int64_t> ParseInt(std::string_view s);
// Parses a hexadecimal integer with an optional 0x prefix.
std::optional<uint64_t> ParseHexInt(std::string_view s);

// True when `s` is non-empty, has even length and only hex digits.
bool IsHexString(std::string_view s);
// Decodes hex text into the arena. Returns nullopt when `hex` is not IsHexString.
std::optional<std::string_view> DecodeHex(std::string_view hex, Arena& arena);

bool StartsWithNoCase(std::string_view s, std::string_view prefix);
bool EqualsNoCase(std::string_view a, std::string_view b);

// True when `s` is valid UTF-8.
bool IsValidUtf8(std::string_view s);
// `s` with every byte that starts no valid UTF-8 sequence replaced by U+FFFD.
std::string ReplaceInvalidUtf8(std::string_view s);

// Appends an RFC 5424 header field (HOSTNAME 255, APP-NAME 48, PROCID 128
// characters at most): `value` cut to `max`, every byte outside PRINTUSASCII
// replaced by '_', "-" (NILVALUE) when empty. The syslog sink and the journald
// input write their lines with it, so the syslog parser's strict header check
// accepts them.
void AppendRfc5424HeaderField(std::string_view value, size_t max, std::string* out);

// JSON text a parser can read when the producer wrote what Windows strings
// and raw logs may hold: a byte that starts no valid UTF-8 sequence becomes
// U+FFFD, and a \uD800-\uDFFF escape that is not half of a surrogate pair
// becomes \ufffd. *out gets the text; false when nothing needed replacing
// (*out untouched). The rest of the text, valid or not, is left as it is.
bool RepairJsonText(std::string_view json, std::string* out);

// The fields of one CSV row (RFC 4180 quoting within the line; "" in a quoted
// field is a quote, a CR outside quotes is dropped). Allocates.
std::vector<std::string> SplitCsvRow(std::string_view line);

}  // namespace loghunt
