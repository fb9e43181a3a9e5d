#include "detectors/rules/sigma_values.h"

#include <cstdint>

namespace loghunt::sigma {
namespace {

bool IsWordChar(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c >= 0x80;
}

void AppendEscaped(std::string* out, unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
    out->push_back(static_cast<char>(c));
    return;
  }
  static const char kHex[] = "0123456789abcdef";
  out->append("\\x");
  out->push_back(kHex[c >> 4]);
  out->push_back(kHex[c & 15]);
}

constexpr std::string_view kWindash =
    "(?:\\x2d|\\x2f|\\xe2\\x80\\x93|\\xe2\\x80\\x94|\\xe2\\x80\\x95)";

}  // namespace

std::vector<SigmaPiece> ParseSigmaString(std::string_view value) {
  std::vector<SigmaPiece> pieces;
  auto literal = [&]() -> std::string& {
    if (pieces.empty() || pieces.back().kind != SigmaPiece::kLiteral) {
      pieces.push_back({SigmaPiece::kLiteral, {}});
    }
    return pieces.back().text;
  };
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '\\' && i + 1 < value.size() &&
        (value[i + 1] == '*' || value[i + 1] == '?' || value[i + 1] == '\\')) {
      literal().push_back(value[++i]);
    } else if (c == '*') {
      if (pieces.empty() || pieces.back().kind != SigmaPiece::kStar) {
        pieces.push_back({SigmaPiece::kStar, {}});
      }
    } else if (c == '?') {
      pieces.push_back({SigmaPiece::kQuestion, {}});
    } else {
      literal().push_back(c);
    }
  }
  return pieces;
}

std::string PlainText(const std::vector<SigmaPiece>& pieces) {
  std::string s;
  for (const auto& p : pieces) {
    s += p.kind == SigmaPiece::kLiteral ? p.text : (p.kind == SigmaPiece::kStar ? "*" : "?");
  }
  return s;
}

std::string Base64Encode(std::string_view bytes) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) |
                 uint8_t(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) v |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::vector<std::string> Base64OffsetVariants(std::string_view bytes) {
  // pySigma: b64encode(i * b" " + value)[start[i] : end[(len(value) + i) % 3]]
  static const size_t kStart[3] = {0, 2, 3};
  static const size_t kEndCut[3] = {0, 3, 2};
  std::vector<std::string> out;
  for (size_t i = 0; i < 3; ++i) {
    std::string padded(i, ' ');
    padded.append(bytes);
    std::string encoded = Base64Encode(padded);
    size_t cut = kEndCut[(bytes.size() + i) % 3];
    size_t end = encoded.size() >= cut ? encoded.size() - cut : 0;
    out.push_back(kStart[i] < end ? encoded.substr(kStart[i], end - kStart[i]) : std::string());
  }
  return out;
}

std::string ToUtf16(std::string_view s, bool big_endian) {
  std::string out;
  auto unit = [&](uint32_t u) {
    char lo = static_cast<char>(u & 0xff), hi = static_cast<char>(u >> 8);
    if (big_endian) {
      out += hi;
      out += lo;
    } else {
      out += lo;
      out += hi;
    }
  };
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    uint32_t cp = 0xFFFD;
    size_t len = 1;
    if (c < 0x80) {
      cp = c;
    } else if ((c >> 5) == 6 && i + 1 < s.size()) {
      cp = ((c & 0x1fu) << 6) | (uint8_t(s[i + 1]) & 0x3fu);
      len = 2;
    } else if ((c >> 4) == 14 && i + 2 < s.size()) {
      cp = ((c & 0x0fu) << 12) | ((uint8_t(s[i + 1]) & 0x3fu) << 6) | (uint8_t(s[i + 2]) & 0x3fu);
      len = 3;
    } else if ((c >> 3) == 30 && i + 3 < s.size()) {
      cp = ((c & 0x07u) << 18) | ((uint8_t(s[i + 1]) & 0x3fu) << 12) |
           ((uint8_t(s[i + 2]) & 0x3fu) << 6) | (uint8_t(s[i + 3]) & 0x3fu);
      len = 4;
    }
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      unit(0xD800 + (cp >> 10));
      unit(0xDC00 + (cp & 0x3ff));
    } else {
      unit(cp);
    }
  }
  return out;
}

namespace {

// The pieces of a value compared as `type` between a leading and a trailing
// `*`, and which sides are anchored: a star on a side makes it unanchored
// (scanning for it would only cost time).
struct Span {
  size_t begin = 0, end = 0;
  bool anchor_start = false, anchor_end = false;
};

Span StripStars(const std::vector<SigmaPiece>& pieces, MatchType type) {
  Span s{0, pieces.size(), type == MatchType::kEquals || type == MatchType::kStartsWith,
         type == MatchType::kEquals || type == MatchType::kEndsWith};
  if (s.begin < s.end && pieces[s.begin].kind == SigmaPiece::kStar) {
    s.anchor_start = false;
    ++s.begin;
  }
  if (s.end > s.begin && pieces[s.end - 1].kind == SigmaPiece::kStar) {
    s.anchor_end = false;
    --s.end;
  }
  return s;
}

}  // namespace

std::string ToHyperscanExpression(const std::vector<SigmaPiece>& pieces, MatchType type,
                                  bool windash) {
  const auto [begin, end, anchor_start, anchor_end] = StripStars(pieces, type);
  std::string expr;
  if (anchor_start) expr += "\\A";
  for (size_t i = begin; i < end; ++i) {
    const SigmaPiece& p = pieces[i];
    if (p.kind == SigmaPiece::kStar) {
      expr += ".*";
    } else if (p.kind == SigmaPiece::kQuestion) {
      // One character, not one byte: a UTF-8 lead byte with its continuation
      // bytes (or a stray continuation byte). `DOM\J?rg` matches DOM\Jörg.
      expr += "(?:[\\x00-\\x7f\\xc0-\\xff][\\x80-\\xbf]{0,3}|[\\x80-\\xbf])";
    } else {
      const std::string& t = p.text;
      for (size_t j = 0; j < t.size(); ++j) {
        unsigned char c = static_cast<unsigned char>(t[j]);
        bool word_start = j + 1 < t.size() && IsWordChar(static_cast<unsigned char>(t[j + 1])) &&
                          (j == 0 || !IsWordChar(static_cast<unsigned char>(t[j - 1])));
        if (windash && (c == '-' || c == '/') && word_start) {
          expr += kWindash;
        } else {
          AppendEscaped(&expr, c);
        }
      }
    }
  }
  if (anchor_end) expr += "\\z";
  return expr;
}

std::string LiteralExpression(std::string_view bytes, MatchType type) {
  std::string expr;
  if (type == MatchType::kEquals || type == MatchType::kStartsWith) expr += "\\A";
  for (char c : bytes) AppendEscaped(&expr, static_cast<unsigned char>(c));
  if (type == MatchType::kEquals || type == MatchType::kEndsWith) expr += "\\z";
  return expr;
}

bool DirectLiteral(const std::vector<SigmaPiece>& pieces, MatchType type, std::string* literal,
                   MatchType* direct_type) {
  const auto [begin, end, anchor_start, anchor_end] = StripStars(pieces, type);
  if (end != begin + 1 || pieces[begin].kind != SigmaPiece::kLiteral ||
      pieces[begin].text.empty()) {
    return false;
  }
  *literal = pieces[begin].text;
  *direct_type = anchor_start ? (anchor_end ? MatchType::kEquals : MatchType::kStartsWith)
                              : (anchor_end ? MatchType::kEndsWith : MatchType::kContains);
  return true;
}

bool DirectMatch(std::string_view text, std::string_view literal, MatchType type) {
  switch (type) {
    case MatchType::kEquals:
      return text == literal;
    case MatchType::kStartsWith:
      return text.substr(0, literal.size()) == literal;
    case MatchType::kEndsWith:
      return text.size() >= literal.size() && text.substr(text.size() - literal.size()) == literal;
    case MatchType::kContains:
      return text.find(literal) != std::string_view::npos;
  }
  return false;
}

}  // namespace loghunt::sigma
