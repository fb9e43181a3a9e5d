#include "daemon/rules_command.h"

#include <cstdio>

#include "core/serialize.h"
#include "detectors/rules/sigma_ruleset.h"

namespace loghunt {

int RunRulesCheck(const RulesCheckOptions& options) {
  SigmaLoadOptions load;
  load.paths = options.paths;
  load.mapping_file = options.mapping_file;
  SigmaLoadReport report;
  std::string error;
  auto rules = SigmaRuleSet::Load(load, &report, &error);
  if (rules == nullptr) {
    std::fprintf(stderr, "rules check: %s\n", error.c_str());
    return 2;
  }
  for (const SigmaRejection& r : report.rejected) {
    std::printf("rejected: %s: %s: %s\n", Printable(r.file).c_str(),
                r.id.empty() ? "(no id)" : Printable(r.id).c_str(), Printable(r.reason).c_str());
  }
  double percent = report.files == 0 ? 100.0 : 100.0 * double(report.loaded) / double(report.files);
  std::printf(
      "loaded %zu of %zu rules (%.2f%%), %zu rejected; %zu Hyperscan patterns, %zu of them "
      "confirmed by PCRE2; %zu literals compared only for candidate rules\n",
      report.loaded, report.files, percent, report.rejected.size(), report.hyperscan_patterns,
      report.pcre_confirmed_patterns, report.deferred_patterns);
  return report.rejected.empty() ? 0 : 1;
}

}  // namespace loghunt
