// OCSF output: an Alert as an OCSF 1.1 Detection Finding (class_uid 2004,
// category_uid 2 "Findings", activity Create), for SIEMs that ingest OCSF
// (Amazon Security Lake, Splunk, ...). Mapping:
//   finding_info.uid = alert id, .title = rule title, .analytic = the rule,
//   severity_id from the rule severity, time (ms) from the alert time,
//   device.hostname = host, observables from IoCs and entities,
//   raw_data = the triggering event's JSON, unmapped = loghunt-only fields.
//
// Also the one switch every sink uses to turn an Alert into bytes in the
// configured AlertFormat, so each format is implemented once.
//
// Thread-safety: pure functions; they only append to the caller's string.
#pragma once

#include <string>

#include "core/alert.h"
#include "sinks/sink.h"

namespace loghunt {

// Appends one OCSF Detection Finding JSON object (no trailing newline).
void AppendAlertOcsf(const Alert& alert, std::string* out);

// Appends `alert` in `format` (json, text or ocsf), no trailing newline.
void AppendAlertFormatted(const Alert& alert, AlertFormat format, std::string* out);

}  // namespace loghunt
