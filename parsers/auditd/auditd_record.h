// Audit record text: the header every record starts with and the key=value
// fields after it.
//
//   [node=NAME ]type=TYPE msg=audit(SECONDS.MILLIS:SERIAL): FIELDS[\x1dENRICHED]
//
// Everything here works on views into the caller's text and allocates nothing;
// the results are valid as long as that text is.
//
// Thread-safety: pure functions and a value-type cursor; no shared state.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/parse_error.h"

namespace loghunt {

// The separator auditd writes before the interpreted fields (log_format=ENRICHED).
inline constexpr char kAuditInterpSeparator = '\x1d';

struct AuditRecordHeader {
  std::string_view node;  // empty without a node= prefix
  std::string_view type;  // "SYSCALL", "UNKNOWN[1334]", ...
  std::string_view id;    // "SECONDS.MILLIS:SERIAL", the event's identity with node
  int64_t seconds = 0;
  uint32_t millis = 0;
  uint64_t serial = 0;
  std::string_view fields;    // raw fields, without the enriched part
  std::string_view enriched;  // after the 0x1D separator; empty when absent

  int64_t timestamp_ns() const { return seconds * 1'000'000'000 + int64_t{millis} * 1'000'000; }
};

// Parses one record line (no trailing newline). Returns kNone on success, else:
// kBadFrame (does not start with type=/node=, or the parts are not in order),
// kMissingField (no msg=audit(...)), kBadTimestamp (unreadable stamp or serial,
// or second 0, which libauparse takes for "no timestamp").
// The accepted shape is strict on purpose: it is exactly what libauparse keys
// events by, so the assembler's view of event identity never diverges from it.
ParseError ParseAuditRecordHeader(std::string_view line, AuditRecordHeader* header);

// One key=value of a record. `value` has its double quotes removed; `quoted`
// tells whether it had them (unquoted values of encoded fields are hex).
struct AuditField {
  std::string_view key;
  std::string_view value;
  bool quoted = false;
};

// Walks the fields of a record body (or of its enriched part). Words without
// '=' (the "avc:  denied  { read }" prose) are skipped, except those after an
// unquoted op= value, which are part of it ("op=adding user"); the fields
// inside a userspace msg='...' are returned as if they were top-level ones,
// which is how auditd's own tools read them. Never reads past `text`.
class AuditFieldCursor {
 public:
  explicit AuditFieldCursor(std::string_view text) : rest_(text) {}
  // Stores the next field and returns true, or returns false at the end.
  bool Next(AuditField* field);

 private:
  std::string_view rest_;
};

}  // namespace loghunt
