#include "parsers/winevent/json_object_splitter.h"

namespace loghunt {
namespace {

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

size_t JsonObjectEnd::Scan(std::string_view piece) {
  for (size_t i = 0; i < piece.size(); ++i) {
    const char c = piece[i];
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;  // the escaped character cannot end the string
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
    } else if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
    } else if ((c == '}' || c == ']') && (depth_ == 0 || --depth_ == 0)) {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

JsonSplitResult SplitJsonObjects(std::string_view text) {
  JsonSplitResult result;
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    if (IsJsonSpace(text[i])) {
      ++i;
      continue;
    }
    if (text[i] != '{') {
      result.ok = false;
      result.error_offset = i;
      return result;
    }
    const size_t end = JsonObjectEnd().Scan(text.substr(i));
    if (end == std::string_view::npos) {
      result.ok = false;
      result.error_offset = i;
      return result;
    }
    result.objects.push_back(text.substr(i, end));
    i += end;
  }
  return result;
}

}  // namespace loghunt
