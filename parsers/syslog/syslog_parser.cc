#include "parsers/syslog/syslog_parser.h"

#include <algorithm>
#include <cstring>

#include "core/text.h"
#include "core/time.h"
#include "parsers/syslog/syslog_semantics.h"

namespace loghunt {
namespace {

constexpr std::string_view kSeverityNames[] = {"emerg",   "alert",  "crit", "err",
                                               "warning", "notice", "info", "debug"};
constexpr std::string_view kFacilityNames[] = {
    "kern",   "user",   "mail",     "daemon", "auth",   "syslog",   "lpr",     "news",
    "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "security", "console", "solaris-cron",
    "local0", "local1", "local2",   "local3", "local4", "local5",   "local6",  "local7"};
// Decimal text of 0..999 without formatting per event.
constexpr std::string_view Digits3(int v, char* buf) {
  if (v < 10) {
    buf[0] = static_cast<char>('0' + v);
    return {buf, 1};
  }
  if (v < 100) {
    buf[0] = static_cast<char>('0' + v / 10);
    buf[1] = static_cast<char>('0' + v % 10);
    return {buf, 2};
  }
  buf[0] = static_cast<char>('0' + v / 100);
  buf[1] = static_cast<char>('0' + v / 10 % 10);
  buf[2] = static_cast<char>('0' + v % 10);
  return {buf, 3};
}

bool IsJsonStart(std::string_view s) {
  for (char c : s) {
    if (c == '{') return true;
    if (c != ' ' && c != '\t') return false;
  }
  return false;
}

constexpr size_t kMaxSdParams = 32;

}  // namespace

SyslogParser::SyslogParser(const ParserOptions& options) : options_(options) {}

void SyslogParser::AddSyslogExtras(const SyslogFrame& frame) {
  auto& x = event_.extras;
  auto number = [this](int v) {
    char* buf = arena_.Allocate(3);
    std::string_view text = Digits3(v, buf);
    arena_.Shrink(3 - text.size());
    return text;
  };
  static constexpr std::string_view kFormat[] = {"rfc3164", "rfc5424", "json"};
  x.push_back({"log.syslog.format", kFormat[static_cast<int>(frame.format)]});
  if (frame.priority >= 0) x.push_back({"log.syslog.priority", number(frame.priority)});
  if (frame.facility >= 0 && frame.facility < 24) {
    x.push_back({"log.syslog.facility.code", number(frame.facility)});
    x.push_back({"log.syslog.facility.name", kFacilityNames[frame.facility]});
  }
  if (frame.severity >= 0 && frame.severity < 8) {
    x.push_back({"log.syslog.severity.code", number(frame.severity)});
    x.push_back({"log.syslog.severity.name", kSeverityNames[frame.severity]});
  }
  if (frame.version > 0) x.push_back({"log.syslog.version", number(frame.version)});
  if (!frame.msg_id.empty()) x.push_back({"log.syslog.msgid", frame.msg_id});
  if (frame.structured_data.empty()) return;
  x.push_back({"log.syslog.structured_data", frame.structured_data});
  if (frame.format == SyslogFormat::kJson && !IsValidStructuredData(frame.structured_data)) return;
  size_t params = 0;
  ForEachSdParam(frame.structured_data,
                 [&](std::string_view id, std::string_view name, std::string_view raw) {
                   if (name.empty() || params >= kMaxSdParams) return;
                   // Key "sd.<id>.<name>", built in the arena.
                   size_t len = 3 + id.size() + 1 + name.size();
                   char* key = arena_.Allocate(len);
                   std::memcpy(key, "sd.", 3);
                   std::memcpy(key + 3, id.data(), id.size());
                   key[3 + id.size()] = '.';
                   std::memcpy(key + 4 + id.size(), name.data(), name.size());
                   std::string_view k(key, len);
                   for (const auto& f : x) {
                     if (f.key == k) return;  // a repeated PARAM-NAME keeps its first value
                   }
                   x.push_back({k, UnescapeSdValue(raw, arena_)});
                   ++params;
                 });
}

void SyslogParser::Parse(std::string_view message, const SourcePosition& position,
                         EventHandler& out) {
  arena_.Reset();
  const int32_t fixed_year =
      options_.default_year != 0 ? options_.default_year + year_rollovers_ : 0;
  SyslogClock clock{options_.default_utc_offset_seconds, fixed_year, receipt_ns_};
  SyslogFrame frame;
  auto parse = [&] {
    return IsJsonStart(message) ? json_.Decode(message, clock, &frame, arena_)
                                : ParseSyslogFrame(message, clock, &frame);
  };
  ParseError err = parse();
  if (err != ParseError::kNone) {
    out.OnError(err, message, position);
    return;
  }
  // A fixed year is the year of the stream's first year-less message: a
  // message dated over half a year before the previous one (Jan 1 after
  // Dec 31) starts the next year; one dated over half a year after it (a
  // late Dec 31 after the rollover) belongs to the year before.
  constexpr int64_t kHalfYearNs = 183LL * 86400 * 1'000'000'000;
  if (fixed_year != 0 && frame.year_assumed) {
    int32_t shift = 0;
    if (last_assumed_ns_ != 0 && frame.timestamp_ns < last_assumed_ns_ - kHalfYearNs) {
      shift = 1;
    } else if (last_assumed_ns_ != 0 && year_rollovers_ > 0 &&
               frame.timestamp_ns > last_assumed_ns_ + kHalfYearNs) {
      shift = -1;
    }
    if (shift != 0) {
      clock.fixed_year = fixed_year + shift;
      arena_.Reset();
      // The same text with another year: only Feb 29 can fail now.
      if ((err = parse()) != ParseError::kNone) {
        out.OnError(err, message, position);
        return;
      }
    }
    if (shift >= 0) {
      year_rollovers_ += shift;
      last_assumed_ns_ = frame.timestamp_ns;
    }
  }
  event_.Clear();
  event_.stream = Stream::kSyslog;
  event_.kind = EventKind::kOther;
  event_.timestamp_ns = frame.timestamp_ns;
  event_.host = frame.hostname;
  event_.program = frame.app_name;
  if (auto pid = ParseInt(frame.proc_id)) event_.process.pid = *pid;
  // rsyslog's msg keeps the space after the tag (JSON templates, RFC 5424
  // forwarding "- -  text"); the semantics read the message from its start.
  // Only spaces: a leading CR or tab is the sender's text.
  std::string_view text = TrimRight(frame.message);
  text.remove_prefix(std::min(text.find_first_not_of(' '), text.size()));
  event_.message = text;
  event_.raw = message;
  event_.position = position;
  AddSyslogExtras(frame);
  ApplySyslogSemantics(&event_);
  out.OnEvent(event_);
}

}  // namespace loghunt
