// Helpers shared by the syslog parser tests: a handler that keeps the last
// event or error, and access to lines of the corpus files.
#pragma once

#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/parser.h"
#include "parsers/syslog/syslog_parser.h"

namespace loghunt::testing {

// Keeps the last event (its views stay valid until the parser's next Parse)
// or the last error.
class CapturingHandler : public EventHandler {
 public:
  void OnEvent(const Event& e) override {
    event = e;
    ++events;
  }
  void OnError(ParseError reason, std::string_view, const SourcePosition&) override {
    error = reason;
    ++errors;
  }
  Event event;
  ParseError error = ParseError::kNone;
  int events = 0;
  int errors = 0;
};

inline std::string CorpusPath(std::string_view relative) {
  return std::string(LOGHUNT_CORPORA) + "/" + std::string(relative);
}

inline std::vector<std::string> ReadLines(std::string_view relative) {
  std::ifstream in(CorpusPath(relative), std::ios::binary);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// Line `n` (counted from 1) of a corpus file.
inline std::string CorpusLine(std::string_view relative, size_t n) {
  auto lines = ReadLines(relative);
  return n >= 1 && n <= lines.size() ? lines[n - 1] : std::string();
}

inline ParserOptions FixedYear(int year) {
  ParserOptions o;
  o.default_year = year;
  return o;
}

}  // namespace loghunt::testing
