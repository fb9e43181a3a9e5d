// JSON serialization of Event and Alert with ECS-style dotted names. The field
// list is documented in docs/schema.md; empty fields are omitted.
//
// The writers append to a caller-owned std::string so a worker can reuse one
// buffer for every event (no allocation once it has grown).
#pragma once

#include <string>

#include "core/alert.h"
#include "core/event.h"

namespace loghunt {

// Appends one JSON object (no trailing newline).
void AppendEventJson(const Event& event, std::string* out);
void AppendAlertJson(const Alert& alert, std::string* out);

std::string SerializeEvent(const Event& event);
std::string SerializeAlert(const Alert& alert);

// Appends a one-line human-readable form:
// "2019-02-12T04:10:25Z high  host  rule-title  summary  [id]".
void AppendAlertText(const Alert& alert, std::string* out);

}  // namespace loghunt
