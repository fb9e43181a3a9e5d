// Event: the normalized form every parser produces and every detector reads.
//
// An Event is a flat record of views. Every std::string_view in it points into
// the message it was parsed from, into the parser's own buffers, or into an
// Arena owned by the caller of the parser; the Event is valid only as long as
// those are, which for events handed to an EventHandler means: until the
// handler returns. Copy what must outlive the call (see Alert). `message` is a
// LazyText: a parser may leave it encoded; reading it decodes it.
//
// Events are reused: a parser keeps one Event and Clear()s it per message, so
// the hot path allocates nothing once `extras` has grown to its working size.
//
// Thread-safety: none; an Event belongs to the worker that parses it.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/lazy_text.h"

namespace loghunt {

enum class Stream : uint8_t { kAuditd, kSyslog, kWinevent };
constexpr int kStreamCount = 3;

enum class EventKind : uint8_t {
  kOther,
  kProcessStart,
  kLogon,
  kLogoff,
  kNetwork,
  kUserCommand,
  kAccountChange,
  kDnsQuery,
  kServiceInstall,
  kLogCleared,
};
constexpr int kEventKindCount = 10;

enum class LogonResult : uint8_t { kUnknown, kSuccess, kFailure };

std::string_view StreamName(Stream stream);
// Returns false when `name` is not a stream name ("auditd", "syslog", "winevent").
bool ParseStreamName(std::string_view name, Stream* stream);
std::string_view EventKindName(EventKind kind);
std::string_view LogonResultName(LogonResult result);

// Where a message came from: a Kafka record (topic, partition, offset) or a line
// of a replayed file (topic = file name, partition = -1, offset = line number,
// counted from 1).
//
// An event assembled from several messages (auditd records) carries the
// position of the message that completed it, and in `first_offset` the offset
// of its first message (-1 when it is the same), so a source never commits
// past a message whose event is not yet fully handled.
struct SourcePosition {
  std::string_view topic;
  int32_t partition = -1;
  int64_t offset = -1;
  int64_t first_offset = -1;

  int64_t lowest_offset() const {
    return first_offset >= 0 && first_offset < offset ? first_offset : offset;
  }
};

struct ProcessInfo {
  int64_t pid = -1;
  int64_t ppid = -1;
  std::string_view executable;
  std::string_view command_line;
  std::string_view cwd;
  std::string_view parent_executable;
  std::string_view parent_command_line;
  std::string_view user;
  std::string_view logon_id;
  // The image's file hashes (Sysmon `Hashes`: MD5, SHA1, SHA256), in the
  // order the source lists them; unused slots are empty. The same values are
  // in `extras` as process.hash.*: these slots spare the intel detector a walk
  // over every extra.
  std::array<std::string_view, 3> hashes;
};

struct NetworkInfo {
  std::string_view source_ip;
  int32_t source_port = -1;
  std::string_view destination_ip;
  int32_t destination_port = -1;
  std::string_view protocol;
};

struct LogonInfo {
  std::string_view user;
  std::string_view source_ip;
  LogonResult result = LogonResult::kUnknown;
  std::string_view method;  // "password", "publickey", "interactive", ...
};

// A field the normalized model has no slot for, kept under its source name.
struct ExtraField {
  std::string_view key;
  std::string_view value;
};

struct Event {
  Stream stream = Stream::kSyslog;
  EventKind kind = EventKind::kOther;
  int64_t timestamp_ns = 0;  // UTC nanoseconds since the epoch; 0 = unknown
  std::string_view host;
  std::string_view program;  // syslog tag / app name, audit record type, Windows channel
  ProcessInfo process;
  NetworkInfo network;
  LogonInfo logon;
  LazyText message;      // decoded on first read (see core/lazy_text.h)
  std::string_view raw;  // the whole input message (or, for assembled events, the first record)
  std::string_view dns_query;  // the name a DNS query asked for; also extras dns.question.name
  SourcePosition position;
  std::vector<ExtraField> extras;

  // Resets every field; keeps the capacity of `extras`.
  void Clear() {
    auto keep = std::move(extras);
    keep.clear();
    *this = Event{};
    extras = std::move(keep);
  }

  // Returns the value of the extra field `key`, or an empty view.
  std::string_view Extra(std::string_view key) const {
    for (const auto& f : extras) {
      if (f.key == key) return f.value;
    }
    return {};
  }
};

}  // namespace loghunt
