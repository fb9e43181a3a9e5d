#include "parsers/winevent/winevent_parser.h"

#include <array>
#include <charconv>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <cstring>
#include <utility>

#include "core/text.h"
#include "core/time.h"
#include "parsers/json_error.h"
#include "parsers/winevent/json_object_splitter.h"

namespace loghunt {
namespace {

using simdjson::error_code;
namespace od = simdjson::ondemand;

// Timestamp candidates, best first: the event's own creation time beats the
// shipper's receipt time; zone-less local times come last.
enum TimeSlot {
  kTimeCreatedSlot,
  kTimeGeneratedSlot,
  kAtTimestampSlot,
  kUtcTimeSlot,
  kEventTimeSlot
};
constexpr int kTimeSlots = 5;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitizedBuild = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
constexpr bool kSanitizedBuild = true;
#else
constexpr bool kSanitizedBuild = false;
#endif
#else
constexpr bool kSanitizedBuild = false;
#endif

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view TrimJsonRight(std::string_view s) {
  while (!s.empty() && IsJsonSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool IsNumberToken(std::string_view t) {
  if (t.empty() || !(t[0] == '-' || (t[0] >= '0' && t[0] <= '9'))) return false;
  for (char c : t) {
    if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E')) {
      return false;
    }
  }
  return true;
}

// A top-level value that is valid JSON but not an object (kUnsupported), as
// opposed to text that is not JSON at all (kBadJson). Arrays are taken on
// trust; scalars are checked here because simdjson validates them lazily.
bool IsWellFormedNonObject(od::json_type type, std::string_view message) {
  std::string_view t = Trim(message);
  switch (type) {
    case od::json_type::array:
      return t.back() == ']';
    case od::json_type::string:
      return t.size() >= 2 && t.back() == '"';
    case od::json_type::boolean:
      return t == "true" || t == "false";
    case od::json_type::null:
      return t == "null";
    case od::json_type::number:
      return IsNumberToken(t);
    default:
      return false;
  }
}

// Windows process ids: "0x1a2b" in Security events, decimal (number or string)
// in Sysmon. -1 when absent or unreadable.
int64_t ParsePid(std::string_view s) {
  s = Trim(s);
  if (s.empty()) return -1;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    auto v = ParseHexInt(s);
    return v && *v <= static_cast<uint64_t>(INT64_MAX) ? static_cast<int64_t>(*v) : -1;
  }
  auto v = ParseInt(s);
  return v && *v >= 0 ? *v : -1;
}

int32_t ParsePort(std::string_view s) {
  auto v = ParseInt(Trim(s));
  return v && *v >= 0 && *v <= 65535 ? static_cast<int32_t>(*v) : -1;
}

bool IsDash(std::string_view s) { return s.empty() || s == "-"; }

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// REQUIRES: `lower_needle` is non-empty and lower case.
bool ContainsNoCase(std::string_view haystack, std::string_view lower_needle) {
  if (lower_needle.size() > haystack.size()) return false;
  for (size_t i = 0; i + lower_needle.size() <= haystack.size(); ++i) {
    if (LowerAscii(haystack[i]) != lower_needle[0]) continue;
    size_t j = 1;
    while (j < lower_needle.size() && LowerAscii(haystack[i + j]) == lower_needle[j]) ++j;
    if (j == lower_needle.size()) return true;
  }
  return false;
}

// Most keys and values are short: a few 16-byte compares beat a libc call.
// REQUIRES: [p, p + n) lies in the parsed text, so reading up to 15 bytes past
// its end stays inside the readable SIMDJSON_PADDING bytes after the message.
inline bool HasBackslash(const char* p, size_t n) {
  if (n > 64) return std::memchr(p, '\\', n) != nullptr;
#if defined(__SSE2__)
  const __m128i backslash = _mm_set1_epi8('\\');
  for (size_t i = 0; i < n; i += 16) {
    __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, backslash)));
    if (n - i < 16) mask &= (1u << (n - i)) - 1;
    if (mask != 0) return true;
  }
  return false;
#else
  return std::memchr(p, '\\', n) != nullptr;
#endif
}

// 4688 MandatoryLabel SIDs (S-1-16-<rid>) named like Sysmon's IntegrityLevel.
std::string_view IntegrityFromLabel(std::string_view sid) {
  constexpr std::string_view kPrefix = "S-1-16-";
  if (!StartsWithNoCase(sid, kPrefix)) return {};
  auto rid = ParseInt(sid.substr(kPrefix.size()));
  if (!rid) return {};
  switch (*rid) {
    case 0:
      return "Untrusted";
    case 4096:
      return "Low";
    case 8192:
      return "Medium";
    case 8448:
      return "MediumPlus";
    case 12288:
      return "High";
    case 16384:
      return "System";
    case 20480:
      return "Protected";
    default:
      return {};
  }
}

std::string_view LogonTypeName(std::string_view type) {
  auto t = ParseInt(Trim(type));
  if (!t) return {};
  switch (*t) {
    case 0:
      return "system";
    case 2:
      return "interactive";
    case 3:
      return "network";
    case 4:
      return "batch";
    case 5:
      return "service";
    case 7:
      return "unlock";
    case 8:
      return "network_cleartext";
    case 9:
      return "new_credentials";
    case 10:
      return "remote_interactive";
    case 11:
      return "cached_interactive";
    case 12:
      return "cached_remote_interactive";
    case 13:
      return "cached_unlock";
    default:
      return {};
  }
}

// Bit of a key in the 256-bit filter that guards the uniqueness of extras.
inline size_t KeyBit(std::string_view k) {
  size_t n = k.size();
  if (n == 0) return 0;
  auto b = [&](size_t i) { return static_cast<size_t>(static_cast<unsigned char>(k[i])); };
  return (n * 67 + b(0) * 3 + b(n - 1) * 29 + b(n / 2) * 11 + b((n * 3) / 4)) & 255;
}

// JSON's two-character escapes, by the character after the backslash; 0 marks
// \u (handled by simdjson) and characters that are not escapes.
constexpr std::array<char, 256> kEscapes = [] {
  std::array<char, 256> t{};
  t['"'] = '"';
  t['\\'] = '\\';
  t['/'] = '/';
  t['b'] = '\b';
  t['f'] = '\f';
  t['n'] = '\n';
  t['r'] = '\r';
  t['t'] = '\t';
  return t;
}();

enum class SimpleUnescape { kDone, kBadEscape, kUnicode };

// Unescapes the n bytes of a JSON string body (between the quotes) into dst.
// Windows events carry many short escapes (`\r\n` in rendered messages, `\\`
// in paths). The string's length is known from the token, so there is no quote
// search, and the loop steps through the body in fixed 16-byte chunks: each
// chunk is copied whole, then every escape in it shifts the rest of the chunk
// left by one, so escapes do not chain on each other. Gives up on \u (kUnicode).
// REQUIRES: 32 bytes past [in, in + n) are readable (the padded message) and
// dst has room for n + 32 bytes.
SimpleUnescape UnescapeSimple(const char* in, size_t n, char* dst, size_t* out_len) {
  char* d = dst;  // where in[i] goes
#if defined(__SSE2__)
  bool carry = false;  // in[i] is the escaped character of an escape that began at in[i - 1]
  char carried = 0;
  for (size_t i = 0; i < n; i += 16) {
    const char* s = in + i;
    __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d), chunk);
    unsigned backslashes =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, _mm_set1_epi8('\\'))));
    const size_t left = n - i < 16 ? n - i : 16;
    backslashes &= (1u << left) - 1;
    if (carry) {
      d[0] = carried;
      backslashes &= ~1u;
      carry = false;
    }
    size_t removed = 0;
    while (backslashes != 0) {
      unsigned p = static_cast<unsigned>(__builtin_ctz(backslashes));
      backslashes &= ~(3u << p);  // the backslash and the character it escapes
      char c = kEscapes[static_cast<unsigned char>(s[p + 1])];
      if (c == 0) return s[p + 1] == 'u' ? SimpleUnescape::kUnicode : SimpleUnescape::kBadEscape;
      char* out = d + p - removed;
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out),
                       _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + p + 1)));
      *out = c;
      ++removed;
      if (p == 15) {
        carry = true;
        carried = c;
      }
    }
    d += left - removed;
  }
#else
  for (size_t i = 0; i < n; ++i) {
    if (in[i] != '\\') {
      *d++ = in[i];
      continue;
    }
    char c = kEscapes[static_cast<unsigned char>(in[++i])];
    if (c == 0) return in[i] == 'u' ? SimpleUnescape::kUnicode : SimpleUnescape::kBadEscape;
    *d++ = c;
  }
#endif
  *out_len = static_cast<size_t>(d - dst);
  return SimpleUnescape::kDone;
}

enum class EscapeScan { kNone, kSimple, kUnicode, kBadEscape };

// What UnescapeSimple would meet in the n bytes of a JSON string body, without
// writing anything: no escapes, only two-character ones, a \u (kUnicode), or
// an invalid escape. Steps through the body in 64-byte blocks.
// REQUIRES: 64 bytes past [in, in + n) are readable (the padded message).
EscapeScan ScanEscapes(const char* in, size_t n) {
  bool any = false;
#if defined(__SSE2__)
  constexpr uint64_t kEvenBits = 0x5555555555555555ULL;
  uint64_t escaped_first = 0;  // bit 0: a block's first byte is escaped by the previous block
  for (size_t i = 0; i < n; i += 64) {
    const char* s = in + i;
    uint64_t backslashes = 0, common = 0;
    for (int k = 0; k < 4; ++k) {
      __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 16 * k));
      __m128i is_backslash = _mm_cmpeq_epi8(chunk, _mm_set1_epi8('\\'));
      // The escapes of Windows text: \r \n \t \\ \".
      __m128i is_common = _mm_or_si128(
          _mm_or_si128(_mm_or_si128(is_backslash, _mm_cmpeq_epi8(chunk, _mm_set1_epi8('n'))),
                       _mm_or_si128(_mm_cmpeq_epi8(chunk, _mm_set1_epi8('r')),
                                    _mm_cmpeq_epi8(chunk, _mm_set1_epi8('t')))),
          _mm_cmpeq_epi8(chunk, _mm_set1_epi8('"')));
      backslashes |= static_cast<uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(is_backslash)))
                     << (16 * k);
      common |= static_cast<uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(is_common)))
                << (16 * k);
    }
    if (n - i < 64) backslashes &= (uint64_t{1} << (n - i)) - 1;
    // The escaped characters, without a loop over the backslashes: runs of
    // backslashes escape every other character, and a run starting on an odd
    // bit is shifted onto even ones by the addition (simdjson's stage 1).
    backslashes &= ~escaped_first;
    const uint64_t follows_backslash = backslashes << 1 | escaped_first;
    const uint64_t odd_starts = backslashes & ~kEvenBits & ~follows_backslash;
    uint64_t even_starts_sum;
    escaped_first = __builtin_add_overflow(odd_starts, backslashes, &even_starts_sum) ? 1 : 0;
    const uint64_t escaped = (kEvenBits ^ (even_starts_sum << 1)) & follows_backslash;
    any |= escaped != 0;
    // Only the rarer escaped characters are looked up one by one.
    for (uint64_t rare = escaped & ~common; rare != 0; rare &= rare - 1) {
      char c = s[__builtin_ctzll(rare)];
      if (kEscapes[static_cast<unsigned char>(c)] == 0) {
        return c == 'u' ? EscapeScan::kUnicode : EscapeScan::kBadEscape;
      }
    }
  }
#else
  for (size_t i = 0; i < n; ++i) {
    if (in[i] != '\\') continue;
    char c = in[++i];
    if (kEscapes[static_cast<unsigned char>(c)] == 0) {
      return c == 'u' ? EscapeScan::kUnicode : EscapeScan::kBadEscape;
    }
    any = true;
  }
#endif
  return any ? EscapeScan::kSimple : EscapeScan::kNone;
}

}  // namespace

WineventParser::WineventParser(const ParserOptions& options) : options_(options) {}

std::string_view WineventParser::InMessage(const char* p, size_t n) const {
  // simdjson hands out pointers into json_text_ (maybe padded_); the same bytes
  // sit at the same offset of the caller's message, where our views must point.
  return message_.substr(static_cast<size_t>(p - json_text_), n);
}

bool WineventParser::PaddingIsReadable(std::string_view message) {
  if (kSanitizedBuild) return false;  // the sanitizers would report the read past the end
  // Memory is mapped in whole pages (4 KiB at least), so the bytes after the
  // message up to the end of its last page can be read.
  constexpr uintptr_t kPage = 4096;
  const auto last = reinterpret_cast<uintptr_t>(message.data() + message.size() - 1);
  return last / kPage == (last + simdjson::SIMDJSON_PADDING) / kPage;
}

void WineventParser::Parse(std::string_view message, const SourcePosition& position,
                           EventHandler& out) {
  if (message.size() > kMaxMessageBytes) {
    out.OnError(ParseError::kTooLong, message, position);
    return;
  }
  // Only a message that starts with a blank can be blank. Testing its first
  // byte before Trim() leaves the end of the message (a cache miss) to be
  // reached when simdjson streams through it.
  if (message.empty() || (Trim(message.substr(0, 1)).empty() && Trim(message).empty())) {
    out.OnError(ParseError::kEmpty, message, position);
    return;
  }
  // simdjson reads up to SIMDJSON_PADDING bytes past the end of its input
  // (their content does not matter). Parse the message where it is when those
  // bytes are readable; copy it otherwise.
  if (PaddingIsReadable(message)) {
    json_text_ = message.data();
  } else {
    const size_t padded_size = message.size() + simdjson::SIMDJSON_PADDING;
    if (padded_.size() < padded_size) padded_.resize(padded_size);
    std::memcpy(padded_.data(), message.data(), message.size());
    std::memset(padded_.data() + message.size(), 0, simdjson::SIMDJSON_PADDING);
    json_text_ = padded_.data();
  }
  message_ = message;

  arena_.Reset();
  event_.Clear();
  event_.stream = Stream::kWinevent;
  event_.raw = message;
  event_.position = position;
  data_mask_ = 0;
  key_bloom_ = {};
  id_ = {};
  id_fallback_ = {};
  channel_ = provider_ = host_ = computer_ = {};
  message_text_ = {};
  unnamed_count_ = 0;
  for (auto& t : time_) t = {};

  od::document doc;
  error_code error =
      json_.iterate(json_text_, message.size(), message.size() + simdjson::SIMDJSON_PADDING)
          .get(doc);
  od::object top;
  if (!error) {
    od::json_type type;
    error = doc.type().get(type);
    if (!error && type != od::json_type::object) {
      out.OnError(
          IsWellFormedNonObject(type, message) ? ParseError::kUnsupported : ParseError::kBadJson,
          message, position);
      return;
    }
  }
  if (!error) error = doc.get_object().get(top);
  if (!error) error = WalkTop(top);
  if (!error) {
    // Anything after the top-level object is not one event.
    const char* trailing = nullptr;
    if (doc.current_location().get(trailing) == simdjson::SUCCESS)
      error = simdjson::TRAILING_CONTENT;
  }
  if (error) {
    ParseError reason = JsonParseError(error);
    // One bad byte or lone surrogate (Windows strings may hold one) hid the
    // whole event, a process creation from every rule: read once more with
    // them replaced by U+FFFD.
    if (reason == ParseError::kBadEncoding && !repairing_ && RepairJsonText(message, &repaired_)) {
      repairing_ = true;
      Parse(repaired_, position, out);
      repairing_ = false;
      return;
    }
    // simdjson reports "ended early" whenever the last structural character
    // does not close the document; tell real truncation from trailing text.
    if (reason == ParseError::kTruncated) {
      JsonSplitResult split = SplitJsonObjects(message);
      if (!split.objects.empty()) reason = ParseError::kBadJson;
    }
    out.OnError(reason, message, position);
    return;
  }

  const IdCandidate& id = id_.present ? id_ : id_fallback_;
  if (!id.present) {
    out.OnError(ParseError::kMissingField, message, position);
    return;
  }
  auto event_id = id.wrong_type ? std::nullopt : ParseInt(id.text);
  // Legacy providers put qualifiers in the high 16 bits; the id is the low 16.
  if (!event_id || *event_id < 0 || *event_id > 0xFFFFFFFFLL) {
    out.OnError(ParseError::kWrongType, message, position);
    return;
  }
  int64_t event_id_value = *event_id & 0xFFFF;
  std::string_view id_text = id.text;
  if (event_id_value != *event_id || (id_text.size() > 1 && id_text[0] == '0')) {
    char* buf = arena_.Allocate(8);
    auto res = std::to_chars(buf, buf + 8, event_id_value);
    id_text = std::string_view(buf, static_cast<size_t>(res.ptr - buf));
  }
  AddExtra("winlog.event_id", id_text);
  Normalize(event_id_value);
  out.OnEvent(event_);
}

[[gnu::always_inline]] inline error_code WineventParser::Key(od::field& field,
                                                             std::string_view* key,
                                                             std::string_view* token) {
  const char* begin = field.key().raw();
  // The value's token starts after `"key" :`; walk back to the closing quote.
  std::string_view value_token = field.value().raw_json_token();
  if (token != nullptr) *token = value_token;
  const char* p = value_token.data();
  do --p;
  while (p > begin && IsJsonSpace(*p));
  if (p <= begin || *p != ':') return simdjson::TAPE_ERROR;
  do --p;
  while (p >= begin && IsJsonSpace(*p));
  if (p < begin || *p != '"') return simdjson::TAPE_ERROR;
  size_t n = static_cast<size_t>(p - begin);
  if (HasBackslash(begin, n)) return Unescape(begin, n, key);
  *key = InMessage(begin, n);
  return simdjson::SUCCESS;
}

template <typename Fn>
error_code WineventParser::ForEachField(od::object object, Fn&& fn) {
  for (auto item : object) {
    if (error_code e = item.error()) return e;
    // A reference, not a copy: copying a field costs a store-forwarding stall.
    od::field&& field = std::move(item).value_unsafe();
    std::string_view key;
    if (error_code e = Key(field, &key)) return e;
    if (error_code e = fn(key, field.value())) return e;
  }
  return simdjson::SUCCESS;
}

std::string_view WineventParser::DecodeDeferred(void* parser, std::string_view encoded) {
  // ScanEscapes found only two-character escapes, so this cannot fail.
  Arena& arena = static_cast<WineventParser*>(parser)->arena_;
  const size_t cap = encoded.size() + simdjson::SIMDJSON_PADDING;
  char* dst = arena.Allocate(cap);
  size_t len = 0;
  UnescapeSimple(encoded.data(), encoded.size(), dst, &len);
  arena.Shrink(cap - len);
  return {dst, len};
}

error_code WineventParser::Unescape(const char* raw_after_quote, size_t escaped_len,
                                    std::string_view* out) {
  const size_t cap = escaped_len + simdjson::SIMDJSON_PADDING;
  char* dst = arena_.Allocate(cap);
  size_t fast_len = 0;
  switch (UnescapeSimple(raw_after_quote, escaped_len, dst, &fast_len)) {
    case SimpleUnescape::kDone:
      arena_.Shrink(cap - fast_len);
      *out = std::string_view(dst, fast_len);
      return simdjson::SUCCESS;
    case SimpleUnescape::kBadEscape:
      arena_.Shrink(cap);
      return simdjson::STRING_ERROR;
    case SimpleUnescape::kUnicode:
      break;  // \u escapes (surrogate pairs, ...) are left to simdjson
  }
  auto* cursor = reinterpret_cast<uint8_t*>(dst);
  std::string_view text;
  error_code error =
      json_.unescape(od::raw_json_string(reinterpret_cast<const uint8_t*>(raw_after_quote)), cursor)
          .get(text);
  if (error) {
    arena_.Shrink(cap);
    return error;
  }
  arena_.Shrink(cap - text.size());
  *out = text;
  return simdjson::SUCCESS;
}

[[gnu::always_inline]] inline error_code WineventParser::ReadScalarToken(
    std::string_view token, Scalar* scalar, bool* is_scalar, bool* is_null, bool defer_unescaping) {
  *is_scalar = true;
  *is_null = false;
  if (token.empty()) return simdjson::TAPE_ERROR;
  switch (token[0]) {
    case '"': {
      token = TrimJsonRight(token);
      if (token.size() < 2 || token.back() != '"') return simdjson::UNCLOSED_STRING;
      const char* inner = token.data() + 1;
      size_t n = token.size() - 2;
      scalar->is_string = true;
      if (defer_unescaping) {
        switch (ScanEscapes(inner, n)) {
          case EscapeScan::kNone:
            break;
          case EscapeScan::kSimple:
            scalar->text = std::string_view(inner, n);  // padded, for UnescapeSimple
            scalar->encoded = true;
            return simdjson::SUCCESS;
          case EscapeScan::kUnicode:
            return Unescape(inner, n, &scalar->text);
          case EscapeScan::kBadEscape:
            return simdjson::STRING_ERROR;
        }
      } else if (HasBackslash(inner, n)) {
        return Unescape(inner, n, &scalar->text);
      }
      scalar->text = InMessage(inner, n);
      return simdjson::SUCCESS;
    }
    case '{':
    case '[':
      *is_scalar = false;
      return simdjson::SUCCESS;
    case 't':
      token = TrimJsonRight(token);
      if (token != "true") return simdjson::T_ATOM_ERROR;
      break;
    case 'f':
      token = TrimJsonRight(token);
      if (token != "false") return simdjson::F_ATOM_ERROR;
      break;
    case 'n':
      token = TrimJsonRight(token);
      if (token != "null") return simdjson::N_ATOM_ERROR;
      *is_null = true;
      break;
    default:
      token = TrimJsonRight(token);
      if (!IsNumberToken(token)) return simdjson::NUMBER_ERROR;
      break;
  }
  scalar->is_string = false;
  scalar->text = InMessage(token.data(), token.size());
  return simdjson::SUCCESS;
}

// Top level: flat shapes (NXLog, Sentinel) keep everything here; Winlogbeat and
// evtx_dump nest their parts in objects, recognized by name.
error_code WineventParser::WalkTop(od::object object) {
  for (auto item : object) {
    if (error_code e = item.error()) return e;
    // A reference, not a copy: copying a field costs a store-forwarding stall.
    od::field&& field = std::move(item).value_unsafe();
    std::string_view key, token;
    if (error_code e = Key(field, &key, &token)) return e;
    od::value value = field.value();
    const WinField f = LookupWinField(key);
    Scalar scalar;
    bool is_scalar, is_null;
    if (error_code e = ReadScalarToken(token, &scalar, &is_scalar, &is_null,
                                       /*defer_unescaping=*/f == WinField::kMessage)) {
      return e;
    }
    if (!is_scalar || is_null) {
      if (key == "EventID" && !id_.present) id_ = {{}, true, true};
      if (is_null) continue;
      od::object child;
      if (value.get_object().get(child) != simdjson::SUCCESS) continue;  // an array: skipped
      error_code e = simdjson::SUCCESS;
      if (key == "winlog") {
        e = WalkWinlog(child);
      } else if (key == "Event") {
        e = WalkEvtxEvent(child);
      } else if (key == "host") {
        e = WalkHost(child);
      } else if (key == "event") {
        e = WalkEcsEvent(child);
      }
      if (e) return e;
      continue;
    }
    if (IsEnvelope(f)) {
      OnEnvelope(f, scalar);
    } else {
      OnData(key, f, scalar);
    }
  }
  return simdjson::SUCCESS;
}

// EventData / UserData / winlog.event_data: every scalar is event data. UserData
// wraps its fields in one more object (e.g. LogFileCleared), hence the depth.
error_code WineventParser::WalkData(od::object object, int depth) {
  for (auto item : object) {
    if (error_code e = item.error()) return e;
    // A reference, not a copy: copying a field costs a store-forwarding stall.
    od::field&& field = std::move(item).value_unsafe();
    std::string_view key, token;
    if (error_code e = Key(field, &key, &token)) return e;
    od::value value = field.value();
    Scalar scalar;
    bool is_scalar, is_null;
    if (error_code e = ReadScalarToken(token, &scalar, &is_scalar, &is_null)) return e;
    if (is_null) continue;
    if (key == "Data") {
      // <Data> elements: an array of them, or a single one.
      od::array items;
      if (value.get_array().get(items) == simdjson::SUCCESS) {
        if (error_code e = WalkDataArray(items)) return e;
      } else if (error_code e = WalkDataElement(value)) {
        return e;
      }
      continue;
    }
    if (!is_scalar) {
      od::object child;
      if (depth < 2 && key != "#attributes" && value.get_object().get(child) == simdjson::SUCCESS) {
        if (error_code e = WalkData(child, depth + 1)) return e;
      }
      continue;
    }
    OnData(key, LookupWinField(key), scalar);
  }
  return simdjson::SUCCESS;
}

error_code WineventParser::WalkDataArray(od::array items) {
  for (auto element : items) {
    od::value value;
    if (error_code e = element.get(value)) return e;
    if (error_code e = WalkDataElement(value)) return e;
  }
  return simdjson::SUCCESS;
}

error_code WineventParser::WalkDataElement(od::value& element) {
  Scalar scalar;
  bool is_scalar, is_null;
  if (error_code e = ReadScalar(element, &scalar, &is_scalar, &is_null)) return e;
  if (is_null) return simdjson::SUCCESS;
  if (is_scalar) {
    OnUnnamedData(scalar.text);
    return simdjson::SUCCESS;
  }
  od::object object;
  if (element.get_object().get(object) != simdjson::SUCCESS) return simdjson::SUCCESS;
  Scalar name, text;
  bool named = false, valued = false;
  error_code e = ForEachField(object, [&](std::string_view key, od::value value) {
    Scalar scalar;
    bool is_scalar, is_null;
    if (error_code e = ReadScalar(value, &scalar, &is_scalar, &is_null)) return e;
    if (is_null) return simdjson::SUCCESS;
    if (!is_scalar) {
      // evtx_dump: the unnamed <Data> of an event as {"#text": ["v1", "v2"]}.
      od::array texts;
      if (key == "#text" && value.get_array().get(texts) == simdjson::SUCCESS) {
        for (auto item : texts) {
          od::value v;
          if (error_code e = item.get(v)) return e;
          Scalar t;
          bool t_scalar, t_null;
          if (error_code e = ReadScalar(v, &t, &t_scalar, &t_null)) return e;
          if (t_scalar && !t_null) OnUnnamedData(t.text);
        }
        return simdjson::SUCCESS;
      }
      od::object attributes;
      if (key != "#attributes" || value.get_object().get(attributes) != simdjson::SUCCESS) {
        return simdjson::SUCCESS;
      }
      return ForEachField(attributes, [&](std::string_view akey, od::value avalue) {
        Scalar a;
        bool a_scalar, a_null;
        if (error_code e = ReadScalar(avalue, &a, &a_scalar, &a_null)) return e;
        if (akey == "Name" && a_scalar && !a_null && a.is_string) {
          name = a;
          named = true;
        }
        return simdjson::SUCCESS;
      });
    }
    if ((key == "@Name" || key == "Name") && scalar.is_string) {
      name = scalar;
      named = true;
    } else if (key == "#text" || key == "Value") {
      text = scalar;
      valued = true;
    }
    return simdjson::SUCCESS;
  });
  if (e) return e;
  if (named && valued && !name.text.empty()) {
    OnData(name.text, LookupWinField(name.text), text);
  } else if (!named && valued) {
    OnUnnamedData(text.text);
  }
  return simdjson::SUCCESS;
}

void WineventParser::OnUnnamedData(std::string_view value) {
  if (unnamed_count_ < unnamed_.size()) unnamed_[unnamed_count_++] = value;
}

// Unnamed <Data> values become param1..N, as Winlogbeat names them, and Data,
// all of them joined by '\n': Sigma's classic PowerShell rules match
// "Data|contains" against the whole event data.
void WineventParser::AddUnnamedData() {
  if (unnamed_count_ == 0) return;
  // "param1".."paramN" once for the process (views into static storage).
  static const auto kParamNames = [] {
    std::array<std::string, kMaxUnnamedData> names;
    for (size_t i = 0; i < names.size(); ++i) names[i] = "param" + std::to_string(i + 1);
    return names;
  }();
  size_t joined = unnamed_count_ - 1;
  for (size_t i = 0; i < unnamed_count_; ++i) {
    joined += unnamed_[i].size();
    AddExtra(kParamNames[i], unnamed_[i]);
  }
  if (unnamed_count_ == 1) {
    AddExtra("Data", unnamed_[0]);
    return;
  }
  char* out = arena_.Allocate(joined);
  char* p = out;
  for (size_t i = 0; i < unnamed_count_; ++i) {
    if (i > 0) *p++ = '\n';
    if (!unnamed_[i].empty()) std::memcpy(p, unnamed_[i].data(), unnamed_[i].size());
    p += unnamed_[i].size();
  }
  AddExtra("Data", {out, joined});
}

error_code WineventParser::WalkEvtxEvent(od::object object) {
  return ForEachField(object, [&](std::string_view key, od::value value) {
    od::object child;
    if (value.get_object().get(child) != simdjson::SUCCESS) return simdjson::SUCCESS;
    if (key == "System") return WalkEvtxSystem(child);
    if (key == "EventData" || key == "UserData") return WalkData(child, 0);
    return simdjson::SUCCESS;
  });
}

// evtx_dump System: scalars, plus values wrapped as {"#text": v} or carried in
// {"#attributes": {...}}.
error_code WineventParser::WalkEvtxSystem(od::object object) {
  for (auto item : object) {
    if (error_code e = item.error()) return e;
    // A reference, not a copy: copying a field costs a store-forwarding stall.
    od::field&& field = std::move(item).value_unsafe();
    std::string_view key;
    if (error_code e = Key(field, &key)) return e;
    od::value value = field.value();
    Scalar scalar;
    bool is_scalar, is_null;
    if (error_code e = ReadScalar(value, &scalar, &is_scalar, &is_null)) return e;
    if (is_null) {
      if (key == "EventID" && !id_.present) id_ = {{}, true, true};
      continue;
    }
    if (is_scalar) {
      if (key == "EventID") {
        OnEnvelope(WinField::kEventId, scalar);
      } else if (key == "Channel") {
        OnEnvelope(WinField::kChannel, scalar);
      } else if (key == "Computer") {
        OnEnvelope(WinField::kComputer, scalar);
      }
      continue;
    }
    // {"#text": 4688, "#attributes": {"Qualifiers": ...}}, {"#attributes": {"SystemTime": ...}},
    // {"#attributes": {"Name": ...}}; xmltodict writes the attributes as
    // "@SystemTime", "@Name" next to "#text".
    const bool is_id = key == "EventID", is_time = key == "TimeCreated",
               is_provider = key == "Provider";
    auto on_attribute = [&](std::string_view name, const Scalar& v) {
      if (is_time && name == "SystemTime") {
        OnEnvelope(WinField::kTimeCreated, v);
      } else if (is_provider && name == "Name") {
        OnEnvelope(WinField::kProviderName, v);
      }
    };
    od::object child;
    if (!(is_id || is_time || is_provider) || value.get_object().get(child) != simdjson::SUCCESS) {
      if (is_id && !id_.present) id_ = {{}, true, true};
      continue;
    }
    bool id_found = false;
    for (auto inner_item : child) {
      od::field inner;
      if (error_code e = std::move(inner_item).get(inner)) return e;
      std::string_view inner_key;
      if (error_code e = Key(inner, &inner_key)) return e;
      od::value inner_value = inner.value();
      if (is_id && inner_key == "#text") {
        if (error_code e = ReadScalar(inner_value, &scalar, &is_scalar, &is_null)) return e;
        if (is_scalar && !is_null) {
          OnEnvelope(WinField::kEventId, scalar);
          id_found = true;
        }
        continue;
      }
      if (inner_key.starts_with('@')) {
        if (error_code e = ReadScalar(inner_value, &scalar, &is_scalar, &is_null)) return e;
        if (is_scalar && !is_null) on_attribute(inner_key.substr(1), scalar);
        continue;
      }
      od::object attributes;
      if (inner_key != "#attributes" || inner_value.get_object().get(attributes)) continue;
      for (auto attr_item : attributes) {
        od::field attr;
        if (error_code e = std::move(attr_item).get(attr)) return e;
        std::string_view attr_key;
        if (error_code e = Key(attr, &attr_key)) return e;
        od::value attr_value = attr.value();
        if (error_code e = ReadScalar(attr_value, &scalar, &is_scalar, &is_null)) return e;
        if (is_scalar && !is_null) on_attribute(attr_key, scalar);
      }
    }
    if (is_id && !id_found && !id_.present) id_ = {{}, true, true};
  }
  return simdjson::SUCCESS;
}

error_code WineventParser::WalkWinlog(od::object object) {
  for (auto item : object) {
    if (error_code e = item.error()) return e;
    // A reference, not a copy: copying a field costs a store-forwarding stall.
    od::field&& field = std::move(item).value_unsafe();
    std::string_view key;
    if (error_code e = Key(field, &key)) return e;
    od::value value = field.value();
    Scalar scalar;
    bool is_scalar, is_null;
    if (error_code e = ReadScalar(value, &scalar, &is_scalar, &is_null)) return e;
    if (!is_scalar) {
      od::object child;
      if ((key == "event_data" || key == "user_data") &&
          value.get_object().get(child) == simdjson::SUCCESS) {
        if (error_code e = WalkData(child, 0)) return e;
      } else if (key == "event_id" && !id_.present) {
        id_ = {{}, true, true};
      }
      continue;
    }
    if (key == "event_id") {
      if (is_null) {
        if (!id_.present) id_ = {{}, true, true};
      } else {
        OnEnvelope(WinField::kEventId, scalar);
      }
    } else if (is_null) {
      continue;
    } else if (key == "channel") {
      OnEnvelope(WinField::kChannel, scalar);
    } else if (key == "computer_name") {
      OnEnvelope(WinField::kComputer, scalar);
    } else if (key == "provider_name") {
      OnEnvelope(WinField::kProviderName, scalar);
    }
  }
  return simdjson::SUCCESS;
}

error_code WineventParser::WalkHost(od::object object) {
  return ForEachField(object, [&](std::string_view key, od::value value) {
    if (key != "name") return simdjson::SUCCESS;
    Scalar scalar;
    bool is_scalar, is_null;
    if (error_code e = ReadScalar(value, &scalar, &is_scalar, &is_null)) return e;
    if (is_scalar && !is_null && scalar.is_string) OnEnvelope(WinField::kHostname, scalar);
    return simdjson::SUCCESS;
  });
}

error_code WineventParser::WalkEcsEvent(od::object object) {
  return ForEachField(object, [&](std::string_view key, od::value value) {
    if (key != "code") return simdjson::SUCCESS;
    Scalar scalar;
    bool is_scalar, is_null;
    if (error_code e = ReadScalar(value, &scalar, &is_scalar, &is_null)) return e;
    if (!id_fallback_.present) id_fallback_ = {scalar.text, true, !is_scalar || is_null};
    return simdjson::SUCCESS;
  });
}

void WineventParser::OnEnvelope(WinField field, const Scalar& value) {
  std::string_view v = value.text;
  switch (field) {
    case WinField::kEventId:
      if (!id_.present) id_ = {v, true, false};
      break;
    case WinField::kChannel:
      if (channel_.empty()) channel_ = v;
      break;
    case WinField::kHostname:
      if (host_.empty()) host_ = v;
      break;
    case WinField::kComputer:
      if (computer_.empty()) computer_ = v;
      break;
    case WinField::kTimeCreated:
      if (time_[kTimeCreatedSlot].empty()) time_[kTimeCreatedSlot] = v;
      break;
    case WinField::kTimeGenerated:
      if (time_[kTimeGeneratedSlot].empty()) time_[kTimeGeneratedSlot] = v;
      break;
    case WinField::kAtTimestamp:
      if (time_[kAtTimestampSlot].empty()) time_[kAtTimestampSlot] = v;
      break;
    case WinField::kEventTime:
      if (time_[kEventTimeSlot].empty()) time_[kEventTimeSlot] = v;
      break;
    case WinField::kMessage:
      if (message_text_.empty()) {
        message_text_ =
            value.encoded ? LazyText(v, &WineventParser::DecodeDeferred, this) : LazyText(v);
      }
      break;
    case WinField::kProviderName:
      if (provider_.empty()) provider_ = v;
      break;
    default:
      break;
  }
}

[[gnu::always_inline]] inline void WineventParser::OnData(std::string_view key, WinField f,
                                                          const Scalar& value) {
  if (f != WinField::kUnknown && !IsEnvelope(f)) {
    int i = static_cast<int>(f) - static_cast<int>(WinField::kFirstData);
    uint64_t bit = uint64_t{1} << i;
    if (!(data_mask_ & bit)) {
      data_mask_ |= bit;
      data_[static_cast<size_t>(i)] = value.text;
    }
  }
  AddExtra(key, value.text);
}

const ExtraField* WineventParser::FindExtra(std::string_view key) const {
  for (const auto& f : event_.extras) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

[[gnu::always_inline]] inline std::string_view WineventParser::AddExtra(std::string_view key,
                                                                        std::string_view value) {
  // Keys are unique per event (first wins); the filter makes the check free
  // for the common case of a key not seen before.
  size_t bit = KeyBit(key);
  uint64_t& word = key_bloom_[bit >> 6];
  uint64_t mask = uint64_t{1} << (bit & 63);
  if (word & mask) {
    if (const ExtraField* kept = FindExtra(key)) return kept->value;
  }
  word |= mask;
  // Filled in place: pushing a temporary ExtraField made the compiler reload
  // it with wide loads right after narrow stores (a store-forwarding stall).
  ExtraField& field = event_.extras.emplace_back();
  field.key = key;
  field.value = value;
  return value;
}

std::string_view WineventParser::JoinUser(std::string_view domain, std::string_view user) {
  if (IsDash(user)) return {};
  if (IsDash(domain)) return user;
  char* p = arena_.Allocate(domain.size() + 1 + user.size());
  std::memcpy(p, domain.data(), domain.size());
  p[domain.size()] = '\\';
  std::memcpy(p + domain.size() + 1, user.data(), user.size());
  return {p, domain.size() + 1 + user.size()};
}

void WineventParser::Normalize(int64_t id) {
  using F = WinField;
  Event& e = event_;
  e.program = channel_;
  // With Windows Event Forwarding, host.name / Hostname is the collector
  // that shipped the record and Computer the machine that logged it.
  e.host = !computer_.empty() ? computer_ : host_;
  e.message = message_text_;
  if (!provider_.empty()) AddExtra("winlog.provider_name", provider_);
  AddUnnamedData();

  time_[kUtcTimeSlot] = Data(F::kUtcTime);
  for (int slot = 0; slot < kTimeSlots && e.timestamp_ns == 0; ++slot) {
    if (time_[slot].empty()) continue;
    int32_t offset = slot == kUtcTimeSlot ? 0 : options_.default_utc_offset_seconds;
    if (auto ns = ParseRfc3339(time_[slot], offset)) e.timestamp_ns = *ns;
  }

  const bool sysmon = ContainsNoCase(channel_, "sysmon") || ContainsNoCase(provider_, "sysmon");
  const bool security = channel_.empty() || EqualsNoCase(channel_, "Security");
  const bool system = channel_.empty() || EqualsNoCase(channel_, "System");
  const std::string_view subject = JoinUser(Data(F::kSubjectDomainName), Data(F::kSubjectUserName));
  const std::string_view target = JoinUser(Data(F::kTargetDomainName), Data(F::kTargetUserName));

  // What most kinds share: the acting process and account, where present.
  ProcessInfo& p = e.process;
  const std::string_view exe = !Data(F::kImage).empty() ? Data(F::kImage) : Data(F::kProcessName);
  // "-" is Windows' "none" (a network logon's 4624: ProcessName "-",
  // ProcessId 0x0), not a program, as for the other fields (IsDash).
  p.executable = IsDash(exe) ? std::string_view() : exe;
  p.command_line = Data(F::kCommandLine);
  p.pid = ParsePid(Data(F::kProcessId));
  if (exe == "-" && p.pid == 0) p.pid = -1;
  if (!Data(F::kUser).empty()) {
    p.user = Data(F::kUser);
  } else if (!subject.empty()) {
    p.user = subject;
  } else {
    p.user = Data(F::kAccount);
  }
  p.logon_id = !Data(F::kLogonId).empty() ? Data(F::kLogonId) : Data(F::kSubjectLogonId);

  if (sysmon) {
    switch (id) {
      case 1: {
        e.kind = EventKind::kProcessStart;
        p.parent_executable = Data(F::kParentImage);
        p.parent_command_line = Data(F::kParentCommandLine);
        p.ppid = ParsePid(Data(F::kParentProcessId));
        p.cwd = Data(F::kCurrentDirectory);
        if (!Data(F::kIntegrityLevel).empty()) {
          AddExtra("process.integrity_level", Data(F::kIntegrityLevel));
        }
        // "SHA1=..,MD5=..,SHA256=..,IMPHASH=.."
        std::string_view hashes = Data(F::kHashes);
        unsigned algs_seen = 0;  // bit per slot of `p.hashes` filled: once per algorithm
        size_t slots = 0;
        while (!hashes.empty()) {
          size_t comma = hashes.find(',');
          std::string_view item = hashes.substr(0, comma);
          hashes = comma == std::string_view::npos ? std::string_view() : hashes.substr(comma + 1);
          size_t eq = item.find('=');
          if (eq == std::string_view::npos) continue;
          std::string_view alg = Trim(item.substr(0, eq)), value = Trim(item.substr(eq + 1));
          if (value.empty()) continue;
          unsigned bit = 0;
          std::string_view kept;
          if (EqualsNoCase(alg, "MD5")) {
            bit = 1;
            kept = AddExtra("process.hash.md5", value);
          } else if (EqualsNoCase(alg, "SHA1")) {
            bit = 2;
            kept = AddExtra("process.hash.sha1", value);
          } else if (EqualsNoCase(alg, "SHA256")) {
            bit = 4;
            kept = AddExtra("process.hash.sha256", value);
          } else if (EqualsNoCase(alg, "IMPHASH")) {
            AddExtra("process.pe.imphash", value);
          }
          if (bit != 0 && !(algs_seen & bit)) {
            algs_seen |= bit;
            p.hashes[slots++] = kept;
          }
        }
        break;
      }
      case 3: {
        e.kind = EventKind::kNetwork;
        NetworkInfo& n = e.network;
        n.source_ip = Data(F::kSourceIp);
        n.source_port = ParsePort(Data(F::kSourcePort));
        n.destination_ip = Data(F::kDestinationIp);
        n.destination_port = ParsePort(Data(F::kDestinationPort));
        n.protocol = Data(F::kProtocol);
        break;
      }
      case 22:
        e.kind = EventKind::kDnsQuery;
        if (!Data(F::kQueryName).empty()) {
          e.dns_query = AddExtra("dns.question.name", Data(F::kQueryName));
        }
        break;
      default:
        break;
    }
    return;
  }

  if (security) {
    switch (id) {
      case 4688: {
        e.kind = EventKind::kProcessStart;
        // The creator is the subject; ProcessId is the creator's (parent's) id.
        p.executable = Data(F::kNewProcessName);
        p.pid = ParsePid(Data(F::kNewProcessId));
        p.ppid = ParsePid(Data(F::kProcessId));
        p.parent_executable = Data(F::kParentProcessName);
        p.parent_command_line = Data(F::kParentCommandLine);
        p.user = !subject.empty() ? subject : Data(F::kAccount);
        p.logon_id = Data(F::kSubjectLogonId);
        std::string_view integrity = IntegrityFromLabel(Data(F::kMandatoryLabel));
        if (!integrity.empty()) AddExtra("process.integrity_level", integrity);
        return;
      }
      case 4624:
      case 4625:
      case 4648:
      case 4672:
      case 4634:
      case 4647: {
        e.kind = (id == 4634 || id == 4647) ? EventKind::kLogoff : EventKind::kLogon;
        LogonInfo& l = e.logon;
        l.user = id == 4672 ? subject : target;
        if (l.user.empty()) l.user = id == 4672 ? Data(F::kAccount) : std::string_view();
        l.result = id == 4625 ? LogonResult::kFailure : LogonResult::kSuccess;
        l.method = LogonTypeName(Data(F::kLogonType));
        if (!IsDash(Data(F::kIpAddress))) l.source_ip = Data(F::kIpAddress);
        if (!IsDash(Data(F::kWorkstationName))) {
          AddExtra("source.domain", Data(F::kWorkstationName));
        }
        if (id != 4672 && id != 4648 && !Data(F::kTargetLogonId).empty()) {
          p.logon_id = Data(F::kTargetLogonId);
        }
        p.user = subject.empty() ? p.user : subject;
        return;
      }
      case 4720:
      case 4722:
      case 4724:
      case 4738:
      case 4728:
      case 4732: {
        e.kind = EventKind::kAccountChange;
        p.user = subject;
        p.logon_id = Data(F::kSubjectLogonId);
        if (id == 4728 || id == 4732) {
          if (!Data(F::kTargetUserName).empty()) AddExtra("group.name", Data(F::kTargetUserName));
          std::string_view member =
              !IsDash(Data(F::kMemberName)) ? Data(F::kMemberName) : Data(F::kMemberSid);
          if (!IsDash(member)) AddExtra("user.target.name", member);
        } else if (!target.empty()) {
          AddExtra("user.target.name", target);
        }
        return;
      }
      case 4697:
        e.kind = EventKind::kServiceInstall;
        p.command_line = Data(F::kServiceFileName);
        if (!Data(F::kServiceName).empty()) AddExtra("service.name", Data(F::kServiceName));
        return;
      case 1102:
        e.kind = EventKind::kLogCleared;
        return;
      default:
        break;
    }
  }
  if (system) {
    switch (id) {
      case 7045:
        e.kind = EventKind::kServiceInstall;
        p.command_line = Data(F::kImagePath);
        if (!Data(F::kServiceName).empty()) AddExtra("service.name", Data(F::kServiceName));
        return;
      case 104:
        e.kind = EventKind::kLogCleared;
        return;
      default:
        break;
    }
  }
}

}  // namespace loghunt
