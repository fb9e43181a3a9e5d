// Sigma YAML -> the compiled form in sigma_ruleset_impl.h: metadata,
// selections, modifiers, and the condition expression.
#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <stdexcept>

#include "detectors/rules/sigma_ruleset_impl.h"
#include "detectors/rules/sigma_values.h"

namespace loghunt::sigma {
namespace {

// Thrown inside the loader only; becomes a rejection reason.
struct Reject : std::runtime_error {
  using std::runtime_error::runtime_error;
};

Pattern MakePattern(std::string expression, unsigned flags, uint32_t slot, int32_t confirm,
                    bool folded) {
  Pattern p;
  p.expression = std::move(expression);
  p.flags = flags;
  p.slot = slot;
  p.confirm = confirm;
  p.folded = folded;
  return p;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool WildcardMatch(std::string_view pattern, std::string_view name) {
  // Condition identifiers only use '*'; simple backtracking is bounded by the
  // short selection names.
  if (pattern.empty()) return name.empty();
  if (pattern[0] == '*') {
    for (size_t i = 0; i <= name.size(); ++i) {
      if (WildcardMatch(pattern.substr(1), name.substr(i))) return true;
    }
    return false;
  }
  return !name.empty() && pattern[0] == name[0] && WildcardMatch(pattern.substr(1), name.substr(1));
}

std::vector<std::string> StringList(const YAML::Node& n) {
  std::vector<std::string> out;
  if (!n) return out;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
  } else if (n.IsSequence()) {
    for (const auto& v : n) {
      if (v.IsScalar()) out.push_back(v.Scalar());
    }
  }
  return out;
}

bool ParseCidr(const std::string& text, Atom* atom) {
  size_t slash = text.find('/');
  std::string addr = text.substr(0, slash);
  atom->v6 = addr.find(':') != std::string::npos;
  int bits = atom->v6 ? 128 : 32;
  if (slash != std::string::npos) {
    int p = -1;
    auto r = std::from_chars(text.data() + slash + 1, text.data() + text.size(), p);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size() || p < 0 || p > bits) {
      return false;
    }
    bits = p;
  }
  atom->prefix = bits;
  return inet_pton(atom->v6 ? AF_INET6 : AF_INET, addr.c_str(), atom->net.data()) == 1;
}

// Compiles one rule into the shared Impl tables.
class RuleCompiler {
 public:
  RuleCompiler(SigmaRuleSet::Impl* impl, uint32_t group_index, uint32_t rule_index)
      : impl_(impl), group_(impl->groups[group_index]), rule_index_(rule_index) {}

  uint32_t Compile(const YAML::Node& detection) {
    YAML::Node condition;
    bool has_condition = false;
    for (const auto& kv : detection) {
      std::string key = kv.first.Scalar();
      if (key == "condition") {
        condition = kv.second;
        has_condition = true;
      } else if (key == "timeframe") {
        throw Reject("timeframe (aggregation over time) is not supported");
      } else {
        selection_names_.push_back(key);
        selections_[key] = kv.second;
      }
    }
    if (!has_condition) throw Reject("detection has no condition");
    if (condition.IsScalar()) return ParseCondition(condition.Scalar());
    if (condition.IsSequence() && condition.size() > 0) {
      // Several conditions: the rule matches when any does (Sigma 1.x lists).
      std::vector<uint32_t> roots;
      for (const auto& c : condition) {
        if (!c.IsScalar()) throw Reject("condition list must hold strings");
        roots.push_back(ParseCondition(c.Scalar()));
      }
      return roots.size() == 1 ? roots[0] : AddNode(Node::kOr, roots);
    }
    throw Reject("condition must be a string");
  }

 private:
  // ---- condition ----
  uint32_t ParseCondition(const std::string& text) {
    tokens_.clear();
    pos_ = 0;
    for (size_t i = 0; i < text.size();) {
      char c = text[i];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++i;
      } else if (c == '(' || c == ')') {
        tokens_.emplace_back(1, c);
        ++i;
      } else if (c == '|') {
        throw Reject("condition aggregation ('| count()' etc.) is not supported");
      } else {
        size_t j = i;
        while (j < text.size() && text[j] != ' ' && text[j] != '\t' && text[j] != '(' &&
               text[j] != ')' && text[j] != '\n' && text[j] != '\r' && text[j] != '|') {
          ++j;
        }
        tokens_.push_back(text.substr(i, j - i));
        i = j;
      }
    }
    if (tokens_.empty()) throw Reject("empty condition");
    depth_ = 0;
    uint32_t root = ParseOr();
    if (pos_ != tokens_.size()) throw Reject("condition: unexpected '" + tokens_[pos_] + "'");
    return root;
  }

  bool Peek(const char* word) const {
    return pos_ < tokens_.size() && Lower(tokens_[pos_]) == word;
  }

  uint32_t ParseOr() {
    std::vector<uint32_t> parts{ParseAnd()};
    while (Peek("or")) {
      ++pos_;
      parts.push_back(ParseAnd());
    }
    return parts.size() == 1 ? parts[0] : AddNode(Node::kOr, parts);
  }

  uint32_t ParseAnd() {
    std::vector<uint32_t> parts{ParseNot()};
    while (Peek("and")) {
      ++pos_;
      parts.push_back(ParseNot());
    }
    return parts.size() == 1 ? parts[0] : AddNode(Node::kAnd, parts);
  }

  // Parentheses and `not`s nest at most kMaxConditionDepth deep: the parser
  // and the evaluation recurse once per level (20,000 levels overflowed the
  // stack).
  static constexpr int kMaxConditionDepth = 100;
  struct Nested {
    explicit Nested(int* depth) : depth_(depth) {
      if (++*depth_ > kMaxConditionDepth) {
        throw Reject("condition nests deeper than " + std::to_string(kMaxConditionDepth) +
                     " levels");
      }
    }
    ~Nested() { --*depth_; }
    int* depth_;
  };

  uint32_t ParseNot() {
    if (Peek("not")) {
      ++pos_;
      Nested nested(&depth_);
      return AddNode(Node::kNot, {ParseNot()});
    }
    return ParsePrimary();
  }

  uint32_t ParsePrimary() {
    if (pos_ >= tokens_.size()) throw Reject("condition ends unexpectedly");
    std::string tok = tokens_[pos_++];
    if (tok == "(") {
      Nested nested(&depth_);
      uint32_t inner = ParseOr();
      if (pos_ >= tokens_.size() || tokens_[pos_] != ")") throw Reject("condition: missing ')'");
      ++pos_;
      return inner;
    }
    if (tok == ")") throw Reject("condition: unexpected ')'");
    std::string low = Lower(tok);
    if (low == "and" || low == "or" || low == "of")
      throw Reject("condition: unexpected '" + tok + "'");
    if (Peek("of")) {
      ++pos_;
      if (pos_ >= tokens_.size()) throw Reject("condition: 'of' without a target");
      std::string target = tokens_[pos_++];
      std::vector<uint32_t> selected;
      for (const std::string& name : selection_names_) {
        bool hit =
            Lower(target) == "them" ? name.empty() || name[0] != '_' : WildcardMatch(target, name);
        if (hit) selected.push_back(Selection(name));
      }
      if (selected.empty()) throw Reject("condition: '" + target + "' matches no selection");
      if (low == "all") return AddNode(Node::kAnd, selected);
      uint32_t n = 0;
      auto r = std::from_chars(low.data(), low.data() + low.size(), n);
      if (low == "any")
        n = 1;
      else if (r.ec != std::errc() || r.ptr != low.data() + low.size() || n == 0) {
        throw Reject("condition: '" + tok + " of' is not a count");
      }
      if (n == 1) return AddNode(Node::kOr, selected);
      uint32_t id = AddNode(Node::kAtLeast, selected);
      impl_->nodes[id].at_least = n;
      return id;
    }
    if (selections_.find(tok) == selections_.end()) {
      throw Reject("condition: unknown selection '" + tok + "'");
    }
    return Selection(tok);
  }

  uint32_t AddNode(Node::Op op, const std::vector<uint32_t>& kids) {
    Node node;
    node.op = op;
    node.child_begin = static_cast<uint32_t>(impl_->children.size());
    impl_->children.insert(impl_->children.end(), kids.begin(), kids.end());
    node.child_end = static_cast<uint32_t>(impl_->children.size());
    impl_->nodes.push_back(node);
    return static_cast<uint32_t>(impl_->nodes.size() - 1);
  }

  // ---- selections ----
  uint32_t Selection(const std::string& name) {
    auto done = compiled_.find(name);
    if (done != compiled_.end()) return done->second;
    const YAML::Node& body = selections_[name];
    uint32_t id;
    try {
      id = CompileSelection(body);
    } catch (const Reject& e) {
      throw Reject("selection '" + name + "': " + e.what());
    }
    compiled_[name] = id;
    return id;
  }

  uint32_t CompileSelection(const YAML::Node& body) {
    if (body.IsMap()) return CompileMap(body);
    if (body.IsSequence()) {
      if (body.size() == 0) throw Reject("empty list");
      bool maps = true, scalars = true;
      for (const auto& item : body) {
        maps = maps && item.IsMap();
        scalars = scalars && item.IsScalar();
      }
      if (maps) {
        std::vector<uint32_t> alternatives;
        for (const auto& item : body) alternatives.push_back(CompileMap(item));
        return alternatives.size() == 1 ? alternatives[0] : AddNode(Node::kOr, alternatives);
      }
      if (scalars) return CompileField("keywords", {"contains"}, body);
      throw Reject("a list must hold only maps or only keywords");
    }
    if (body.IsScalar()) return CompileField("keywords", {"contains"}, body);
    throw Reject("empty selection");
  }

  uint32_t CompileMap(const YAML::Node& map) {
    if (map.size() == 0) throw Reject("empty map");
    std::vector<uint32_t> parts;
    for (const auto& kv : map) {
      std::string key = kv.first.Scalar();
      std::vector<std::string> split;
      size_t start = 0;
      while (true) {
        size_t bar = key.find('|', start);
        split.push_back(
            key.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
        if (bar == std::string::npos) break;
        start = bar + 1;
      }
      std::string field = split[0];
      split.erase(split.begin());
      if (field.empty()) {
        // '|contains': [...] without a field is a keyword search with
        // modifiers; a keyword is searched for (contains) unless a modifier
        // says how to compare ('|all', '|wide' alone are contains too).
        field = "keywords";
        static constexpr std::string_view kHow[] = {"contains", "startswith", "endswith", "re",
                                                    "cidr",     "exists",     "lt",       "lte",
                                                    "gt",       "gte",        "fieldref"};
        bool how = false;
        for (const std::string& m : split) {
          for (std::string_view h : kHow) how = how || m == h;
        }
        if (!how) split.push_back("contains");
      }
      parts.push_back(CompileField(field, split, kv.second));
    }
    return parts.size() == 1 ? parts[0] : AddNode(Node::kAnd, parts);
  }

  uint32_t FieldIndex(const std::string& name) {
    for (size_t i = 0; i < group_.fields.size(); ++i) {
      if (group_.fields[i].name == name) return static_cast<uint32_t>(i);
    }
    GroupField f;
    f.name = name;
    f.sources = group_.mapping.SourcesOf(name);
    group_.fields.push_back(std::move(f));
    if (name == "CommandLine")
      group_.command_line_field = static_cast<int>(group_.fields.size() - 1);
    return static_cast<uint32_t>(group_.fields.size() - 1);
  }

  uint32_t NewSlot() {
    impl_->slot_rule.push_back(rule_index_);
    return static_cast<uint32_t>(impl_->slot_rule.size() - 1);
  }

  uint32_t CompileField(const std::string& field, const std::vector<std::string>& modifiers,
                        const YAML::Node& value_node) {
    std::vector<std::optional<std::string>> values;
    if (!value_node || value_node.IsNull()) {
      values.push_back(std::nullopt);
    } else if (value_node.IsScalar()) {
      values.push_back(value_node.Scalar());
    } else if (value_node.IsSequence()) {
      if (value_node.size() == 0) throw Reject("field '" + field + "' has an empty value list");
      for (const auto& v : value_node) {
        if (v.IsNull())
          values.push_back(std::nullopt);
        else if (v.IsScalar())
          values.push_back(v.Scalar());
        else
          throw Reject("field '" + field + "': values must be strings, numbers or null");
      }
    } else {
      throw Reject("field '" + field + "': a map is not a value");
    }

    MatchType type = MatchType::kEquals;
    bool all = false, re = false, cased = false, windash = false, cidr = false, exists = false,
         fieldref = false;
    bool re_i = false, re_m = false, re_s = false;
    char numeric = 0;
    std::vector<std::string> encodings;  // base64, base64offset, utf16le, utf16be, utf16, wide
    for (const std::string& raw : modifiers) {
      std::string m = Lower(raw);
      if (m == "contains")
        type = MatchType::kContains;
      else if (m == "startswith")
        type = MatchType::kStartsWith;
      else if (m == "endswith")
        type = MatchType::kEndsWith;
      else if (m == "all")
        all = true;
      else if (m == "re")
        re = true;
      else if (m == "i" && re)
        re_i = true;
      else if (m == "m" && re)
        re_m = true;
      else if (m == "s" && re)
        re_s = true;
      else if (m == "cased")
        cased = true;
      else if (m == "windash")
        windash = true;
      else if (m == "cidr")
        cidr = true;
      else if (m == "exists")
        exists = true;
      else if (m == "fieldref")
        fieldref = true;
      else if (m == "lt")
        numeric = '<';
      else if (m == "lte")
        numeric = 'l';
      else if (m == "gt")
        numeric = '>';
      else if (m == "gte")
        numeric = 'g';
      else if (m == "base64" || m == "base64offset" || m == "utf16le" || m == "utf16be" ||
               m == "utf16" || m == "wide")
        encodings.push_back(m);
      else if (m == "expand")
        throw Reject("modifier 'expand' (placeholders) is not supported");
      else
        throw Reject("unknown modifier '" + raw + "' on field '" + field + "'");
    }
    if (re && (!encodings.empty() || windash || type != MatchType::kEquals)) {
      throw Reject("field '" + field + "': 're' cannot be combined with string modifiers");
    }

    Leaf leaf;
    leaf.field = FieldIndex(field);
    leaf.all = all;
    leaf.atom_begin = static_cast<uint32_t>(impl_->atoms.size());
    for (const auto& value : values) {
      Atom atom;
      if (!value) {
        atom.kind = Atom::kNull;
      } else if (exists) {
        std::string v = Lower(*value);
        if (v != "true" && v != "false") throw Reject("'exists' needs true or false");
        atom.kind = Atom::kExists;
        atom.exists = v == "true";
      } else if (numeric != 0) {
        double d = 0;
        auto r = std::from_chars(value->data(), value->data() + value->size(), d);
        if (r.ec != std::errc() || r.ptr != value->data() + value->size()) {
          throw Reject("field '" + field + "': '" + *value + "' is not a number");
        }
        atom.kind = Atom::kNumeric;
        atom.numeric_op = numeric;
        atom.number = d;
      } else if (cidr) {
        atom.kind = Atom::kCidr;
        if (!ParseCidr(*value, &atom))
          throw Reject("field '" + field + "': bad CIDR '" + *value + "'");
      } else if (fieldref) {
        atom.kind = Atom::kFieldRef;
        atom.ref_field = FieldIndex(*value);
        atom.ref_type = static_cast<uint8_t>(type);
      } else if (re) {
        CompileRegex(leaf.field, *value, re_i, re_m, re_s, &atom);
      } else {
        atom.kind = Atom::kSlot;
        atom.slot = NewSlot();
        AddStringPatterns(leaf.field, *value, type, windash, cased, encodings, atom.slot);
      }
      impl_->atoms.push_back(atom);
    }
    leaf.atom_end = static_cast<uint32_t>(impl_->atoms.size());
    impl_->leaves.push_back(leaf);
    Node node;
    node.op = Node::kLeaf;
    node.leaf = static_cast<uint32_t>(impl_->leaves.size() - 1);
    impl_->nodes.push_back(node);
    return static_cast<uint32_t>(impl_->nodes.size() - 1);
  }

  // The longest value in the SigmaHQ corpus has 542 characters. A longer one
  // is rejected with its rule, as is a long pattern Hyperscan cannot compile
  // (checked alone, so the shared databases, which fail whole, never see it).
  static constexpr size_t kMaxValueBytes = 4096;
  static constexpr size_t kCheckAloneBytes = 1024;

  void AddPattern(uint32_t field, Pattern pattern) {
    if (pattern.expression.size() > kCheckAloneBytes) {
      hs_database_t* db = nullptr;
      hs_compile_error_t* err = nullptr;
      if (hs_compile(pattern.expression.c_str(), pattern.flags, HS_MODE_BLOCK, nullptr, &db,
                     &err) != HS_SUCCESS) {
        std::string why = err != nullptr ? err->message : "unknown error";
        hs_free_compile_error(err);
        throw Reject("value Hyperscan cannot compile (" + why + ")");
      }
      hs_free_database(db);
    }
    group_.fields[field].patterns.push_back(std::move(pattern));
  }

  void AddStringPatterns(uint32_t field, const std::string& value, MatchType type, bool windash,
                         bool cased, const std::vector<std::string>& encodings, uint32_t slot) {
    if (value.size() > kMaxValueBytes) {
      throw Reject("value of " + std::to_string(value.size()) + " bytes (at most " +
                   std::to_string(kMaxValueBytes) + ")");
    }
    unsigned flags = HS_FLAG_SINGLEMATCH | HS_FLAG_DOTALL;
    auto pieces = ParseSigmaString(value);
    if (encodings.empty()) {
      if (!cased) {
        for (auto& p : pieces)
          std::transform(p.text.begin(), p.text.end(), p.text.begin(), FoldAscii);
      }
      // Only values without a character to match ('', '*') need ALLOWEMPTY;
      // setting it on every pattern slows the whole database down.
      bool can_be_empty = true;
      for (const auto& p : pieces) can_be_empty = can_be_empty && p.kind == SigmaPiece::kStar;
      if (can_be_empty) flags |= HS_FLAG_ALLOWEMPTY;
      Pattern pattern =
          MakePattern(ToHyperscanExpression(pieces, type, windash), flags, slot, -1, !cased);
      pattern.direct = !windash && DirectLiteral(pieces, type, &pattern.literal, &pattern.type);
      AddPattern(field, std::move(pattern));
      return;
    }
    // Encodings work on bytes: wildcards are taken literally, as pySigma does.
    std::vector<std::string> variants{PlainText(pieces)};
    bool binary = false;
    for (const std::string& e : encodings) {
      for (std::string& v : variants) {
        if (e == "utf16le" || e == "wide")
          v = ToUtf16(v, false);
        else if (e == "utf16be")
          v = ToUtf16(v, true);
        else if (e == "utf16")
          v = "\xff\xfe" + ToUtf16(v, false);
      }
      if (e == "base64") {
        for (std::string& v : variants) v = Base64Encode(v);
        binary = true;
      } else if (e == "base64offset") {
        std::vector<std::string> expanded;
        for (const std::string& v : variants) {
          for (std::string& o : Base64OffsetVariants(v)) expanded.push_back(std::move(o));
        }
        variants = std::move(expanded);
        binary = true;
      }
    }
    // Base64 text is case-sensitive; other encodings keep the default.
    bool folded = !cased && !binary;
    for (std::string& v : variants) {
      if (v.empty()) continue;
      if (folded) std::transform(v.begin(), v.end(), v.begin(), FoldAscii);
      Pattern pattern = MakePattern(LiteralExpression(v, type), flags, slot, -1, folded);
      pattern.direct = true;
      pattern.type = type;
      pattern.literal = std::move(v);
      AddPattern(field, std::move(pattern));
    }
  }

  void CompileRegex(uint32_t field, const std::string& regex, bool i, bool m, bool s, Atom* atom) {
    unsigned flags = HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY;
    uint32_t pcre_options = 0;
    if (i) flags |= HS_FLAG_CASELESS, pcre_options |= PCRE2_CASELESS;
    if (m) flags |= HS_FLAG_MULTILINE, pcre_options |= PCRE2_MULTILINE;
    if (s) flags |= HS_FLAG_DOTALL, pcre_options |= PCRE2_DOTALL;
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_compile(regex.c_str(), flags, HS_MODE_BLOCK, nullptr, &db, &err) == HS_SUCCESS) {
      hs_free_database(db);
      atom->kind = Atom::kSlot;
      atom->slot = NewSlot();
      group_.fields[field].patterns.push_back(MakePattern(regex, flags, atom->slot, -1, i));
      return;
    }
    hs_free_compile_error(err);
    int code = 0;
    PCRE2_SIZE offset = 0;
    pcre2_code* compiled = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(regex.data()), regex.size(),
                                         pcre_options, &code, &offset, nullptr);
    if (compiled == nullptr) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(code, message, sizeof(message));
      throw Reject("regex '" + regex + "' does not compile: " +
                   reinterpret_cast<const char*>(message) + " at offset " + std::to_string(offset));
    }
    impl_->pcres.push_back({compiled});
    uint32_t pcre = static_cast<uint32_t>(impl_->pcres.size() - 1);
    if (hs_compile(regex.c_str(), flags | HS_FLAG_PREFILTER, HS_MODE_BLOCK, nullptr, &db, &err) ==
        HS_SUCCESS) {
      hs_free_database(db);
      atom->kind = Atom::kSlot;
      atom->slot = NewSlot();
      group_.fields[field].patterns.push_back(
          MakePattern(regex, flags | HS_FLAG_PREFILTER, atom->slot, static_cast<int32_t>(pcre), i));
      return;
    }
    hs_free_compile_error(err);
    // Neither exact nor prefilter: PCRE2 alone, bounded by the match limits.
    atom->kind = Atom::kPcre;
    atom->pcre = pcre;
  }

  SigmaRuleSet::Impl* impl_;
  Group& group_;
  uint32_t rule_index_;
  std::vector<std::string> selection_names_;
  std::map<std::string, YAML::Node> selections_;
  std::map<std::string, uint32_t> compiled_;
  std::vector<std::string> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;  // condition nesting while parsing
};

// Sizes of every table, to undo a rule that turns out to be rejected.
struct Snapshot {
  size_t atoms, leaves, nodes, children, slots, pcres, groups;
  std::vector<std::vector<size_t>> patterns;  // per group, per field
  std::vector<int> command_line_field;

  explicit Snapshot(const SigmaRuleSet::Impl& impl)
      : atoms(impl.atoms.size()),
        leaves(impl.leaves.size()),
        nodes(impl.nodes.size()),
        children(impl.children.size()),
        slots(impl.slot_rule.size()),
        pcres(impl.pcres.size()),
        groups(impl.groups.size()) {
    for (const Group& g : impl.groups) {
      std::vector<size_t> counts;
      for (const GroupField& f : g.fields) counts.push_back(f.patterns.size());
      patterns.push_back(std::move(counts));
      command_line_field.push_back(g.command_line_field);
    }
  }

  void Restore(SigmaRuleSet::Impl* impl) const {
    impl->atoms.resize(atoms);
    impl->leaves.resize(leaves);
    impl->nodes.resize(nodes);
    impl->children.resize(children);
    impl->slot_rule.resize(slots);
    for (size_t i = pcres; i < impl->pcres.size(); ++i) pcre2_code_free(impl->pcres[i].code);
    impl->pcres.resize(pcres);
    impl->groups.resize(groups);
    for (size_t g = 0; g < groups; ++g) {
      Group& group = impl->groups[g];
      group.fields.resize(patterns[g].size());
      for (size_t f = 0; f < patterns[g].size(); ++f)
        group.fields[f].patterns.resize(patterns[g][f]);
      group.command_line_field = command_line_field[g];
    }
  }
};

}  // namespace

bool AddRuleText(const std::string& text, const std::string& file, const SigmaFieldMapping& mapping,
                 SigmaRuleSet::Impl* impl, SigmaRejection* rejection) {
  rejection->file = file;
  rejection->id.clear();
  Snapshot snapshot(*impl);
  try {
    std::vector<YAML::Node> docs;
    try {
      docs = YAML::LoadAll(text);
    } catch (const YAML::Exception& e) {
      throw Reject("YAML: line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
    }
    if (docs.empty() || !docs[0].IsMap()) throw Reject("not a Sigma rule (no YAML map)");
    if (docs.size() > 1)
      throw Reject("rule collections (several YAML documents) are not supported");
    const YAML::Node& doc = docs[0];
    Rule rule;
    if (doc["id"] && doc["id"].IsScalar()) rule.info.id = doc["id"].Scalar();
    rejection->id = rule.info.id;
    if (doc["correlation"]) throw Reject("correlation rules are not supported");
    if (!doc["title"] || !doc["title"].IsScalar()) throw Reject("missing title");
    if (rule.info.id.empty()) throw Reject("missing id");
    rule.info.title = doc["title"].Scalar();
    rule.info.file = file;
    if (doc["level"] && doc["level"].IsScalar()) {
      rule.info.level = doc["level"].Scalar();
      if (!ParseSeverity(Lower(rule.info.level), &rule.info.severity)) {
        throw Reject("unknown level '" + rule.info.level + "'");
      }
    }
    if (doc["status"] && doc["status"].IsScalar()) rule.info.status = doc["status"].Scalar();
    if (doc["author"] && doc["author"].IsScalar()) rule.info.author = doc["author"].Scalar();
    rule.info.tags = StringList(doc["tags"]);
    rule.info.references = StringList(doc["references"]);
    rule.info.falsepositives = StringList(doc["falsepositives"]);

    YAML::Node logsource = doc["logsource"];
    if (!logsource || !logsource.IsMap()) throw Reject("missing logsource");
    std::vector<std::pair<std::string, std::string>> keys;
    std::string described;
    for (const char* k : {"product", "category", "service"}) {
      if (logsource[k] && logsource[k].IsScalar()) {
        keys.push_back({k, logsource[k].Scalar()});
        described += (described.empty() ? "" : " ") + std::string(k) + "=" + logsource[k].Scalar();
      }
    }
    const SigmaLogsourceMapping* entry = mapping.Find(keys);
    if (entry == nullptr) {
      throw Reject("logsource " + (described.empty() ? "(empty)" : described) +
                   " has no field mapping (see conf/sigma-mappings.yaml)");
    }
    uint32_t group_index = 0;
    while (group_index < impl->groups.size() &&
           impl->groups[group_index].mapping.name != entry->name) {
      ++group_index;
    }
    if (group_index == impl->groups.size()) {
      Group g;
      g.mapping = *entry;
      impl->groups.push_back(std::move(g));
    }
    rule.group = group_index;
    rule.info.logsource = entry->name;

    YAML::Node detection = doc["detection"];
    if (!detection || !detection.IsMap()) throw Reject("missing detection");
    RuleCompiler compiler(impl, group_index, static_cast<uint32_t>(impl->rules.size()));
    rule.root = compiler.Compile(detection);
    impl->rules.push_back(std::move(rule));
    return true;
  } catch (const Reject& e) {
    snapshot.Restore(impl);
    rejection->reason = e.what();
  } catch (const YAML::Exception& e) {
    snapshot.Restore(impl);
    rejection->reason = std::string("YAML: ") + e.what();
  }
  return false;
}

}  // namespace loghunt::sigma
