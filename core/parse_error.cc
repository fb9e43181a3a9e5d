#include "core/parse_error.h"

namespace loghunt {

std::string_view ParseErrorName(ParseError error) {
  switch (error) {
    case ParseError::kNone:
      return "none";
    case ParseError::kEmpty:
      return "empty";
    case ParseError::kTooLong:
      return "too_long";
    case ParseError::kTruncated:
      return "truncated";
    case ParseError::kBadFrame:
      return "bad_frame";
    case ParseError::kBadJson:
      return "bad_json";
    case ParseError::kMissingField:
      return "missing_field";
    case ParseError::kWrongType:
      return "wrong_type";
    case ParseError::kBadEncoding:
      return "bad_encoding";
    case ParseError::kBadTimestamp:
      return "bad_timestamp";
    case ParseError::kTooManyOpen:
      return "too_many_open";
    case ParseError::kUnsupported:
      return "unsupported";
  }
  return "unknown";
}

}  // namespace loghunt
