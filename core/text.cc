#include "core/text.h"

#include <charconv>

namespace loghunt {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

void AppendKept(std::string* out, std::string_view text, size_t max) {
  if (text.size() <= max) {
    out->append(text);
    return;
  }
  size_t n = max;
  // Back to the first byte of the character the cut falls in (at most 3
  // continuation bytes before it in valid UTF-8; stop there in any case).
  for (size_t back = 0; n > 0 && back < 3 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80;
       ++back) {
    --n;
  }
  const std::string size = std::to_string(text.size());
  constexpr std::string_view kOpen = "...[cut: ", kClose = " bytes in all]";
  // Exactly: appending the marker to the cut text doubled its capacity.
  out->reserve(out->size() + n + kOpen.size() + size.size() + kClose.size());
  out->append(text.substr(0, n));
  out->append(kOpen);
  out->append(size);
  out->append(kClose);
}

std::optional<uint64_t> ParseHexInt(std::string_view s) {
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

bool IsHexString(std::string_view s) {
  if (s.empty() || s.size() % 2 != 0) return false;
  for (char c : s) {
    if (HexValue(c) < 0) return false;
  }
  return true;
}

std::optional<std::string_view> DecodeHex(std::string_view hex, Arena& arena) {
  if (!IsHexString(hex)) return std::nullopt;
  size_t n = hex.size() / 2;
  char* out = arena.Allocate(n);
  for (size_t i = 0; i < n; ++i) {
    out[i] = static_cast<char>((HexValue(hex[2 * i]) << 4) | HexValue(hex[2 * i + 1]));
  }
  return std::string_view(out, n);
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsNoCase(s.substr(0, prefix.size()), prefix);
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

namespace {

// Length of the valid UTF-8 sequence starting at p[i] (i < n), 0 if none.
size_t Utf8SequenceAt(const unsigned char* p, size_t i, size_t n) {
  unsigned char c = p[i];
  size_t len;
  uint32_t cp;
  if (c < 0x80) {
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    len = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > n) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((p[i + k] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i + k] & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are invalid.
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
      cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return len;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0; i < s.size();) {
    size_t len = Utf8SequenceAt(p, i, s.size());
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::string ReplaceInvalidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0; i < s.size();) {
    size_t len = Utf8SequenceAt(p, i, s.size());
    if (len == 0) {
      out.append("\xEF\xBF\xBD");  // U+FFFD for the byte
      ++i;
    } else {
      out.append(s.data() + i, len);
      i += len;
    }
  }
  return out;
}

void AppendRfc5424HeaderField(std::string_view value, size_t max, std::string* out) {
  if (value.empty()) {
    out->push_back('-');
    return;
  }
  for (unsigned char c : value.substr(0, max)) {
    out->push_back(c > 32 && c < 127 ? static_cast<char>(c) : '_');
  }
}

namespace {

// The value of the \uXXXX escape at json[i] (json[i] == '\\'), or -1.
int UnicodeEscapeAt(std::string_view json, size_t i) {
  if (i + 6 > json.size() || json[i] != '\\' || json[i + 1] != 'u') return -1;
  auto v = ParseHexInt(json.substr(i + 2, 4));
  if (!v ||
      json.substr(i + 2, 4).find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos)
    return -1;
  return static_cast<int>(*v);
}

}  // namespace

bool RepairJsonText(std::string_view json, std::string* out) {
  std::string valid;
  if (!IsValidUtf8(json)) valid = ReplaceInvalidUtf8(json);
  std::string_view text = valid.empty() ? json : std::string_view(valid);
  std::string fixed;
  bool surrogates = false;
  size_t copied = 0;
  for (size_t i = text.find('\\'); i != std::string_view::npos && i < text.size();
       i = text.find('\\', i)) {
    const int unit = UnicodeEscapeAt(text, i);
    if (unit < 0xD800 || unit > 0xDFFF) {
      i += 2;  // any other escape, \\ included
      continue;
    }
    const int low = unit <= 0xDBFF ? UnicodeEscapeAt(text, i + 6) : -1;
    if (low >= 0xDC00 && low <= 0xDFFF) {
      i += 12;  // a pair
      continue;
    }
    fixed.append(text.substr(copied, i - copied));
    fixed.append("\\ufffd");
    i += 6;
    copied = i;
    surrogates = true;
  }
  if (!surrogates && valid.empty()) return false;
  if (surrogates) {
    fixed.append(text.substr(copied));
    *out = std::move(fixed);
  } else {
    *out = std::move(valid);
  }
  return true;
}

std::vector<std::string> SplitCsvRow(std::string_view line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back().push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back().push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else if (c != '\r') {
      out.back().push_back(c);
    }
  }
  return out;
}

}  // namespace loghunt
