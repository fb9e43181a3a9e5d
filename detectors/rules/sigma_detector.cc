#include "detectors/rules/sigma_detector.h"

#include <algorithm>

namespace loghunt {

SigmaRuleSetHandle::SigmaRuleSetHandle(std::shared_ptr<const SigmaRuleSet> rules)
    : rules_(std::move(rules)) {}

void SigmaRuleSetHandle::Publish(std::shared_ptr<const SigmaRuleSet> rules) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    rules_ = std::move(rules);
  }
  generation_.fetch_add(1, std::memory_order_release);
}

bool SigmaRuleSetHandle::Reload(const SigmaLoadOptions& options, SigmaLoadReport* report,
                                std::string* error) {
  auto rules = SigmaRuleSet::Load(options, report, error);
  if (rules == nullptr) return false;
  std::vector<std::string> rejected;
  for (const SigmaRejection& r : report->rejected) rejected.push_back(r.file);
  std::sort(rejected.begin(), rejected.end());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    size_t fresh = 0;
    for (const std::string& file : rejected) {
      fresh += !std::binary_search(tolerated_.begin(), tolerated_.end(), file);
    }
    if (fresh > 0) {
      *error = std::to_string(fresh) +
               " rule(s) rejected that the running set loaded or did "
               "not have; keeping the old rule set";
      return false;
    }
    tolerated_ = std::move(rejected);
  }
  Publish(std::move(rules));
  return true;
}

void SigmaRuleSetHandle::Tolerate(std::vector<std::string> files) {
  std::sort(files.begin(), files.end());
  std::lock_guard<std::mutex> lock(mutex_);
  tolerated_ = std::move(files);
}

std::shared_ptr<const SigmaRuleSet> SigmaRuleSetHandle::Get() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return rules_;
}

SigmaDetector::SigmaDetector(std::shared_ptr<SigmaRuleSetHandle> handle, bool decode_layers)
    : handle_(std::move(handle)) {
  if (decode_layers) decoder_ = std::make_unique<Decoder>();
  Refresh();
}

void SigmaDetector::Refresh() {
  generation_ = handle_->generation();
  auto rules = handle_->Get();
  matcher_ = rules ? std::make_unique<SigmaMatcher>(std::move(rules)) : nullptr;
}

Alert SigmaDetector::MakeSigmaAlert(const Event& event, uint32_t index, std::string_view chain,
                                    std::string_view command_line) const {
  const SigmaRuleInfo& info = matcher_->rules().rule(index);
  RuleRef ref{info.id, info.title, info.severity, info.tags};
  ref.tags.push_back("sigma");
  if (!chain.empty()) ref.tags.push_back("loghunt.decoded");
  // The key keeps alerts of the raw event and of each decoded layer apart.
  Alert alert = MakeAlert(event, std::move(ref), chain);
  alert.summary = info.title;
  if (!chain.empty()) alert.summary += " (after decoding: " + std::string(chain) + ")";
  if (!command_line.empty()) alert.summary += ": " + std::string(command_line);
  Entity process{"Process", {}};
  if (!command_line.empty())
    process.properties.push_back({"CommandLine", std::string(command_line)});
  if (!event.process.executable.empty()) {
    process.properties.push_back({"ImageFile", std::string(event.process.executable)});
  }
  if (!event.process.parent_executable.empty()) {
    process.properties.push_back({"ParentImageFile", std::string(event.process.parent_executable)});
  }
  if (event.process.pid >= 0)
    process.properties.push_back({"ProcessId", std::to_string(event.process.pid)});
  if (!process.properties.empty()) alert.entities.push_back(std::move(process));
  if (!event.process.user.empty()) {
    alert.entities.push_back({"Account", {{"Name", std::string(event.process.user)}}});
  }
  // Rule provenance (DRL 1.1 asks for author and link when rules are used).
  Entity rule{"SigmaRule", {{"id", info.id}, {"level", info.level}, {"file", info.file}}};
  if (!info.author.empty()) rule.properties.push_back({"author", info.author});
  std::string joined;
  for (const auto& r : info.references) joined += (joined.empty() ? "" : " ") + r;
  if (!joined.empty()) rule.properties.push_back({"references", joined});
  joined.clear();
  for (const auto& f : info.falsepositives) joined += (joined.empty() ? "" : "; ") + f;
  if (!joined.empty()) rule.properties.push_back({"falsepositives", joined});
  alert.entities.push_back(std::move(rule));
  return alert;
}

void SigmaDetector::Inspect(const Event& event, std::vector<Alert>& alerts) {
  if (handle_->generation() != generation_) Refresh();
  matched_plain_.clear();
  if (matcher_ == nullptr) return;
  // A command sudo refused (not in sudoers, wrong password) created no
  // process: process_creation rules do not apply.
  if (event.kind == EventKind::kUserCommand && event.Extra("event.outcome") == "failure") return;
  matcher_->Match(event, &matched_plain_);
  for (uint32_t r : matched_plain_) {
    alerts.push_back(MakeSigmaAlert(event, r, {}, event.process.command_line));
  }
  if (decoder_ == nullptr || event.process.command_line.empty() ||
      (event.kind != EventKind::kProcessStart && event.kind != EventKind::kUserCommand)) {
    return;
  }
  // Layers stay valid until the next Decode(); InspectDecoded copies what the
  // alerts keep.
  for (const DecodedLayer& layer : decoder_->Decode(event.process.command_line)) {
    InspectDecoded(event, layer.text, layer.chain, alerts);
  }
}

void SigmaDetector::InspectDecoded(const Event& event, std::string_view command_line,
                                   std::string_view chain, std::vector<Alert>& alerts) {
  if (matcher_ == nullptr) return;
  decoded_.clear();
  matcher_->Match(event, &decoded_, &command_line);
  for (uint32_t r : decoded_) {
    if (std::binary_search(matched_plain_.begin(), matched_plain_.end(), r)) continue;
    alerts.push_back(MakeSigmaAlert(event, r, chain, command_line));
  }
}

}  // namespace loghunt

namespace loghunt {

namespace {

struct SharedSet {
  std::string key;
  SigmaLoadOptions options;
  std::shared_ptr<SigmaRuleSetHandle> handle;
};

std::mutex g_shared_mutex;
std::vector<SharedSet> g_shared;

}  // namespace

std::shared_ptr<SigmaRuleSetHandle> SharedSigmaRuleSet(const SigmaLoadOptions& options,
                                                       SigmaLoadReport* report, std::string* error,
                                                       bool* first) {
  std::string key = options.mapping_file + '\n' + std::to_string(options.max_files);
  for (const auto& p : options.paths) key += '\n' + p;
  std::lock_guard<std::mutex> lock(g_shared_mutex);
  *first = false;
  for (const SharedSet& s : g_shared) {
    if (s.key == key) return s.handle;
  }
  auto rules = SigmaRuleSet::Load(options, report, error);
  if (rules == nullptr) return nullptr;
  if (report->loaded == 0 && !report->rejected.empty()) {
    // Every rule rejected: a daemon without the detections it was configured
    // for would run on as if they were there (check-config said ok).
    *error = "none of the " + std::to_string(report->files) + " rule file(s) loaded";
    for (size_t i = 0; i < report->rejected.size() && i < 3; ++i) {
      const SigmaRejection& r = report->rejected[i];
      *error += (i == 0 ? ": " : "; ") + r.file + ": " + r.reason;
    }
    if (report->rejected.size() > 3) *error += "; ...";
    return nullptr;
  }
  *first = true;
  auto handle = std::make_shared<SigmaRuleSetHandle>(std::move(rules));
  std::vector<std::string> rejected;
  for (const SigmaRejection& r : report->rejected) rejected.push_back(r.file);
  handle->Tolerate(std::move(rejected));
  g_shared.push_back({key, options, handle});
  return handle;
}

std::vector<SigmaReloadResult> ReloadSharedSigmaRuleSets() {
  std::vector<SharedSet> sets;
  {
    std::lock_guard<std::mutex> lock(g_shared_mutex);
    sets = g_shared;
  }
  std::vector<SigmaReloadResult> results;
  for (const SharedSet& s : sets) {
    SigmaReloadResult r;
    r.options = s.options;
    r.published = s.handle->Reload(s.options, &r.report, &r.error);
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace loghunt
