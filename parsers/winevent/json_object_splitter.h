// SplitJsonObjects: cuts a file of concatenated JSON objects into one view per
// object, so each can be handed to WineventParser::Parse as one message.
//
// evtx_dump (the Sigma regression data) writes pretty-printed objects one after
// another, several per file and spread over many lines, so line framing does
// not apply. This is a brace scanner aware of JSON strings and escapes; it does
// not validate the objects (the parser does), it only finds where each ends.
//
// The views point into `text` and are valid as long as it is. Whitespace
// between objects is skipped; anything else outside an object, or an object
// still open at the end of the text, stops the split and is reported.
// Thread-safety: a pure function.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace loghunt {

struct JsonSplitResult {
  std::vector<std::string_view> objects;  // complete top-level objects, in order
  bool ok = true;                         // false when stray text or an unclosed object was found
  size_t error_offset = 0;                // where the problem starts (valid when !ok)
};

JsonSplitResult SplitJsonObjects(std::string_view text);

// The same brace scanner fed piece by piece, for an object that arrives line
// by line (daemon/line_reader.h JsonObjectLines). Start it at the object's
// '{'. Thread-safety: none.
class JsonObjectEnd {
 public:
  // Continues the scan over `piece`: the offset in `piece` just past the
  // brace that closes the object, or npos while it is still open.
  size_t Scan(std::string_view piece);

 private:
  size_t depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;  // a backslash ended the previous piece inside a string
};

}  // namespace loghunt
