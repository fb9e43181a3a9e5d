// Metrics: the daemon's Prometheus metrics (prometheus-cpp), served at
// metrics.listen (127.0.0.1:9464 by default) under /metrics.
//
// The hot path does not touch Prometheus: pipelines count in plain integers
// (PipelineStats), and the owner thread publishes the increase since its last
// call (Publish*), about once a second and at the end. Rare events (alerts)
// and sampled timings are recorded directly; prometheus-cpp's metrics are
// thread-safe.
//
// Names follow Prometheus conventions; the list is in docs/metrics.md.
// Thread-safety: Count*/Observe* from any thread; Publish*/Set* from one
// thread (the source's).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/alert.h"
#include "core/event.h"
#include "daemon/pipeline.h"
#include "daemon/syslog_listener.h"

namespace prometheus {
class Registry;
class Exposer;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace loghunt {

class Metrics {
 public:
  // Serves /metrics on `listen` ("host:port"); empty = no HTTP endpoint.
  // nullptr + *error when the address cannot be bound.
  static std::unique_ptr<Metrics> Create(const std::string& listen, std::string* error);
  // Whether the endpoint can listen on `listen`: "IPv4:PORT", or ":PORT" for
  // every IPv4 address (its HTTP server, civetweb as Debian builds it, has
  // no IPv6).
  static bool IsListenAddress(std::string_view listen);
  ~Metrics();

  // Publishes totals of one stream (the increase since the last call is added).
  // Totals of different `source`s (several pipelines of one stream: file
  // inputs, listeners; Pipeline::id()) add up; 0 is one source.
  void PublishPipeline(Stream stream, const PipelineStats& totals, uint64_t source = 0);
  // Per-detector CPU time estimates (seconds, totals) of one detector set
  // (`source`: DetectorSet::id()); the totals of different sets add up.
  void PublishDetectorSeconds(const std::vector<std::pair<std::string, double>>& totals,
                              uint64_t source = 0);
  // loghunt_sink_errors_total, loghunt_sink_request_failures_total,
  // loghunt_sink_retries_total and loghunt_sink_queue_depth per sink, labelled
  // with the sink's name ("http", "file", ...; "http-2" for a second one).
  void PublishSinks(const std::vector<AlertSink*>& sinks);
  // Kafka source.
  // `source`: the partition's pipeline (Pipeline::id()), new after a rebalance.
  void PublishPartition(const std::string& topic, int32_t partition, uint64_t messages, int64_t lag,
                        uint64_t source = 0);
  // Drops a partition's lag series (the partition was revoked).
  void ForgetPartition(const std::string& topic, int32_t partition);
  // Forgets the totals last published by `source` (a pipeline of a revoked
  // partition, a detector set replaced by a reload), after its last
  // publication: one entry per series was kept for every rebalance and
  // reload, for ever.
  void ForgetSource(uint64_t source);
  // Totals remembered, one per (series, source) (for tests).
  size_t remembered() const;
  void PublishKafka(uint64_t commits, uint64_t commit_errors, uint64_t pauses, uint64_t rebalances,
                    uint64_t dead_letters, uint64_t delivery_errors);

  // A syslog listener's counts, labelled listener="TYPE:LISTEN" (an input's
  // type and address: one series set per configured listener). Connection
  // series are published for a TCP listener only.
  void PublishListener(const std::string& listener, bool tcp, const SyslogListenerStats& stats);

  void CountAlert(const Alert& alert);
  // Alerts folded into summaries, summaries emitted, windows closed early
  // (suppression.max_keys), since the last call.
  void CountSuppression(uint64_t suppressed, uint64_t summaries, uint64_t evictions);
  void ObserveLatency(double seconds);

  prometheus::Registry& registry() { return *registry_; }

 private:
  Metrics() = default;
  // Adds (total - last published by `source`) to the counter with these labels.
  void Mirror(prometheus::Family<prometheus::Counter>* family,
              const std::map<std::string, std::string>& labels, double total, uint64_t source = 0);

  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  prometheus::Family<prometheus::Counter>* events_ = nullptr;
  prometheus::Family<prometheus::Counter>* messages_ = nullptr;
  prometheus::Family<prometheus::Counter>* parse_errors_ = nullptr;
  prometheus::Family<prometheus::Counter>* alerts_ = nullptr;
  prometheus::Family<prometheus::Counter>* suppressed_ = nullptr;
  prometheus::Family<prometheus::Counter>* suppression_summaries_ = nullptr;
  prometheus::Family<prometheus::Counter>* suppression_evictions_ = nullptr;
  prometheus::Family<prometheus::Gauge>* sink_queue_depth_ = nullptr;
  prometheus::Family<prometheus::Counter>* sink_errors_ = nullptr;
  prometheus::Family<prometheus::Counter>* sink_request_failures_ = nullptr;
  prometheus::Family<prometheus::Counter>* sink_retries_ = nullptr;
  prometheus::Family<prometheus::Histogram>* latency_ = nullptr;
  prometheus::Family<prometheus::Counter>* detector_seconds_ = nullptr;
  prometheus::Family<prometheus::Counter>* kafka_messages_ = nullptr;
  prometheus::Family<prometheus::Gauge>* kafka_lag_ = nullptr;
  prometheus::Family<prometheus::Counter>* kafka_commits_ = nullptr;
  prometheus::Family<prometheus::Counter>* kafka_commit_errors_ = nullptr;
  prometheus::Family<prometheus::Counter>* kafka_pauses_ = nullptr;
  prometheus::Family<prometheus::Counter>* kafka_rebalances_ = nullptr;
  prometheus::Family<prometheus::Counter>* dead_letters_ = nullptr;
  prometheus::Family<prometheus::Counter>* delivery_errors_ = nullptr;
  prometheus::Family<prometheus::Counter>* listener_connections_ = nullptr;
  prometheus::Family<prometheus::Counter>* listener_closed_ = nullptr;
  prometheus::Family<prometheus::Counter>* listener_cut_ = nullptr;
  prometheus::Family<prometheus::Gauge>* listener_open_ = nullptr;
  prometheus::Family<prometheus::Gauge>* listener_buffered_ = nullptr;
  prometheus::Histogram* latency_histogram_ = nullptr;
  mutable std::mutex mirror_mu_;
  // (family, source, labels) -> total last published.
  std::map<std::tuple<const void*, uint64_t, std::map<std::string, std::string>>, double>
      published_;
};

}  // namespace loghunt
