// SyslogParser: one syslog message per call -> one normalized Event.
//
// The frame is detected per message: a JSON object (journald export, rsyslog
// / omkafka templates; see syslog_json.h), RFC 5424 or RFC 3164 (see
// syslog_frame.h). Timestamps without a zone use
// ParserOptions::default_utc_offset_seconds; without a year,
// ParserOptions::default_year, or when that is 0 the year of the receipt time
// (set_receipt_time_ns, else the wall clock at Parse), minus one when the
// result would lie more than a month after receipt.
//
// The Event carries host, program, pid, message (without the white space
// around it) and, as extras:
// log.syslog.priority / .facility.code / .facility.name / .severity.code /
// .severity.name, log.syslog.msgid, log.syslog.version, log.syslog.format
// ("rfc3164", "rfc5424", "json"), log.syslog.structured_data (raw) and one
// "sd.<SD-ID>.<PARAM>" per structured-data parameter (unescaped; at most 32).
// The message is then given meaning (sshd logons, sudo commands, PAM
// sessions, ...) by syslog_semantics.h.
//
// A frame that cannot be read is reported with OnError and no event: the
// reasons are those of ParseSyslogFrame and SyslogJsonDecoder.
//
// Views in the Event point into the message, this parser's arena or its JSON
// buffers, and are valid until the next Parse(). The hot path allocates only
// while the arena and buffers grow to their working size.
// Thread-safety: none; one parser per worker.
#pragma once

#include "core/arena.h"
#include "parsers/parser.h"
#include "parsers/syslog/syslog_frame.h"
#include "parsers/syslog/syslog_json.h"

namespace loghunt {

class SyslogParser : public StreamParser {
 public:
  explicit SyslogParser(const ParserOptions& options);
  Stream stream() const override { return Stream::kSyslog; }
  void Parse(std::string_view message, const SourcePosition& position, EventHandler& out) override;

  // The receipt time used to give year-less timestamps a year (UTC ns);
  // 0 = the wall clock at each Parse(). Sources that know when a record
  // arrived (a Kafka record timestamp) set it per message.
  void set_receipt_time_ns(int64_t ns) { receipt_ns_ = ns; }

 private:
  void AddSyslogExtras(const SyslogFrame& frame);

  ParserOptions options_;
  int64_t receipt_ns_ = 0;
  // With a fixed year (parsers.year): the years the stream has rolled over
  // (December to January) and the last year-less timestamp.
  int32_t year_rollovers_ = 0;
  int64_t last_assumed_ns_ = 0;
  Event event_;
  Arena arena_;
  SyslogJsonDecoder json_;
};

}  // namespace loghunt
