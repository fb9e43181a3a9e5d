// SyslogJsonDecoder: syslog messages that arrive wrapped in a JSON object,
// as shippers put them on Kafka:
//  - journald export (`journalctl -o json`): MESSAGE (string, or an array of
//    bytes when not UTF-8), _HOSTNAME, SYSLOG_IDENTIFIER, SYSLOG_PID / _PID,
//    __REALTIME_TIMESTAMP (microseconds), PRIORITY (a severity), SYSLOG_FACILITY;
//  - rsyslog JSON templates and %jsonmesg% (omkafka): msg / message,
//    hostname / host, programname / app-name / syslogtag, procid,
//    timereported / @timestamp / timestamp / time, pri, syslogseverity(-text),
//    syslogfacility(-text), msgid, structured-data;
//  - ECS-style shippers (Filebeat, Vector): message, host.name,
//    process.name / process.pid, @timestamp, log.syslog.* is not read.
// When several keys give the same field, the most specific wins (journald's
// SYSLOG_IDENTIFIER over _COMM, timereported over @timestamp). A time is RFC
// 3339 or epoch seconds (a number, fraction allowed; milliseconds when over
// 1e11, as fluentd's in_syslog writes it); one that cannot be read leaves the
// timestamp unknown (0), it is not an error. When the
// object names no program but its message is itself a syslog line (a
// shipper forwarding /var/log/auth.log lines), that line's frame fills the
// fields the object left empty.
//
// Views in the frame point into this decoder's buffers (or the arena) and are
// valid until the next Decode(). Memory: one padded copy of the largest
// message seen plus simdjson's buffers, both reused. Thread-safety: none.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "core/arena.h"
#include "core/parse_error.h"
#include "parsers/syslog/syslog_frame.h"

namespace loghunt {

class SyslogJsonDecoder {
 public:
  // Decodes `message` (a JSON object) into `frame`. Errors: kBadJson,
  // kTruncated, kBadEncoding, kWrongType (e.g. MESSAGE is a number),
  // kMissingField (no message at all), kUnsupported (valid JSON that is not
  // an object). Invalid UTF-8 and lone surrogate escapes are replaced by
  // U+FFFD (RepairJsonText), not errors. The frame's text stays valid until
  // the next call.
  ParseError Decode(std::string_view message, const SyslogClock& clock, SyslogFrame* frame,
                    Arena& arena);

 private:
  ParseError DecodeOnce(std::string_view message, const SyslogClock& clock, SyslogFrame* frame,
                        Arena& arena);

  simdjson::ondemand::parser parser_;
  std::string padded_;
  std::string repaired_;  // the message, bad encoding replaced
};

}  // namespace loghunt
