#include "parsers/auditd/auditd_parser.h"

#include "core/text.h"
#include "core/time.h"

namespace loghunt {

AuditdParser::AuditdParser(const ParserOptions& options) : options_(options) {}

void AuditdParser::Parse(std::string_view message, const SourcePosition& position,
                         EventHandler& out) {
  std::string_view line = TrimRight(message);
  if (Trim(line).empty()) {
    out.OnError(ParseError::kEmpty, message, position);
    return;
  }
  if (line.substr(0, 5) != "type=") {
    out.OnError(ParseError::kBadFrame, message, position);
    return;
  }
  size_t sp = line.find(' ');
  size_t ts = line.find("msg=audit(");
  size_t close = ts == std::string_view::npos ? ts : line.find(')', ts);
  if (sp == std::string_view::npos || close == std::string_view::npos) {
    out.OnError(ParseError::kMissingField, message, position);
    return;
  }
  std::string_view stamp = line.substr(ts + 10, close - ts - 10);  // SECONDS.MILLIS:SERIAL
  size_t dot = stamp.find('.');
  size_t colon = stamp.find(':');
  auto secs = ParseInt(stamp.substr(0, dot));
  auto millis = dot == std::string_view::npos ? std::nullopt
                                               : ParseInt(stamp.substr(dot + 1, colon - dot - 1));
  if (!secs || !millis || colon == std::string_view::npos) {
    out.OnError(ParseError::kBadTimestamp, message, position);
    return;
  }
  event_.Clear();
  event_.stream = Stream::kAuditd;
  event_.kind = EventKind::kOther;
  event_.timestamp_ns = *secs * kNanosPerSecond + *millis * 1'000'000;
  event_.program = line.substr(5, sp - 5);
  size_t body = line.find(": ", close);
  event_.message = body == std::string_view::npos ? std::string_view() : line.substr(body + 2);
  event_.raw = message;
  event_.position = position;
  event_.extras.push_back({"audit.serial", stamp.substr(colon + 1)});
  out.OnEvent(event_);
}

}  // namespace loghunt
