// Detector: reads an Event and appends Alerts.
//
// Detectors know nothing of Kafka, threads or sinks. Each worker owns its
// detector instances (and with them any per-worker scratch, e.g. Hyperscan
// scratch); compiled, read-only data may be shared between them.
// Inspect() must not keep views into the event after it returns: alerts own
// their text (see core/alert.h).
#pragma once

#include <string_view>
#include <vector>

#include "core/alert.h"
#include "core/event.h"

namespace loghunt {

class Detector {
 public:
  virtual ~Detector() = default;
  // A short stable name, used in metrics (loghunt_detector_seconds_total{detector}).
  virtual std::string_view name() const = 0;
  virtual void Inspect(const Event& event, std::vector<Alert>& alerts) = 0;
  // On a reload (SIGHUP), the new detector takes over what the old one of
  // the same name learned from the stream (sessions, windows, patterns), so
  // a reload neither forgets a burst in progress nor reports one again.
  // Does nothing when `old` is of another type or keeps no state.
  // REQUIRES: neither detector is in use.
  virtual void TakeStateFrom(Detector& old) { (void)old; }
};

}  // namespace loghunt
