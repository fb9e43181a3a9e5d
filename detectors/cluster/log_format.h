// LogFormat: a log line's header layout, in the Loghub benchmark's notation,
// used to cut the message content out of raw lines before clustering:
//
//   <Date> <Time> <Pid> <Level> <Component>: <Content>
//   <Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>
//
// `<Name>` is a field (shortest match, like logparser's `(?P<Name>.*?)`), a
// run of spaces matches one or more whitespace characters, `\x` is the
// literal x, `(...)?` is an optional group (not nested), everything else is
// literal. The line must match as a whole; the `<Content>` field is the
// message. This is the dataset's line format, not a rule about messages.
//
// Matching backtracks with a fixed step budget, so a hostile line costs
// bounded time; a line that does not match (or exhausts the budget) has no
// content and callers use the whole line.
//
// Thread-safety: Extract() is const and keeps no state; share freely.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loghunt {

class LogFormat {
 public:
  // Parses `spec`. Returns nullopt and sets `error` when it is malformed
  // (unbalanced group, unterminated field, no <Content> field).
  static std::optional<LogFormat> Parse(std::string_view spec, std::string* error);

  // The <Content> part of `line` (a view into it), or nullopt.
  std::optional<std::string_view> Extract(std::string_view line) const;

 private:
  enum class Kind { kField, kSpace, kLiteral };
  struct Element {
    Kind kind;
    std::string text;  // literal text or field name
  };
  using Sequence = std::vector<Element>;

  bool Match(const Sequence& seq, size_t e, std::string_view line, size_t pos, int* budget,
             std::string_view* content) const;

  // One flat sequence per combination of optional groups, most groups first.
  std::vector<Sequence> alternatives_;
};

}  // namespace loghunt
