#include "detectors/ioc/ioc_extractor.h"

#include <arpa/inet.h>
#include <hs/hs.h>
#include <libpsl.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "core/hs_scan.h"

namespace loghunt {
namespace {

// Trigger ids. A trigger says "an indicator of some kind may be around this
// end offset"; the parsers below decide.
enum TriggerId : uint16_t {
  kTDot,            // label char '.' label char
  kTDefDot,         // [.] (.) {.} [dot] (dot) [. .]
  kTUrl,            // ://
  kTUrlBracket,     // [:]//  or [://]
  kTUrlBackslash,   // :\\  (http:\\host)
  kTUrlUnderscore,  // :__ or x__ (http__host)
  kTHex,            // 32 hex digits
  kTV6,             // h:h: or ::
  kTDrive,          // drive root "X:\"
  kTUnc,            // \\server
  kTRelWin,         // ".\" or "..\"
  kTEnvWin,         // %\ (end of %VAR%\)
  kTSlash,          // /x
  kTFang,           // a defang spelling the parsers do not read: fang the text first
};

struct PatternSpec {
  const char* expression;
  TriggerId id;
  unsigned flags;
  bool defanged_only;
};

constexpr PatternSpec kPatterns[] = {
    {"[A-Za-z0-9-]\\.[A-Za-z0-9]", kTDot, 0, false},
    {"\\[\\.\\]|\\(\\.\\)|\\{\\.\\}|\\[dot\\]|\\(dot\\)|\\[\\.|\\.\\]", kTDefDot, HS_FLAG_CASELESS,
     true},
    {"://", kTUrl, 0, false},
    {"\\[:\\]//|\\[://\\]", kTUrlBracket, 0, true},
    {":\\\\\\\\", kTUrlBackslash, 0, true},
    {"[A-Za-z:]__", kTUrlUnderscore, 0, true},
    {"[0-9A-Fa-f]{32}", kTHex, 0, false},
    {"[0-9A-Fa-f]:[0-9A-Fa-f]{0,4}:|::", kTV6, 0, false},
    {"[A-Za-z]:\\\\", kTDrive, 0, false},
    {"\\\\\\\\[A-Za-z0-9_.$-]", kTUnc, 0, false},
    {"\\.\\\\", kTRelWin, 0, false},
    {"%\\\\", kTEnvWin, 0, false},
    {"/[A-Za-z0-9._~-]", kTSlash, 0, false},
    // Spellings that FangInto() rewrites (defanged mode only; one match is
    // enough). Mostly literals, which Hyperscan scans for cheaply.
    {"\\[\\.|\\(\\.|\\{\\.|\\.\\]|\\.\\)|\\.\\}|\\[ \\.|\\( \\.|\\. \\]|\\. \\)|\\[\\[|\\(\\(|"
     "\\[dot|\\(dot|\\{dot|dot\\]|dot\\)|dot\\}|\\[ dot|dot \\]|punkt|punto|arroba|"
     "\\[at\\]|\\(at\\)|\\{at\\}|\\[et|\\(et|\\{et|\\[ at |\\( at "
     "|\\[@|\\(@|\\{@|@\\]|@\\)|\\[,|\\(,|,\\]|,\\)|"
     "\\[:\\]|\\[/|\\(/\\)|\\{/|\\[-\\]|\\\\\\.|\\\\/|\\\\\\(|\\\\\\[|\\\\\\{|-dot-| dot "
     "|\\^\\.|%2e|"
     ":// |://\\t|:///|http//|https//|ftp//|ftx:|xxxx|http\\]|http\\)|https\\]|https\\)|"
     "\\(http|\\[http|http :|https :|%3a%2f%2f|<\\.>|\\[www\\]\\.|\\(www\\)\\.",
     kTFang, HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH, true},
    {" AT | at |/DOT/|/AT/|[\\[({][ \\t]+\\.|\\.[ \\t]+[\\])}]|[\\])}]\\.[\\[({\\])}]", kTFang,
     HS_FLAG_SINGLEMATCH, true},
    {"[A-Za-z0-9][ \\t]+\\.[ \\t]*[A-Za-z0-9]|[A-Za-z0-9._+-][ \\t]+@|@[ \\t]+[A-Za-z0-9]", kTFang,
     HS_FLAG_SINGLEMATCH, true},
};

enum CharBits : uint8_t {
  kLabel = 1,    // [A-Za-z0-9-]
  kHex = 2,      // [0-9A-Fa-f]
  kAlpha = 4,    // [A-Za-z]
  kDigit = 8,    // [0-9]
  kWord = 16,    // [A-Za-z0-9_]
  kLocal = 32,   // email local part
  kDefang = 64,  // [ ] ( ) { } (defanged separators)
};

constexpr std::array<uint8_t, 256> MakeTable() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    uint8_t b = 0;
    bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    bool digit = c >= '0' && c <= '9';
    if (alpha) b |= kAlpha | kLabel | kWord | kLocal;
    if (digit) b |= kDigit | kLabel | kWord | kLocal;
    if (c == '-') b |= kLabel | kLocal;
    if (c == '_') b |= kWord | kLocal;
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) b |= kHex;
    // Local parts as written in practice ([A-Za-z0-9._%+-]), not RFC 5322's
    // full set, which would swallow the "?target=" of a URL query.
    if (std::string_view(".%+").find(static_cast<char>(c)) != std::string_view::npos && c != 0) {
      b |= kLocal;
    }
    if (std::string_view("[](){}").find(static_cast<char>(c)) != std::string_view::npos && c != 0) {
      b |= kDefang;
    }
    t[static_cast<size_t>(c)] = b;
  }
  return t;
}
constexpr std::array<uint8_t, 256> kChars = MakeTable();

inline bool Is(char c, uint8_t bits) { return (kChars[static_cast<uint8_t>(c)] & bits) != 0; }
inline char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool StartsNoCase(std::string_view text, size_t at, std::string_view lit) {
  if (text.size() - at < lit.size() || at > text.size()) return false;
  for (size_t i = 0; i < lit.size(); ++i) {
    if (Lower(text[at + i]) != lit[i]) return false;
  }
  return true;
}

// Length of a domain separator at `at` ('.' or, in defanged mode, [.] (.)
// {.} [dot] (dot) [. .]); 0 when there is none. `*defanged` is set for the
// defanged spellings.
size_t SeparatorAt(std::string_view text, size_t at, bool defanged_mode, bool* defanged) {
  if (at >= text.size()) return 0;
  char c = text[at];
  if (c == '.') {
    if (defanged_mode && at + 1 < text.size() && text[at + 1] == ']') {
      *defanged = true;
      return 2;
    }
    return 1;
  }
  if (!defanged_mode) return 0;
  for (std::string_view sep : {"[.]", "(.)", "{.}", "[dot]", "(dot)", "[."}) {
    if (StartsNoCase(text, at, sep)) {
      *defanged = true;
      return sep.size();
    }
  }
  return 0;
}

constexpr std::string_view kUrlSchemes[] = {
    "http", "https", "ftp",  "ftps",  "sftp", "sftps", "telnet", "ldap", "ldaps",
    "file", "tcp",   "udp",  "ssh",   "smb",  "ws",    "wss",    "hxxp", "hxxps",
    "fxp",  "fxps",  "sfxp", "sfxps", "hxtp", "htxp",  "hxtps",  "htxps"};

// Extension-like ccTLDs/gTLDs that, as the only suffix of a two-label token,
// are far more often a file name than a domain in logs (script.py, a.sh).
constexpr std::string_view kFileTlds[] = {"py", "sh",  "pl",  "so", "md",
                                          "rs", "zip", "mov", "ps", "cs"};

bool IsUrlScheme(std::string_view scheme, bool defanged_mode, bool* defanged) {
  char low[8];
  if (scheme.size() > sizeof(low) || scheme.empty()) return false;
  for (size_t i = 0; i < scheme.size(); ++i) low[i] = Lower(scheme[i]);
  std::string_view s(low, scheme.size());
  for (size_t i = 0; i < std::size(kUrlSchemes); ++i) {
    if (s == kUrlSchemes[i]) {
      bool def = i >= 16;
      if (def && !defanged_mode) return false;
      *defanged = *defanged || def;
      return true;
    }
  }
  return false;
}

}  // namespace

// ---------------------------------------------------------------- IocPatterns

namespace {

bool IsPathTrigger(TriggerId id) {
  return id == kTDrive || id == kTUnc || id == kTRelWin || id == kTEnvWin || id == kTSlash;
}

// The defanged-only patterns (`all` false), or every trigger of a mode
// (`all`: the reference IocExtractor's byte scan is tested against).
hs_database* Compile(bool defanged, bool all) {
  std::vector<const char*> expressions;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;
  for (const PatternSpec& p : kPatterns) {
    if (p.defanged_only ? !defanged : !all) continue;
    expressions.push_back(p.expression);
    flags.push_back(p.flags);
    ids.push_back(p.id);
  }
  hs_database* db = nullptr;
  hs_compile_error_t* error = nullptr;
  if (hs_compile_multi(expressions.data(), flags.data(), ids.data(),
                       static_cast<unsigned>(expressions.size()), HS_MODE_BLOCK, nullptr, &db,
                       &error) != HS_SUCCESS) {
    std::string what = "ioc patterns: ";
    if (error != nullptr) {
      what += error->message;
      hs_free_compile_error(error);
    }
    throw std::runtime_error(what);
  }
  return db;
}

}  // namespace

IocPatterns::IocPatterns(const std::string& psl_path) {
  fang_db_ = Compile(true, false);
  std::vector<std::string> candidates;
  if (!psl_path.empty()) {
    candidates.push_back(psl_path);
  } else {
    // Debian's publicsuffix package; the .dafsa is the same list precompiled.
    candidates = {"/usr/share/publicsuffix/public_suffix_list.dafsa",
                  "/usr/share/publicsuffix/public_suffix_list.dat"};
  }
  for (const std::string& path : candidates) {
    psl_ = psl_load_file(path.c_str());
    if (psl_ != nullptr) {
      psl_source_ = path;
      break;
    }
  }
  if (psl_ == nullptr && psl_path.empty()) {
    psl_ = const_cast<psl_ctx_t*>(psl_builtin());
    psl_source_ = "built-in";
  }
  if (psl_ == nullptr) {
    hs_free_database(fang_db_);
    throw std::runtime_error("ioc patterns: cannot load public suffix list " + psl_path);
  }
}

IocPatterns::~IocPatterns() {
  hs_free_database(fang_db_);
  for (hs_database* db : reference_dbs_) hs_free_database(db);
  if (psl_source_ != "built-in") psl_free(psl_);
}

const hs_database* IocPatterns::reference_database(bool defanged) const {
  std::call_once(reference_once_, [this] {
    for (int defanged = 0; defanged < 2; ++defanged)
      reference_dbs_[defanged] = Compile(defanged, true);
  });
  return reference_dbs_[defanged];
}

std::shared_ptr<const IocPatterns> IocPatterns::Default() {
  static std::once_flag once;
  static std::shared_ptr<const IocPatterns> instance;
  std::call_once(once, [] { instance = std::make_shared<const IocPatterns>(); });
  return instance;
}

bool IocPatterns::IsPublicTld(std::string_view tld) const {
  char low[64];
  if (tld.empty() || tld.size() >= sizeof(low)) return false;
  for (size_t i = 0; i < tld.size(); ++i) low[i] = Lower(tld[i]);
  low[tld.size()] = '\0';
  return psl_is_public_suffix2(psl_, low, PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE) != 0;
}

// ---------------------------------------------------------------- Refang

namespace {

constexpr uint32_t kRewritten = 0x80000000u;  // FangInto map: this byte was rewritten

inline bool IsBlank(char c) { return c == ' ' || c == '\t'; }
inline bool IsOpener(char c) { return c == '[' || c == '(' || c == '{'; }
inline bool IsCloser(char c) { return c == ']' || c == ')' || c == '}'; }

// Schemes a defanged scheme spelling stands for ("hxxps" -> "https").
// Returns the plain scheme or "" when `word` is not a scheme spelling.
std::string_view FangScheme(std::string_view word) {
  char low[8];
  if (word.empty() || word.size() > sizeof(low)) return {};
  for (size_t i = 0; i < word.size(); ++i) low[i] = Lower(word[i]);
  std::string_view w(low, word.size());
  struct Pair {
    std::string_view from, to;
  };
  static constexpr Pair kSchemes[] = {
      {"http", "http"},   {"https", "https"}, {"ftp", "ftp"},       {"ftps", "ftps"},
      {"sftp", "sftp"},   {"sftps", "sftps"}, {"hxxp", "http"},     {"hxxps", "https"},
      {"hxtp", "http"},   {"hxtps", "https"}, {"htxp", "http"},     {"htxps", "https"},
      {"fxp", "ftp"},     {"fxps", "ftps"},   {"sfxp", "sftp"},     {"sfxps", "sftps"},
      {"ftx", "ftp"},     {"ftxs", "ftps"},   {"xxxx", "http"},     {"xxxxx", "https"},
      {"xxxxs", "https"}, {"tcp", "tcp"},     {"udp", "udp"},       {"ldap", "ldap"},
      {"ldaps", "ldaps"}, {"file", "file"},   {"telnet", "telnet"}, {"ssh", "ssh"},
      {"smb", "smb"},     {"ws", "ws"},       {"wss", "wss"}};
  for (const Pair& p : kSchemes) {
    if (w == p.from) return p.to;
  }
  return {};
}

// Length of a "://" spelling at `at` ("://", "[:]//", "[://]", ":///",
// ":\\", ":__", "__", "//"); 0 when none. `plain` says it is "://" itself.
size_t SchemeSeparatorAt(std::string_view text, size_t at, bool* plain) {
  *plain = false;
  if (StartsNoCase(text, at, "%3a%2f%2f")) return 9;
  for (std::string_view sep : {"[:]//", "[://]", ":\\\\", ":__", "://"}) {
    if (text.compare(at, sep.size(), sep) == 0) {
      size_t len = sep.size();
      *plain = sep == "://";
      if (*plain) {
        while (at + len < text.size() && text[at + len] == '/') ++len;  // ":///"
        if (len > 3) *plain = false;
      }
      return len;
    }
  }
  if (text.compare(at, 2, "__") == 0 || text.compare(at, 2, "//") == 0) return 2;
  return 0;
}

// A Unicode space (NBSP, U+2000..U+200B, U+202F, U+205F, U+3000) in UTF-8
// starting at / ending right before `i`: it ends a URL as an ASCII blank does.
size_t UnicodeSpaceAt(std::string_view t, size_t i) {
  auto b = [&](size_t k) { return k < t.size() ? static_cast<unsigned char>(t[k]) : 0u; };
  if (b(i) == 0xc2 && b(i + 1) == 0xa0) return 2;
  if (b(i) == 0xe2 && b(i + 1) == 0x80 &&
      ((b(i + 2) >= 0x80 && b(i + 2) <= 0x8b) || b(i + 2) == 0xaf))
    return 3;
  if (b(i) == 0xe2 && b(i + 1) == 0x81 && b(i + 2) == 0x9f) return 3;
  if (b(i) == 0xe3 && b(i + 1) == 0x80 && b(i + 2) == 0x80) return 3;
  return 0;
}
bool UnicodeSpaceBefore(std::string_view t, size_t i) {
  return (i >= 2 && UnicodeSpaceAt(t, i - 2) == 2) || (i >= 3 && UnicodeSpaceAt(t, i - 3) == 3);
}

// True when the non-ASCII character starting at `lead` (a UTF-8 lead byte)
// is a space or punctuation: Latin-1 symbols (U+0080..U+00BF), General
// Punctuation (U+2000..U+206F), CJK punctuation (U+3000..U+303F).
bool NonAsciiPunctuation(std::string_view t, size_t lead) {
  const auto b = [&](size_t k) { return k < t.size() ? static_cast<unsigned char>(t[k]) : 0u; };
  return b(lead) == 0xc2 || (b(lead) == 0xe2 && (b(lead + 1) == 0x80 || b(lead + 1) == 0x81)) ||
         (b(lead) == 0xe3 && b(lead + 1) == 0x80);
}

// True when the name t[pos, end) is glued to a NUL before it or to a
// non-ASCII letter on either side ("p\u0430ypal.com" with a Cyrillic a):
// the name goes on there, and its ASCII part is no name.
bool GluedToNonAscii(std::string_view t, size_t pos, size_t end) {
  if (pos > 0 && t[pos - 1] == '\0') return true;
  if (pos > 0 && static_cast<unsigned char>(t[pos - 1]) >= 0x80) {
    size_t lead = pos - 1;
    while (lead > 0 && pos - lead < 4 && (static_cast<unsigned char>(t[lead]) & 0xc0) == 0x80) {
      --lead;
    }
    if (!NonAsciiPunctuation(t, lead)) return true;
  }
  return end < t.size() && static_cast<unsigned char>(t[end]) >= 0x80 &&
         !NonAsciiPunctuation(t, end);
}

// True when a bracketed dot ("[.]", "(.)", "{.}", "[dot]", "(dot)") ends
// right before `pos` or starts at `end`: in plain mode the name t[pos, end)
// is a part of a defanged one ("virustotal.com" of "www[.]virustotal.com").
bool NextToDefangedDot(std::string_view t, size_t pos, size_t end) {
  for (std::string_view sep : {"[.]", "(.)", "{.}", "[dot]", "(dot)"}) {
    if (pos >= sep.size() && StartsNoCase(t, pos - sep.size(), sep)) return true;
    if (StartsNoCase(t, end, sep)) return true;
  }
  return false;
}

enum class SepKind { kNone, kDot, kAt };

// True when the label ending right before `at` follows a plain dot: the
// name before `at` is already dotted.
bool AfterDottedName(std::string_view text, size_t at) {
  size_t i = at;
  while (i > 0 && at - i < 64 && Is(text[i - 1], kLabel)) --i;
  return i < at && i > 0 && text[i - 1] == '.';
}

// A defanged domain separator or at sign starting at `at`, right after a
// label character: brackets ([.] (.) {.} [[.]] (. .] ].[), spelled words
// ([dot] (punkt) [at] (arroba) [et], " dot ", " AT ", "-dot-"), backslash
// escapes (\.), and blanks around a separator ("example [.] com",
// "user @ example.com", "example .com"). Returns the length consumed and the
// kind, or kNone. The character after the separator must start a label.
SepKind SeparatorSpelling(std::string_view text, size_t at, size_t* len) {
  const size_t n = text.size();
  size_t i = at;
  size_t blanks_before = 0, blanks_after = 0, open = 0, close_before = 0, close = 0;
  // "\(" and "\)" (regex-escaped defangs) count as the bracket itself.
  auto escaped = [&](size_t k, bool (*is)(char)) {
    return text[k] == '\\' && k + 1 < n && is(text[k + 1]);
  };
  // "1<.>1<.>1<.>1": angle brackets around the dot itself.
  if (i + 2 < n && text[i] == '<' && text[i + 1] == '.' && text[i + 2] == '>') {
    *len = 3;
    return i + 3 < n && Is(text[i + 3], kLabel) ? SepKind::kDot : SepKind::kNone;
  }
  while (i < n && IsBlank(text[i])) ++i, ++blanks_before;
  while (i < n && IsCloser(text[i])) ++i, ++close_before;
  while (i < n && (IsOpener(text[i]) || IsBlank(text[i]) || escaped(i, IsOpener))) {
    if (text[i] == '\\') ++i;
    open += IsOpener(text[i++]);
  }
  // The core.
  SepKind kind = SepKind::kNone;
  bool word = false, uppercase = false, escape = false, comma = false;
  size_t core = i;
  if (i < n && text[i] == '\\') {
    while (i < n && text[i] == '\\') ++i;
    if (i < n && text[i] == '.') {
      ++i;
      kind = SepKind::kDot;
      escape = true;
    }
  } else if (i < n && text[i] == '.') {
    ++i;
    kind = SepKind::kDot;
  } else if (i + 1 < n && text[i] == '^' && text[i + 1] == '.') {
    i += 2;  // cmd.exe caret escape: "example^.com"
    kind = SepKind::kDot;
    escape = true;
  } else if (i + 2 < n && text[i] == '%' && text[i + 1] == '2' && Lower(text[i + 2]) == 'e') {
    i += 3;  // percent-encoded dot
    kind = SepKind::kDot;
    escape = true;
  } else if (i < n && text[i] == '/' &&
             (StartsNoCase(text, i, "/dot/") || StartsNoCase(text, i, "/at/"))) {
    // "user/AT/example/DOT/com": upper case only, "/at/" is a path segment.
    if (text[i + 1] != 'D' && text[i + 1] != 'A') return SepKind::kNone;
    if (blanks_before || open || close_before) return SepKind::kNone;
    kind = text[i + 1] == 'D' ? SepKind::kDot : SepKind::kAt;
    *len = kind == SepKind::kDot ? 5 : 4;
    return i + *len < n && Is(text[i + *len], kLabel) ? kind : SepKind::kNone;
  } else if (i < n && text[i] == ',') {
    ++i;
    kind = SepKind::kDot;
    comma = true;
  } else if (i < n && text[i] == '@') {
    ++i;
    kind = SepKind::kAt;
  } else if (i < n && text[i] == '-' && StartsNoCase(text, i, "-dot-")) {
    if (blanks_before || open || close_before) return SepKind::kNone;
    *len = 5;
    return i + 5 < n && Is(text[i + 5], kLabel) ? SepKind::kDot : SepKind::kNone;
  } else {
    for (std::string_view w : {"dot", "punkt", "punto"}) {
      if (StartsNoCase(text, i, w)) {
        uppercase = text[i] == 'D' || text[i] == 'P';
        i += w.size();
        kind = SepKind::kDot;
        word = true;
        break;
      }
    }
    if (kind == SepKind::kNone) {
      for (std::string_view w : {"arroba", "at", "et"}) {
        if (StartsNoCase(text, i, w)) {
          uppercase = text[i] == 'A' && text[i + 1] == 'T';
          i += w.size();
          kind = SepKind::kAt;
          word = true;
          break;
        }
      }
    }
  }
  if (kind == SepKind::kNone || i == core) return SepKind::kNone;
  if (word && i < n && Is(text[i], kWord)) return SepKind::kNone;  // "dotnet", "attach"
  while (i < n && (IsCloser(text[i]) || IsBlank(text[i]) || (open > 0 && IsOpener(text[i])) ||
                   escaped(i, IsCloser))) {
    if (text[i] == '\\') ++i;
    close += !IsBlank(text[i]);  // "www[.[example": an opener after counts as a closer
    blanks_after += IsBlank(text[i]);
    ++i;
  }
  size_t open_after = 0;
  if (close_before > 0) {  // "foo].[com", "foo].]com"; not "(bar).html"
    while (i < n && IsOpener(text[i])) ++i, ++open_after;
    if ((open_after == 0 && close == 0) || open > 0) return SepKind::kNone;
  }
  if (i >= n || !Is(text[i], kLabel)) return SepKind::kNone;
  const bool brackets = open > 0 || close > 0 || open_after > 0;
  const bool blanks = blanks_before > 0 || blanks_after > 0;
  bool ok;
  if (escape) {
    ok = true;
  } else if (comma) {
    ok = open > 0 && close > 0;  // [,] (,): plain commas are CSV
  } else if (!word && kind == SepKind::kDot) {
    // "example [.] com", "example .com"; not "end. Next" (prose) nor
    // "example . com" (iocextract neither). Blanks alone join a single
    // label to the dot: after a dotted name ("evil.com .hidden", "x.dat
    // .net", "a@evil.com .ssh/x", "1.1.1.1 .x") the dot starts the next
    // argument, a dot file.
    ok = brackets || (blanks_before > 0 && blanks_after == 0 && !AfterDottedName(text, at));
  } else if (!word) {
    ok = brackets || blanks;  // "user @ example.com", "[@]"
  } else if (open > 0 && close > 0) {
    ok = true;  // [dot] (at) {DOT} [ arroba ]
  } else if (brackets && (blanks_before > 0 || open > 0) && (blanks_after > 0 || close > 0)) {
    ok = true;  // "com [dot tld", "example dot] com"
  } else if (brackets && !StartsNoCase(text, core, "at") && !StartsNoCase(text, core, "et")) {
    ok = true;  // "fooDOT}com", "fooarroba}bar.com"; not "format)x.com"
  } else if (kind == SepKind::kDot) {
    ok = blanks_before > 0 && blanks_after > 0 && !brackets;  // " dot ", " DOT "
  } else {
    // " AT " always; " at " only when the domain that follows is itself
    // defanged (" dot ", brackets), as "failed at host.example.com" is prose.
    ok = blanks_before > 0 && blanks_after > 0 && !brackets && text.compare(core, 2, "et") != 0 &&
         StartsNoCase(text, core, "at");
    if (ok && !uppercase) {
      // The next word holds a bracket or backslash, or a spelled separator
      // follows it: "at example[dot]com", "at example dot com".
      ok = false;
      size_t k = i;
      for (; k < n && k < i + 80 && !IsBlank(text[k]) && text[k] != '\n'; ++k) {
        ok = ok || IsOpener(text[k]) || IsCloser(text[k]) || text[k] == '\\';
      }
      while (k < n && IsBlank(text[k])) ++k;
      ok = ok || (k < n && IsOpener(text[k])) ||
           (StartsNoCase(text, k, "dot") && k + 3 < n && IsBlank(text[k + 3]));
    }
  }
  if (!ok) return SepKind::kNone;
  *len = i - at;
  return kind;
}

// Room FangInto() needs: only scheme separators grow ("ftp__" -> "ftp://",
// 5 -> 6 bytes), everything else keeps or shrinks its length.
constexpr size_t FangCapacity(size_t size) { return size + size / 4 + 16; }

// Writes the fanged form of `text` to `out` (FangCapacity(size) bytes);
// when `map` is given, map[k] is the offset in `text` that output byte k came
// from, with kRewritten set on bytes a rule produced or that follow dropped
// text. Returns the output length.
size_t FangInto(std::string_view text, char* out, uint32_t* map) {
  const size_t n = text.size();
  size_t w = 0;
  bool pending = false;      // text was dropped or rewritten before the next byte
  bool percent_url = false;  // in a URL written "http%3A%2F%2F...": %2F is '/'
  auto emit = [&](char c, size_t from, bool rewritten) {
    out[w] = c;
    if (map != nullptr) {
      map[w] = static_cast<uint32_t>(from) | ((rewritten || pending) ? kRewritten : 0);
    }
    pending = false;
    ++w;
  };
  for (size_t i = 0; i < n;) {
    char c = text[i];
    // A scheme: optionally bracketed letters ("(http)", "http]") at a word
    // start, then a "://" spelling.
    if ((Is(c, kAlpha) || IsOpener(c)) && (i == 0 || !Is(text[i - 1], kAlpha))) {
      size_t j = i + (IsOpener(c) ? 1 : 0);
      size_t ws = j;
      while (j < n && j - ws < 8 && Is(text[j], kAlpha)) ++j;
      std::string_view scheme = FangScheme(text.substr(ws, j - ws));
      size_t k = j;
      const bool closer = !scheme.empty() && k < n && IsCloser(text[k]);
      if (closer) ++k;
      size_t blanks = k;  // "http ://"
      while (!scheme.empty() && blanks < n && blanks - k < 3 && IsBlank(text[blanks])) ++blanks;
      if (blanks > k && blanks < n && text[blanks] == ':') k = blanks;
      bool plain = false;
      size_t sep = scheme.empty() ? 0 : SchemeSeparatorAt(text, k, &plain);
      // "?url=http%3A%2F%2F...": a query value stays as written.
      if (sep == 9 && i > 0 &&
          (text[i - 1] == '=' || text[i - 1] == '&' || text[i - 1] == '?' || text[i - 1] == '/')) {
        sep = 0;
      }
      // "file:///etc/passwd": the third slash starts the path of a file URL
      // without host, it is no ":///" spelling.
      if (scheme == "file" && text.compare(k, 4, ":///") == 0) sep = 0;
      // "(http://x)", "[link](http://x)": an opening bracket alone is the
      // text's own, the "(http)" spelling closes it after the scheme.
      if (ws != i && !closer) sep = 0;
      percent_url = sep == 9;
      bool bracketed = ws != i || k != j;
      // "http__" and "http//" only for the web schemes.
      if (sep == 2 && scheme.substr(0, 3) != "htt" && scheme.substr(0, 3) != "ftp") sep = 0;
      if (sep > 0) {
        bool same = !bracketed && plain && scheme.size() == j - ws;
        for (size_t q = 0; same && q < scheme.size(); ++q) same = Lower(text[ws + q]) == scheme[q];
        if (!same) pending = true;
        for (size_t q = 0; q < scheme.size(); ++q) {
          // Keep the case of letters that stay (HXXP -> HTTP, XXXX -> http).
          bool upper = q < j - ws && text[ws + q] >= 'A' && text[ws + q] <= 'Z' &&
                       Lower(text[ws + q]) == scheme[q];
          emit(upper ? static_cast<char>(scheme[q] - 32) : scheme[q], ws + q, !same);
        }
        size_t end = k + sep;
        for (char s : std::string_view("://")) emit(s, k, !same);
        // "http:// example.com": blanks after the separator.
        size_t b = end;
        while (b < n && IsBlank(text[b])) ++b;
        if (b > end && b < n && Is(text[b], kLabel)) {
          end = b;
          pending = true;
        }
        i = end;
        continue;
      }
    }
    if (w > 0 && (Is(out[w - 1], kLabel) || (Is(out[w - 1], kLocal) && out[w - 1] != '%'))) {
      if (c == ' ' || c == '\t' || c == '[' || c == '(' || c == '{' || c == ']' || c == ')' ||
          c == '}' || c == '.' || c == '\\' || c == '-' || c == '@' || c == ',' || c == '^' ||
          c == '<' || c == '%' || c == '/' || Is(c, kAlpha)) {
        size_t len = 0;
        SepKind kind = SeparatorSpelling(text, i, &len);
        if (kind == SepKind::kDot && !Is(out[w - 1], kLabel)) kind = SepKind::kNone;
        if (kind != SepKind::kNone) {
          bool plain_sep = len == 1;  // "." or "@" as written
          emit(kind == SepKind::kDot ? '.' : '@', i, !plain_sep);
          if (!plain_sep) pending = true;
          i += len;
          continue;
        }
      }
    }
    // "[www].example.com": a bracketed www label.
    if (IsOpener(c) && i + 5 < n && StartsNoCase(text, i + 1, "www") && IsCloser(text[i + 4]) &&
        text[i + 5] == '.' && (i == 0 || !Is(text[i - 1], kLabel))) {
      for (size_t q = 1; q < 4; ++q) emit(text[i + q], i + q, true);
      pending = true;
      i += 5;
      continue;
    }
    // Bracketed or escaped single characters: [:] [/] (/) \/ [-].
    if ((IsOpener(c) && i + 2 < n && IsCloser(text[i + 2]) &&
         (text[i + 1] == ':' || text[i + 1] == '/' || text[i + 1] == '-'))) {
      emit(text[i + 1], i + 1, true);
      pending = true;
      i += 3;
      continue;
    }
    if ((c == '\\' || IsOpener(c)) && i + 1 < n && text[i + 1] == '/' && w > 0 &&
        Is(out[w - 1], kLabel)) {
      emit('/', i + 1, true);
      i += 2;
      continue;
    }
    if (percent_url && c == '%' && i + 2 < n && text[i + 1] == '2' && Lower(text[i + 2]) == 'f') {
      emit('/', i, true);
      i += 3;
      continue;
    }
    if (static_cast<unsigned char>(c) <= ' ') percent_url = false;
    emit(c, i, false);
    ++i;
  }
  return w;
}

}  // namespace

std::string_view Refang(std::string_view text, Arena& arena) {
  // Fast path: nothing that could start a defanged spelling.
  bool maybe = false;
  for (char c : text) {
    if (c == '[' || c == '(' || c == '{' || c == 'x' || c == 'X' || c == ']' || c == ')' ||
        c == '}' || c == '\\' || c == ' ' || c == '\t' || c == '_' || c == '-' || c == 'd' ||
        c == 'D' || c == 'a' || c == 'A' || c == ':') {
      maybe = true;
      break;
    }
  }
  if (!maybe) return text;
  const size_t cap = FangCapacity(text.size());
  char* out = arena.Allocate(cap);
  size_t len = FangInto(text, out, nullptr);
  if (len == text.size() && std::memcmp(out, text.data(), len) == 0) {
    arena.Shrink(cap);
    return text;
  }
  arena.Shrink(cap - len);
  return {out, len};
}

// ---------------------------------------------------------------- DistinctIocs

namespace {

size_t IocHash(const Ioc& ioc) {
  return std::hash<std::string_view>{}(ioc.value) ^
         (static_cast<size_t>(ioc.type) * 0x9E3779B97F4A7C15ull);
}

}  // namespace

void DistinctIocs::Reset(size_t count) {
  seen_.clear();
  size_t size = 16;
  while (size < 2 * count) size *= 2;
  slots_.assign(size, 0);
}

void DistinctIocs::Grow() {
  slots_.assign(std::max<size_t>(16, slots_.size() * 2), 0);
  const size_t mask = slots_.size() - 1;
  for (size_t k = 0; k < seen_.size(); ++k) {
    size_t i = IocHash(seen_[k]) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = static_cast<uint32_t>(k + 1);
  }
}

bool DistinctIocs::Insert(const Ioc& ioc) {
  if (2 * (seen_.size() + 1) > slots_.size()) Grow();
  const size_t mask = slots_.size() - 1;
  for (size_t i = IocHash(ioc) & mask;; i = (i + 1) & mask) {
    const uint32_t slot = slots_[i];
    if (slot == 0) {
      seen_.push_back(ioc);
      slots_[i] = static_cast<uint32_t>(seen_.size());
      return true;
    }
    const Ioc& other = seen_[slot - 1];
    if (other.type == ioc.type && other.value == ioc.value) return false;
  }
}

// ---------------------------------------------------------------- IocExtractor

IocExtractor::IocExtractor(std::shared_ptr<const IocPatterns> patterns, IocOptions options)
    : patterns_(std::move(patterns)), options_(options) {
  std::vector<const hs_database*> dbs = {patterns_->fang_database()};
  if (options_.reference_scan) {
    dbs = {patterns_->reference_database(false), patterns_->reference_database(true)};
  }
  for (const hs_database* db : dbs) {
    if (hs_alloc_scratch(db, &scratch_) != HS_SUCCESS) {
      throw std::runtime_error("ioc patterns: cannot allocate Hyperscan scratch");
    }
  }
  triggers_.reserve(1024);
}

IocExtractor::~IocExtractor() { hs_free_scratch(scratch_); }

int IocExtractor::OnMatch(unsigned id, unsigned long long, unsigned long long to, unsigned,
                          void* ctx) {
  auto* self = static_cast<IocExtractor*>(ctx);
  if (id == kTFang) {
    self->fang_marker_ = true;
    return 0;
  }
  if (!self->options_.paths && IsPathTrigger(static_cast<TriggerId>(id))) return 0;
  self->triggers_.push_back({static_cast<uint32_t>(to), static_cast<uint16_t>(id)});
  return 0;
}

void IocExtractor::Add(IocType type, std::string_view value, bool defanged, IpClass ip_class,
                       size_t offset, std::vector<Ioc>* out) {
  if (value.empty() || run_added_ >= options_.max_iocs) return;
  if ((add_mask_ & (1u << static_cast<int>(type))) == 0) return;
  if (map_ != nullptr) {
    for (size_t k = offset; k < offset + value.size() && k < map_size_; ++k) {
      defanged = defanged || (map_[k] & kRewritten) != 0;
    }
    offset = map_[offset] & ~kRewritten;
  }
  for (size_t i = first_new_; i < out->size(); ++i) {
    Ioc& o = (*out)[i];
    if (o.value != value) continue;
    if (o.type == type) return;
    if (!options_.resolve_priority) continue;
    // One exact text, two types: keep the stronger (msticpy §1.4 step 4).
    if (IocPriority(type) < IocPriority(o.type)) {
      o.type = type;
      o.ip_class = ip_class;
    }
    return;
  }
  out->push_back({type, value, defanged, ip_class, static_cast<uint32_t>(offset)});
  ++run_added_;
}

namespace {

constexpr size_t kMaxLabels = 128;

// std::stable_sort, but without its temporary buffer (a heap allocation per
// call) for the few, nearly sorted elements of a line: insertion sort there.
template <class It, class Less>
void StableSortFew(It begin, It end, Less less) {
  if (end - begin > 64) {
    std::stable_sort(begin, end, less);
    return;
  }
  for (It i = begin; i != end; ++i) {
    auto v = std::move(*i);
    It j = i;
    for (; j != begin && less(v, *(j - 1)); --j) *j = std::move(*(j - 1));
    *j = std::move(v);
  }
}
constexpr size_t kMaxLeftScan = 256;

// An IPv4 octet: 1 to 3 digits, at most 255.
bool Octet(std::string_view label, uint8_t* value) {
  if (label.empty() || label.size() > 3) return false;
  int v = 0;
  for (char c : label) {
    if (!Is(c, kDigit)) return false;
    v = v * 10 + (c - '0');
  }
  *value = static_cast<uint8_t>(v);
  return v <= 255;
}

}  // namespace

bool IocExtractor::IsPublicTld(std::string_view tld) {
  // Candidates after a dot repeat ("exe", "dll", "windowscalculator"): a
  // direct-mapped cache in front of libpsl, whose lookup costs ~2k
  // instructions.
  const size_t n = tld.size();
  if (n == 0 || n > kTldCacheKey) return patterns_->IsPublicTld(tld);
  char low[kTldCacheKey];
  uint64_t h = n;
  for (size_t i = 0; i < n; ++i) {
    low[i] = Lower(tld[i]);
    h = (h ^ static_cast<uint8_t>(low[i])) * 0x100000001B3ull;
  }
  TldCacheEntry& slot = tld_cache_[(h * 0x9E3779B97F4A7C15ull) >> 56];
  if (slot.size != n || std::memcmp(slot.tld, low, n) != 0) {
    std::memcpy(slot.tld, low, n);
    slot.size = static_cast<uint8_t>(n);
    slot.is_public = patterns_->IsPublicTld(tld);
  }
  return slot.is_public;
}

size_t IocExtractor::PlainDottedNameWithoutTld(std::string_view text, size_t dot) {
  // "powershell.exe", "kernel32.dll": one dot between two labels, the last
  // alphabetic and no public TLD, and no '@' before. parse_dotted would find
  // no ipv4 (a letter), no dns (the TLD) and no email (no '@'), so the token
  // is skipped without it; anything else takes the full parse.
  const size_t n = text.size();
  size_t r = dot + 1;
  while (r < n && Is(text[r], kAlpha)) ++r;
  if (r == dot + 1 || (r < n && (Is(text[r], kLabel) || text[r] == '.'))) return 0;
  size_t st = dot;
  while (st > 0 && dot - st < kMaxLeftScan && Is(text[st - 1], kLabel)) --st;
  if (st == dot || dot - st >= kMaxLeftScan) return 0;
  if (st > 0 && (text[st - 1] == '.' || text[st - 1] == '@')) return 0;
  const std::string_view tld = text.substr(dot + 1, r - dot - 1);
  if (tld.size() >= 2 && IsPublicTld(tld)) return 0;
  return r;
}

void IocExtractor::ScanBytes(std::string_view text) {
  const char* s = text.data();
  const size_t n = text.size();
  const bool paths = options_.paths;
  auto push = [&](size_t end, TriggerId id) {
    triggers_.push_back({static_cast<uint32_t>(end), static_cast<uint16_t>(id)});
  };
  // A '.', ':', '/' or '\' at i: the patterns of kPatterns that are not
  // defanged_only end around it ("[A-Za-z0-9-]\.[A-Za-z0-9]", "://",
  // "[0-9A-Fa-f]:[0-9A-Fa-f]{0,4}:|::", "/[A-Za-z0-9._~-]", "[A-Za-z]:\\",
  // "\\\\[A-Za-z0-9_.$-]", "\.\\", "%\\").
  auto punct = [&](size_t i) {
    const char c = s[i];
    if (c == '.') {
      if (i >= 1 && Is(s[i - 1], kLabel) && i + 1 < n && Is(s[i + 1], kAlpha | kDigit)) {
        push(i + 2, kTDot);
      }
      return;
    }
    if (c == '/') {
      if (i + 1 < n && (Is(s[i + 1], kAlpha | kDigit) || s[i + 1] == '.' || s[i + 1] == '_' ||
                        s[i + 1] == '~' || s[i + 1] == '-')) {
        push(i + 2, kTSlash);
      }
      return;
    }
    if (c == '\\') {
      if (i >= 1) {
        const char before = s[i - 1];
        if (before == ':' && i >= 2 && Is(s[i - 2], kAlpha)) push(i + 1, kTDrive);
        if (before == '.') push(i + 1, kTRelWin);
        if (before == '%') push(i + 1, kTEnvWin);
      }
      if (i + 2 < n && s[i + 1] == '\\' &&
          (Is(s[i + 2], kWord) || s[i + 2] == '.' || s[i + 2] == '$' || s[i + 2] == '-')) {
        push(i + 3, kTUnc);
      }
      return;
    }
    if (i + 2 < n && s[i + 1] == '/' && s[i + 2] == '/') push(i + 3, kTUrl);
    if (i >= 1 && s[i - 1] == ':') {
      push(i + 1, kTV6);
      return;
    }
    size_t j = i;  // back over at most 4 hex digits to the previous ':'
    while (i - j < 4 && j > 0 && Is(s[j - 1], kHex)) --j;
    if (j < i && j >= 2 && s[j - 1] == ':' && Is(s[j - 2], kHex)) push(i + 1, kTV6);
  };
  // "[0-9A-Fa-f]{32}" matches at every digit of a hex run from the 32nd on;
  // Run() acts on the first of them only, so that is the one pushed.
  size_t run = 0;  // hex digits ending right before the current position
#if defined(__SSE2__)
  const __m128i dot = _mm_set1_epi8('.'), colon = _mm_set1_epi8(':');
  // Without paths, the '/' and '\\' compares look for '.' once more (no mark).
  const __m128i slash = _mm_set1_epi8(paths ? '/' : '.');
  const __m128i backslash = _mm_set1_epi8(paths ? '\\' : '.');
  const __m128i below_0 = _mm_set1_epi8('0' - 1), above_9 = _mm_set1_epi8('9' + 1);
  const __m128i lower = _mm_set1_epi8(0x20);
  const __m128i below_a = _mm_set1_epi8('a' - 1), above_f = _mm_set1_epi8('f' + 1);
  // Bit k of *hex / *marks: byte p[k] is a hex digit / '.', ':', '/' or '\\'.
  auto classify = [&](const char* p, uint32_t* hex, uint32_t* marks) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Signed compares: bytes >= 0x80 are negative, so neither digits nor letters.
    const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, below_0), _mm_cmplt_epi8(v, above_9));
    const __m128i folded = _mm_or_si128(v, lower);
    const __m128i af =
        _mm_and_si128(_mm_cmpgt_epi8(folded, below_a), _mm_cmplt_epi8(folded, above_f));
    *hex = static_cast<uint32_t>(_mm_movemask_epi8(_mm_or_si128(digit, af)));
    const __m128i network = _mm_or_si128(_mm_cmpeq_epi8(v, dot), _mm_cmpeq_epi8(v, colon));
    const __m128i path = _mm_or_si128(_mm_cmpeq_epi8(v, slash), _mm_cmpeq_epi8(v, backslash));
    *marks = static_cast<uint32_t>(_mm_movemask_epi8(_mm_or_si128(network, path)));
  };
  alignas(16) char padded[32];
  for (size_t base = 0; base < n; base += 32) {
    const size_t len = std::min<size_t>(32, n - base);
    // The last, short chunk: the 32 bytes ending at the text's end when it
    // has 32 (the masks shifted past the bytes already seen), else a copy
    // padded with NULs, which are neither marks nor hex.
    const char* p = s + base;
    size_t shift = 0;
    if (len < 32) {
      if (n >= 32) {
        p = s + n - 32;
        shift = 32 - len;
      } else {
        std::memset(padded, 0, sizeof(padded));
        std::memcpy(padded, s + base, len);
        p = padded;
      }
    }
    uint32_t hex_lo, hex_hi, marks_lo, marks_hi;
    classify(p, &hex_lo, &marks_lo);
    classify(p + 16, &hex_hi, &marks_hi);
    const uint64_t hex = ((uint64_t{hex_hi} << 16) | hex_lo) >> shift;
    uint64_t marks = ((uint64_t{marks_hi} << 16) | marks_lo) >> shift;
    const uint64_t all = (uint64_t{1} << len) - 1;
    // A run reaches 32 digits in the digits this chunk starts with, or, when
    // the whole chunk is digits, within it.
    const size_t lead = hex == all ? len : static_cast<size_t>(std::countr_one(hex));
    if (run < 32 && run + lead >= 32) push(base + 32 - run, kTHex);
    run = hex == all ? run + len : len - 1 - static_cast<size_t>(63 - std::countl_zero(~hex & all));
    while (marks != 0) {
      punct(base + static_cast<size_t>(std::countr_zero(marks)));
      marks &= marks - 1;
    }
  }
#else
  for (size_t i = 0; i < n; ++i) {
    run = Is(s[i], kHex) ? run + 1 : 0;
    if (run == 32) push(i + 1, kTHex);
    const char c = s[i];
    if (c == '.' || c == ':' || (paths && (c == '/' || c == '\\'))) punct(i);
  }
#endif
}

void IocExtractor::Scan(std::string_view text, bool defanged) {
  triggers_.clear();
  fang_marker_ = false;
  if (options_.reference_scan) {
    ScanPadded(patterns_->reference_database(defanged), text, scratch_, &IocExtractor::OnMatch,
               this, &scan_copy_);
  } else {
    ScanBytes(text);
    if (defanged) {
      ScanPadded(patterns_->fang_database(), text, scratch_, &IocExtractor::OnMatch, this,
                 &scan_copy_);
    }
  }
  // By end, then id: two triggers ending at one byte are parsed in the same
  // order whichever scan found them.
  StableSortFew(triggers_.begin(), triggers_.end(), [](const Trigger& a, const Trigger& b) {
    return a.end < b.end || (a.end == b.end && a.id < b.id);
  });
}

void IocExtractor::Extract(std::string_view text, Arena& arena, std::vector<Ioc>* out) {
  first_new_ = out->size();
  if (text.empty() || text.size() > 0x3fffffffu) return;
  Scan(text, options_.defanged);
  if (options_.defanged && fang_marker_) {
    constexpr uint32_t kNetwork =
        (1u << static_cast<int>(IocType::kIpv4)) | (1u << static_cast<int>(IocType::kDns)) |
        (1u << static_cast<int>(IocType::kUrl)) | (1u << static_cast<int>(IocType::kEmail));
    const size_t cap = FangCapacity(text.size());
    char* buf = arena.Allocate(cap);
    if (fang_map_.size() < cap) fang_map_.resize(cap);
    const size_t len = FangInto(text, buf, fang_map_.data());
    arena.Shrink(cap - len);
    const std::string_view fanged(buf, len);
    add_mask_ = ~kNetwork;
    Run(text, arena, out);
    Scan(fanged, true);
    add_mask_ = kNetwork;
    map_ = fang_map_.data();
    map_size_ = len;
    Run(fanged, arena, out);
    map_ = nullptr;
    add_mask_ = ~0u;
  } else {
    Run(text, arena, out);
  }
  // Order of position, as a reader scans the text. The fanged text's two
  // runs may each have reached the cap: the first max_iocs of both by
  // position are kept (paths read first must not starve the network types).
  StableSortFew(out->begin() + static_cast<std::ptrdiff_t>(first_new_), out->end(),
                [](const Ioc& a, const Ioc& b) { return a.offset < b.offset; });
  if (out->size() - first_new_ > options_.max_iocs) out->resize(first_new_ + options_.max_iocs);
}

void IocExtractor::Run(std::string_view text, Arena& arena, std::vector<Ioc>* out) {
  run_added_ = 0;
  if (triggers_.empty()) return;
  const bool def_mode = options_.defanged;
  const size_t n = text.size();
  size_t dotted_end = 0, url_end = 0, hex_end = 0, v6_end = 0, win_end = 0, linux_end = 0;
  // URL spans, to keep the "//host/path" of URLs out of linux_path.
  size_t url_span_begin = 0;
  auto in_url = [&](size_t pos) { return pos >= url_span_begin && pos < url_end; };

  // "example.com/path", "10.1.2.3/x.php": a host followed by a path is a
  // URL without scheme, reported as written (host refanged). Not inside a
  // URL or path, and not a CIDR block ("10.0.0.0/8").
  auto schemeless_url = [&](size_t begin, size_t host_end, std::string_view host, bool defanged,
                            bool ip) {
    size_t slash = host_end;  // "10.1.2.3:8080/x": an optional port
    if (slash < n && text[slash] == ':') {
      size_t d = slash + 1;
      while (d < n && d - slash <= 5 && Is(text[d], kDigit)) ++d;
      if (d > slash + 1 && d < n && text[d] == '/') slash = d;
    }
    if (slash + 1 >= n || text[slash] != '/' || in_url(begin)) return;
    if (begin > 0) {
      char c = text[begin - 1];
      bool boundary = static_cast<unsigned char>(c) <= ' ' || c == '"' || c == '\'' || c == '(' ||
                      c == '[' || c == '<' || c == '=' || c == ',' || c == '>' ||
                      UnicodeSpaceBefore(text, begin);
      if (!boundary) return;
    }
    size_t i = slash + 1;
    bool query = false;
    while (i < n) {
      char c = text[i];
      unsigned char u = static_cast<unsigned char>(c);
      if (u <= ' ' || u == 0x7f || c == '"' || c == '<' || c == '>' || c == '`' || c == '\'' ||
          c == '\\' || c == '|' || c == '^' || (c == ',' && !query) || UnicodeSpaceAt(text, i) > 0)
        break;
      query = query || c == '?';
      ++i;
    }
    while (i > slash + 1) {
      char c = text[i - 1];
      if (c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == ')' ||
          c == ']' || c == '}') {
        --i;
      } else {
        break;
      }
    }
    std::string_view path = text.substr(host_end, i - host_end);
    if (ip && slash == host_end) {
      bool cidr = path.size() > 1 && path.size() <= 3;
      for (size_t k = 1; k < path.size() && cidr; ++k) cidr = Is(path[k], kDigit);
      if (cidr) return;
    }
    std::string_view value = text.substr(begin, i - begin);
    if (defanged) {
      char* p = arena.Allocate(host.size() + path.size());
      std::memcpy(p, host.data(), host.size());
      std::memcpy(p + host.size(), path.data(), path.size());
      value = {p, host.size() + path.size()};
    }
    Add(IocType::kUrl, value, defanged, IpClass::kNone, begin, out);
    url_span_begin = begin;
    url_end = std::max(url_end, i);
  };

  // Parses a dotted token (ipv4, dns, email) starting at label char `pos`.
  // Returns its end.
  auto parse_dotted = [&](size_t pos) -> size_t {
    // "%2Fexample.com" in a percent-encoded query: the escape is not a label.
    if (pos > 0 && text[pos - 1] == '%' && pos + 2 < n && Is(text[pos], kHex) &&
        Is(text[pos + 1], kHex) && Is(text[pos + 2], kLabel)) {
      pos += 2;
    }
    // Not value-initialized (std::pair would zero all 1 KiB per token):
    // only the first `count` entries are read.
    struct Span {
      uint32_t first, second;
    };
    std::array<Span, kMaxLabels> labels;
    size_t count = 0;
    bool defanged = false;
    size_t i = pos;
    size_t end = pos;
    while (true) {
      size_t ls = i;
      while (i < n && Is(text[i], kLabel)) ++i;
      if (i == ls) break;
      if (count < kMaxLabels) labels[count] = {static_cast<uint32_t>(ls), static_cast<uint32_t>(i)};
      ++count;
      end = i;
      bool sep_def = false;
      size_t sep = SeparatorAt(text, i, def_mode, &sep_def);
      if (sep == 0 || i + sep >= n || !Is(text[i + sep], kLabel)) break;
      defanged = defanged || sep_def;
      i += sep;
    }
    if (count < 2 || count > kMaxLabels) return end;
    // "o_o.lgms.nl", "_jabber._tcp.x.com": a name with '_' in a label is no
    // host name, and its tail ("o.lgms.nl") is not one either.
    if (pos > 0 && text[pos - 1] == '_' && (pos < 2 || text[pos - 2] != '@')) return end;
    // A local part ("first.last@"): not a domain. A UNC host is none: in
    // WebDAV's "\\\\evil.com@SSL\\share" (or "@80") the '@' names the port.
    const bool unc_host = pos >= 2 && text[pos - 1] == '\\' && text[pos - 2] == '\\';
    if (end < n && !unc_host &&
        (text[end] == '@' ||
         (def_mode && (StartsNoCase(text, end, "[at]") || StartsNoCase(text, end, "(at)") ||
                       StartsNoCase(text, end, "[@]"))))) {
      return end;
    }
    auto label = [&](size_t k) {
      return text.substr(labels[k].first, labels[k].second - labels[k].first);
    };
    auto joined = [&]() -> std::string_view {
      if (!defanged) return text.substr(pos, end - pos);
      size_t len = 0;
      for (size_t k = 0; k < count; ++k) len += label(k).size() + (k > 0);
      char* p = arena.Allocate(len);
      size_t w = 0;
      for (size_t k = 0; k < count; ++k) {
        if (k > 0) p[w++] = '.';
        std::memcpy(p + w, label(k).data(), label(k).size());
        w += label(k).size();
      }
      return {p, len};
    };
    bool all_numeric = true;
    for (size_t k = 0; k < count && all_numeric; ++k) {
      for (char c : label(k)) {
        if (!Is(c, kDigit)) {
          all_numeric = false;
          break;
        }
      }
    }
    // "words1.1.1.1words": an address glued to letters (not to digits or
    // dots) is still an address.
    bool glued = false;
    if (!all_numeric && count == 4) {
      bool middle = true;
      for (size_t k = 1; k < 3 && middle; ++k) {
        for (char c : label(k)) middle = middle && Is(c, kDigit);
      }
      uint32_t a = labels[0].second, b = labels[3].first;
      while (a > labels[0].first && Is(text[a - 1], kDigit)) --a;
      while (b < labels[3].second && Is(text[b], kDigit)) ++b;
      if (middle && a < labels[0].second && b > labels[3].first &&
          (a > labels[0].first || b < labels[3].second)) {
        labels[0].first = a;
        labels[3].second = b;
        all_numeric = glued = true;
      }
    }
    // "10.0.0.1-10.0.0.255": '-' is a label character, so a range is one
    // token of 7 labels with "1-10" in the middle; both ends are addresses.
    if (count == 7 && !all_numeric && !glued) {
      const std::string_view mid = label(3);
      const size_t dash = mid.find('-');
      uint8_t a[4], b[4];
      if (dash != std::string_view::npos && Octet(label(0), &a[0]) && Octet(label(1), &a[1]) &&
          Octet(label(2), &a[2]) && Octet(mid.substr(0, dash), &a[3]) &&
          Octet(mid.substr(dash + 1), &b[0]) && Octet(label(4), &b[1]) && Octet(label(5), &b[2]) &&
          Octet(label(6), &b[3])) {
        const std::string_view range = joined();
        const size_t split = range.find('-');
        Add(IocType::kIpv4, range.substr(0, split), defanged, ClassifyIpv4(a), labels[0].first,
            out);
        Add(IocType::kIpv4, range.substr(split + 1), defanged, ClassifyIpv4(b),
            labels[3].first + dash + 1, out);
        return end;
      }
    }
    if (all_numeric) {
      if (count != 4) return end;  // 1.2.3.4.5, version numbers
      uint8_t bytes[4];
      for (size_t k = 0; k < 4; ++k) {
        if (!Octet(label(k), &bytes[k])) return end;
      }
      const size_t ip_begin = labels[0].first;
      std::string_view ip =
          glued && !defanged ? text.substr(ip_begin, labels[3].second - ip_begin) : joined();
      Add(IocType::kIpv4, ip, defanged, ClassifyIpv4(bytes), ip_begin, out);
      if (!glued) schemeless_url(ip_begin, end, ip, defanged, true);
      return end;
    }
    // dns: labels of at most 63, no edge hyphen, alphabetic TLD on the list.
    if (end - pos > 253) return end;
    if (GluedToNonAscii(text, pos, end)) return end;
    if (!def_mode && NextToDefangedDot(text, pos, end)) return end;
    for (size_t k = 0; k < count; ++k) {
      std::string_view l = label(k);
      if (l.size() > 63 || l.front() == '-' || l.back() == '-') return end;
    }
    std::string_view tld = label(count - 1);
    if (tld.size() < 2) return end;
    for (char c : tld) {
      if (!Is(c, kAlpha)) return end;
    }
    // The domain of an email is not checked against the suffix list (as
    // msticpy); a dns observable is.
    bool public_suffix = IsPublicTld(tld);
    if (count == 2 && public_suffix) {
      for (std::string_view ext : kFileTlds) {
        if (tld.size() == ext.size() && StartsNoCase(tld, 0, ext)) public_suffix = false;
      }
    }
    std::string_view domain = joined();
    // email: local part before '@' (or a defanged at).
    size_t at_len = 0;
    bool at_def = false;
    if (pos >= 1 && text[pos - 1] == '@') {
      at_len = 1;
    } else if (def_mode) {
      for (std::string_view at : {"[at]", "(at)", "[@]", "(@)", "{at}"}) {
        if (pos >= at.size() && StartsNoCase(text, pos - at.size(), at)) {
          at_len = at.size();
          at_def = true;
          break;
        }
      }
    }
    if (at_len > 0) {
      size_t le = pos - at_len;
      size_t ls = le;
      while (ls > 0 && le - ls < 64 && Is(text[ls - 1], kLocal)) --ls;
      while (ls < le && (text[ls] == '.' || text[ls] == '-')) ++ls;
      if (ls < le) {
        std::string_view local = text.substr(ls, le - ls);
        std::string_view email;
        if (!defanged && !at_def) {
          email = text.substr(ls, end - ls);
        } else {
          char* p = arena.Allocate(local.size() + 1 + domain.size());
          std::memcpy(p, local.data(), local.size());
          p[local.size()] = '@';
          std::memcpy(p + local.size() + 1, domain.data(), domain.size());
          email = {p, local.size() + 1 + domain.size()};
        }
        Add(IocType::kEmail, email, defanged || at_def, IpClass::kNone, ls, out);
      }
    }
    if (!public_suffix) return end;
    Add(IocType::kDns, domain, defanged, IpClass::kNone, pos, out);
    if (at_len == 0) schemeless_url(pos, end, domain, defanged, false);
    return end;
  };

  for (const Trigger& t : triggers_) {
    const size_t e = t.end;
    switch (t.id) {
      case kTDot:
      case kTDefDot: {
        if (e <= dotted_end) break;
        if (t.id == kTDot && !def_mode) {
          const size_t end = PlainDottedNameWithoutTld(text, e - 2);
          if (end != 0) {
            dotted_end = std::max(dotted_end, end);
            break;
          }
        }
        size_t p = t.id == kTDot ? e - 2 : e - 1;
        size_t s = p;
        while (s > 0 && p - s < kMaxLeftScan &&
               (Is(text[s - 1], kLabel) || text[s - 1] == '.' ||
                (def_mode && Is(text[s - 1], kDefang)))) {
          --s;
        }
        size_t pos = s;
        while (pos <= p && pos < n) {
          // Bounded by the trigger: a run of separators without labels
          // ("[.[.[.") must not be rescanned from every trigger in it.
          while (pos <= p && pos < n && !Is(text[pos], kLabel)) ++pos;
          if (pos >= n || pos > p) break;
          size_t end = parse_dotted(pos);
          dotted_end = std::max(dotted_end, end);
          pos = end > pos ? end : pos + 1;
        }
        dotted_end = std::max(dotted_end, e);
        break;
      }
      case kTUrl:
      case kTUrlBracket:
      case kTUrlBackslash:
      case kTUrlUnderscore: {
        if (e <= url_end) break;
        size_t sep_begin, sep_len;
        switch (t.id) {
          case kTUrl:
            sep_len = 3;
            break;
          case kTUrlBracket:
            sep_len = 5;
            break;
          case kTUrlBackslash:
            sep_len = 3;
            break;
          default:
            sep_len = text[e - 3] == ':' ? 3 : 2;
            break;
        }
        sep_begin = e - sep_len;
        bool defanged = t.id != kTUrl;
        size_t ss = sep_begin;
        while (ss > 0 && sep_begin - ss < 8 && Is(text[ss - 1], kAlpha)) --ss;
        // The scheme is the longest known one the letters end with, so text
        // glued to it ("dataahttp://", decoded junk) does not hide the URL.
        bool scheme_ok = false;
        for (; ss < sep_begin && !scheme_ok; ++ss) {
          bool def = defanged;
          if (IsUrlScheme(text.substr(ss, sep_begin - ss), def_mode, &def)) {
            scheme_ok = true;
            defanged = def;
            break;
          }
        }
        if (!scheme_ok) break;
        // Authority: up to / ? # or a character no host/userinfo has.
        size_t i = e;
        auto stop = [&](char c, bool in_path) {
          unsigned char u = static_cast<unsigned char>(c);
          if (u <= ' ' || u == 0x7f) return true;
          if (c == '"' || c == '<' || c == '>' || c == '`' || c == '\'' || c == '\\' || c == '|' ||
              c == '^')
            return true;
          if (!in_path && (c == '/' || c == '?' || c == '#' || c == '{' || c == '}')) return true;
          return false;
        };
        // "file:///etc/passwd": a file URL may have no host, only a path.
        const bool file_path = t.id == kTUrl && e < n && text[e] == '/' && sep_begin - ss == 4 &&
                               StartsNoCase(text, ss, "file");
        while (!file_path && i < n && !stop(text[i], false) && UnicodeSpaceAt(text, i) == 0) ++i;
        size_t host_begin = e;
        for (size_t k = e; k < i; ++k) {
          if (text[k] == '@') host_begin = k + 1;
        }
        bool has_label = false;
        for (size_t k = host_begin; k < i && !has_label; ++k) has_label = Is(text[k], kLabel);
        if (!has_label && !file_path) break;
        // A host starts with a label character or an IPv6 literal ("https://+x+/" is none).
        if (host_begin < i && !Is(text[host_begin], kLabel) && text[host_begin] != '[') break;
        // In plain mode brackets in the host are an IPv6 literal's only:
        // "www[.]example.com" is a defanged host, no URL as written.
        if (!def_mode) {
          size_t literal_end = host_begin;
          if (host_begin < i && text[host_begin] == '[') {
            while (literal_end < i && text[literal_end] != ']') ++literal_end;
            ++literal_end;  // past the ']'
          }
          bool bracket = false;
          for (size_t k = std::max(literal_end, host_begin); k < i && !bracket; ++k) {
            bracket = text[k] == '[' || text[k] == ']';
          }
          if (bracket || literal_end > i) break;
        }
        if (i < n && (text[i] == '/' || text[i] == '?' || text[i] == '#')) {
          // A comma ends the path (CSV fields, "url,False,False"); a query
          // keeps its commas. A ']' without '[' ends a markdown link.
          bool query = false, bracket = false;
          for (size_t k = e; k < i; ++k) bracket = bracket || text[k] == '[';
          while (i < n && !stop(text[i], true) && UnicodeSpaceAt(text, i) == 0) {
            char c = text[i];
            query = query || c == '?';
            bracket = bracket || c == '[';
            if ((c == ',' && !query) || (c == ']' && !bracket)) break;
            ++i;
          }
        }
        // Trailing punctuation belongs to the sentence, not the URL.
        // A ')' only when unbalanced: "wiki/Foo_(bar)" keeps it, "a_(b))" not the second.
        size_t open_parens = 0, close_parens = 0;
        for (size_t k = e; k < i; ++k) {
          open_parens += text[k] == '(';
          close_parens += text[k] == ')';
        }
        while (i > e) {
          char c = text[i - 1];
          if (c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' ||
              (c == ')' && close_parens > open_parens) || c == ']' || c == '}') {
            if (c == ']' && def_mode && i >= 3 && text[i - 2] == '.' && text[i - 3] == '[') break;
            close_parens -= c == ')';
            --i;
          } else {
            break;
          }
        }
        if (i <= host_begin) break;
        if (file_path) {
          bool path_label = false;
          for (size_t k = e; k < i && !path_label; ++k) path_label = Is(text[k], kLabel);
          if (!path_label) break;
        }
        std::string_view raw = text.substr(ss, i - ss);
        std::string_view rest = text.substr(e, i - e);
        std::string_view value = raw;
        std::string_view refanged_rest = def_mode ? Refang(rest, arena) : rest;
        if (defanged || refanged_rest.data() != rest.data()) {
          std::string_view scheme = text.substr(ss, sep_begin - ss);
          char buf[8];
          size_t sl = scheme.size();
          for (size_t k = 0; k < sl; ++k) buf[k] = Lower(scheme[k]);
          std::string_view fixed(buf, sl);
          if (fixed.substr(0, 4) == "hxxp" || fixed.substr(0, 4) == "hxtp" ||
              fixed.substr(0, 4) == "htxp") {
            buf[1] = buf[2] = 't';
          } else if (fixed.substr(0, 3) == "fxp") {
            buf[1] = 't';
          } else if (fixed.substr(0, 4) == "sfxp") {
            buf[2] = 't';
          }
          char* p = arena.Allocate(sl + 3 + refanged_rest.size());
          std::memcpy(p, buf, sl);
          std::memcpy(p + sl, "://", 3);
          std::memcpy(p + sl + 3, refanged_rest.data(), refanged_rest.size());
          value = {p, sl + 3 + refanged_rest.size()};
          defanged = true;
        }
        url_span_begin = ss;
        url_end = i;
        Add(IocType::kUrl, value, defanged, IpClass::kNone, ss, out);
        break;
      }
      case kTHex: {
        if (e <= hex_end) break;
        size_t s = e - 32;
        while (s > 0 && Is(text[s - 1], kHex)) --s;
        size_t r = e;
        while (r < n && Is(text[r], kHex)) ++r;
        hex_end = r;
        IocType type;
        switch (r - s) {
          case 32:
            type = IocType::kMd5;
            break;
          case 40:
            type = IocType::kSha1;
            break;
          case 64:
            type = IocType::kSha256;
            break;
          case 128:
            type = IocType::kSha512;
            break;
          default:
            continue;
        }
        Add(type, text.substr(s, r - s), false, IpClass::kNone, s, out);
        break;
      }
      case kTV6: {
        if (e <= v6_end) break;
        auto v6char = [&](char c) { return Is(c, kHex) || c == ':' || c == '.'; };
        size_t s = e;
        while (s > 0 && e - s < 64 && v6char(text[s - 1])) --s;
        size_t r = e;
        while (r < n && r - e < 64 && v6char(text[r])) ++r;
        v6_end = r;
        while (r > s && text[r - 1] == '.') --r;
        if (r < n && Is(text[r], kWord)) break;
        if (s > 0 && Is(text[s - 1], kWord)) {
          // "ip6:2001:db8::1", "eth0:fe80::1": skip the word's tail up to its
          // colon. More than two hex digits glued to the word ("x2001:db8::1")
          // are an address's first group: the address is glued, not labelled.
          size_t colon = text.find(':', s);
          if (colon >= r || colon - s > 2) break;
          s = (colon + 1 < r && text[colon + 1] == ':') ? colon : colon + 1;
        }
        while (s < r && text[s] == '.') ++s;  // "..2001:db8::1": sentence dots
        if (r - s < 2 || r - s > 45) break;
        char buf[46];
        std::memcpy(buf, text.data() + s, r - s);
        buf[r - s] = '\0';
        bool has_hex = false;
        for (size_t k = s; k < r; ++k) has_hex = has_hex || Is(text[k], kHex);
        uint8_t bytes[16];
        if (!has_hex || inet_pton(AF_INET6, buf, bytes) != 1) break;
        Add(IocType::kIpv6, text.substr(s, r - s), false, ClassifyIpv6(bytes), s, out);
        break;
      }
      case kTDrive:
      case kTUnc:
      case kTRelWin:
      case kTEnvWin: {
        if (e <= win_end) break;
        size_t rs;    // root start
        size_t body;  // first char after the root's backslash
        if (t.id == kTDrive) {
          rs = e - 3;
          body = e;
          if (rs > 0 && Is(text[rs - 1], kWord)) break;
        } else if (t.id == kTUnc) {
          rs = e - 3;
          body = e - 1;
          if (rs > 0 && (text[rs - 1] == '\\' || Is(text[rs - 1], kWord))) break;
        } else if (t.id == kTRelWin) {
          rs = e - 2;
          if (rs > 0 && text[rs - 1] == '.') --rs;
          body = e;
          if (rs > 0 && (Is(text[rs - 1], kWord) || text[rs - 1] == '.' || text[rs - 1] == '\\'))
            break;
        } else {
          size_t pct = e - 2;
          rs = pct;
          while (rs > 0 && pct - rs < 40 &&
                 (Is(text[rs - 1], kWord) || text[rs - 1] == '(' || text[rs - 1] == ')')) {
            --rs;
          }
          if (rs == 0 || text[rs - 1] != '%' || rs == pct) break;
          --rs;
          body = e;
        }
        size_t i = body;
        auto win_stop = [](char c) {
          return c == '/' || c == ':' || c == '*' || c == '?' || c == '"' || c == '\'' ||
                 c == '<' || c == '>' || c == '|' || c == '\r' || c == '\n' || c == '\0' ||
                 c == '\t';
        };
        while (i < n && i - body < 400 && !win_stop(text[i])) ++i;
        // The file name (after the last backslash) has no spaces; folders may.
        size_t last = body - 1;
        for (size_t k = body; k < i; ++k) {
          if (text[k] == '\\') last = k;
        }
        size_t end = last + 1;
        while (end < i && text[end] != ' ') ++end;
        while (end > body &&
               (text[end - 1] == '.' || text[end - 1] == ',' || text[end - 1] == ' ')) {
          --end;
        }
        if (end <= body) break;
        win_end = end;
        Add(IocType::kWindowsPath, text.substr(rs, end - rs), false, IpClass::kNone, rs, out);
        break;
      }
      case kTSlash: {
        if (e <= linux_end) break;
        size_t slash = e - 2;
        if (in_url(slash)) break;
        size_t rs = slash;
        if (rs > 0 && text[rs - 1] == '.') {
          --rs;
          if (rs > 0 && text[rs - 1] == '.') --rs;
        } else if (rs > 0 && text[rs - 1] == '~') {
          --rs;
        }
        if (rs > 0) {
          char c = text[rs - 1];
          bool boundary = static_cast<unsigned char>(c) <= ' ' || c == '"' || c == '\'' ||
                          c == '`' || c == '=' || c == ':' || c == '(' || c == '[' || c == ',' ||
                          c == '>' || c == ';' || c == '|' || c == '&' || c == '{';
          if (!boundary) break;
        }
        size_t i = slash;
        size_t slashes = 0;
        auto lx_stop = [](char c) {
          unsigned char u = static_cast<unsigned char>(c);
          return u <= ' ' || c == '"' || c == '\'' || c == '`' || c == '<' || c == '>' ||
                 c == '|' || c == ';' || c == '&' || c == ':' || c == '*' || c == '?' ||
                 c == '\\' || c == ')' || c == ']' || c == '}' || c == ',';
        };
        while (i < n && !lx_stop(text[i])) {
          slashes += text[i] == '/';
          ++i;
        }
        linux_end = i;
        while (i > slash + 1 && text[i - 1] == '.') --i;
        // "/c", "/add": a lone absolute segment is a Windows switch far more
        // often than a path.
        if (rs == slash && slashes < 2) break;
        if (i <= slash + 1) break;
        Add(IocType::kLinuxPath, text.substr(rs, i - rs), false, IpClass::kNone, rs, out);
        break;
      }
      default:
        break;
    }
  }
  (void)url_span_begin;
}

}  // namespace loghunt
