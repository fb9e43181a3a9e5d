// ProcessAncestryDetector: feeds a ProcessTable with every process_start
// event and gives the alerts that the detectors before it raised for the
// same event the event process's ancestry chain (ProcessTable::AppendAncestry).
// It raises no alert of its own; put it last in the detector list.
//
// "Raised for the same event" = the alert's position (topic, offset) and host
// equal the event's; alerts that already carry an AncestryDepth entity are
// left alone, so running it twice adds nothing.
//
// With a shared table (DetectorSet's, which also gives auditd events their
// parent's image for the Sigma rules) the owner feeds the table after all
// detectors ran; this detector only reads it.
//
// Thread-safety: one instance per worker (it owns or borrows the table).
#pragma once

#include "detectors/context/process_table.h"
#include "detectors/detector.h"

namespace loghunt {

class ProcessAncestryDetector : public Detector {
 public:
  explicit ProcessAncestryDetector(ProcessTableOptions options = {})
      : own_(options), table_(&own_), observes_(true) {}
  // `shared` is fed by its owner and must outlive the detector.
  explicit ProcessAncestryDetector(ProcessTable* shared) : table_(shared), observes_(false) {}
  std::string_view name() const override { return "ancestry"; }
  void Inspect(const Event& event, std::vector<Alert>& alerts) override;

  const ProcessTable& table() const { return *table_; }

 private:
  ProcessTable own_;
  ProcessTable* table_;
  bool observes_;
};

}  // namespace loghunt
