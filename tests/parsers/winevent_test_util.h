// Test helpers for the winevent parser: a handler that deep-copies every event
// (parser events are only valid during the callback) and every error.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/parser.h"

namespace loghunt::testing {

struct CapturedEvent {
  EventKind kind = EventKind::kOther;
  int64_t timestamp_ns = 0;
  std::string host, program, message;
  int64_t pid = -1, ppid = -1;
  std::string executable, command_line, cwd, parent_executable, parent_command_line, user, logon_id;
  std::string source_ip, destination_ip, protocol;
  int32_t source_port = -1, destination_port = -1;
  std::string logon_user, logon_source_ip, logon_method;
  LogonResult logon_result = LogonResult::kUnknown;
  std::map<std::string, std::string> extras;
  std::vector<std::string> hashes;  // ProcessInfo::hashes up to the first empty slot
  std::string dns_query;
  size_t extra_count = 0;  // to detect duplicate keys, which the map would hide
  // Views of the event that point into the parsed message (not the arena).
  std::vector<std::string> views_in_message;

  bool operator==(const CapturedEvent& o) const {
    return kind == o.kind && timestamp_ns == o.timestamp_ns && host == o.host &&
           program == o.program && message == o.message && pid == o.pid && ppid == o.ppid &&
           executable == o.executable && command_line == o.command_line && cwd == o.cwd &&
           parent_executable == o.parent_executable &&
           parent_command_line == o.parent_command_line && user == o.user &&
           logon_id == o.logon_id && source_ip == o.source_ip &&
           destination_ip == o.destination_ip && protocol == o.protocol &&
           source_port == o.source_port && destination_port == o.destination_port &&
           logon_user == o.logon_user && logon_source_ip == o.logon_source_ip &&
           logon_method == o.logon_method && logon_result == o.logon_result && extras == o.extras;
  }
};

class CapturingHandler : public EventHandler {
 public:
  void OnEvent(const Event& e) override {
    CapturedEvent c;
    c.kind = e.kind;
    c.timestamp_ns = e.timestamp_ns;
    c.host = e.host;
    c.program = e.program;
    c.message = e.message;
    c.pid = e.process.pid;
    c.ppid = e.process.ppid;
    c.executable = e.process.executable;
    c.command_line = e.process.command_line;
    c.cwd = e.process.cwd;
    c.parent_executable = e.process.parent_executable;
    c.parent_command_line = e.process.parent_command_line;
    c.user = e.process.user;
    c.logon_id = e.process.logon_id;
    c.source_ip = e.network.source_ip;
    c.destination_ip = e.network.destination_ip;
    c.protocol = e.network.protocol;
    c.source_port = e.network.source_port;
    c.destination_port = e.network.destination_port;
    c.logon_user = e.logon.user;
    c.logon_source_ip = e.logon.source_ip;
    c.logon_method = e.logon.method;
    c.logon_result = e.logon.result;
    for (const auto& f : e.extras) {
      c.extras[std::string(f.key)] = std::string(f.value);
      auto inside = [&](std::string_view v) {
        return !v.empty() && v.data() >= e.raw.data() &&
               v.data() + v.size() <= e.raw.data() + e.raw.size();
      };
      if (inside(f.value)) c.views_in_message.emplace_back(f.value);
    }
    for (std::string_view h : e.process.hashes) {
      if (h.empty()) break;
      c.hashes.emplace_back(h);
    }
    c.dns_query = e.dns_query;
    c.extra_count = e.extras.size();
    events.push_back(std::move(c));
  }
  void OnError(ParseError reason, std::string_view, const SourcePosition&) override {
    errors.push_back(reason);
  }
  std::vector<CapturedEvent> events;
  std::vector<ParseError> errors;
};

}  // namespace loghunt::testing
