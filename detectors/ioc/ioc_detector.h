// IocDetector: "encoded command with indicators". Decodes the command line
// of process_start and user_command events (Decoder) and extracts IoCs from
// every decoded layer (IocExtractor); when a decoded layer holds indicators
// it raises one alert per event with the entities (IpAddress, Url, Dns,
// File, FileHash, Process) and the observables, each with the decode chain
// that revealed it ("base64 > utf16le"), up to max_observables of them.
//
// Indicators in the plain command line are not alerted on (they are common
// and legitimate); hiding them is the signal.
//
// Thread-safety: one instance per worker (it owns the decoder, the
// extractor's scratch and reused buffers). No heap allocation per event
// unless it alerts.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/arena.h"
#include "detectors/decode/decoder.h"
#include "detectors/detector.h"
#include "detectors/ioc/ioc_extractor.h"

namespace loghunt {

struct IocDetectorOptions {
  DecoderOptions decoder;
  // Bit (1 << IpClass) set: observables of that class are dropped.
  uint32_t drop_ip_classes = 0;
  // Observables (and their entities) one alert carries, the first found;
  // the rest are counted in an "ObservableLimit" entity. Bounds the alert's
  // size: 50 fragments of 1,000 addresses each made an alert of 11.5 MB.
  size_t max_observables = 1000;
};

class IocDetector : public Detector {
 public:
  explicit IocDetector(IocDetectorOptions options = {},
                       std::shared_ptr<const IocPatterns> patterns = IocPatterns::Default());
  std::string_view name() const override { return "ioc"; }
  void Inspect(const Event& event, std::vector<Alert>& alerts) override;

  static const RuleRef& Rule();

 private:
  IocDetectorOptions options_;
  Decoder decoder_;
  IocExtractor extractor_;
  Arena arena_;
  std::vector<Ioc> iocs_;
  std::vector<int> layer_of_;  // decoded layer index of each entry of iocs_
  DistinctIocs distinct_;      // repeats of one indicator across layers
};

}  // namespace loghunt
