#include "parsers/auditd/auditd_record.h"

#include <algorithm>
#include <charconv>

namespace loghunt {
namespace {

constexpr int64_t kMaxAuditSeconds = 9'000'000'000;

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

template <typename T>
bool ParseDigits(std::string_view s, size_t max_digits, T* out) {
  if (!AllDigits(s) || s.size() > max_digits) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// Splits off the word up to the next space; `rest` keeps what follows it.
std::string_view TakeWord(std::string_view* rest) {
  size_t sp = rest->find(' ');
  std::string_view word = rest->substr(0, sp);
  rest->remove_prefix(sp == std::string_view::npos ? rest->size() : sp + 1);
  return word;
}

}  // namespace

ParseError ParseAuditRecordHeader(std::string_view line, AuditRecordHeader* h) {
  *h = AuditRecordHeader{};
  std::string_view rest = line;
  if (rest.starts_with("node=")) {
    h->node = TakeWord(&rest).substr(5);
    if (h->node.empty()) return ParseError::kBadFrame;
  }
  if (!rest.starts_with("type=")) return ParseError::kBadFrame;
  h->type = TakeWord(&rest).substr(5);
  if (h->type.empty()) return ParseError::kBadFrame;
  if (!rest.starts_with("msg=audit(")) {
    return rest.find("msg=audit(") == std::string_view::npos ? ParseError::kMissingField
                                                             : ParseError::kBadFrame;
  }
  rest.remove_prefix(10);
  size_t close = rest.find("):");
  if (close == std::string_view::npos) return ParseError::kBadTimestamp;
  h->id = rest.substr(0, close);
  size_t dot = h->id.find('.');
  size_t colon = h->id.find(':');
  if (dot == std::string_view::npos || colon == std::string_view::npos || colon < dot) {
    return ParseError::kBadTimestamp;
  }
  // libauparse reads the same three numbers; limits keep seconds*1e9 in range.
  if (!ParseDigits(h->id.substr(0, dot), 10, &h->seconds) ||
      !ParseDigits(h->id.substr(dot + 1, colon - dot - 1), 3, &h->millis) ||
      !ParseDigits(h->id.substr(colon + 1), 19, &h->serial)) {
    return ParseError::kBadTimestamp;
  }
  // Second 0 is "no timestamp" to libauparse; the cap keeps seconds * 1e9 in an
  // int64 (year 2255).
  if (h->seconds == 0 || h->seconds > kMaxAuditSeconds) return ParseError::kBadTimestamp;
  rest.remove_prefix(close + 2);
  size_t sep = rest.find(kAuditInterpSeparator);
  if (sep != std::string_view::npos) {
    h->enriched = rest.substr(sep + 1);
    rest = rest.substr(0, sep);
  }
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  h->fields = rest;
  return ParseError::kNone;
}

bool AuditFieldCursor::Next(AuditField* f) {
  while (!rest_.empty()) {
    while (!rest_.empty() && (rest_.front() == ' ' || rest_.front() == '\t')) {
      rest_.remove_prefix(1);
    }
    if (rest_.starts_with("msg='")) {  // userspace payload: read its fields in place
      rest_.remove_prefix(5);
      continue;
    }
    size_t end = 0;
    while (end < rest_.size() && rest_[end] != '=' && rest_[end] != ' ') ++end;
    if (end == rest_.size() || rest_[end] == ' ' || end == 0) {  // a word, not a field
      rest_.remove_prefix(end == rest_.size() ? end : end + 1);
      continue;
    }
    f->key = rest_.substr(0, end);
    rest_.remove_prefix(end + 1);
    if (!rest_.empty() && rest_.front() == '"') {
      size_t q = rest_.find('"', 1);
      if (q == std::string_view::npos) q = rest_.size();  // unterminated: take the rest
      f->value = rest_.substr(1, q - 1);
      f->quoted = true;
      rest_.remove_prefix(q == rest_.size() ? q : q + 1);
      // msg='... key="v"' ends with the quote of msg right after this one.
      if (!rest_.empty() && rest_.front() == '\'') rest_.remove_prefix(1);
    } else {
      size_t sp = rest_.find(' ');
      f->value = rest_.substr(0, sp);
      f->quoted = false;
      rest_.remove_prefix(sp == std::string_view::npos ? rest_.size() : sp + 1);
      // libaudit's audit_log_acct_message writes op as the caller gave it,
      // unquoted: shadow's "op=adding user id=1001". The words up to the next
      // field or the end of msg='...' belong to it.
      if (f->key == "op") {
        while (!f->value.empty() && f->value.back() != '\'' && !rest_.empty()) {
          std::string_view word = rest_.substr(0, rest_.find(' '));
          if (word.empty() || word.find('=') != std::string_view::npos) break;
          f->value = {f->value.data(),
                      static_cast<size_t>(word.data() + word.size() - f->value.data())};
          rest_.remove_prefix(std::min(word.size() + 1, rest_.size()));
        }
      }
      if (!f->value.empty() && f->value.back() == '\'') f->value.remove_suffix(1);
    }
    return true;
  }
  return false;
}

}  // namespace loghunt
