#include "detectors/rules/sigma_ruleset.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <tuple>

#include "core/hs_scan.h"
#include "core/text.h"
#include "detectors/rules/sigma_ruleset_impl.h"
#include "detectors/rules/sigma_values.h"

namespace loghunt {

using sigma::Atom;
using sigma::Group;
using sigma::GroupField;
using sigma::Leaf;
using sigma::Node;

SigmaRuleSet::Impl::~Impl() {
  for (Group& g : groups) {
    for (GroupField& f : g.fields) {
      hs_free_database(f.folded_database);
      hs_free_database(f.exact_database);
      hs_free_database(f.deferred_folded_database);
      hs_free_database(f.deferred_exact_database);
    }
  }
  for (sigma::Pcre& p : pcres) pcre2_code_free(p.code);
  pcre2_match_context_free(match_context);
}

class SigmaRuleSetFactory {
 public:
  static std::shared_ptr<const SigmaRuleSet> Make(std::unique_ptr<SigmaRuleSet::Impl> impl) {
    return std::shared_ptr<const SigmaRuleSet>(new SigmaRuleSet(std::move(impl)));
  }
};

namespace {

// Three-valued result of a condition when only "no string pattern hit" is
// known: used to find the rules that may match without any Hyperscan hit.
enum class Tri : uint8_t { kFalse, kTrue, kUnknown };

Tri StaticValue(const SigmaRuleSet::Impl& impl, uint32_t node_index) {
  const Node& node = impl.nodes[node_index];
  switch (node.op) {
    case Node::kLeaf: {
      const Leaf& leaf = impl.leaves[node.leaf];
      bool any_false = false, all_false = true;
      for (uint32_t a = leaf.atom_begin; a < leaf.atom_end; ++a) {
        bool f = impl.atoms[a].kind == Atom::kSlot;
        any_false = any_false || f;
        all_false = all_false && f;
      }
      if (leaf.all ? any_false : all_false) return Tri::kFalse;
      return Tri::kUnknown;
    }
    case Node::kNot: {
      Tri t = StaticValue(impl, impl.children[node.child_begin]);
      return t == Tri::kUnknown ? t : (t == Tri::kTrue ? Tri::kFalse : Tri::kTrue);
    }
    case Node::kAnd:
    case Node::kOr:
    case Node::kAtLeast: {
      uint32_t n_true = 0, n_unknown = 0;
      for (uint32_t c = node.child_begin; c < node.child_end; ++c) {
        Tri t = StaticValue(impl, impl.children[c]);
        n_true += t == Tri::kTrue;
        n_unknown += t == Tri::kUnknown;
      }
      uint32_t n = node.child_end - node.child_begin;
      uint32_t need = node.op == Node::kAnd ? n : (node.op == Node::kOr ? 1 : node.at_least);
      if (n_true >= need) return Tri::kTrue;
      if (n_true + n_unknown < need) return Tri::kFalse;
      return Tri::kUnknown;
    }
  }
  return Tri::kUnknown;
}

bool CompileDatabase(const std::vector<const char*>& expressions,
                     const std::vector<unsigned>& flags, const std::vector<unsigned>& ids,
                     hs_database_t** database, std::string* error) {
  if (expressions.empty()) return true;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_multi(expressions.data(), flags.data(), ids.data(),
                       static_cast<unsigned>(expressions.size()), HS_MODE_BLOCK, nullptr, database,
                       &err) == HS_SUCCESS) {
    return true;
  }
  if (err != nullptr) {
    if (err->expression >= 0) {
      std::string_view e = expressions[static_cast<size_t>(err->expression)];
      *error += " ('" + std::string(e.substr(0, 200)) + (e.size() > 200 ? "...')" : "')");
    }
    *error += std::string(": ") + err->message;
    hs_free_compile_error(err);
  }
  return false;
}

// Groups each field's patterns into unique expressions (GroupField::unique):
// identical patterns of different rules become one Hyperscan expression.
void BuildUniques(SigmaRuleSet::Impl* impl) {
  for (Group& g : impl->groups) {
    for (GroupField& f : g.fields) {
      using Key = std::tuple<std::string_view, unsigned, bool, bool>;
      std::map<Key, uint32_t> unique_of;
      std::vector<std::vector<uint32_t>> slots;
      for (size_t i = 0; i < f.patterns.size(); ++i) {
        const sigma::Pattern& p = f.patterns[i];
        // Confirmed regexes compare by text: the same text compiles to the
        // same PCRE2 program, so one confirmation serves all.
        Key key{p.expression, p.flags, p.confirm >= 0, p.folded};
        auto [it, inserted] = unique_of.try_emplace(key, static_cast<uint32_t>(f.unique.size()));
        if (inserted) {
          GroupField::Unique unique;
          unique.confirm = p.confirm;
          unique.pattern = static_cast<uint32_t>(i);
          f.unique.push_back(unique);
          slots.emplace_back();
        }
        slots[it->second].push_back(p.slot);
      }
      for (size_t u = 0; u < f.unique.size(); ++u) {
        f.unique[u].slot_begin = static_cast<uint32_t>(f.unique_slots.size());
        f.unique_slots.insert(f.unique_slots.end(), slots[u].begin(), slots[u].end());
        f.unique[u].slot_end = static_cast<uint32_t>(f.unique_slots.size());
      }
    }
  }
}

// Defers (Impl::slot_deferred) every slot that is no trigger and whose
// patterns are all direct literals; a unique expression whose slots are all
// deferred leaves the databases. A deferred slot that shares an expression
// with a slot that stays is still marked by that expression's hits, and its
// literals are checked only when it was not.
void ChooseDeferred(SigmaRuleSet::Impl* impl, bool defer_clauses) {
  const size_t slots = impl->slot_rule.size();
  std::vector<uint8_t> deferred(slots, 0);
  for (uint32_t s = 0; s < slots; ++s) deferred[s] = defer_clauses && !impl->slot_triggers[s];
  std::vector<std::vector<sigma::Direct>> directs(slots);
  for (const Group& g : impl->groups) {
    for (const GroupField& f : g.fields) {
      for (const sigma::Pattern& p : f.patterns) {
        if (!p.direct) deferred[p.slot] = 0;
        if (deferred[p.slot]) directs[p.slot].push_back({p.literal, p.type, p.folded});
      }
    }
  }
  impl->slot_deferred.assign(slots, 0);
  impl->slot_direct_begin.assign(slots + 1, 0);
  impl->directs.clear();
  for (uint32_t s = 0; s < slots; ++s) {
    impl->slot_direct_begin[s] = static_cast<uint32_t>(impl->directs.size());
    if (!deferred[s]) continue;
    impl->slot_deferred[s] = 1;
    for (sigma::Direct& d : directs[s]) impl->directs.push_back(std::move(d));
  }
  impl->slot_direct_begin[slots] = static_cast<uint32_t>(impl->directs.size());
  for (Group& g : impl->groups) {
    for (GroupField& f : g.fields) {
      for (GroupField::Unique& u : f.unique) {
        u.deferred = true;
        for (uint32_t i = u.slot_begin; i < u.slot_end; ++i) {
          u.deferred = u.deferred && impl->slot_deferred[f.unique_slots[i]];
        }
      }
    }
  }
}

// Below this many case-insensitive patterns a field is not folded.
constexpr size_t kMinFoldedPatterns = 64;

bool CompileDatabases(SigmaRuleSet::Impl* impl, SigmaLoadReport* report, std::string* error) {
  for (Group& g : impl->groups) {
    for (GroupField& f : g.fields) {
      // [folded] -> expressions, flags, ids of that database; the deferred
      // uniques' databases are always over folded text for folded patterns.
      std::vector<const char*> expressions[2], deferred_expressions[2];
      std::vector<unsigned> flags[2], ids[2], deferred_flags[2], deferred_ids[2];
      // Folding costs a pass over the text; for a few patterns Hyperscan's
      // caseless mode is cheaper, and one scan of the original text serves
      // all (a caseless match of folded patterns is the same match).
      size_t folded_count = 0;
      for (const GroupField::Unique& u : f.unique) {
        folded_count += !u.deferred && f.patterns[u.pattern].folded;
      }
      bool fold_text = folded_count >= kMinFoldedPatterns;
      for (size_t u = 0; u < f.unique.size(); ++u) {
        const sigma::Pattern& p = f.patterns[f.unique[u].pattern];
        if (f.unique[u].deferred) {
          deferred_expressions[p.folded].push_back(p.expression.c_str());
          deferred_flags[p.folded].push_back(p.flags);
          deferred_ids[p.folded].push_back(static_cast<unsigned>(u));
          ++report->deferred_patterns;
          continue;
        }
        bool folded = p.folded && fold_text;
        unsigned pattern_flags = p.flags | (p.folded && !fold_text ? HS_FLAG_CASELESS : 0u);
        expressions[folded].push_back(p.expression.c_str());
        flags[folded].push_back(pattern_flags);
        ids[folded].push_back(static_cast<unsigned>(u));
        ++report->hyperscan_patterns;
        if (p.confirm >= 0) ++report->pcre_confirmed_patterns;
      }
      *error = "Hyperscan cannot compile the patterns of " + g.mapping.name + "." + f.name;
      if (!CompileDatabase(expressions[1], flags[1], ids[1], &f.folded_database, error) ||
          !CompileDatabase(expressions[0], flags[0], ids[0], &f.exact_database, error) ||
          !CompileDatabase(deferred_expressions[1], deferred_flags[1], deferred_ids[1],
                           &f.deferred_folded_database, error) ||
          !CompileDatabase(deferred_expressions[0], deferred_flags[0], deferred_ids[0],
                           &f.deferred_exact_database, error)) {
        return false;
      }
      error->clear();
    }
  }
  return true;
}

// Trigger sets (see Impl::slot_triggers). A set of slots S is "necessary" for
// a node when the node cannot be true unless a slot of S hit; nullopt when no
// such set exists (a `not`, or atoms that hold without a hit). Its cost
// estimates how often it hits: the number of rules sharing each pattern, as
// shared patterns (`\powershell.exe`) are the generic, frequent ones.
struct Necessary {
  std::vector<uint32_t> slots;
  double cost = 0;
};

std::optional<Necessary> NecessarySlots(const SigmaRuleSet::Impl& impl, uint32_t node_index,
                                        const std::vector<double>& slot_cost) {
  const Node& node = impl.nodes[node_index];
  switch (node.op) {
    case Node::kLeaf: {
      const Leaf& leaf = impl.leaves[node.leaf];
      std::optional<Necessary> best;
      Necessary any;
      bool all_slots = true;
      for (uint32_t a = leaf.atom_begin; a < leaf.atom_end; ++a) {
        const Atom& atom = impl.atoms[a];
        if (atom.kind != Atom::kSlot) {
          all_slots = false;
          continue;
        }
        double c = slot_cost[atom.slot];
        any.slots.push_back(atom.slot);
        any.cost += c;
        if (leaf.all && (!best || c < best->cost)) best = Necessary{{atom.slot}, c};
      }
      if (leaf.all) return best;  // every atom must hold: the cheapest slot
      if (all_slots && !any.slots.empty()) return any;
      return std::nullopt;
    }
    case Node::kNot:
      return std::nullopt;
    case Node::kAnd: {
      std::optional<Necessary> best;
      for (uint32_t c = node.child_begin; c < node.child_end; ++c) {
        auto n = NecessarySlots(impl, impl.children[c], slot_cost);
        if (n && (!best || n->cost < best->cost)) best = std::move(n);
      }
      return best;
    }
    case Node::kOr:
    case Node::kAtLeast: {
      uint32_t n = node.child_end - node.child_begin;
      if (node.op == Node::kAtLeast && node.at_least >= n) {  // all of them: an AND
        std::optional<Necessary> best;
        for (uint32_t c = node.child_begin; c < node.child_end; ++c) {
          auto x = NecessarySlots(impl, impl.children[c], slot_cost);
          if (x && (!best || x->cost < best->cost)) best = std::move(x);
        }
        return best;
      }
      if (node.op == Node::kAtLeast && node.at_least == 0) return std::nullopt;
      // One child at least must hold: the union of every child's set.
      Necessary all;
      for (uint32_t c = node.child_begin; c < node.child_end; ++c) {
        auto x = NecessarySlots(impl, impl.children[c], slot_cost);
        if (!x) return std::nullopt;
        all.slots.insert(all.slots.end(), x->slots.begin(), x->slots.end());
        all.cost += x->cost;
      }
      if (all.slots.empty()) return std::nullopt;
      return all;
    }
  }
  return std::nullopt;
}

void ChooseTriggers(SigmaRuleSet::Impl* impl) {
  std::vector<double> slot_cost(impl->slot_rule.size(), 1.0);
  for (const Group& g : impl->groups) {
    for (const GroupField& f : g.fields) {
      for (const GroupField::Unique& u : f.unique) {
        for (uint32_t i = u.slot_begin; i < u.slot_end; ++i) {
          slot_cost[f.unique_slots[i]] = static_cast<double>(u.slot_end - u.slot_begin);
        }
      }
    }
  }
  impl->slot_triggers.assign(impl->slot_rule.size(), 0);
  std::vector<uint8_t> has_trigger(impl->rules.size(), 0);
  for (uint32_t r = 0; r < impl->rules.size(); ++r) {
    if (impl->rules[r].always) continue;
    auto n = NecessarySlots(*impl, impl->rules[r].root, slot_cost);
    if (!n) continue;
    for (uint32_t slot : n->slots) impl->slot_triggers[slot] = 1;
    has_trigger[r] = 1;
  }
  // A rule with no necessary set found: any of its hits makes it a candidate.
  for (uint32_t slot = 0; slot < impl->slot_rule.size(); ++slot) {
    if (!has_trigger[impl->slot_rule[slot]]) impl->slot_triggers[slot] = 1;
  }
}

std::shared_ptr<const SigmaRuleSet> Finish(std::unique_ptr<SigmaRuleSet::Impl> impl,
                                           SigmaLoadReport* report, std::string* error,
                                           bool defer_clauses) {
  impl->match_context = pcre2_match_context_create(nullptr);
  pcre2_set_match_limit(impl->match_context, sigma::kPcreMatchLimit);
  pcre2_set_depth_limit(impl->match_context, sigma::kPcreDepthLimit);
  for (uint32_t r = 0; r < impl->rules.size(); ++r) {
    sigma::Rule& rule = impl->rules[r];
    rule.always = StaticValue(*impl, rule.root) != Tri::kFalse;
    if (rule.always) impl->groups[rule.group].always_rules.push_back(r);
  }
  BuildUniques(impl.get());
  ChooseTriggers(impl.get());
  ChooseDeferred(impl.get(), defer_clauses);
  if (!CompileDatabases(impl.get(), report, error)) return nullptr;
  for (Group& g : impl->groups) {
    g.source_keys.resize(g.fields.size());
    for (size_t f = 0; f < g.fields.size(); ++f) {
      for (const EventFieldSource& source : g.fields[f].sources) {
        int32_t key = -1;
        if (source.slot == EventFieldSource::Slot::kExtra) {
          auto it = std::find(g.extra_keys.begin(), g.extra_keys.end(), source.extra_key);
          key = static_cast<int32_t>(it - g.extra_keys.begin());
          if (it == g.extra_keys.end()) {
            g.extra_keys.push_back(source.extra_key);
            g.extra_key_buckets[sigma::ExtraKeyBucket(source.extra_key)].push_back(
                static_cast<uint32_t>(key));
          }
        }
        g.source_keys[f].push_back(key);
      }
    }
  }
  report->loaded = impl->rules.size();
  return SigmaRuleSetFactory::Make(std::move(impl));
}

bool ReadFile(const std::string& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream s;
  s << in.rdbuf();
  *text = s.str();
  return true;
}

}  // namespace

SigmaRuleSet::SigmaRuleSet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SigmaRuleSet::~SigmaRuleSet() = default;
size_t SigmaRuleSet::rule_count() const { return impl_->rules.size(); }
const SigmaRuleInfo& SigmaRuleSet::rule(size_t index) const { return impl_->rules[index].info; }

std::shared_ptr<const SigmaRuleSet> SigmaRuleSet::FromTexts(const std::vector<std::string>& texts,
                                                            const std::vector<std::string>& names,
                                                            const SigmaFieldMapping& mapping,
                                                            SigmaLoadReport* report,
                                                            std::string* error,
                                                            bool defer_clauses) {
  *report = SigmaLoadReport{};
  auto impl = std::make_unique<Impl>();
  for (size_t i = 0; i < texts.size(); ++i) {
    ++report->files;
    SigmaRejection rejection;
    std::string name = i < names.size() ? names[i] : "rule[" + std::to_string(i) + "]";
    if (!sigma::AddRuleText(texts[i], name, mapping, impl.get(), &rejection)) {
      report->rejected.push_back(std::move(rejection));
    }
  }
  return Finish(std::move(impl), report, error, defer_clauses);
}

std::shared_ptr<const SigmaRuleSet> SigmaRuleSet::Load(const SigmaLoadOptions& options,
                                                       SigmaLoadReport* report,
                                                       std::string* error) {
  *report = SigmaLoadReport{};
  SigmaFieldMapping mapping;
  std::vector<std::string> mapping_errors;
  if (!LoadSigmaMapping(options.mapping_file, &mapping, &mapping_errors)) {
    *error = "";
    for (const auto& e : mapping_errors) *error += (error->empty() ? "" : "\n") + e;
    return nullptr;
  }
  std::vector<std::string> files;
  namespace fs = std::filesystem;
  for (const std::string& path : options.paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> found;
      for (fs::recursive_directory_iterator
               it(path, fs::directory_options::skip_permission_denied, ec),
           end;
           !ec && it != end; it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        std::string ext = it->path().extension().string();
        if (ext == ".yml" || ext == ".yaml") found.push_back(it->path().string());
      }
      if (ec) {
        *error = path + ": " + ec.message();
        return nullptr;
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(path, ec)) {
      files.push_back(path);
    } else {
      *error = path + ": no such rule file or directory";
      return nullptr;
    }
  }
  if (options.max_files > 0 && files.size() > options.max_files) files.resize(options.max_files);
  auto impl = std::make_unique<Impl>();
  for (const std::string& file : files) {
    ++report->files;
    std::string text;
    SigmaRejection rejection;
    if (!ReadFile(file, &text)) {
      report->rejected.push_back({file, "", "cannot be read"});
      continue;
    }
    if (!sigma::AddRuleText(text, file, mapping, impl.get(), &rejection)) {
      report->rejected.push_back(std::move(rejection));
    }
  }
  return Finish(std::move(impl), report, error, options.defer_clauses);
}

// ---------------------------------------------------------------------------
// Matching

namespace {

// ASCII lower-case of `in` into `out` (in.size() bytes), eight bytes at a time.
void FoldAsciiInto(std::string_view in, char* out) {
  size_t i = 0;
  for (; i + 8 <= in.size(); i += 8) {
    uint64_t x;
    std::memcpy(&x, in.data() + i, 8);
    uint64_t low7 = x & 0x7f7f7f7f7f7f7f7full;
    uint64_t above_z = low7 + 0x2525252525252525ull;  // high bit set when > 'Z'
    uint64_t from_a = low7 + 0x3f3f3f3f3f3f3f3full;   // high bit set when >= 'A'
    uint64_t upper = ~x & (from_a ^ above_z) & 0x8080808080808080ull;
    x |= upper >> 2;
    std::memcpy(out + i, &x, 8);
  }
  for (; i < in.size(); ++i) out[i] = sigma::FoldAscii(in[i]);
}

}  // namespace

struct SigmaMatcher::State {
  hs_scratch_t* scratch = nullptr;
  pcre2_match_data* match_data = nullptr;
  uint32_t epoch = 0;
  std::vector<uint32_t> slot_epoch;
  std::vector<uint32_t> rule_epoch;
  std::vector<uint32_t> candidates;
  struct Value {
    bool present = false;
    std::string_view text;
  };
  // [group field] its value; the last entry (alt()) is a second value of
  // field alt_of, a decoded command line, when alt_of >= 0.
  std::vector<Value> values;
  int alt_of = -1;
  // The lower-cased values of the event's fields, one after the other with
  // kHsScanSlack bytes of room at the end; it grows to the largest event's.
  // [field] its value's offset, valid when folded_epoch[field] == epoch.
  std::string folded;
  size_t folded_used = 0;
  std::vector<size_t> folded_offset;
  std::string scan_copy;  // ScanPadded's copy of a value that ends near a page end
  std::vector<uint32_t> folded_epoch;
  std::vector<uint32_t> extra_epoch;  // [extra key] set when the event has it
  std::vector<std::string_view> extra_values;
  // Set for the duration of one hs_scan.
  const SigmaRuleSet::Impl* impl = nullptr;
  const GroupField* field = nullptr;
  const Group* group = nullptr;  // the group being matched
  // [field] bytes compared for deferred slots in this event, and whether the
  // field's deferred databases were scanned (both valid when *_epoch == epoch).
  std::vector<uint32_t> compared_epoch, deferred_scan_epoch;
  std::vector<size_t> compared;
  std::string_view text;

  ~State() {
    hs_free_scratch(scratch);
    pcre2_match_data_free(match_data);
  }

  bool PcreMatches(uint32_t pcre, std::string_view s) {
    int rc = pcre2_match(impl->pcres[pcre].code, reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(),
                         0, 0, match_data, impl->match_context);
    // Hitting the match or depth limit counts as no match: bounded time wins.
    return rc >= 0;
  }

  void MarkSlot(uint32_t slot) {
    if (slot_epoch[slot] == epoch) return;
    slot_epoch[slot] = epoch;
    if (!impl->slot_triggers[slot]) return;
    uint32_t rule = impl->slot_rule[slot];
    if (rule_epoch[rule] != epoch) {
      rule_epoch[rule] = epoch;
      candidates.push_back(rule);
    }
  }

  static int OnHit(unsigned id, unsigned long long, unsigned long long, unsigned, void* ctx) {
    State* self = static_cast<State*>(ctx);
    const GroupField::Unique& u = self->field->unique[id];
    if (u.confirm >= 0 && !self->PcreMatches(static_cast<uint32_t>(u.confirm), self->text)) {
      return 0;
    }
    for (uint32_t i = u.slot_begin; i < u.slot_end; ++i)
      self->MarkSlot(self->field->unique_slots[i]);
    return 0;
  }

  uint32_t alt() const { return static_cast<uint32_t>(values.size() - 1); }
  // The value indexes of group field `field`: itself, and alt() for alt_of.
  uint32_t ValueCount(uint32_t field) const { return static_cast<int>(field) == alt_of ? 2 : 1; }
  uint32_t ValueIndex(uint32_t field, uint32_t i) const { return i == 0 ? field : alt(); }

  // Value `vi` (an index into values) lower-cased, folded once per event.
  // The view is valid until the next call.
  std::string_view Folded(uint32_t vi) {
    const Value& v = values[vi];
    if (folded_epoch[vi] != epoch) {
      folded_epoch[vi] = epoch;
      folded_offset[vi] = folded_used;
      folded_used += v.text.size();
      // Room after the text, so Hyperscan may scan it in place (core/hs_scan.h).
      if (folded.size() < folded_used + kHsScanSlack) folded.resize(folded_used + kHsScanSlack);
      FoldAsciiInto(v.text, folded.data() + folded_offset[vi]);
    }
    return std::string_view(folded.data() + folded_offset[vi], v.text.size());
  }

  // Scans value `vi` with `folded_db` (on its lower-cased copy) and `exact_db`
  // (either may be null); hits mark slots of group field `field`.
  void ScanValue(const GroupField& f, uint32_t vi, const hs_database_t* folded_db,
                 const hs_database_t* exact_db) {
    if (!values[vi].present) return;
    field = &f;
    if (folded_db != nullptr) {
      text = Folded(vi);  // has kHsScanSlack bytes after it
      hs_scan(folded_db, text.data(), static_cast<unsigned>(text.size()), 0, scratch, &State::OnHit,
              this);
    }
    if (exact_db != nullptr) {
      text = values[vi].text;
      ScanPadded(exact_db, text, scratch, &State::OnHit, this, &scan_copy);
    }
  }

  // Scans field `field` with its deferred databases: every deferred slot of
  // the field then has its mark. Their uniques hold deferred slots only, which
  // are no triggers, so no candidate is added while candidates are evaluated.
  void ScanDeferred(uint32_t field) {
    deferred_scan_epoch[field] = epoch;
    const GroupField& f = group->fields[field];
    for (uint32_t i = 0; i < ValueCount(field); ++i) {
      ScanValue(f, ValueIndex(field, i), f.deferred_folded_database, f.deferred_exact_database);
    }
  }

  // A deferred slot (its mark not set): one of its literals compared with the
  // field value, or, past the field's budget, the field's deferred scan.
  bool DirectHolds(uint32_t slot, uint32_t field) {
    if (deferred_scan_epoch[field] == epoch) return false;
    if (compared_epoch[field] != epoch) {
      compared_epoch[field] = epoch;
      compared[field] = 0;
    }
    const uint32_t count = impl->slot_direct_begin[slot + 1] - impl->slot_direct_begin[slot];
    for (uint32_t i = 0; i < ValueCount(field); ++i) {
      compared[field] += count * values[ValueIndex(field, i)].text.size();
    }
    if (compared[field] > sigma::kDirectBudgetBytes) {
      ScanDeferred(field);
      return slot_epoch[slot] == epoch;
    }
    for (uint32_t i = 0; i < ValueCount(field); ++i) {
      const uint32_t vi = ValueIndex(field, i);
      if (!values[vi].present) continue;
      for (uint32_t d = impl->slot_direct_begin[slot]; d < impl->slot_direct_begin[slot + 1]; ++d) {
        const sigma::Direct& direct = impl->directs[d];
        std::string_view text = direct.folded ? Folded(vi) : values[vi].text;
        if (sigma::DirectMatch(text, direct.literal, direct.type)) return true;
      }
    }
    return false;
  }

  bool AtomTrue(const Atom& atom, uint32_t field) {
    if (atom.kind == Atom::kSlot) {
      return slot_epoch[atom.slot] == epoch ||
             (impl->slot_deferred[atom.slot] && DirectHolds(atom.slot, field));
    }
    const bool first = AtomHoldsFor(atom, values[field]);
    if (static_cast<int>(field) != alt_of) return first;
    // A field with two values: null and exists: false hold when they hold for
    // both, everything else when it holds for either.
    const bool second = AtomHoldsFor(atom, values[alt()]);
    const bool for_both = atom.kind == Atom::kNull || (atom.kind == Atom::kExists && !atom.exists);
    return for_both ? first && second : first || second;
  }

  // A non-slot atom on one value `v` of its field.
  bool AtomHoldsFor(const Atom& atom, const Value& v) {
    switch (atom.kind) {
      case Atom::kSlot:
        return false;  // marks are per field: AtomTrue
      case Atom::kNull:
        return !v.present || v.text.empty();
      case Atom::kExists:
        return v.present == atom.exists;
      case Atom::kNumeric: {
        if (!v.present) return false;
        double d = 0;
        std::string_view t = Trim(v.text);
        auto r = std::from_chars(t.data(), t.data() + t.size(), d);
        if (r.ec != std::errc() || r.ptr != t.data() + t.size()) return false;
        switch (atom.numeric_op) {
          case '<':
            return d < atom.number;
          case 'l':
            return d <= atom.number;
          case '>':
            return d > atom.number;
          default:
            return d >= atom.number;
        }
      }
      case Atom::kCidr: {
        if (!v.present || v.text.size() > 45) return false;
        char buf[46];
        std::memcpy(buf, v.text.data(), v.text.size());
        buf[v.text.size()] = '\0';
        uint8_t addr[16];
        if (inet_pton(atom.v6 ? AF_INET6 : AF_INET, buf, addr) != 1) return false;
        int bits = atom.prefix;
        for (int i = 0; bits > 0; ++i, bits -= 8) {
          uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
          if ((addr[i] & mask) != (atom.net[static_cast<size_t>(i)] & mask)) return false;
        }
        return true;
      }
      case Atom::kFieldRef: {
        const Value& other = values[atom.ref_field];
        if (!v.present || !other.present) return false;
        std::string_view a = v.text, b = other.text;
        switch (static_cast<sigma::MatchType>(atom.ref_type)) {
          case sigma::MatchType::kEquals:
            return EqualsNoCase(a, b);
          case sigma::MatchType::kStartsWith:
            return StartsWithNoCase(a, b);
          case sigma::MatchType::kEndsWith:
            return a.size() >= b.size() && EqualsNoCase(a.substr(a.size() - b.size()), b);
          case sigma::MatchType::kContains:
            for (size_t i = 0; i + b.size() <= a.size(); ++i) {
              if (EqualsNoCase(a.substr(i, b.size()), b)) return true;
            }
            return false;
        }
        return false;
      }
      case Atom::kPcre:
        return v.present && PcreMatches(atom.pcre, v.text);
    }
    return false;
  }

  bool Eval(uint32_t node_index) {
    const Node& node = impl->nodes[node_index];
    switch (node.op) {
      case Node::kLeaf: {
        const Leaf& leaf = impl->leaves[node.leaf];
        for (uint32_t a = leaf.atom_begin; a < leaf.atom_end; ++a) {
          bool t = AtomTrue(impl->atoms[a], leaf.field);
          if (leaf.all && !t) return false;
          if (!leaf.all && t) return true;
        }
        return leaf.all;
      }
      case Node::kNot:
        return !Eval(impl->children[node.child_begin]);
      case Node::kAnd:
        for (uint32_t c = node.child_begin; c < node.child_end; ++c) {
          if (!Eval(impl->children[c])) return false;
        }
        return true;
      case Node::kOr:
        for (uint32_t c = node.child_begin; c < node.child_end; ++c) {
          if (Eval(impl->children[c])) return true;
        }
        return false;
      case Node::kAtLeast: {
        uint32_t n = 0;
        for (uint32_t c = node.child_begin; c < node.child_end && n < node.at_least; ++c) {
          n += Eval(impl->children[c]);
        }
        return n >= node.at_least;
      }
    }
    return false;
  }
};

SigmaMatcher::SigmaMatcher(std::shared_ptr<const SigmaRuleSet> rules)
    : rules_(std::move(rules)), state_(std::make_unique<State>()) {
  const SigmaRuleSet::Impl& impl = *rules_->impl_;
  size_t max_fields = 0;
  for (const Group& g : impl.groups) {
    max_fields = std::max(max_fields, g.fields.size());
    for (const GroupField& f : g.fields) {
      // Scratch allocation fails only on memory exhaustion; a null scratch
      // makes hs_scan fail, which Match() treats as no hit.
      if (f.folded_database != nullptr) hs_alloc_scratch(f.folded_database, &state_->scratch);
      if (f.exact_database != nullptr) hs_alloc_scratch(f.exact_database, &state_->scratch);
      if (f.deferred_folded_database != nullptr) {
        hs_alloc_scratch(f.deferred_folded_database, &state_->scratch);
      }
      if (f.deferred_exact_database != nullptr) {
        hs_alloc_scratch(f.deferred_exact_database, &state_->scratch);
      }
    }
  }
  state_->values.resize(max_fields + 1);  // + the second value of a decoded command line
  state_->folded_offset.assign(max_fields + 1, 0);
  state_->folded_epoch.assign(max_fields + 1, 0);
  state_->compared_epoch.assign(max_fields, 0);
  state_->deferred_scan_epoch.assign(max_fields, 0);
  state_->compared.assign(max_fields, 0);
  size_t max_keys = 0;
  for (const Group& g : impl.groups) max_keys = std::max(max_keys, g.extra_keys.size());
  state_->extra_epoch.assign(max_keys, 0);
  state_->extra_values.resize(max_keys);
  state_->slot_epoch.assign(impl.slot_rule.size(), 0);
  state_->rule_epoch.assign(impl.rules.size(), 0);
  state_->match_data = pcre2_match_data_create(1, nullptr);
  state_->impl = &impl;
}

SigmaMatcher::~SigmaMatcher() = default;

void SigmaMatcher::Match(const Event& event, std::vector<uint32_t>* matched,
                         const std::string_view* command_line) {
  State& s = *state_;
  const SigmaRuleSet::Impl& impl = *rules_->impl_;
  size_t first = matched->size();
  for (const Group& g : impl.groups) {
    if (!g.mapping.Covers(event)) continue;
    if (++s.epoch == 0) {  // wrapped: old marks could look current
      std::fill(s.slot_epoch.begin(), s.slot_epoch.end(), 0);
      std::fill(s.rule_epoch.begin(), s.rule_epoch.end(), 0);
      std::fill(s.extra_epoch.begin(), s.extra_epoch.end(), 0);
      std::fill(s.folded_epoch.begin(), s.folded_epoch.end(), 0);
      std::fill(s.compared_epoch.begin(), s.compared_epoch.end(), 0);
      std::fill(s.deferred_scan_epoch.begin(), s.deferred_scan_epoch.end(), 0);
      s.epoch = 1;
    }
    s.candidates.clear();
    s.alt_of = command_line != nullptr ? g.command_line_field : -1;
    if (s.alt_of >= 0) s.values[s.alt()] = {true, *command_line};
    s.group = &g;
    s.folded_used = 0;
    // The first extra of each key the group reads, as EventFieldSource::Read
    // finds it, in one pass over the event's extras.
    for (const ExtraField& extra : event.extras) {
      for (uint32_t key : g.extra_key_buckets[sigma::ExtraKeyBucket(extra.key)]) {
        if (g.extra_keys[key] != extra.key) continue;
        if (s.extra_epoch[key] != s.epoch) {
          s.extra_epoch[key] = s.epoch;
          s.extra_values[key] = extra.value;
        }
        break;
      }
    }
    for (size_t f = 0; f < g.fields.size(); ++f) {
      State::Value& v = s.values[f];
      v = State::Value{};
      const auto& sources = g.fields[f].sources;
      for (size_t i = 0; i < sources.size() && !v.present; ++i) {
        int32_t key = g.source_keys[f][i];
        if (key < 0) {
          v.present = sources[i].Read(event, &v.text);
        } else if (s.extra_epoch[static_cast<size_t>(key)] == s.epoch) {
          v.present = true;
          v.text = s.extra_values[static_cast<size_t>(key)];
        }
      }
      const GroupField& field = g.fields[f];
      for (uint32_t i = 0; i < s.ValueCount(static_cast<uint32_t>(f)); ++i) {
        s.ScanValue(field, s.ValueIndex(static_cast<uint32_t>(f), i), field.folded_database,
                    field.exact_database);
      }
    }
    for (uint32_t r : g.always_rules) {
      if (s.rule_epoch[r] != s.epoch) {
        s.rule_epoch[r] = s.epoch;
        s.candidates.push_back(r);
      }
    }
    for (uint32_t r : s.candidates) {
      if (s.Eval(impl.rules[r].root)) matched->push_back(r);
    }
  }
  std::sort(matched->begin() + static_cast<std::ptrdiff_t>(first), matched->end());
}

}  // namespace loghunt
