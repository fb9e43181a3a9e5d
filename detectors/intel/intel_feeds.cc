#include "detectors/intel/intel_feeds.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/file.h"
#include "core/text.h"
#include "core/time.h"

namespace loghunt {

namespace {

using json = nlohmann::json;

uint8_t ClampConfidence(int64_t c) { return static_cast<uint8_t>(c < 0 ? 0 : c > 100 ? 100 : c); }

template <typename F>
void ForEachLine(std::string_view text, F&& f) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    f(TrimRight(line));
  }
}

// Calls f with each row of a CSV text. A row ends at a line break outside
// double quotes: a quoted field may hold line breaks (RFC 4180). A '#' line
// is a comment whatever quotes it holds, and a quote left open to the end of
// the text ends with its line, so one stray quote does not swallow the feed.
template <typename F>
void ForEachCsvRow(std::string_view text, F&& f) {
  while (!text.empty()) {
    size_t end = text.find('\n');
    if (!Trim(text.substr(0, end)).starts_with('#')) {
      bool quoted = false;
      size_t i = 0;
      for (; i < text.size() && (quoted || text[i] != '\n'); ++i) quoted ^= text[i] == '"';
      if (!quoted) end = i;
    }
    std::string_view row = text.substr(0, end);
    text = end >= text.size() ? std::string_view() : text.substr(end + 1);
    f(TrimRight(row));
  }
}

bool LoadList(const FeedConfig& c, std::string_view text, IndicatorStore* store, uint16_t feed,
              FeedLoadReport* r, std::string* error) {
  std::optional<IndicatorType> fixed;
  if (c.type != "auto") {
    fixed = ParseIndicatorType(c.type);
    if (!fixed) {
      *error = "unknown indicator type '" + c.type + "'";
      return false;
    }
  }
  ForEachLine(text, [&](std::string_view line) {
    line = Trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') return;
    // A comment after the value (`1.2.3.4 # c2`, Spamhaus DROP's
    // `1.10.16.0/20 ; SBL256894`) is the indicator's description; anything
    // else after it (a hosts file's `0.0.0.0 evil.example`) skips the row.
    std::string_view value = line, description;
    if (size_t blank = line.find_first_of(" \t"); blank != std::string_view::npos) {
      value = line.substr(0, blank);
      std::string_view rest = Trim(line.substr(blank));
      if (rest[0] != '#' && rest[0] != ';') {
        ++r->skipped;
        return;
      }
      description = Trim(rest.substr(1));
    }
    auto type = fixed ? fixed : GuessIndicatorType(value);
    if (type && store->Add(*type, value, feed, ClampConfidence(c.confidence), description, 0)) {
      ++r->loaded;
    } else {
      ++r->skipped;
    }
  });
  return true;
}

bool LoadCsv(const FeedConfig& c, std::string_view text, IndicatorStore* store, uint16_t feed,
             FeedLoadReport* r, std::string* error) {
  std::vector<std::string> header;
  bool first = true;
  int value_col = -1, type_col = -1, desc_col = -1, conf_col = -1, exp_col = -1;
  auto resolve = [&](const std::string& spec, int* col) -> bool {
    if (spec.empty()) return true;
    if (auto n = ParseInt(spec)) {
      *col = static_cast<int>(*n);
      return *n >= 0;
    }
    for (size_t i = 0; i < header.size(); ++i) {
      if (Trim(header[i]) == spec) {
        *col = static_cast<int>(i);
        return true;
      }
    }
    *error =
        "csv column '" + spec + "' not found" + (c.csv_header ? " in the header" : " (no header)");
    return false;
  };
  bool ok = true;
  ForEachCsvRow(text, [&](std::string_view row) {
    if (!ok || Trim(row).empty() || Trim(row)[0] == '#') return;
    std::vector<std::string> f = SplitCsvRow(row);
    if (first) {
      first = false;
      if (c.csv_header) header = f;
      ok = resolve(c.columns.value, &value_col) && resolve(c.columns.type, &type_col) &&
           resolve(c.columns.description, &desc_col) && resolve(c.columns.confidence, &conf_col) &&
           resolve(c.columns.expires, &exp_col);
      if (ok && value_col < 0) {
        *error = "csv: no value column";
        ok = false;
      }
      if (c.csv_header || !ok) return;
    }
    auto at = [&](int col) -> std::string_view {
      return col >= 0 && static_cast<size_t>(col) < f.size() ? Trim(f[static_cast<size_t>(col)])
                                                             : std::string_view();
    };
    std::string_view value = at(value_col);
    std::optional<IndicatorType> type =
        type_col >= 0 ? ParseIndicatorType(at(type_col)) : GuessIndicatorType(value);
    if (type_col >= 0 && !type) type = GuessIndicatorType(value);
    int64_t conf = c.confidence;
    if (auto n = ParseInt(at(conf_col))) conf = *n;
    int64_t expires = 0;
    if (std::string_view e = at(exp_col); !e.empty()) {
      // RFC 3339, or a date (valid through that day). An expiry that cannot
      // be read skips the row: taken as "never", it made the row permanent.
      if (auto t = ParseRfc3339(e)) {
        expires = *t;
      } else if (auto d =
                     e.size() == 10 ? ParseRfc3339(std::string(e) + "T00:00:00Z") : std::nullopt) {
        expires = *d + 86'400 * kNanosPerSecond;
      } else {
        ++r->skipped;
        return;
      }
    }
    if (type && store->Add(*type, value, feed, ClampConfidence(conf), at(desc_col), expires)) {
      ++r->loaded;
    } else {
      ++r->skipped;
    }
  });
  return ok;
}

// One comparison of a STIX pattern: "object:path = 'value'".
std::optional<StixIndicator> ParseStixComparison(std::string_view cmp) {
  cmp = Trim(cmp);
  size_t eq = cmp.find('=');
  if (eq == std::string_view::npos || eq == 0 || cmp[eq - 1] == '!' || cmp[eq - 1] == '<' ||
      cmp[eq - 1] == '>') {
    return std::nullopt;
  }
  std::string_view lhs = Trim(cmp.substr(0, eq)), rhs = Trim(cmp.substr(eq + 1));
  if (rhs.size() < 2 || rhs.front() != '\'' || rhs.back() != '\'') return std::nullopt;
  StixIndicator out;
  for (size_t i = 1; i + 1 < rhs.size(); ++i) {
    if (rhs[i] == '\\' && i + 2 < rhs.size()) ++i;
    out.value.push_back(rhs[i]);
  }
  if (lhs == "ipv4-addr:value" || lhs == "ipv6-addr:value") {
    out.type =
        out.value.find('/') != std::string::npos ? IndicatorType::kNetwork : IndicatorType::kIp;
  } else if (lhs == "domain-name:value") {
    out.type = IndicatorType::kDomain;
  } else if (lhs == "url:value") {
    out.type = IndicatorType::kUrl;
  } else if (lhs.starts_with("file:hashes.")) {
    out.type = IndicatorType::kHash;
  } else {
    return std::nullopt;
  }
  return out;
}

bool IsPatternSeparator(char c) {
  return IsAsciiSpace(c) || c == '[' || c == ']' || c == '(' || c == ')';
}

// The keyword or path at the start of `s`: up to whitespace or a bracket
// ("AND" of "AND[...").
std::string_view PatternToken(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && !IsPatternSeparator(s[n])) ++n;
  return s.substr(0, n);
}

// Observations joined by AND or FOLLOWEDBY hold only together: matching one
// part alone would be a false positive. STIX keywords are case-insensitive.
bool IsConjunction(std::string_view word) {
  return EqualsNoCase(word, "AND") || EqualsNoCase(word, "FOLLOWEDBY");
}

// Splits "[a = 'x'] OR [b = 'y']" / "[a = 'x' OR b = 'y']" into comparisons;
// false when anything but OR joins them (AND, FOLLOWEDBY, a qualifier such
// as WITHIN), whatever the case and the whitespace around brackets ("]and[").
bool SplitStixPattern(std::string_view p, std::vector<std::string_view>* out) {
  std::string_view rest = p;
  bool after_comparison = false;
  while (true) {
    while (!rest.empty() && IsPatternSeparator(rest.front())) rest.remove_prefix(1);
    if (rest.empty()) return after_comparison;
    if (after_comparison) {
      std::string_view word = PatternToken(rest);
      if (!EqualsNoCase(word, "OR")) return false;
      rest.remove_prefix(word.size());
      after_comparison = false;
      continue;
    }
    // A comparison runs to the end of its quoted value, the first quote after
    // the operator (the path may quote too: file:hashes.'SHA-256').
    size_t op = rest.find('=');
    if (op == std::string_view::npos) return false;
    size_t q1 = rest.find('\'', op);
    if (q1 == std::string_view::npos) return false;
    size_t q2 = q1 + 1;
    while (q2 < rest.size() && rest[q2] != '\'') q2 += rest[q2] == '\\' ? 2 : 1;
    if (q2 >= rest.size()) return false;
    // Before its value, a comparison with another operator may hide a
    // conjunction ("[file:size > 5 AND ipv4-addr:value = 'x']").
    for (std::string_view head = rest.substr(0, q1); !head.empty();) {
      std::string_view word = PatternToken(head);
      if (IsConjunction(word)) return false;
      head.remove_prefix(std::max<size_t>(word.size(), 1));  // a separator: 1
    }
    out->push_back(rest.substr(0, q2 + 1));
    rest.remove_prefix(q2 + 1);
    after_comparison = true;
  }
}

}  // namespace

bool ParseStixPattern(std::string_view pattern, std::vector<StixIndicator>* out,
                      size_t* unsupported) {
  std::vector<std::string_view> comparisons;
  if (!SplitStixPattern(pattern, &comparisons)) return false;
  for (std::string_view cmp : comparisons) {
    if (auto ind = ParseStixComparison(cmp)) {
      out->push_back(std::move(*ind));
    } else {
      ++*unsupported;
    }
  }
  return true;
}

bool ParseValidity(const json& object, int64_t* from_ns, int64_t* until_ns) {
  *from_ns = 0;
  *until_ns = 0;
  for (auto [name, out] : {std::pair{"valid_from", from_ns}, std::pair{"valid_until", until_ns}}) {
    auto it = object.find(name);
    if (it == object.end() || it->is_null()) continue;
    if (!it->is_string()) return false;
    auto t = ParseRfc3339(it->get_ref<const std::string&>());
    if (!t) return false;
    *out = *t;
  }
  return true;
}

namespace {

bool LoadStix(const FeedConfig& c, const json& doc, IndicatorStore* store, uint16_t feed,
              FeedLoadReport* r, std::string* error) {
  if (!doc.is_object() || !doc.contains("objects") || !doc["objects"].is_array()) {
    *error = "stix: not a bundle (no objects array)";
    return false;
  }
  std::vector<StixIndicator> found;
  for (const json& o : doc["objects"]) {
    // A field of the wrong type skips this object, not the whole feed.
    try {
      if (!o.is_object() || o.value("type", "") != "indicator") continue;
      std::string pattern = o.value("pattern", "");
      if (o.value("pattern_type", "stix") != "stix" || pattern.empty()) {
        ++r->skipped;
        continue;
      }
      // STIX types confidence as an integer and revoked as a boolean: another
      // type skips the object ("revoked": "true" must not load it).
      auto confidence = o.find("confidence");
      auto revoked = o.find("revoked");
      if ((confidence != o.end() && !confidence->is_number_integer()) ||
          (revoked != o.end() && !revoked->is_boolean())) {
        ++r->skipped;
        continue;
      }
      uint8_t conf =
          ClampConfidence(confidence != o.end() ? confidence->get<int64_t>() : c.confidence);
      std::string desc = o.value("description", o.value("name", ""));
      // Revoked indicators are not used, nor those whose validity cannot be
      // read; valid_from and valid_until are judged at each event's time.
      int64_t from = 0, expires = 0;
      if ((revoked != o.end() && revoked->get<bool>()) || !ParseValidity(o, &from, &expires)) {
        ++r->skipped;
        continue;
      }
      found.clear();
      size_t unsupported = 0;
      if (!ParseStixPattern(pattern, &found, &unsupported)) {
        ++r->skipped;
        continue;
      }
      r->skipped += unsupported;
      for (const StixIndicator& ind : found) {
        if (store->Add(ind.type, ind.value, feed, conf, desc, expires, from)) {
          ++r->loaded;
        } else {
          ++r->skipped;
        }
      }
    } catch (const json::exception&) {
      ++r->skipped;
    }
  }
  return true;
}

std::optional<IndicatorType> MispType(std::string_view t) {
  if (t == "ip-src" || t == "ip-dst") return IndicatorType::kIp;
  if (t == "domain" || t == "hostname") return IndicatorType::kDomain;
  if (t == "url" || t == "link") return IndicatorType::kUrl;
  if (t == "md5" || t == "sha1" || t == "sha256" || t == "sha512") return IndicatorType::kHash;
  return std::nullopt;
}

void AddMispAttribute(const FeedConfig& c, const json& a, const std::string& info,
                      IndicatorStore* store, uint16_t feed, FeedLoadReport* r) {
  // An attribute MISP marks deleted is not used, as a revoked STIX indicator.
  if (!a.is_object() || a.value("deleted", false)) {
    ++r->skipped;
    return;
  }
  std::string type = a.value("type", ""), value = a.value("value", "");
  // Composite attributes: "ip-dst|port" = "1.2.3.4|443", "filename|sha256" = "a.exe|<hex>".
  if (size_t bar = type.find('|'); bar != std::string::npos) {
    size_t vbar = value.find('|');
    if (vbar == std::string::npos) {
      ++r->skipped;
      return;
    }
    std::string left = type.substr(0, bar), right = type.substr(bar + 1);
    if (MispType(left)) {
      type = left;
      value = value.substr(0, vbar);
    } else {
      type = right;
      value = value.substr(vbar + 1);
    }
  }
  auto t = MispType(type);
  if (t && *t == IndicatorType::kIp && value.find('/') != std::string::npos)
    t = IndicatorType::kNetwork;
  std::string desc = info;
  std::string comment = a.value("comment", "");
  if (!comment.empty()) desc += desc.empty() ? comment : " — " + comment;
  if (t && store->Add(*t, value, feed, ClampConfidence(c.confidence), desc, 0)) {
    ++r->loaded;
  } else {
    ++r->skipped;
  }
}

// A field of the wrong type skips this attribute, not the whole feed.
void AddMispAttributeOrSkip(const FeedConfig& c, const json& a, const std::string& info,
                            IndicatorStore* store, uint16_t feed, FeedLoadReport* r) {
  try {
    AddMispAttribute(c, a, info, store, feed, r);
  } catch (const json::exception&) {
    ++r->skipped;
  }
}

bool LoadMisp(const FeedConfig& c, const json& doc, IndicatorStore* store, uint16_t feed,
              FeedLoadReport* r, std::string* error) {
  const json* ev = &doc;
  if (doc.is_object() && doc.contains("Event")) ev = &doc["Event"];
  if (!ev->is_object() || !ev->contains("Attribute") || !(*ev)["Attribute"].is_array()) {
    *error = "misp: no Event.Attribute array";
    return false;
  }
  std::string info = ev->value("info", "");
  for (const json& a : (*ev)["Attribute"]) AddMispAttributeOrSkip(c, a, info, store, feed, r);
  if (ev->contains("Object") && (*ev)["Object"].is_array()) {
    for (const json& o : (*ev)["Object"]) {
      if (!o.is_object() || !o.contains("Attribute")) continue;
      // An object's attributes of the wrong shape are skipped and counted, as
      // one attribute of the wrong shape is.
      if (!o["Attribute"].is_array()) {
        ++r->skipped;
        continue;
      }
      for (const json& a : o["Attribute"]) AddMispAttributeOrSkip(c, a, info, store, feed, r);
    }
  }
  return true;
}

}  // namespace

bool ParseFeedFormat(std::string_view name, FeedFormat* format) {
  if (name == "list")
    *format = FeedFormat::kList;
  else if (name == "csv")
    *format = FeedFormat::kCsv;
  else if (name == "stix")
    *format = FeedFormat::kStix;
  else if (name == "misp")
    *format = FeedFormat::kMisp;
  else
    return false;
  return true;
}

bool LoadFeedText(const FeedConfig& config, std::string_view text, IndicatorStore* store,
                  FeedLoadReport* report, std::string* error) {
  FeedLoadReport local;
  if (report == nullptr) report = &local;
  // A UTF-8 byte-order mark (feeds saved by Windows tools) is not data: it
  // hid a CSV header's first column and a list's first value.
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  const uint16_t feed = store->AddFeed(config.name);
  switch (config.format) {
    case FeedFormat::kList:
      return LoadList(config, text, store, feed, report, error);
    case FeedFormat::kCsv:
      return LoadCsv(config, text, store, feed, report, error);
    case FeedFormat::kStix:
    case FeedFormat::kMisp: {
      json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
      if (doc.is_discarded()) {
        *error = "not valid JSON";
        return false;
      }
      // Fields of the wrong JSON type (a number where a string belongs) throw.
      try {
        return config.format == FeedFormat::kStix
                   ? LoadStix(config, doc, store, feed, report, error)
                   : LoadMisp(config, doc, store, feed, report, error);
      } catch (const json::exception& e) {
        *error = std::string("unexpected JSON structure: ") + e.what();
        return false;
      }
    }
  }
  return false;
}

bool LoadFeed(const FeedConfig& config, IndicatorStore* store, FeedLoadReport* report,
              std::string* error) {
  // A read that fails part way (a directory opens, then fails to read) fails
  // the load: an empty feed would replace the indicators of a running one.
  std::string text;
  if (!ReadWholeFile(config.path, text.max_size(), &text, error)) return false;
  if (!LoadFeedText(config, text, store, report, error)) {
    *error = config.path + ": " + *error;
    return false;
  }
  return true;
}

}  // namespace loghunt
