// Alert: what a detector reports. Unlike an Event, an Alert owns all its text,
// because it outlives the message that caused it (it waits in sink queues and
// for suppression windows). Alerts are rare next to events, so owning strings
// costs nothing on the hot path.
//
// The id is deterministic: a hash of the source position, the rule id and the
// detector's key, so replaying the same input (after a crash, on another
// daemon) gives the same ids and idempotent consumers see each alert once.
//
// Thread-safety: none; an Alert is moved between threads, not shared.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/event.h"

namespace loghunt {

enum class Severity : uint8_t { kInformational, kLow, kMedium, kHigh, kCritical };
std::string_view SeverityName(Severity severity);
// Accepts Sigma levels and our names ("informational", "low", ..., "critical").
bool ParseSeverity(std::string_view name, Severity* severity);

struct RuleRef {
  std::string id;
  std::string title;
  Severity severity = Severity::kMedium;
  std::vector<std::string> tags;
};

// An indicator found in the event, with the chain of decoders that revealed it
// ("" when found in the plain text, "base64 > utf16le" when decoded).
struct Observable {
  std::string type;  // ipv4, ipv6, dns, url, email, md5, sha1, sha256, sha512, windows_path, linux_path
  std::string value;
  std::string decode_chain;
  bool defanged = false;
  std::string ip_class;  // for ipv4/ipv6: private, loopback, link_local, multicast, reserved, public
};

// A msticpy-style entity (Host, Account, Process, IpAddress, Url, Dns, File,
// FileHash, ...): a type and ordered properties.
struct Entity {
  std::string type;
  std::vector<std::pair<std::string, std::string>> properties;
};

struct OwnedPosition {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
};

struct Alert {
  std::string id;
  int64_t time_ns = 0;  // the event's time, or detection time when the event has none
  RuleRef rule;
  std::string key;  // what distinguishes alerts of one rule (dedup key)
  std::string host;
  std::string summary;  // one line for people
  std::vector<Entity> entities;
  std::vector<Observable> observables;
  std::string evidence_json;  // the triggering event, serialized (see SerializeEvent)
  OwnedPosition position;
};

// Builds an alert for `event` with its id, time, host, position and evidence
// filled in. `key` distinguishes several alerts of one rule on one message.
Alert MakeAlert(const Event& event, RuleRef rule, std::string_view key);

// The deterministic alert id from its parts.
std::string AlertId(const SourcePosition& position, std::string_view rule_id,
                    std::string_view key);

}  // namespace loghunt
