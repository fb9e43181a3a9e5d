#include "detectors/cluster/token_mask.h"

#include "core/hash.h"

namespace loghunt {
namespace {

constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

bool IsStructuralDelimiter(unsigned char c) {
  switch (c) {
    case '/':
    case '\\':
    case '=':
    case ',':
    case ';':
    case '|':
    case '&':
    case '@':
    case '#':
    case '"':
    case '\'':
    case '(':
    case ')':
    case '[':
    case ']':
    case '{':
    case '}':
    case '<':
    case '>':
      return true;
    default:
      return false;
  }
}

bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsHexLetter(unsigned char c) { return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsBase64(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '+' || c == '/' ||
         c == '-' || c == '_';
}

bool IsTempDir(std::string_view part) {
  auto lower_eq = [&](std::string_view word) {
    if (part.size() != word.size()) return false;
    for (size_t i = 0; i < part.size(); ++i) {
      char c = part[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != word[i]) return false;
    }
    return true;
  };
  return lower_eq("tmp") || lower_eq("temp");
}

// Month and weekday names are the words of a timestamp ("Sun Jul 10 03:55:15 2005").
bool IsDateWord(std::string_view part) {
  static constexpr std::string_view kWords[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
                                                "Aug", "Sep", "Oct", "Nov", "Dec", "Mon", "Tue",
                                                "Wed", "Thu", "Fri", "Sat", "Sun"};
  if (part.size() != 3) return false;
  for (std::string_view w : kWords) {
    if (part == w) return true;
  }
  return false;
}

// Host names: at least three dot-separated labels (a.b.c) of letters, digits,
// '-' and '_' (digits alone already make a part variable).
bool IsDomainLike(std::string_view part) {
  int dots = 0;
  size_t label = 0;
  for (unsigned char c : part) {
    if (c == '.') {
      if (label == 0) return false;
      ++dots;
      label = 0;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_') {
      ++label;
    } else {
      return false;
    }
  }
  return dots >= 2 && label >= 2;
}

bool IsVariablePart(std::string_view part, std::span<const std::string_view> known) {
  if (part.empty()) return false;
  if (IsDateWord(part) || IsDomainLike(part)) return true;
  bool hex_letters_only = true;
  bool base64_only = true;
  for (unsigned char c : part) {
    if (IsDigit(c)) return true;
    hex_letters_only = hex_letters_only && IsHexLetter(c);
    base64_only = base64_only && IsBase64(c);
  }
  if (hex_letters_only && part.size() >= 8) return true;
  if (base64_only && part.size() >= 24) return true;
  for (std::string_view k : known) {
    if (!k.empty() && part == k) return true;
  }
  return false;
}

// Calls emit(text, is_wildcard) for the pieces of the masked token, in order.
template <typename Emit>
void MaskToken(std::string_view token, std::span<const std::string_view> known, Emit&& emit) {
  size_t start = 0;
  bool after_temp = false;
  std::string_view prev_part;
  for (size_t i = 0; i <= token.size(); ++i) {
    if (i == start && token.compare(i, kWildcardToken.size(), kWildcardToken) == 0) {
      // An already masked part (template text) stays as it is: masking is idempotent.
      emit(kWildcardToken);
      i += kWildcardToken.size() - 1;
      start = i + 1;
      after_temp = false;
      prev_part = {};
      continue;
    }
    if (i < token.size() && !IsStructuralDelimiter(static_cast<unsigned char>(token[i]))) continue;
    std::string_view part = token.substr(start, i - start);
    if (!part.empty()) {
      bool variable = after_temp || IsVariablePart(part, known);
      emit(variable ? kWildcardToken : part);
      after_temp = false;
      prev_part = part;
    }
    if (i < token.size()) {
      char d = token[i];
      // The component after /tmp/ or \Temp\ is a per-run name.
      if ((d == '/' || d == '\\') && !prev_part.empty() && IsTempDir(prev_part) &&
          start + prev_part.size() == i) {
        after_temp = true;
      }
      emit(token.substr(i, 1));
    }
    start = i + 1;
  }
}

}  // namespace

uint64_t MaskedTokenHash(std::string_view token, std::span<const std::string_view> known_values,
                         uint64_t* key_hash) {
  uint64_t h = kFnvOffsetBasis;
  bool in_key = true;
  if (key_hash != nullptr) *key_hash = 0;
  MaskToken(token, known_values, [&](std::string_view piece) {
    for (unsigned char c : piece) {
      h ^= c;
      h *= kFnvPrime;
    }
    if (in_key && piece == "=") {
      in_key = false;
      if (key_hash != nullptr) *key_hash = h;
    }
  });
  return h;
}

void AppendMaskedToken(std::string_view token, std::span<const std::string_view> known_values,
                       std::string* out) {
  MaskToken(token, known_values, [&](std::string_view piece) { out->append(piece); });
}

uint64_t WildcardTokenHash() {
  static const uint64_t kHash = Fnv1a64(kWildcardToken);
  return kHash;
}

}  // namespace loghunt
