#include "detectors/context/ancestry_detector.h"

namespace loghunt {

void ProcessAncestryDetector::Inspect(const Event& event, std::vector<Alert>& alerts) {
  if (observes_) table_->Observe(event);
  if (alerts.empty()) return;
  for (Alert& alert : alerts) {
    if (alert.position.offset != event.position.offset ||
        alert.position.topic != event.position.topic || alert.host != event.host) {
      continue;
    }
    bool has = false;
    for (const Entity& e : alert.entities) {
      has |=
          e.type == "Process" && !e.properties.empty() && e.properties[0].first == "AncestryDepth";
    }
    if (!has) table_->AppendAncestry(event, &alert);
  }
}

}  // namespace loghunt
