#include "detectors/builtin/risky_command.h"

#include <hs/hs.h>

#include <algorithm>
#include <stdexcept>

#include "core/hs_scan.h"

namespace loghunt {

const std::vector<RiskyCommandRule>& MsticpySyslogRiskyCommandRules() {
  // The regexes of msticpy's resources/cmd_line_rules.json "Syslog" set, with the
  // leading/trailing ".*" dropped (Hyperscan reports a match anywhere, which is
  // what re.match(".*X.*") means).
  static const std::vector<RiskyCommandRule> kRules = {
      {"msticpy.syslog.authorized_keys", "Command touches SSH authorized_keys", "authorized_keys",
       Severity::kMedium},
      {"msticpy.syslog.download_to_shell", "Download tool piped to a shell",
       "(wget|curl).*\\|?.*sh", Severity::kHigh},
      {"msticpy.syslog.fork_bomb", "Fork bomb", ":\\(\\)\\{:\\|:&\\};:", Severity::kHigh},
      {"msticpy.syslog.mv_dev_null", "File moved to /dev/null", "mv.*/dev/null", Severity::kMedium},
      {"msticpy.syslog.bin_bash", "Command runs /bin/bash", "/bin/bash", Severity::kLow},
  };
  return kRules;
}

RiskyCommandDetector::RiskyCommandDetector(std::vector<RiskyCommandRule> rules)
    : rules_(std::move(rules)) {
  std::vector<const char*> expressions;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;
  for (unsigned i = 0; i < rules_.size(); ++i) {
    expressions.push_back(rules_[i].pattern.c_str());
    flags.push_back(HS_FLAG_SINGLEMATCH | HS_FLAG_DOTALL);
    ids.push_back(i);
  }
  hs_compile_error_t* error = nullptr;
  if (hs_compile_multi(expressions.data(), flags.data(), ids.data(),
                       static_cast<unsigned>(expressions.size()), HS_MODE_BLOCK, nullptr,
                       &database_, &error) != HS_SUCCESS) {
    std::string what = "risky command rules: ";
    if (error != nullptr) {
      if (error->expression >= 0) what += rules_[static_cast<size_t>(error->expression)].id + ": ";
      what += error->message;
      hs_free_compile_error(error);
    }
    throw std::runtime_error(what);
  }
  if (hs_alloc_scratch(database_, &scratch_) != HS_SUCCESS) {
    hs_free_database(database_);
    throw std::runtime_error("risky command rules: cannot allocate Hyperscan scratch");
  }
  matched_.reserve(rules_.size());
}

RiskyCommandDetector::~RiskyCommandDetector() {
  hs_free_scratch(scratch_);
  hs_free_database(database_);
}

void RiskyCommandDetector::Inspect(const Event& event, std::vector<Alert>& alerts) {
  if (event.kind != EventKind::kProcessStart && event.kind != EventKind::kUserCommand) return;
  std::string_view command = event.process.command_line;
  if (command.empty()) return;
  matched_.clear();
  auto on_match = [](unsigned id, unsigned long long, unsigned long long, unsigned,
                     void* ctx) -> int {
    static_cast<std::vector<unsigned>*>(ctx)->push_back(id);
    return 0;
  };
  ScanPadded(database_, command, scratch_, on_match, &matched_, &scan_copy_);
  std::sort(matched_.begin(), matched_.end());
  for (unsigned id : matched_) {
    const RiskyCommandRule& rule = rules_[id];
    Alert alert =
        MakeAlert(event, {rule.id, rule.title, rule.severity, {"msticpy", "cmd_line"}}, "");
    alert.summary = std::string(rule.title) + ": " + std::string(command);
    Entity process{"Process", {{"CommandLine", std::string(command)}}};
    if (!event.process.executable.empty()) {
      process.properties.push_back({"ImageFile", std::string(event.process.executable)});
    }
    if (event.process.pid >= 0) {
      process.properties.push_back({"ProcessId", std::to_string(event.process.pid)});
    }
    alert.entities.push_back(std::move(process));
    if (!event.process.user.empty()) {
      alert.entities.push_back({"Account", {{"Name", std::string(event.process.user)}}});
    }
    alerts.push_back(std::move(alert));
  }
}

}  // namespace loghunt
