// RiskyCommandDetector: msticpy's built-in "Syslog" risky command-line rules
// (resources/cmd_line_rules.json; ../shared/reference/msticpy.md §3), run on
// the command line of process_start and user_command events.
//
// msticpy applies each regex with re.match (anchored, case-sensitive) and
// every rule has the form ".*X.*", i.e. "the command contains X"; here the five
// rules are one Hyperscan database scanned once per command line, so the cost
// does not grow with the rule count. The command is matched raw, as msticpy
// does (it decodes base64 but then discards the result).
//
// Thread-safety: the compiled database is shared read-only; each detector
// instance owns its scratch, so use one instance per worker.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "detectors/detector.h"

struct hs_database;
struct hs_scratch;

namespace loghunt {

struct RiskyCommandRule {
  std::string id;
  std::string title;
  std::string pattern;  // Hyperscan (PCRE-subset) expression
  Severity severity;
};

// The five Syslog rules of msticpy's cmd_line_rules.json.
const std::vector<RiskyCommandRule>& MsticpySyslogRiskyCommandRules();

class RiskyCommandDetector : public Detector {
 public:
  // Compiles `rules`. Throws std::runtime_error naming the rule when one does
  // not compile (built-in rules are fixed, so this is a programming error).
  explicit RiskyCommandDetector(
      std::vector<RiskyCommandRule> rules = MsticpySyslogRiskyCommandRules());
  ~RiskyCommandDetector() override;
  std::string_view name() const override { return "risky_command"; }
  void Inspect(const Event& event, std::vector<Alert>& alerts) override;

 private:
  std::vector<RiskyCommandRule> rules_;
  hs_database* database_ = nullptr;
  hs_scratch* scratch_ = nullptr;
  std::string scan_copy_;          // ScanPadded's copy (core/hs_scan.h)
  std::vector<unsigned> matched_;  // rule ids matched in the current scan
};

}  // namespace loghunt
