// JSON output on rapidjson, written straight into an std::string (no
// intermediate buffer). Shared by the alert/event serializers and the sinks.
//
// Strings are written as valid UTF-8: each byte of a log that starts no valid
// UTF-8 sequence becomes U+FFFD. Written as-is, such bytes made lines that
// strict readers (Python's json, Elasticsearch's _bulk, which then refused the
// alert) cannot read.
#pragma once

#include <rapidjson/writer.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/text.h"

namespace loghunt::json {

// rapidjson's output stream concept over an std::string we append to.
class StringOut {
 public:
  using Ch = char;
  explicit StringOut(std::string* s) : s_(s) {}
  void Put(char c) { s_->push_back(c); }
  void Flush() {}

 private:
  std::string* s_;
};

using Writer = rapidjson::Writer<StringOut>;

// Any rapidjson writer (the ioc command writes into a StringBuffer).
template <typename W>
void Key(W& w, std::string_view key) {
  if (IsValidUtf8(key)) {
    w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    return;
  }
  std::string valid = ReplaceInvalidUtf8(key);
  w.Key(valid.data(), static_cast<rapidjson::SizeType>(valid.size()));
}

template <typename W>
void String(W& w, std::string_view value) {
  if (IsValidUtf8(value)) {
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    return;
  }
  std::string valid = ReplaceInvalidUtf8(value);
  w.String(valid.data(), static_cast<rapidjson::SizeType>(valid.size()));
}

// "key": "value", left out when the value is empty.
inline void Str(Writer& w, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  Key(w, key);
  String(w, value);
}

inline void Int(Writer& w, std::string_view key, int64_t value) {
  Key(w, key);
  w.Int64(value);
}

// Appends `s` as one JSON string literal (quoted, escaped).
inline void AppendString(std::string_view s, std::string* out) {
  StringOut os(out);
  Writer w(os);
  String(w, s);
}

}  // namespace loghunt::json
