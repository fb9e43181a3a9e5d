#include "parsers/auditd/auditd_parser.h"
#include "parsers/parser.h"
#include "parsers/syslog/syslog_parser.h"
#include "parsers/winevent/winevent_parser.h"

namespace loghunt {

std::unique_ptr<StreamParser> MakeParser(Stream stream, const ParserOptions& options) {
  switch (stream) {
    case Stream::kAuditd:
      return std::make_unique<AuditdParser>(options);
    case Stream::kSyslog:
      return std::make_unique<SyslogParser>(options);
    case Stream::kWinevent:
      return std::make_unique<WineventParser>(options);
  }
  return nullptr;
}

}  // namespace loghunt
