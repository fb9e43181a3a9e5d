// KafkaIntelFeed: a threat-intel feed streamed from a Kafka topic into a
// LiveIndicatorStore (docs/intel.md "Kafka feeds").
//
// Every daemon needs every indicator, so the feed is not a consumer-group
// member: it assigns itself all partitions of the topic from the beginning
// (no commits), reads the topic to its end at start (up to load_timeout_ms,
// so the first events already see the indicators) and then follows it. A
// compacted topic keyed "type:value" is the intended layout: the latest
// message per indicator wins and a tombstone removes it. Each message is
// applied with ApplyIndicatorMessage; indicators expired more than
// drop_expired_after_s before the wall clock are freed once a minute, and
// the store's cap bounds memory whatever the topic holds.
//
// One consumer thread per feed. SharedKafkaIntelFeed starts a feed on first
// use and hands out its store; the feed (thread, consumer) lives while any
// detector holds that store, so a SIGHUP reload with the same feed keeps it.
//
// Metrics (when an IntelFeedMetricsScope is alive): loghunt_intel_feed_*
// (docs/metrics.md), published by the feed's thread about once a second.
// Thread-safety: the functions below may be called from any thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "daemon/config.h"
#include "detectors/intel/live_indicators.h"

namespace loghunt {

class Metrics;

struct KafkaIntelFeedStats {
  uint64_t messages = 0;          // consumed
  uint64_t bad_messages = 0;      // not an indicator message (logged, skipped)
  uint64_t consumer_errors = 0;   // librdkafka errors other than end of partition
  bool loaded = false;            // every partition was read to its end once
  LiveIndicatorStats indicators;  // of the store
};

// The store of the Kafka feed `feed` (brokers from `kafka` unless the feed
// names its own), started on first use; nullptr (logged) when the consumer
// cannot be created.
std::shared_ptr<const LiveIndicatorStore> SharedKafkaIntelFeed(const KafkaFeedConfig& feed,
                                                               const KafkaConfig& kafka);

// The running feed's counters; false when no feed of that name runs.
bool KafkaIntelFeedStatsOf(const std::string& name, KafkaIntelFeedStats* out);

// While alive, the feeds publish their counters to `metrics` (may be null).
// Declare it after the Metrics it names, so it ends first.
class IntelFeedMetricsScope {
 public:
  explicit IntelFeedMetricsScope(Metrics* metrics);
  ~IntelFeedMetricsScope();
  IntelFeedMetricsScope(const IntelFeedMetricsScope&) = delete;
  IntelFeedMetricsScope& operator=(const IntelFeedMetricsScope&) = delete;

 private:
  bool attached_ = false;
};

// While alive, `keep_alive` is called about every second while
// SharedKafkaIntelFeed waits for a new feed to be read to its end (up to
// load_timeout_ms, 10 s by default, per feed): the daemon pings systemd's
// watchdog, so a SIGHUP reload that starts feeds whose brokers are away is
// not taken for a hang (three such feeds stopped the pings for 30 s, the
// watchdog's limit). It must not call the functions above.
class IntelFeedLoadKeepAlive {
 public:
  explicit IntelFeedLoadKeepAlive(std::function<void()> keep_alive);
  ~IntelFeedLoadKeepAlive();
  IntelFeedLoadKeepAlive(const IntelFeedLoadKeepAlive&) = delete;
  IntelFeedLoadKeepAlive& operator=(const IntelFeedLoadKeepAlive&) = delete;
};

}  // namespace loghunt
