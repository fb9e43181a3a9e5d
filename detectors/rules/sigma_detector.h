// SigmaDetector: runs a SigmaRuleSet on every event and turns matches into
// alerts carrying the rule's metadata. SigmaRuleSetHandle is the swap point
// for reloads (SIGHUP): the daemon loads a new set off the hot path and, only
// when it loaded, publishes it; detectors pick it up before their next event.
//
// Thread-safety: SigmaRuleSetHandle is safe from any thread. A SigmaDetector
// belongs to one worker (it owns Hyperscan scratch via its SigmaMatcher).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "detectors/decode/decoder.h"
#include "detectors/detector.h"
#include "detectors/rules/sigma_ruleset.h"

namespace loghunt {

class SigmaRuleSetHandle {
 public:
  explicit SigmaRuleSetHandle(std::shared_ptr<const SigmaRuleSet> rules);

  // Replaces the rule set atomically: a detector sees either the old set or
  // the new one for a whole event, never a mix. The old set is freed when
  // the last detector using it has moved on.
  void Publish(std::shared_ptr<const SigmaRuleSet> rules);
  // Loads `options`; publishes only when loading succeeded and rejected no
  // rule but those of Tolerate(), so a rule broken while editing keeps the
  // whole old set. Returns false with `error` (and the report) otherwise.
  bool Reload(const SigmaLoadOptions& options, SigmaLoadReport* report, std::string* error);
  // Rule files whose rejection does not stop a Reload (those the running set
  // was loaded without: rules of an unsupported feature, say). A published
  // reload replaces them with its own rejected files.
  void Tolerate(std::vector<std::string> files);

  std::shared_ptr<const SigmaRuleSet> Get() const;
  // Increases with every Publish(); cheap to poll per event.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const SigmaRuleSet> rules_;
  std::vector<std::string> tolerated_;  // sorted
  std::atomic<uint64_t> generation_{0};
};

class SigmaDetector : public Detector {
 public:
  // With `decode_layers`, Inspect() also runs the rules on every decoded
  // layer of the command line (detectors/decode: base64, UTF-16, gzip, ...)
  // of process_start and user_command events, through InspectDecoded().
  explicit SigmaDetector(std::shared_ptr<SigmaRuleSetHandle> handle, bool decode_layers = true);
  std::string_view name() const override { return "sigma"; }
  void Inspect(const Event& event, std::vector<Alert>& alerts) override;

  // Runs the rules with `command_line` (a decoded layer of the event's command
  // line, revealed by `chain`, e.g. "base64 > utf16le") in place of the
  // CommandLine field. Rules that already matched the event itself in the
  // last Inspect() are not reported again; the others are tagged
  // "loghunt.decoded" and their summary names the chain.
  void InspectDecoded(const Event& event, std::string_view command_line, std::string_view chain,
                      std::vector<Alert>& alerts);

 private:
  void Refresh();
  Alert MakeSigmaAlert(const Event& event, uint32_t rule, std::string_view chain,
                       std::string_view command_line) const;

  std::shared_ptr<SigmaRuleSetHandle> handle_;
  uint64_t generation_ = 0;
  std::unique_ptr<SigmaMatcher> matcher_;
  std::vector<uint32_t> matched_;
  std::vector<uint32_t> matched_plain_;  // rules matched by the last Inspect()
  std::vector<uint32_t> decoded_;
  std::unique_ptr<Decoder> decoder_;  // null when layers are not decoded
};

}  // namespace loghunt

namespace loghunt {

// One rule set per distinct (paths, mapping file, max_files) in the process,
// shared by every pipeline's SigmaDetector: loading ~1,500 rules takes
// seconds and its databases are read-only, so workers must not each load
// their own. Returns nullptr with `error` when nothing could be loaded, also when
// every rule file was rejected (the first reasons in `error`). On the
// call that loaded the set, `*first` is true and `report` is filled (so the
// caller reports rejected rules once); later calls return the same handle.
// Files rejected by the first load are tolerated by later reloads. Thread-safe.
std::shared_ptr<SigmaRuleSetHandle> SharedSigmaRuleSet(const SigmaLoadOptions& options,
                                                       SigmaLoadReport* report, std::string* error,
                                                       bool* first);

// What ReloadSharedSigmaRuleSets() did with one shared rule set.
struct SigmaReloadResult {
  SigmaLoadOptions options;
  bool published = false;
  SigmaLoadReport report;
  std::string error;  // why the old set was kept
};
// Reads the rules of every shared rule set again from disk and publishes each
// through its handle's Reload() (SIGHUP): running detectors switch to the new
// rules with their next event; a set that fails keeps its old rules.
std::vector<SigmaReloadResult> ReloadSharedSigmaRuleSets();

}  // namespace loghunt
