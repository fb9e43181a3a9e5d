#include "core/event.h"

namespace loghunt {

std::string_view StreamName(Stream stream) {
  switch (stream) {
    case Stream::kAuditd:
      return "auditd";
    case Stream::kSyslog:
      return "syslog";
    case Stream::kWinevent:
      return "winevent";
  }
  return "unknown";
}

bool ParseStreamName(std::string_view name, Stream* stream) {
  for (Stream s : {Stream::kAuditd, Stream::kSyslog, Stream::kWinevent}) {
    if (StreamName(s) == name) {
      *stream = s;
      return true;
    }
  }
  return false;
}

std::string_view EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kOther:
      return "other";
    case EventKind::kProcessStart:
      return "process_start";
    case EventKind::kLogon:
      return "logon";
    case EventKind::kLogoff:
      return "logoff";
    case EventKind::kNetwork:
      return "network";
    case EventKind::kUserCommand:
      return "user_command";
    case EventKind::kAccountChange:
      return "account_change";
    case EventKind::kDnsQuery:
      return "dns_query";
    case EventKind::kServiceInstall:
      return "service_install";
    case EventKind::kLogCleared:
      return "log_cleared";
  }
  return "other";
}

std::string_view LogonResultName(LogonResult result) {
  switch (result) {
    case LogonResult::kSuccess:
      return "success";
    case LogonResult::kFailure:
      return "failure";
    case LogonResult::kUnknown:
      break;
  }
  return "unknown";
}

}  // namespace loghunt
