#include "parsers/syslog/syslog_frame.h"

#include <cstdint>

#include "core/time.h"

namespace loghunt {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsPrintUsAscii(char c) { return c >= 33 && c <= 126; }

int TwoDigits(std::string_view s, size_t pos) { return (s[pos] - '0') * 10 + (s[pos + 1] - '0'); }

bool AllDigits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return false;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!IsDigit(s[i])) return false;
  }
  return true;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t year, unsigned month) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

// int64 nanoseconds span only the years 1677..2262.
constexpr int64_t kMaxSecs = INT64_MAX / kNanosPerSecond - 1;

// UTC nanoseconds of a civil time; 0 (unknown) when outside the int64 range.
int64_t ToNanos(int64_t year, unsigned month, unsigned day, int h, int m, int s, int64_t frac,
                int64_t offset_seconds) {
  int64_t days = DaysFromCivil(year, month, day);
  int64_t secs = days * 86400 + h * 3600 + m * 60 + s - offset_seconds;
  if (secs < -kMaxSecs || secs > kMaxSecs) return 0;
  return secs * kNanosPerSecond + frac;
}

bool InNanosRange(int64_t year) { return year >= 1678 && year <= 2261; }

// Year of a UTC instant, from DaysFromCivil alone (no civil_from_days needed).
int64_t YearOf(int64_t ns) {
  int64_t days = ns / kNanosPerSecond / 86400;
  int64_t year = 1970 + days / 366;
  while (DaysFromCivil(year + 1, 1, 1) <= days) ++year;
  return year;
}

// Reads "Mmm dd hh:mm:ss[.frac][ YYYY]" at the start of `*s` and consumes it.
// The day may also be unpadded ("Jan 5 10:00:00"), as some senders write it.
bool ParseBsdTimestamp(std::string_view* s, const SyslogClock& clock, int64_t* ns,
                       bool* year_assumed) {
  std::string_view t = *s;
  if (t.size() < 14) return false;
  unsigned month = ParseMonthAbbrev(t.substr(0, 3));
  if (month == 0 || t[3] != ' ') return false;
  unsigned day;
  size_t d = 6;  // the space after the day
  if ((t[4] == ' ' || t[4] == '0') && IsDigit(t[5])) {
    day = static_cast<unsigned>(t[5] - '0');
  } else if (IsDigit(t[4]) && IsDigit(t[5])) {
    day = static_cast<unsigned>(TwoDigits(t, 4));
  } else if (IsDigit(t[4]) && t[5] == ' ') {
    day = static_cast<unsigned>(t[4] - '0');
    d = 5;
  } else {
    return false;
  }
  if (t.size() < d + 9 || t[d] != ' ' || !AllDigits(t, d + 1, 2) || t[d + 3] != ':' ||
      !AllDigits(t, d + 4, 2) || t[d + 6] != ':' || !AllDigits(t, d + 7, 2)) {
    return false;
  }
  int h = TwoDigits(t, d + 1), m = TwoDigits(t, d + 4), sec = TwoDigits(t, d + 7);
  if (day < 1 || day > 31 || h > 23 || m > 59 || sec > 60) return false;
  size_t used = d + 9;
  int64_t frac = 0;
  if (used < t.size() && t[used] == '.') {  // rsyslog high-precision fraction
    int64_t scale = 100'000'000;
    ++used;
    while (used < t.size() && IsDigit(t[used])) {
      frac += (t[used] - '0') * scale;
      scale /= 10;
      ++used;
    }
  }
  if (t.size() >= used + 5 && t[used] == ' ' && AllDigits(t, used + 1, 4) &&
      (t.size() == used + 5 || t[used + 5] == ' ')) {
    int64_t year = TwoDigits(t, used + 1) * 100 + TwoDigits(t, used + 3);
    if (day > DaysInMonth(year, month) || !InNanosRange(year)) return false;
    *ns = ToNanos(year, month, day, h, m, sec, frac, clock.utc_offset_seconds);
    used += 5;
  } else {
    // Feb 30 or Apr 31 exists in no year (it became Mar 2, May 1); Feb 29
    // may belong to the year the receipt time suggests or not, and is kept.
    if (day > DaysInMonth(2000, month)) return false;
    *ns = ResolveYearlessTime(month, day, h, m, sec, frac, clock);
    *year_assumed = true;
  }
  s->remove_prefix(used);
  return true;
}

// "TAG[PID]: MSG", "TAG: MSG", "TAG(sub)[PID]: MSG", "TAG[x][PID]: MSG" and
// the old login(1) "-- root[PID]: MSG". Returns false when no tag is
// recognisable; then the whole text is the message.
bool ParseTag(std::string_view s, SyslogFrame* f) {
  constexpr size_t kMaxTag = 64;
  constexpr int kMaxBrackets = 4;
  size_t i = 0;
  bool saw_space = false;
  while (i < s.size() && i < kMaxTag && s[i] != ':' && s[i] != '[') {
    if (s[i] == ' ') saw_space = true;
    ++i;
  }
  if (i == 0 || i >= s.size() || i >= kMaxTag) return false;
  std::string_view tag = s.substr(0, i);
  std::string_view pid;
  // syslog(3) writes LOG_PID's "[pid]" after the ident, which may hold
  // brackets itself (ident "java[main]"): the pid is the last bracket, the
  // program what precedes the first (RFC 3164 4.1.3, rsyslog's programname).
  for (int n = 0; i < s.size() && s[i] == '['; ++n) {
    size_t close = s.find(']', i);
    if (n == kMaxBrackets || close == std::string_view::npos || close - i > 21) return false;
    pid = s.substr(i + 1, close - i - 1);
    i = close + 1;
  }
  if (i < s.size() && s[i] == ':') {
    ++i;
  } else if (pid.empty() || !(i == s.size() || s[i] == ' ')) {
    return false;
  }
  // A space inside the tag is only believable with the "[pid]:" shape, or as
  // "PROGRAM VERSION:" (sysklogd writes "syslogd 1.4.1: restart.").
  if (saw_space && pid.empty()) {
    size_t sp = tag.find(' ');
    std::string_view version = tag.substr(sp + 1);
    bool is_version = sp > 0 && !version.empty() && version.find(' ') == std::string_view::npos;
    for (char c : version) is_version = is_version && ((c >= '0' && c <= '9') || c == '.');
    if (!is_version) return false;
  }
  if (tag.back() == ' ') return false;
  if (i < s.size() && s[i] == ' ') ++i;
  f->app_name = tag;
  f->proc_id = pid;
  f->message = s.substr(i);
  return true;
}

// A first word that can only be a tag: "prog:" or "prog[pid]".
bool IsTagWord(std::string_view word) {
  return !word.empty() &&
         (word.back() == ':' || (word.back() == ']' && word.find('[') != word.npos));
}

ParseError ParseRfc3164(std::string_view s, const SyslogClock& clock, SyslogFrame* f) {
  f->format = SyslogFormat::kRfc3164;
  bool parsed_time = false;
  if (s.size() >= 19 && IsDigit(s[0]) && s[4] == '-') {
    size_t end = s.find(' ');
    // "YYYY-MM-DD hh:mm:ss" (rsyslog's date-pgsql) puts a space where RFC 3339
    // has its T: the time is part of the timestamp, not the host.
    if (end == 10 && s[13] == ':' && s[16] == ':') end = s.find(' ', 11);
    std::string_view tok = s.substr(0, end);
    auto ns = ParseRfc3339(tok, clock.utc_offset_seconds);
    if (!ns) return ParseError::kBadTimestamp;
    f->timestamp_ns = *ns;
    s.remove_prefix(tok.size());
    parsed_time = true;
  } else {
    parsed_time = ParseBsdTimestamp(&s, clock, &f->timestamp_ns, &f->year_assumed);
  }
  if (!parsed_time) {
    // RFC 3164 4.3.3: a PRI followed by no valid timestamp is still a message.
    if (f->priority < 0) return ParseError::kBadTimestamp;
    // "<PRI>TAG[PID]: MSG", as logger(1) writes to a local socket.
    if (!IsTagWord(s.substr(0, s.find(' '))) || !ParseTag(s, f)) f->message = s;
    return ParseError::kNone;
  }
  if (s.empty()) return ParseError::kTruncated;
  if (s[0] != ' ') return ParseError::kBadFrame;
  s.remove_prefix(1);
  // The host is present unless the first token is already the tag.
  size_t sp = s.find(' ');
  std::string_view first = s.substr(0, sp);
  if (!IsTagWord(first) && !first.empty()) {
    f->hostname = first;
    s.remove_prefix(sp == std::string_view::npos ? s.size() : sp);
    while (!s.empty() && s[0] == ' ') s.remove_prefix(1);
  }
  if (!ParseTag(s, f)) f->message = s;
  return ParseError::kNone;
}

// Reads one RFC 5424 header field (1..max PRINTUSASCII, "-" = nil) followed by
// a single space.
bool HeaderField(std::string_view* s, size_t max, std::string_view* out) {
  size_t i = 0;
  while (i < s->size() && IsPrintUsAscii((*s)[i])) ++i;
  if (i == 0 || i > max || i >= s->size() || (*s)[i] != ' ') return false;
  std::string_view tok = s->substr(0, i);
  *out = tok == "-" ? std::string_view() : tok;
  s->remove_prefix(i + 1);
  return true;
}

bool IsSdNameChar(char c) { return IsPrintUsAscii(c) && c != '=' && c != ']' && c != '"'; }

// Validates the SD-ELEMENTs at the start of `s`; on success `*len` is their
// length. Enforces unique SD-IDs (RFC 5424 6.3.2) and the value escapes
// go-syslog accepts: a backslash must precede '"', '\' or ']', and a bare ']'
// or '"' inside a value is an error.
ParseError ValidateStructuredData(std::string_view s, size_t* len) {
  constexpr size_t kMaxName = 32;
  constexpr int kMaxElements = 64;
  std::string_view ids[kMaxElements];
  int n_ids = 0;
  size_t i = 0;
  while (i < s.size() && s[i] == '[') {
    size_t id_start = ++i;
    while (i < s.size() && IsSdNameChar(s[i])) ++i;
    std::string_view id = s.substr(id_start, i - id_start);
    if (id.empty() || id.size() > kMaxName) return ParseError::kBadFrame;
    if (n_ids == kMaxElements) return ParseError::kTooLong;
    for (int k = 0; k < n_ids; ++k) {
      if (ids[k] == id) return ParseError::kBadFrame;
    }
    ids[n_ids++] = id;
    while (i < s.size() && s[i] == ' ') {
      size_t name_start = ++i;
      while (i < s.size() && IsSdNameChar(s[i])) ++i;
      size_t name_len = i - name_start;
      if (name_len == 0 || name_len > kMaxName) return ParseError::kBadFrame;
      if (i + 1 >= s.size()) return ParseError::kTruncated;
      if (s[i] != '=' || s[i + 1] != '"') return ParseError::kBadFrame;
      i += 2;
      for (;;) {
        if (i >= s.size()) return ParseError::kTruncated;
        char c = s[i];
        if (c == '"') break;
        if (c == ']') return ParseError::kBadEncoding;
        if (c == '\\') {
          if (i + 1 >= s.size()) return ParseError::kTruncated;
          char e = s[i + 1];
          if (e != '"' && e != '\\' && e != ']') return ParseError::kBadEncoding;
          i += 2;
          continue;
        }
        ++i;
      }
      ++i;  // closing quote
    }
    if (i >= s.size()) return ParseError::kTruncated;
    if (s[i] != ']') return ParseError::kBadFrame;
    ++i;
  }
  if (i == 0) return ParseError::kBadFrame;
  *len = i;
  return ParseError::kNone;
}

ParseError ParseRfc5424(std::string_view s, SyslogFrame* f) {
  f->format = SyslogFormat::kRfc5424;
  // VERSION = NONZERO-DIGIT 0*2DIGIT
  size_t i = 0;
  int version = 0;
  while (i < s.size() && i < 3 && IsDigit(s[i])) version = version * 10 + (s[i++] - '0');
  if (i == 0 || s[0] == '0') return ParseError::kBadFrame;
  f->version = version;
  if (i >= s.size()) return ParseError::kTruncated;
  if (s[i] != ' ') return ParseError::kBadFrame;
  s.remove_prefix(i + 1);
  size_t sp = s.find(' ');
  std::string_view ts = s.substr(0, sp);
  if (ts != "-") {
    if (!ParseRfc5424Timestamp(ts, &f->timestamp_ns)) return ParseError::kBadTimestamp;
  }
  if (sp == std::string_view::npos) return ParseError::kTruncated;
  s.remove_prefix(sp + 1);
  if (!HeaderField(&s, 255, &f->hostname) || !HeaderField(&s, 48, &f->app_name) ||
      !HeaderField(&s, 128, &f->proc_id) || !HeaderField(&s, 32, &f->msg_id)) {
    return s.empty() ? ParseError::kTruncated : ParseError::kBadFrame;
  }
  if (s.empty()) return ParseError::kTruncated;
  if (s[0] == '-') {
    s.remove_prefix(1);
  } else {
    size_t len = 0;
    ParseError err = ValidateStructuredData(s, &len);
    if (err != ParseError::kNone) return err;
    f->structured_data = s.substr(0, len);
    s.remove_prefix(len);
  }
  if (!s.empty()) {
    if (s[0] != ' ') return ParseError::kBadFrame;
    s.remove_prefix(1);
    if (s.substr(0, 3) == kBom) {
      s.remove_prefix(3);
      f->message_had_bom = true;
    }
  }
  f->message = s;
  return ParseError::kNone;
}

}  // namespace

bool ParseRfc5424Timestamp(std::string_view s, int64_t* ns) {
  if (s.size() < 20 || !AllDigits(s, 0, 4) || s[4] != '-' || !AllDigits(s, 5, 2) || s[7] != '-' ||
      !AllDigits(s, 8, 2) || s[10] != 'T' || !AllDigits(s, 11, 2) || s[13] != ':' ||
      !AllDigits(s, 14, 2) || s[16] != ':' || !AllDigits(s, 17, 2)) {
    return false;
  }
  int64_t year = TwoDigits(s, 0) * 100 + TwoDigits(s, 2);
  unsigned month = static_cast<unsigned>(TwoDigits(s, 5));
  unsigned day = static_cast<unsigned>(TwoDigits(s, 8));
  int h = TwoDigits(s, 11), m = TwoDigits(s, 14), sec = TwoDigits(s, 17);
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || h > 23 || m > 59 ||
      sec > 60) {
    return false;
  }
  size_t pos = 19;
  int64_t frac = 0;
  if (s[pos] == '.') {
    ++pos;
    size_t start = pos;
    int64_t scale = 100'000'000;
    while (pos < s.size() && IsDigit(s[pos])) {
      frac += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start || pos - start > 6) return false;
  }
  if (pos >= s.size()) return false;
  int64_t offset = 0;
  if (s[pos] == 'Z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    if (pos + 6 != s.size() || !AllDigits(s, pos + 1, 2) || s[pos + 3] != ':' ||
        !AllDigits(s, pos + 4, 2)) {
      return false;
    }
    int oh = TwoDigits(s, pos + 1), om = TwoDigits(s, pos + 4);
    if (oh > 23 || om > 59) return false;
    offset = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return false;
  }
  if (pos != s.size() || !InNanosRange(year)) return false;
  *ns = ToNanos(year, month, day, h, m, sec, frac, offset);
  return true;
}

int64_t ResolveYearlessTime(unsigned month, unsigned day, int hour, int minute, int second,
                            int64_t frac_ns, const SyslogClock& clock) {
  if (clock.fixed_year != 0) {
    return ToNanos(clock.fixed_year, month, day, hour, minute, second, frac_ns,
                   clock.utc_offset_seconds);
  }
  int64_t receipt = clock.receipt_ns != 0 ? clock.receipt_ns : NowNanos();
  int64_t year = YearOf(receipt + int64_t{clock.utc_offset_seconds} * kNanosPerSecond);
  int64_t ns = ToNanos(year, month, day, hour, minute, second, frac_ns, clock.utc_offset_seconds);
  constexpr int64_t kMonthNs = 31LL * 86400 * kNanosPerSecond;
  if (ns > receipt + kMonthNs) {
    ns = ToNanos(year - 1, month, day, hour, minute, second, frac_ns, clock.utc_offset_seconds);
  }
  return ns;
}

ParseError ParseSyslogFrame(std::string_view line, const SyslogClock& clock, SyslogFrame* f) {
  *f = SyslogFrame{};
  std::string_view s = line;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  size_t lead = 0;
  while (lead < s.size() && (s[lead] == ' ' || s[lead] == '\t')) ++lead;
  if (lead == s.size()) return ParseError::kEmpty;
  if (s[0] == '<') {
    // PRI = "<" 1*3DIGIT ">", no leading zeros, at most 191.
    size_t i = 1;
    int pri = 0;
    while (i < s.size() && i <= 3 && IsDigit(s[i])) pri = pri * 10 + (s[i++] - '0');
    if (i == 1 || i >= s.size() || s[i] != '>' || (s[1] == '0' && i > 2) || pri > 191) {
      return ParseError::kBadFrame;
    }
    f->priority = pri;
    f->facility = pri / 8;
    f->severity = pri % 8;
    s.remove_prefix(i + 1);
    if (!s.empty() && IsDigit(s[0]) && !(s.size() >= 5 && AllDigits(s, 0, 4) && s[4] == '-')) {
      return ParseRfc5424(s, f);
    }
    if (s.empty()) return ParseError::kTruncated;
  }
  return ParseRfc3164(s, clock, f);
}

bool IsValidStructuredData(std::string_view sd) {
  size_t len = 0;
  return !sd.empty() && ValidateStructuredData(sd, &len) == ParseError::kNone && len == sd.size();
}

std::string_view UnescapeSdValue(std::string_view raw, Arena& arena) {
  if (raw.find('\\') == std::string_view::npos) return raw;
  char* out = arena.Allocate(raw.size());
  size_t n = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\' && i + 1 < raw.size() &&
        (raw[i + 1] == '"' || raw[i + 1] == '\\' || raw[i + 1] == ']')) {
      c = raw[++i];
    }
    out[n++] = c;
  }
  arena.Shrink(raw.size() - n);
  return {out, n};
}

}  // namespace loghunt
