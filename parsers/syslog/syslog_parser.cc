#include "parsers/syslog/syslog_parser.h"

#include "core/text.h"
#include "core/time.h"
#include "parsers/syslog/syslog_semantics.h"

namespace loghunt {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Takes the next space-delimited token from `s`.
std::string_view NextToken(std::string_view* s) {
  size_t end = s->find(' ');
  std::string_view tok = s->substr(0, end);
  s->remove_prefix(end == std::string_view::npos ? s->size() : end + 1);
  return tok;
}

int CurrentYear() {
  std::string now = FormatRfc3339(NowNanos());
  return (now[0] - '0') * 1000 + (now[1] - '0') * 100 + (now[2] - '0') * 10 + (now[3] - '0');
}

// "Mmm dd hh:mm:ss" (dd may be space-padded). Consumes it and an optional
// " YYYY" that follows.
bool ParseBsdTimestamp(std::string_view* s, const ParserOptions& options, int64_t* ns) {
  std::string_view t = *s;
  if (t.size() < 15) return false;
  unsigned month = ParseMonthAbbrev(t.substr(0, 3));
  if (month == 0 || t[3] != ' ') return false;
  int day;
  if (t[4] == ' ' && IsDigit(t[5])) {
    day = t[5] - '0';
  } else if (IsDigit(t[4]) && IsDigit(t[5])) {
    day = (t[4] - '0') * 10 + (t[5] - '0');
  } else {
    return false;
  }
  if (t[6] != ' ' || !IsDigit(t[7]) || !IsDigit(t[8]) || t[9] != ':' || !IsDigit(t[10]) ||
      !IsDigit(t[11]) || t[12] != ':' || !IsDigit(t[13]) || !IsDigit(t[14])) {
    return false;
  }
  int h = (t[7] - '0') * 10 + (t[8] - '0');
  int m = (t[10] - '0') * 10 + (t[11] - '0');
  int sec = (t[13] - '0') * 10 + (t[14] - '0');
  if (day < 1 || day > 31 || h > 23 || m > 59 || sec > 60) return false;
  size_t used = 15;
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
  int year = options.default_year != 0 ? options.default_year : CurrentYear();
  if (t.size() >= used + 5 && t[used] == ' ' && IsDigit(t[used + 1]) && IsDigit(t[used + 2]) &&
      IsDigit(t[used + 3]) && IsDigit(t[used + 4]) &&
      (t.size() == used + 5 || t[used + 5] == ' ')) {
    year = std::stoi(std::string(t.substr(used + 1, 4)));
    used += 5;
  }
  int64_t days = DaysFromCivil(year, month, static_cast<unsigned>(day));
  *ns = ((days * 86400 + h * 3600 + m * 60 + sec) - options.default_utc_offset_seconds) *
            kNanosPerSecond +
        frac;
  s->remove_prefix(used);
  return true;
}

// "TAG[PID]: MSG", "TAG: MSG" or "TAG(sub)[PID]: MSG". Returns false when no tag
// is recognisable; then everything is the message.
bool ParseTag(std::string_view s, std::string_view* tag, std::string_view* pid,
              std::string_view* msg) {
  size_t i = 0;
  while (i < s.size() && s[i] != ':' && s[i] != '[' && s[i] != ' ' && i < 64) ++i;
  if (i == 0 || i >= s.size()) return false;
  *tag = s.substr(0, i);
  if (s[i] == '[') {
    size_t close = s.find(']', i);
    if (close == std::string_view::npos) return false;
    *pid = s.substr(i + 1, close - i - 1);
    i = close + 1;
  }
  if (i < s.size() && s[i] == ':') {
    ++i;
  } else if (pid->empty()) {
    return false;
  }
  if (i < s.size() && s[i] == ' ') ++i;
  *msg = s.substr(i);
  return true;
}

ParseError ParseRfc5424(std::string_view s, const ParserOptions& options, SyslogFrame* f) {
  // s starts after "<PRI>"; version digits then space.
  size_t i = 0;
  while (i < s.size() && IsDigit(s[i]) && i < 3) ++i;
  if (i == 0 || i >= s.size() || s[i] != ' ') return ParseError::kBadFrame;
  f->version = std::stoi(std::string(s.substr(0, i)));
  s.remove_prefix(i + 1);
  std::string_view ts = NextToken(&s);
  if (ts.empty()) return ParseError::kBadFrame;
  if (ts != "-") {
    auto parsed = ParseRfc3339(ts, options.default_utc_offset_seconds);
    if (!parsed) return ParseError::kBadTimestamp;
    f->timestamp_ns = *parsed;
  }
  std::string_view* fields[] = {&f->hostname, &f->app_name, &f->proc_id, &f->msg_id};
  for (auto* field : fields) {
    std::string_view tok = NextToken(&s);
    if (tok.empty()) return ParseError::kTruncated;
    *field = tok == "-" ? std::string_view() : tok;
  }
  if (s.empty()) return ParseError::kTruncated;
  if (s[0] == '-') {
    s.remove_prefix(1);
  } else if (s[0] == '[') {
    // Structured data: one or more [id param="value"...] with \" \\ \] escapes.
    size_t j = 0;
    while (j < s.size() && s[j] == '[') {
      bool in_quotes = false;
      ++j;
      while (j < s.size()) {
        char c = s[j];
        if (in_quotes && c == '\\' && j + 1 < s.size()) {
          j += 2;
          continue;
        }
        if (c == '"') in_quotes = !in_quotes;
        if (c == ']' && !in_quotes) break;
        ++j;
      }
      if (j >= s.size()) return ParseError::kTruncated;
      ++j;  // past ']'
    }
    f->structured_data = s.substr(0, j);
    s.remove_prefix(j);
  } else {
    return ParseError::kBadFrame;
  }
  if (!s.empty()) {
    if (s[0] != ' ') return ParseError::kBadFrame;
    s.remove_prefix(1);
    if (s.size() >= 3 && s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);  // BOM
  }
  f->message = s;
  return ParseError::kNone;
}

}  // namespace

ParseError ParseSyslogFrame(std::string_view line, const ParserOptions& options,
                            SyslogFrame* f) {
  *f = SyslogFrame{};
  std::string_view s = TrimRight(line);
  if (Trim(s).empty()) return ParseError::kEmpty;
  if (s[0] == '<') {
    size_t close = s.find('>');
    if (close == std::string_view::npos || close < 2 || close > 4) return ParseError::kBadFrame;
    auto pri = ParseInt(s.substr(1, close - 1));
    if (!pri || *pri < 0 || *pri > 191) return ParseError::kBadFrame;
    f->priority = static_cast<int>(*pri);
    s.remove_prefix(close + 1);
    if (!s.empty() && IsDigit(s[0])) return ParseRfc5424(s, options, f);
  }
  if (!ParseBsdTimestamp(&s, options, &f->timestamp_ns)) return ParseError::kBadTimestamp;
  if (s.empty() || s[0] != ' ') {
    return s.empty() ? ParseError::kTruncated : ParseError::kBadFrame;
  }
  s.remove_prefix(1);
  // Hostname is present unless the next token is already the tag ("sshd[12]:").
  std::string_view rest = s;
  std::string_view first = NextToken(&rest);
  std::string_view tag, pid, msg;
  bool first_is_tag = !first.empty() && (first.back() == ':' || first.find('[') != std::string_view::npos);
  if (!first_is_tag) {
    f->hostname = first;
    s = rest;
  }
  if (ParseTag(s, &tag, &pid, &msg)) {
    f->app_name = tag;
    f->proc_id = pid;
    f->message = msg;
  } else {
    f->message = s;
  }
  return ParseError::kNone;
}

SyslogParser::SyslogParser(const ParserOptions& options) : options_(options) {
  if (options_.default_year == 0) options_.default_year = CurrentYear();
}

void SyslogParser::Parse(std::string_view message, const SourcePosition& position,
                         EventHandler& out) {
  SyslogFrame frame;
  ParseError err = ParseSyslogFrame(message, options_, &frame);
  if (err != ParseError::kNone) {
    out.OnError(err, message, position);
    return;
  }
  arena_.Reset();
  event_.Clear();
  event_.stream = Stream::kSyslog;
  event_.kind = EventKind::kOther;
  event_.timestamp_ns = frame.timestamp_ns;
  event_.host = frame.hostname;
  event_.program = frame.app_name;
  if (auto pid = ParseInt(frame.proc_id)) event_.process.pid = *pid;
  event_.message = frame.message;
  event_.raw = message;
  event_.position = position;
  if (frame.priority >= 0) {
    static constexpr std::string_view kSeverity[] = {"emerg", "alert", "crit", "err",
                                                     "warning", "notice", "info", "debug"};
    event_.extras.push_back({"syslog.severity", kSeverity[frame.priority % 8]});
    char* buf = arena_.Allocate(4);
    int n = std::snprintf(buf, 4, "%d", frame.priority / 8);
    event_.extras.push_back({"syslog.facility", std::string_view(buf, static_cast<size_t>(n))});
  }
  if (!frame.msg_id.empty()) event_.extras.push_back({"syslog.msgid", frame.msg_id});
  if (!frame.structured_data.empty()) {
    event_.extras.push_back({"syslog.structured_data", frame.structured_data});
  }
  ApplySyslogSemantics(&event_);
  out.OnEvent(event_);
}

}  // namespace loghunt
