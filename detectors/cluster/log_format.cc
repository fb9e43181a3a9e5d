#include "detectors/cluster/log_format.h"

namespace loghunt {
namespace {

constexpr int kStepBudget = 20000;
constexpr size_t kMaxGroups = 4;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

std::optional<LogFormat> LogFormat::Parse(std::string_view spec, std::string* error) {
  // Parse into items: (element, group index or -1).
  struct Item {
    Element element;
    int group;
  };
  std::vector<Item> items;
  int group = -1;
  int groups = 0;
  bool has_content = false;
  auto add_literal = [&](char c) {
    if (!items.empty() && items.back().element.kind == Kind::kLiteral &&
        items.back().group == group) {
      items.back().element.text.push_back(c);
    } else {
      items.push_back({{Kind::kLiteral, std::string(1, c)}, group});
    }
  };
  for (size_t i = 0; i < spec.size(); ++i) {
    char c = spec[i];
    if (c == '<') {
      size_t end = spec.find('>', i);
      if (end == std::string_view::npos) {
        *error = "unterminated field at column " + std::to_string(i + 1);
        return std::nullopt;
      }
      std::string name(spec.substr(i + 1, end - i - 1));
      if (name.empty()) {
        *error = "empty field name at column " + std::to_string(i + 1);
        return std::nullopt;
      }
      if (name == "Content") {
        if (group >= 0) {
          *error = "<Content> inside a group at column " + std::to_string(i + 1) +
                   " (close the group with ')?' before it; <Content> cannot be optional)";
          return std::nullopt;
        }
        has_content = true;
      }
      items.push_back({{Kind::kField, std::move(name)}, group});
      i = end;
    } else if (c == '\\' && i + 1 < spec.size()) {
      add_literal(spec[++i]);
    } else if (c == '(') {
      if (group >= 0) {
        *error = "nested group at column " + std::to_string(i + 1);
        return std::nullopt;
      }
      if (static_cast<size_t>(groups) == kMaxGroups) {
        *error = "more than 4 optional groups";
        return std::nullopt;
      }
      group = groups++;
    } else if (c == ')') {
      if (group < 0 || i + 1 >= spec.size() || spec[i + 1] != '?') {
        *error = "')' must close a group as ')?' at column " + std::to_string(i + 1);
        return std::nullopt;
      }
      group = -1;
      ++i;
    } else if (IsSpace(c)) {
      while (i + 1 < spec.size() && IsSpace(spec[i + 1])) ++i;
      items.push_back({{Kind::kSpace, " "}, group});
    } else {
      add_literal(c);
    }
  }
  if (group >= 0) {
    *error = "unclosed group";
    return std::nullopt;
  }
  if (!has_content) {
    *error = "no <Content> field";
    return std::nullopt;
  }
  LogFormat format;
  // Masks from all groups present down to none: with-group alternatives first,
  // as a greedy regex `(...)?` would try.
  for (int mask = (1 << groups) - 1; mask >= 0; --mask) {
    Sequence seq;
    for (const Item& item : items) {
      if (item.group < 0 || (mask & (1 << item.group))) seq.push_back(item.element);
    }
    format.alternatives_.push_back(std::move(seq));
  }
  return format;
}

bool LogFormat::Match(const Sequence& seq, size_t e, std::string_view line, size_t pos, int* budget,
                      std::string_view* content) const {
  if (--*budget < 0) return false;
  if (e == seq.size()) return pos == line.size();
  const Element& el = seq[e];
  switch (el.kind) {
    case Kind::kLiteral:
      if (line.substr(pos, el.text.size()) != el.text) return false;
      return Match(seq, e + 1, line, pos + el.text.size(), budget, content);
    case Kind::kSpace: {
      size_t end = pos;
      while (end < line.size() && IsSpace(line[end])) ++end;
      for (size_t stop = end; stop > pos; --stop) {  // greedy, like \s+
        if (Match(seq, e + 1, line, stop, budget, content)) return true;
        if (*budget < 0) return false;
      }
      return false;
    }
    case Kind::kField: {
      // Shortest match first, like `.*?`; only stop where the next element can start.
      for (size_t stop = pos; stop <= line.size(); ++stop) {
        if (e + 1 < seq.size()) {
          const Element& next = seq[e + 1];
          if (next.kind == Kind::kLiteral) {
            size_t at = line.find(next.text, stop);
            if (at == std::string_view::npos) return false;
            stop = at;
          } else if (next.kind == Kind::kSpace) {
            while (stop < line.size() && !IsSpace(line[stop])) ++stop;
            if (stop == line.size()) return false;
          }
        } else {
          stop = line.size();
        }
        if (Match(seq, e + 1, line, stop, budget, content)) {
          if (el.text == "Content") *content = line.substr(pos, stop - pos);
          return true;
        }
        if (*budget < 0) return false;
      }
      return false;
    }
  }
  return false;
}

std::optional<std::string_view> LogFormat::Extract(std::string_view line) const {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  // A budget per alternative (at most 2^kMaxGroups of them): with one shared
  // budget, a with-group alternative that backtracked through every field's
  // stops used it up and the alternative without the group, which matches,
  // was never tried (a kernel line of 20 words without [pid]).
  for (const Sequence& seq : alternatives_) {
    int budget = kStepBudget;
    std::string_view content;
    if (Match(seq, 0, line, 0, &budget, &content)) return content;
  }
  return std::nullopt;
}

}  // namespace loghunt
