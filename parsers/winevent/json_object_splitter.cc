#include "parsers/winevent/json_object_splitter.h"

namespace loghunt {
namespace {

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

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
    const size_t start = i;
    size_t depth = 0;
    bool in_string = false;
    for (; i < n; ++i) {
      char c = text[i];
      if (in_string) {
        if (c == '\\') {
          ++i;  // the escaped character cannot end the string
        } else if (c == '"') {
          in_string = false;
        }
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) break;
      }
    }
    if (i >= n) {
      result.ok = false;
      result.error_offset = start;
      return result;
    }
    ++i;  // past the closing brace
    result.objects.push_back(text.substr(start, i - start));
  }
  return result;
}

}  // namespace loghunt
