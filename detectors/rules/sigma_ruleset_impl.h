// Internal representation of a compiled SigmaRuleSet, shared by the loader
// (sigma_loader.cc), the compiler and the matcher (sigma_ruleset.cc).
#pragma once

#define PCRE2_CODE_UNIT_WIDTH 8
#include <hs/hs.h>
#include <pcre2.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "detectors/rules/sigma_ruleset.h"
#include "detectors/rules/sigma_values.h"

namespace loghunt {

namespace sigma {

// A value compared with a field; the leaf combines its atoms with any/all.
struct Atom {
  enum Kind : uint8_t { kSlot, kNull, kExists, kNumeric, kCidr, kFieldRef, kPcre } kind = kSlot;
  uint32_t slot = 0;              // kSlot: set when a Hyperscan pattern for this value hit
  bool exists = true;             // kExists
  char numeric_op = '<';          // kNumeric: '<' lt, 'l' lte, '>' gt, 'g' gte
  double number = 0;              // kNumeric
  bool v6 = false;                // kCidr
  std::array<uint8_t, 16> net{};  // kCidr
  int prefix = 0;                 // kCidr
  uint32_t ref_field = 0;         // kFieldRef: group field index
  uint8_t ref_type = 0;           // kFieldRef: MatchType
  uint32_t pcre = 0;              // kPcre: index into Impl::pcres
};

struct Leaf {
  uint32_t field = 0;  // group field index
  bool all = false;
  uint32_t atom_begin = 0, atom_end = 0;
};

struct Node {
  enum Op : uint8_t { kAnd, kOr, kNot, kLeaf, kAtLeast } op = kAnd;
  uint32_t child_begin = 0, child_end = 0;  // into Impl::children
  uint32_t leaf = 0;                        // kLeaf
  uint32_t at_least = 1;                    // kAtLeast
};

struct Pattern {
  std::string expression;
  unsigned flags = 0;
  uint32_t slot = 0;
  int32_t confirm = -1;  // PCRE2 index that must confirm a prefilter hit
  // Scanned over the field's ASCII-lower-cased text. Case-insensitive literals
  // are written lower-case without HS_FLAG_CASELESS: folding the text once per
  // event is cheaper than Hyperscan's caseless matching over thousands of
  // patterns. Case-insensitive regexes keep HS_FLAG_CASELESS (equivalent on
  // folded text); case-sensitive ones (cased, base64, `re` without `i`) are
  // scanned over the original text. A field with few case-insensitive patterns
  // is not folded: they join the original-text database with HS_FLAG_CASELESS.
  bool folded = false;
  // Set when the pattern is one literal compared whole (`literal` as `type`,
  // lower-case when folded): it can then be checked without Hyperscan, which
  // lets a slot that is no trigger leave the databases (Impl::slot_deferred).
  bool direct = false;
  MatchType type = MatchType::kContains;
  std::string literal;
};

// A literal comparison that stands in for a Hyperscan pattern of a deferred
// slot: `folded` ones compare with the lower-cased field value.
struct Direct {
  std::string literal;
  MatchType type = MatchType::kContains;
  bool folded = false;
};

struct GroupField {
  std::string name;  // Sigma field name
  std::vector<EventFieldSource> sources;
  std::vector<Pattern> patterns;
  // Identical patterns of different rules (e.g. Image|endswith '\\powershell.exe'
  // in hundreds of rules) are one Hyperscan expression whose hit marks all
  // their slots: Hyperscan callbacks, not the scan, dominate otherwise.
  struct Unique {
    uint32_t slot_begin = 0, slot_end = 0;  // into unique_slots
    int32_t confirm = -1;
    uint32_t pattern = 0;   // its first pattern
    bool deferred = false;  // every slot deferred: not in a database
  };
  std::vector<Unique> unique;
  std::vector<uint32_t> unique_slots;
  hs_database_t* folded_database = nullptr;  // over the lower-cased text
  hs_database_t* exact_database = nullptr;   // over the text as it is
  // The deferred uniques, scanned instead of comparing their literals once an
  // event's comparisons on this field pass kDirectBudgetBytes.
  hs_database_t* deferred_folded_database = nullptr;  // over the lower-cased text
  hs_database_t* deferred_exact_database = nullptr;   // over the text as it is
};

struct Group {
  SigmaLogsourceMapping mapping;
  std::vector<GroupField> fields;
  std::vector<uint32_t> always_rules;  // evaluated on every covered event
  int command_line_field = -1;         // replaced by decoded layers
  // Event extras are looked up in one pass per event: each distinct extra key
  // the group's sources read has an index, and each field lists, per source,
  // that index (-1 for a normalized slot).
  std::vector<std::string> extra_keys;
  std::vector<std::vector<int32_t>> source_keys;  // [field][source]
  // Key indexes by ExtraKeyBucket: most extras of an event fall in an empty
  // bucket and cost three arithmetic operations.
  std::array<std::vector<uint32_t>, 256> extra_key_buckets;
};

inline size_t ExtraKeyBucket(std::string_view key) {
  if (key.empty()) return 0;
  return (key.size() * 31 + static_cast<unsigned char>(key.front()) * 7 +
          static_cast<unsigned char>(key.back())) &
         255;
}

struct Rule {
  SigmaRuleInfo info;
  uint32_t group = 0;
  uint32_t root = 0;
  bool always = false;
};

// ASCII lower-case, byte by byte, as Hyperscan's caseless mode folds.
inline char FoldAscii(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

struct Pcre {
  pcre2_code* code = nullptr;
};

}  // namespace sigma

struct SigmaRuleSet::Impl {
  std::vector<sigma::Rule> rules;
  std::vector<sigma::Group> groups;
  std::vector<sigma::Atom> atoms;
  std::vector<sigma::Leaf> leaves;
  std::vector<sigma::Node> nodes;
  std::vector<uint32_t> children;
  std::vector<uint32_t> slot_rule;  // slot -> rule
  // Slots in their rule's trigger set: the rule's condition cannot hold unless
  // one of them hit, so only their hits make the rule a candidate. Each rule
  // gets the set expected to hit least often (its rarest required clause),
  // which keeps candidates close to the rules that actually match.
  std::vector<uint8_t> slot_triggers;
  // Deferred slots: a slot that is no trigger can only matter once its rule is
  // a candidate, so when each of its patterns is a direct literal it is left
  // out of the Hyperscan databases and checked, when a candidate's condition
  // reaches it, by comparing its literals with the field value. Short, common
  // literals (`.exe`, ` -e `) of rules triggered by a rarer clause then cost
  // nothing on the events that never make their rule a candidate.
  std::vector<uint8_t> slot_deferred;
  std::vector<uint32_t> slot_direct_begin;  // [slot] -> range in `directs` (size slots + 1)
  std::vector<sigma::Direct> directs;
  std::vector<sigma::Pcre> pcres;
  pcre2_match_context* match_context = nullptr;

  ~Impl();
};

namespace sigma {
// Limits that bound every PCRE2 run (backtracking steps and nesting).
constexpr uint32_t kPcreMatchLimit = 100'000;
constexpr uint32_t kPcreDepthLimit = 2'000;
// Bytes of one field's value that the literal comparisons of deferred slots
// may read per event; past it the field's deferred database is scanned once
// instead, so a long value (or an event that makes every rule a candidate)
// costs one more scan, not a comparison per deferred literal.
constexpr size_t kDirectBudgetBytes = 16384;

// Parses the YAML text of one rule into `impl` (nodes, atoms, patterns).
// Returns false with `rejection` filled when the rule cannot be used; then
// `impl` holds unreachable leftovers of the rule, which cost nothing.
bool AddRuleText(const std::string& text, const std::string& file, const SigmaFieldMapping& mapping,
                 SigmaRuleSet::Impl* impl, SigmaRejection* rejection);
}  // namespace sigma

}  // namespace loghunt
