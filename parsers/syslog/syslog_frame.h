// Syslog frames: the envelope around a syslog message (priority, time, host,
// program, pid, structured data), for the two wire formats hosts ship:
//
//  - RFC 5424: "<PRI>VER TIMESTAMP HOST APP PROCID MSGID SD [BOM]MSG". Parsed
//    strictly (field lengths, PRINTUSASCII, valid dates, SD escapes, unique
//    SD-IDs), as influxdata/go-syslog does, because a frame that breaks these
//    rules is more likely garbage or an injection attempt than a real sender.
//  - RFC 3164 / BSD, as written to /var/log/auth.log and sent by most relays:
//    "[<PRI>]TIMESTAMP [HOST ]TAG[PID]: MSG" with TIMESTAMP "Mmm dd hh:mm:ss"
//    (the day also unpadded, "Jan 5"; optionally ".frac" and/or " YYYY") or
//    RFC 3339 (rsyslog file format), also with a space for its T
//    ("2024-01-15 10:00:00", rsyslog's date-pgsql). Parsed leniently: the host
//    or the tag may be missing, and after a PRI the timestamp too
//    ("<38>sshd[42]: MSG").
//
// Time without a zone is taken in SyslogClock::utc_offset_seconds; time
// without a year gets SyslogClock::fixed_year, or else the year of the
// receipt time, minus one when that would put the message more than a month
// after its receipt (December messages read in January).
//
// All views point into the input line. Nothing here allocates.
// Thread-safety: the functions are pure.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/arena.h"
#include "core/parse_error.h"

namespace loghunt {

enum class SyslogFormat : uint8_t { kRfc3164, kRfc5424, kJson };

// How to complete timestamps that lack a year or a zone.
struct SyslogClock {
  int32_t utc_offset_seconds = 0;  // east of UTC
  int32_t fixed_year = 0;          // 0 = derive from receipt_ns
  int64_t receipt_ns = 0;          // when the message was received (UTC ns)
};

// The fields of one frame, as views into the input (or, for JSON frames, into
// the decoder's buffers). Empty views mean "absent" (RFC 5424 NILVALUE too).
struct SyslogFrame {
  SyslogFormat format = SyslogFormat::kRfc3164;
  int priority = -1;          // 0..191; -1 when the frame has none
  int facility = -1;          // priority / 8, or given directly (JSON)
  int severity = -1;          // priority % 8, or given directly (JSON)
  int version = 0;            // RFC 5424 VERSION; 0 otherwise
  int64_t timestamp_ns = 0;   // UTC; 0 = unknown
  bool year_assumed = false;  // the timestamp had no year (RFC 3164): it came from the clock
  std::string_view hostname;
  std::string_view app_name;  // the tag / APP-NAME / SYSLOG_IDENTIFIER
  std::string_view proc_id;
  std::string_view msg_id;
  std::string_view structured_data;  // raw, escapes kept; validated
  std::string_view message;          // without the RFC 5424 BOM
  bool message_had_bom = false;
};

// Parses an RFC 5424 or RFC 3164 frame (detected from the text). Returns
// kNone on success. On failure the frame holds the fields read before the
// error (a "partial" frame) and the result says why: kEmpty, kBadFrame,
// kBadTimestamp, kTruncated, kBadEncoding (SD escape or SD-ID reuse).
ParseError ParseSyslogFrame(std::string_view line, const SyslogClock& clock, SyslogFrame* frame);

// Parses the RFC 5424 TIMESTAMP grammar exactly (upper-case T and Z, 1..6
// fraction digits, offsets within +-23:59, real calendar days). False when
// `text` is not one.
bool ParseRfc5424Timestamp(std::string_view text, int64_t* ns);

// Resolves a year-less civil time to UTC nanoseconds with `clock`.
int64_t ResolveYearlessTime(unsigned month, unsigned day, int hour, int minute, int second,
                            int64_t frac_ns, const SyslogClock& clock);

// True when `sd` is exactly one or more well-formed SD-ELEMENTs (the check
// ParseSyslogFrame applies; JSON frames need it before ForEachSdParam).
bool IsValidStructuredData(std::string_view sd);

// Walks the SD-ELEMENTs of a validated `structured_data` view and calls
// `visit(sd_id, param_name, raw_value)` for each SD-PARAM (raw_value still
// escaped), and `visit(sd_id, {}, {})` for an element without params.
template <typename Visit>
void ForEachSdParam(std::string_view sd, Visit&& visit);

// Removes the RFC 5424 escapes (\" \\ \]) of a raw SD-PARAM value. Returns
// `raw` itself when it has no backslash; otherwise the text lives in `arena`.
std::string_view UnescapeSdValue(std::string_view raw, Arena& arena);

// --- implementation of the template ---

template <typename Visit>
void ForEachSdParam(std::string_view sd, Visit&& visit) {
  size_t i = 0;
  while (i < sd.size() && sd[i] == '[') {
    size_t id_start = ++i;
    while (i < sd.size() && sd[i] != ' ' && sd[i] != ']') ++i;
    std::string_view id = sd.substr(id_start, i - id_start);
    bool any = false;
    while (i < sd.size() && sd[i] == ' ') {
      size_t name_start = ++i;
      while (i < sd.size() && sd[i] != '=') ++i;
      std::string_view name = sd.substr(name_start, i - name_start);
      i += 2;  // '="'
      size_t value_start = i;
      while (i < sd.size() && sd[i] != '"') i += (sd[i] == '\\') ? 2 : 1;
      if (i > sd.size()) return;  // cannot happen on a validated view
      visit(id, name, sd.substr(value_start, i - value_start));
      any = true;
      ++i;  // closing quote
    }
    if (!any) visit(id, std::string_view(), std::string_view());
    ++i;  // ']'
  }
}

}  // namespace loghunt
