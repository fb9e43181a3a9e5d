// JSON output on rapidjson, written straight into an std::string (no
// intermediate buffer). Shared by the alert/event serializers and the sinks.
//
// Invalid UTF-8 is written as-is (rapidjson's default, unvalidated flags), so
// raw bytes from logs survive.
#pragma once

#include <rapidjson/writer.h>

#include <cstdint>
#include <string>
#include <string_view>

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

inline void Key(Writer& w, std::string_view key) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

inline void String(Writer& w, std::string_view value) {
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
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
