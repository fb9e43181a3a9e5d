// Small text helpers shared by parsers and detectors: trimming, splitting,
// hex decoding, integer parsing, cutting kept text. Most take and return
// views and allocate only into an Arena; those returning std::string say so.
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

// Event text a detector keeps across events (a process's command line for
// its children's alerts, a sudo command until its session opens, a host or
// user name that keys its state) costs at most this many bytes of one value,
// whatever the input's length (a message may be parsers.max_message_bytes):
// names (host, user) and texts (command line, URL).
inline constexpr size_t kKeptNameBytes = 256;
inline constexpr size_t kKeptTextBytes = 8 * 1024;

// Appends `text` whole when it has at most `max` bytes; else its first bytes,
// at most `max` and not inside a UTF-8 character, then the marker
// "...[cut: N bytes in all]" (N = text.size()), so whoever reads the kept
// value (an alert) sees it was cut, and two long values are kept apart unless
// they share the first `max` bytes and their length. Allocates only as
// `out` grows.
void AppendKept(std::string* out, std::string_view text, size_t max);
// `text` as AppendKept() keeps it.
inline std::string KeptText(std::string_view text, size_t max = kKeptTextBytes) {
  std::string out;
  AppendKept(&out, text, max);
  return out;
}

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
