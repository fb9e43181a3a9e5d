// ParseError: why a message could not be turned into an Event.
//
// Parsers never throw and never abort on bad input; they report one of these
// reasons, which the pipeline counts per stream (metric
// loghunt_parse_errors_total{stream,reason}) and may send to a dead-letter sink.
// The names are stable: they appear in metrics, summaries and dead-letter headers.
#pragma once

#include <cstdint>
#include <string_view>

namespace loghunt {

enum class ParseError : uint8_t {
  kNone,
  kEmpty,          // empty or whitespace-only message
  kTooLong,        // longer than the configured maximum message size
  kTruncated,      // ends in the middle of a field or structure
  kBadFrame,       // the envelope (syslog header, audit record header) is malformed
  kBadJson,        // not valid JSON
  kMissingField,   // a required field (EventID, msg=audit(...)) is absent
  kWrongType,      // a field has the wrong JSON type or is not a number
  kBadEncoding,    // invalid hex, UTF-8 or escape sequence
  kBadTimestamp,   // a timestamp that cannot be read
  kTooManyOpen,    // an assembler dropped its oldest open event to stay bounded
  kUnsupported,    // a well-formed message of a shape this parser does not handle
};
constexpr int kParseErrorCount = 12;

std::string_view ParseErrorName(ParseError error);

}  // namespace loghunt
