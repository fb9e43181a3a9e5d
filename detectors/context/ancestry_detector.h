// ProcessAncestryDetector: feeds a ProcessTable with every process_start
// event and gives the alerts that the detectors before it raised for the
// same event the event process's ancestry chain (ProcessTable::AppendAncestry).
// It raises no alert of its own; put it last in the detector list.
//
// "Raised for the same event" = the alert's position (topic, offset) and host
// equal the event's; alerts that already carry an AncestryDepth entity are
// left alone, so running it twice adds nothing.
//
// Thread-safety: one instance per worker (it owns the table).
#pragma once

#include "detectors/context/process_table.h"
#include "detectors/detector.h"

namespace loghunt {

class ProcessAncestryDetector : public Detector {
 public:
  explicit ProcessAncestryDetector(ProcessTableOptions options = {}) : table_(options) {}
  std::string_view name() const override { return "ancestry"; }
  void Inspect(const Event& event, std::vector<Alert>& alerts) override;

  const ProcessTable& table() const { return table_; }

 private:
  ProcessTable table_;
};

}  // namespace loghunt
