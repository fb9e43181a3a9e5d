// SyslogParser: one syslog message per call -> one normalized Event.
//
// Frames accepted (detected per message): RFC 5424 ("<PRI>1 TIMESTAMP HOST APP
// PROCID MSGID SD MSG") and RFC 3164 / BSD ("[<PRI>]Mmm dd hh:mm:ss [YYYY ]HOST
// TAG[PID]: MSG", as in /var/log/auth.log). A 3164 timestamp has no year and no
// zone: the year comes from ParserOptions::default_year (or the current year)
// and the zone from default_utc_offset_seconds.
//
// The message body is then given meaning (sshd logons, sudo commands, ...) by
// the semantics in syslog_semantics.h.
//
// Views in the Event point into the message or into this parser's arena, and
// are valid until the next Parse().
#pragma once

#include "core/arena.h"
#include "parsers/parser.h"

namespace loghunt {

// The fields of a syslog frame, as views into the message.
struct SyslogFrame {
  int priority = -1;  // -1 when the message has no <PRI>
  int version = 0;    // 1 for RFC 5424, 0 for RFC 3164
  int64_t timestamp_ns = 0;
  std::string_view hostname;
  std::string_view app_name;
  std::string_view proc_id;
  std::string_view msg_id;
  std::string_view structured_data;
  std::string_view message;
};

// Parses the frame of `line`. Returns kNone on success.
ParseError ParseSyslogFrame(std::string_view line, const ParserOptions& options,
                            SyslogFrame* frame);

class SyslogParser : public StreamParser {
 public:
  explicit SyslogParser(const ParserOptions& options);
  Stream stream() const override { return Stream::kSyslog; }
  void Parse(std::string_view message, const SourcePosition& position,
             EventHandler& out) override;

 private:
  ParserOptions options_;
  Event event_;
  Arena arena_;
};

}  // namespace loghunt
