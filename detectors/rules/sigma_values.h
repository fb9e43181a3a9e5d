// Sigma value encodings and the translation of Sigma string values into
// Hyperscan expressions. Internal to detectors/rules; pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace loghunt::sigma {

// A Sigma string value: literal text with `*` / `?` wildcards. A backslash
// escapes `*`, `?` and `\`; before any other character it is literal (spec).
struct SigmaPiece {
  enum Kind : uint8_t { kLiteral, kStar, kQuestion } kind;
  std::string text;  // kLiteral only
};
std::vector<SigmaPiece> ParseSigmaString(std::string_view value);
// The text with wildcards read as plain characters (for encoding modifiers).
std::string PlainText(const std::vector<SigmaPiece>& pieces);

std::string Base64Encode(std::string_view bytes);
// pySigma's base64offset: the three encodings of `bytes` at offsets 0, 1, 2
// with the characters that depend on the unknown neighbours cut off.
std::vector<std::string> Base64OffsetVariants(std::string_view bytes);
// UTF-8 -> UTF-16 (little or big endian); invalid UTF-8 bytes map to U+FFFD.
std::string ToUtf16(std::string_view utf8, bool big_endian);

enum class MatchType : uint8_t { kEquals, kContains, kStartsWith, kEndsWith };

// The Hyperscan expression for `pieces` compared with `type`. `windash`
// expands a '-' or '/' that starts a word into the five dash characters.
std::string ToHyperscanExpression(const std::vector<SigmaPiece>& pieces, MatchType type,
                                  bool windash);
// Same for raw bytes matched literally.
std::string LiteralExpression(std::string_view bytes, MatchType type);

// When `pieces` compared with `type` is one literal compared whole (after a
// leading or trailing `*` has turned equality into startswith, endswith or
// contains), sets `literal` and `direct_type` to that comparison and returns
// true; false for values with inner wildcards, `?`, or nothing to match.
bool DirectLiteral(const std::vector<SigmaPiece>& pieces, MatchType type, std::string* literal,
                   MatchType* direct_type);
// `text` compared with `literal` as `type`, byte for byte.
bool DirectMatch(std::string_view text, std::string_view literal, MatchType type);

}  // namespace loghunt::sigma
