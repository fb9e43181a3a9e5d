// SigmaRuleSet: Sigma rules loaded from YAML and compiled for streaming, and
// SigmaMatcher, the per-worker state that runs them on events.
//
// Every string comparison of every rule (contains, startswith, endswith,
// equality, wildcards, windash, base64/base64offset/utf16/wide, and `re`) is
// compiled into one Hyperscan database per (logsource, field), so an event
// costs one scan per mapped field whatever the number of rules; only rules
// with a hit on their trigger (the clause of the rule whose patterns fewest
// rules share) are "candidates" and have their condition evaluated. A clause
// that is no trigger and whose values are plain literals stays out of the
// databases: a candidate's evaluation compares those literals directly, or,
// past a per-field byte budget in one event, scans them once.
// Rules whose condition can hold with no string hit at all (`not`, null,
// exists, numeric, cidr, fieldref) are evaluated on every covered event.
// Regexes Hyperscan cannot compile exactly are compiled with HS_FLAG_PREFILTER
// and confirmed with PCRE2 under match and depth limits, so no rule can make
// matching backtrack without bound.
//
// Loading never throws and never stops at a bad rule: a rule that uses an
// unsupported feature, is malformed, or has no field mapping for its
// logsource is rejected with its file, id and a reason; the others load.
//
// Lifetime and threads: a SigmaRuleSet is immutable once built and is shared
// (std::shared_ptr<const SigmaRuleSet>) by any number of SigmaMatchers on any
// threads. A SigmaMatcher is not thread-safe: one per worker.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/alert.h"
#include "core/event.h"
#include "detectors/rules/sigma_mapping.h"

namespace loghunt {

// Metadata of a loaded rule, copied into its alerts.
struct SigmaRuleInfo {
  std::string id;
  std::string title;
  Severity severity = Severity::kMedium;
  std::string level;  // as written in the rule
  std::string status;
  std::string author;
  std::vector<std::string> tags;
  std::vector<std::string> references;
  std::vector<std::string> falsepositives;
  std::string file;
  std::string logsource;  // the mapping entry that serves it
};

struct SigmaRejection {
  std::string file;
  std::string id;  // "" when the file has no readable id
  std::string reason;
};

struct SigmaLoadReport {
  size_t files = 0;  // rule files read (one rule per file)
  size_t loaded = 0;
  std::vector<SigmaRejection> rejected;
  // Regexes that run as Hyperscan prefilter + PCRE2 (not exact in Hyperscan).
  size_t pcre_confirmed_patterns = 0;
  size_t hyperscan_patterns = 0;
  // String patterns of non-trigger slots checked only for candidate rules
  // (SigmaRuleSet::Impl::slot_deferred), outside the Hyperscan databases.
  size_t deferred_patterns = 0;
};

struct SigmaLoadOptions {
  // Rule files, or directories searched recursively for *.yml / *.yaml; each
  // directory's files are taken in sorted path order.
  std::vector<std::string> paths;
  // Extra mapping file read on top of the built-in one ("" = built-in only).
  std::string mapping_file;
  // Stop after this many rule files (0 = all); benchmarks use it.
  size_t max_files = 0;
  // false: every string pattern is scanned, none is deferred to literal
  // comparisons; matches are the same (tests compare the two).
  bool defer_clauses = true;
};

class SigmaRuleSet {
 public:
  ~SigmaRuleSet();
  SigmaRuleSet(const SigmaRuleSet&) = delete;
  SigmaRuleSet& operator=(const SigmaRuleSet&) = delete;

  // Loads and compiles. Returns nullptr with `error` set only when nothing
  // usable can be built (unreadable path, bad mapping file, Hyperscan failure);
  // rejected rules are only listed in `report`.
  static std::shared_ptr<const SigmaRuleSet> Load(const SigmaLoadOptions& options,
                                                  SigmaLoadReport* report, std::string* error);
  // Same, with the rules given as YAML texts (`names` label them in reports).
  static std::shared_ptr<const SigmaRuleSet> FromTexts(const std::vector<std::string>& texts,
                                                       const std::vector<std::string>& names,
                                                       const SigmaFieldMapping& mapping,
                                                       SigmaLoadReport* report, std::string* error,
                                                       bool defer_clauses = true);

  size_t rule_count() const;
  const SigmaRuleInfo& rule(size_t index) const;

  struct Impl;
  // The compiled form, for diagnostics and benchmarks that include
  // sigma_ruleset_impl.h (e.g. the per-field scan costs of bench/rules_bench).
  const Impl& impl() const { return *impl_; }

 private:
  friend class SigmaMatcher;
  friend class SigmaRuleSetFactory;
  explicit SigmaRuleSet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Runs a rule set on events. Holds Hyperscan scratch and per-event marks, so
// matching allocates nothing once warmed up.
class SigmaMatcher {
 public:
  explicit SigmaMatcher(std::shared_ptr<const SigmaRuleSet> rules);
  ~SigmaMatcher();
  SigmaMatcher(const SigmaMatcher&) = delete;
  SigmaMatcher& operator=(const SigmaMatcher&) = delete;

  // Appends to `matched` the indexes (ascending) of the rules whose condition
  // holds for `event`. When `command_line` is given it is a second value of
  // the Sigma field CommandLine (a decoded layer of the command line): a
  // selection on CommandLine holds when it holds for either value (null and
  // exists: false for both), so a filter that excludes the plain command line
  // still excludes the event.
  void Match(const Event& event, std::vector<uint32_t>* matched,
             const std::string_view* command_line = nullptr);

  const SigmaRuleSet& rules() const { return *rules_; }
  const std::shared_ptr<const SigmaRuleSet>& shared_rules() const { return rules_; }

  struct State;

 private:
  std::shared_ptr<const SigmaRuleSet> rules_;
  std::unique_ptr<State> state_;
};

}  // namespace loghunt
