// IntelDetector: matches each event's indicators against an IndicatorStore
// and raises one alert per matched indicator, with the feed's name, the
// indicator's confidence and description, a ThreatIntelligence entity and
// the entity of the observable (IpAddress, Dns, Url, FileHash).
//
// What is looked up: network source/destination IPs, the logon source IP,
// DNS query names (Event::dns_query), process hashes (ProcessInfo::hashes), and, when
// `scan_text` is set, the IoCs the IocExtractor finds in the command line and
// the message (ipv4/ipv6, dns, url, md5/sha1/sha256/sha512; not in Windows
// messages, which only render the event's fields). Expiry is judged
// at the event's time (the wall clock when the event has none), so a replay
// gives the same alerts as the live stream did.
//
// Indicators of streamed feeds (LiveIndicatorStore, e.g. a Kafka topic) are
// looked up after the file feeds' store, in the order given.
//
// Alerts the detectors before it raised on the same event (same source
// position) get a ThreatIntelligence entity naming the observable
// ("Observable": "ipv4:1.2.3.4") for each indicator the event matched (each
// intel.match alert of the event) and for each of their own observables that
// matches (the ioc detector's decoded ones). Sigma's alerts have no
// observables: the event's matches are what they get.
//
// Thread-safety: one instance per worker (it owns the extractor's scratch);
// the store is shared read-only. No heap allocation per event unless it
// alerts (the extractor reuses its buffers and the arena).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/arena.h"
#include "detectors/detector.h"
#include "detectors/intel/indicator_store.h"
#include "detectors/intel/live_indicators.h"
#include "detectors/ioc/ioc_extractor.h"

namespace loghunt {

struct IntelDetectorOptions {
  bool scan_text = true;  // also extract IoCs from command line and message
  // Streamed feeds, shared with the thread that updates them.
  std::vector<std::shared_ptr<const LiveIndicatorStore>> live_feeds;
};

class IntelDetector : public Detector {
 public:
  explicit IntelDetector(std::shared_ptr<const IndicatorStore> store,
                         IntelDetectorOptions options = {},
                         std::shared_ptr<const IocPatterns> patterns = IocPatterns::Default());
  std::string_view name() const override { return "intel"; }
  void Inspect(const Event& event, std::vector<Alert>& alerts) override;

  // Rule id "loghunt.intel.match"; severity from confidence (>= 80 high,
  // >= 50 medium, else low).
  static RuleRef Rule(const Indicator& hit, std::string_view feed);

 private:
  struct Hit {
    const Indicator* indicator = nullptr;  // into the store, or live_hit_
    std::string_view feed;
  };
  // The first indicator matching `value` not expired at `now_ns`: file feeds
  // first, then the streamed ones. A streamed hit is copied to live_hit_ and
  // valid until the next Lookup.
  // `stored`, when given, is the file feeds' store's answer already looked up.
  Hit Lookup(std::string_view observable_type, std::string_view value, int64_t now_ns,
             const Indicator* const* stored = nullptr);
  void Annotate(const Event& event, std::vector<Alert>& alerts);
  // `observable_type` is the Observable::type of what matched ("ipv4", "dns", ...).
  void Check(const Event& event, std::string_view observable_type, std::string_view value,
             std::vector<Alert>& alerts, const Indicator* const* stored = nullptr);

  std::shared_ptr<const IndicatorStore> store_;
  IntelDetectorOptions options_;
  IocExtractor extractor_;
  Arena arena_;
  std::vector<Ioc> iocs_;
  // The event's file hashes and their store hits (looked up together:
  // IndicatorStore::MatchHashes).
  std::vector<std::string_view> hash_values_;
  std::vector<const Indicator*> hash_hits_;
  Indicator live_hit_;
  std::vector<std::string> seen_;  // feed, type, value of the indicators alerted on for the event
  size_t earlier_alerts_ = 0;      // alerts[0, earlier_alerts_) came before Inspect
};

}  // namespace loghunt
