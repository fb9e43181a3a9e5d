#include "detectors/cluster/features.h"

#include <array>

namespace loghunt {
namespace {

constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr auto kCrcTable = MakeCrcTable();

// Python's \s on str (str.isspace: ASCII, 0x1c-0x1f, 0x85, 0xa0 and the
// Unicode spaces) plus the class's punctuation.
bool IsMsticpyDelimiter(uint32_t cp) {
  if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
      cp == 0x202f || cp == 0x205f || cp == 0x3000) {
    return true;
  }
  switch (cp) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
    case '\v':
    case '\f':
    case 0x1c:
    case 0x1d:
    case 0x1e:
    case 0x1f:
    case 0x85:
    case 0xa0:
    case '-':
    case '\\':
    case '/':
    case '.':
    case ',':
    case '"':
    case '\'':
    case '|':
    case '&':
    case ':':
    case ';':
    case '%':
    case '$':
    case '(':
    case ')':
      return true;
    default:
      return false;
  }
}

// Decodes one UTF-8 code point at s[i]; advances i.
uint32_t NextCodePoint(std::string_view s, size_t& i) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xe ? 3 : (b >> 3) == 0x1e ? 4 : 0;
  if (len <= 1 || i + len > s.size()) {
    ++i;
    return b;
  }
  uint32_t cp = b & (0x7f >> len);
  for (size_t k = 1; k < len; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xc0) != 0x80) {
      ++i;
      return b;
    }
    cp = (cp << 6) | (c & 0x3f);
  }
  i += len;
  return cp;
}

}  // namespace

uint32_t Crc32(std::string_view data, uint32_t crc) {
  crc = ~crc;
  for (unsigned char c : data) crc = kCrcTable[(crc ^ c) & 0xff] ^ (crc >> 8);
  return ~crc;
}

MsticpyFeatures ComputeMsticpyFeatures(std::string_view s) {
  MsticpyFeatures f;
  f.crc32 = Crc32(s);
  uint32_t delim_crc = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    uint32_t cp = NextCodePoint(s, i);
    f.char_ord_score += cp;
    if (cp == ' ') ++f.token_count;
    if (IsMsticpyDelimiter(cp)) {
      ++f.delim_count;
      delim_crc = Crc32(s.substr(start, i - start), delim_crc);
    }
  }
  f.delim_hash = delim_crc;
  return f;
}

}  // namespace loghunt
