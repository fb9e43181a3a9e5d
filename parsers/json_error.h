// JsonParseError: the ParseError a simdjson error stands for, shared by the
// parsers that read JSON (winevent, syslog JSON).
#pragma once

#include <simdjson.h>

#include "core/parse_error.h"

namespace loghunt {

inline ParseError JsonParseError(simdjson::error_code error) {
  switch (error) {
    case simdjson::UTF8_ERROR:
    case simdjson::STRING_ERROR:
    case simdjson::UNESCAPED_CHARS:
      return ParseError::kBadEncoding;
    case simdjson::UNCLOSED_STRING:
    case simdjson::INCOMPLETE_ARRAY_OR_OBJECT:
      return ParseError::kTruncated;
    case simdjson::CAPACITY:
      return ParseError::kTooLong;
    case simdjson::INCORRECT_TYPE:
      return ParseError::kWrongType;
    default:
      return ParseError::kBadJson;
  }
}

}  // namespace loghunt
