// msticpy's eventcluster feature functions (../shared/reference/msticpy.md §4),
// for users who cluster command lines with their own tools:
//   char_ord_score: sum of the Unicode code points (scale 1)
//   token_count   : pieces of s.split(" ") (empty string -> 1)
//   delim_count   : characters in [\s\-\\/\.,"'|&:;%$()]
//   delim_hash    : CRC-32 of those delimiter characters, concatenated
//   crc32         : CRC-32 (zlib polynomial, unsigned) of s
// Code points are decoded from UTF-8 (Python str semantics); an invalid byte
// counts as one code point of its own value.
//
// Thread-safety: pure functions; no allocation.
#pragma once

#include <cstdint>
#include <string_view>

namespace loghunt {

struct MsticpyFeatures {
  int64_t char_ord_score = 0;
  int64_t token_count = 1;
  int64_t delim_count = 0;
  uint32_t delim_hash = 0;
  uint32_t crc32 = 0;
};

MsticpyFeatures ComputeMsticpyFeatures(std::string_view s);
// zlib-compatible CRC-32, continuing from `crc` (0 to start).
uint32_t Crc32(std::string_view data, uint32_t crc = 0);

}  // namespace loghunt
