// JSON serialization of Event and Alert with ECS-style dotted names. The field
// list is documented in docs/schema.md; empty fields are omitted.
//
// The writers append to a caller-owned std::string so a worker can reuse one
// buffer for every event (no allocation once it has grown).
#pragma once

#include <string>
#include <string_view>

#include "core/alert.h"
#include "core/event.h"

namespace loghunt {

// Appends one JSON object (no trailing newline).
void AppendEventJson(const Event& event, std::string* out);
void AppendAlertJson(const Alert& alert, std::string* out);

std::string SerializeEvent(const Event& event);
std::string SerializeAlert(const Alert& alert);

// The stable id serialized as each entity's "Id" (32 hex digits): the same
// thing gets the same id in every alert, on every daemon, so alerts can be
// joined on their entities. It hashes the type and the properties that name
// the thing, not those that describe it (enrichment such as GeoIP does not
// change it): IpAddress Address; Dns DomainName and Host HostName
// (case-insensitive); Url Url; FileHash Algorithm and Value
// (case-insensitive); Mailbox MailboxPrimaryAddress; ThreatIntelligence
// Provider, Indicator and Observable. Things that exist per machine (Account
// Name, File FullPath, Process ProcessId, ImageFile and CommandLine) also
// hash the alert's `host`. Other types hash all their properties.
std::string EntityId(const Entity& entity, std::string_view host);

// Appends a one-line human-readable form:
// "2019-02-12T04:10:25Z high  host  rule-title  summary  [id]".
void AppendAlertText(const Alert& alert, std::string* out);

// Appends `text` for a line a person or a line-oriented tool reads: a control
// character (a newline, ESC, a C1 control) becomes \n, \r, \t, \xNN or
// \u00NN, a backslash \\, and a byte that starts no valid UTF-8 sequence
// U+FFFD. Written as-is, an attacker's text made a second, forged line (an
// alert, a log line) or moved a terminal's cursor.
void AppendPrintable(std::string_view text, std::string* out);
// The same as a string (for log messages).
std::string Printable(std::string_view text);

}  // namespace loghunt
