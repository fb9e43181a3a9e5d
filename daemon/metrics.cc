#include "daemon/metrics.h"

#include <arpa/inet.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <exception>

#include "core/text.h"

namespace loghunt {
namespace {

constexpr int kServerThreads = 4;
constexpr int kRequestTimeoutMs = 5000;

}  // namespace

std::unique_ptr<Metrics> Metrics::Create(const std::string& listen, std::string* error) {
  std::unique_ptr<Metrics> m(new Metrics());
  m->registry_ = std::make_shared<prometheus::Registry>();
  auto& r = *m->registry_;
  using prometheus::BuildCounter;
  using prometheus::BuildGauge;
  using prometheus::BuildHistogram;
  m->events_ = &BuildCounter()
                    .Name("loghunt_events_total")
                    .Help("Normalized events by stream and kind")
                    .Register(r);
  m->messages_ =
      &BuildCounter().Name("loghunt_messages_total").Help("Input messages by stream").Register(r);
  m->parse_errors_ = &BuildCounter()
                          .Name("loghunt_parse_errors_total")
                          .Help("Messages that could not be parsed, by stream and reason")
                          .Register(r);
  m->alerts_ =
      &BuildCounter().Name("loghunt_alerts_total").Help("Alerts by rule and severity").Register(r);
  m->suppressed_ = &BuildCounter()
                        .Name("loghunt_suppressed_total")
                        .Help("Alerts folded into a suppression summary")
                        .Register(r);
  m->suppression_summaries_ = &BuildCounter()
                                   .Name("loghunt_suppression_summaries_total")
                                   .Help("Suppression summaries emitted (windows with repeats)")
                                   .Register(r);
  m->suppression_evictions_ =
      &BuildCounter()
           .Name("loghunt_suppression_evictions_total")
           .Help("Suppression windows closed early because suppression.max_keys was reached")
           .Register(r);
  m->sink_queue_depth_ = &BuildGauge()
                              .Name("loghunt_sink_queue_depth")
                              .Help("Alerts accepted by a sink and not yet delivered")
                              .Register(r);
  m->sink_errors_ = &BuildCounter()
                         .Name("loghunt_sink_errors_total")
                         .Help("Alerts a sink failed to deliver")
                         .Register(r);
  m->sink_request_failures_ =
      &BuildCounter()
           .Name("loghunt_sink_request_failures_total")
           .Help("Delivery requests of a sink that failed (then retried or given up)")
           .Register(r);
  m->sink_retries_ = &BuildCounter()
                          .Name("loghunt_sink_retries_total")
                          .Help("Delivery requests a sink made again after one failed")
                          .Register(r);
  m->latency_ = &BuildHistogram()
                     .Name("loghunt_event_latency_seconds")
                     .Help(
                         "Time from a message's Kafka timestamp to the end of its processing "
                         "(sampled 1 in 16)")
                     .Register(r);
  m->detector_seconds_ = &BuildCounter()
                              .Name("loghunt_detector_seconds_total")
                              .Help("CPU time spent in each detector (estimate from 1 in 8 events)")
                              .Register(r);
  m->kafka_messages_ = &BuildCounter()
                            .Name("loghunt_kafka_messages_total")
                            .Help("Messages consumed per topic and partition")
                            .Register(r);
  m->kafka_lag_ = &BuildGauge()
                       .Name("loghunt_kafka_consumer_lag")
                       .Help("High watermark minus committed position, per partition")
                       .Register(r);
  m->kafka_commits_ =
      &BuildCounter().Name("loghunt_kafka_commits_total").Help("Offset commits").Register(r);
  m->kafka_commit_errors_ = &BuildCounter()
                                 .Name("loghunt_kafka_commit_errors_total")
                                 .Help("Offset commits that failed")
                                 .Register(r);
  m->kafka_pauses_ = &BuildCounter()
                          .Name("loghunt_kafka_pauses_total")
                          .Help("Times a worker's partitions were paused for backpressure")
                          .Register(r);
  m->kafka_rebalances_ = &BuildCounter()
                              .Name("loghunt_kafka_rebalances_total")
                              .Help("Consumer group rebalances (assign and revoke)")
                              .Register(r);
  m->dead_letters_ = &BuildCounter()
                          .Name("loghunt_dead_letters_total")
                          .Help("Messages sent to the dead-letter topic")
                          .Register(r);
  m->delivery_errors_ = &BuildCounter()
                             .Name("loghunt_kafka_delivery_errors_total")
                             .Help("Producer messages given up")
                             .Register(r);
  m->listener_connections_ =
      &BuildCounter()
           .Name("loghunt_listener_connections_total")
           .Help("Connections to a syslog TCP listener, accepted or refused (at a limit)")
           .Register(r);
  m->listener_closed_ =
      &BuildCounter()
           .Name("loghunt_listener_connections_closed_total")
           .Help(
               "Connections a syslog TCP listener closed: evicted (for a new one), frame_timeout, "
               "bad_frame")
           .Register(r);
  m->listener_cut_ = &BuildCounter()
                          .Name("loghunt_listener_frames_cut_total")
                          .Help(
                              "Messages a syslog listener passed cut: too_long (over "
                              "max_message_bytes), buffer_full (TCP buffers at their limit)")
                          .Register(r);
  m->listener_open_ = &BuildGauge()
                           .Name("loghunt_listener_connections")
                           .Help("Open connections of a syslog TCP listener")
                           .Register(r);
  m->listener_buffered_ =
      &BuildGauge()
           .Name("loghunt_listener_buffered_bytes")
           .Help("Buffer bytes a syslog TCP listener holds for long frames (of max_buffered_bytes)")
           .Register(r);
  m->latency_histogram_ = &m->latency_->Add(
      {}, prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                  1, 2.5, 5, 10, 30, 60, 300, 900});
  // Series without labels exist from the start (at 0), so dashboards and
  // alerting rules see them before anything happened.
  for (auto* family : {m->suppressed_, m->suppression_summaries_, m->suppression_evictions_,
                       m->kafka_commits_, m->kafka_commit_errors_, m->kafka_pauses_,
                       m->kafka_rebalances_, m->dead_letters_, m->delivery_errors_}) {
    family->Add({});
  }
  if (!listen.empty()) {
    try {
      // A connection that sends no request holds one of the server's
      // threads until request_timeout_ms: with the defaults (2 threads, 30 s)
      // two idle connections kept every scrape waiting 30 s.
      m->exposer_ = std::make_unique<prometheus::Exposer>(std::vector<std::string>{
          "listening_ports", listen.starts_with(':') ? "0.0.0.0" + listen : listen, "num_threads",
          std::to_string(kServerThreads), "request_timeout_ms", std::to_string(kRequestTimeoutMs)});
    } catch (const std::exception&) {
      // civetweb says "null context when constructing CivetServer".
      *error = "metrics.listen " + listen +
               ": cannot listen there (port in use, or not an address of this machine)";
      return nullptr;
    }
    m->exposer_->RegisterCollectable(m->registry_);
  }
  return m;
}

Metrics::~Metrics() = default;

bool Metrics::IsListenAddress(std::string_view listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos) return false;
  auto port = ParseInt(listen.substr(colon + 1));
  if (!port || *port < 1 || *port > 65535) return false;
  if (colon == 0) return true;
  unsigned char addr[4];
  return inet_pton(AF_INET, std::string(listen.substr(0, colon)).c_str(), addr) == 1;
}

void Metrics::Mirror(prometheus::Family<prometheus::Counter>* family,
                     const std::map<std::string, std::string>& labels, double total,
                     uint64_t source) {
  std::lock_guard lock(mirror_mu_);
  double& last = published_[{family, source, labels}];
  if (total > last) {
    family->Add(labels).Increment(total - last);
    last = total;
  } else if (total == 0 && last == 0) {
    family->Add(labels);  // make the series visible at 0
  }
}

void Metrics::ForgetSource(uint64_t source) {
  std::lock_guard lock(mirror_mu_);
  std::erase_if(published_,
                [source](const auto& entry) { return std::get<1>(entry.first) == source; });
}

size_t Metrics::remembered() const {
  std::lock_guard lock(mirror_mu_);
  return published_.size();
}

void Metrics::PublishPipeline(Stream stream, const PipelineStats& st, uint64_t source) {
  std::string s(StreamName(stream));
  Mirror(messages_, {{"stream", s}}, static_cast<double>(st.messages), source);
  for (int k = 0; k < kEventKindCount; ++k) {
    uint64_t n = st.events_by_kind[static_cast<size_t>(k)];
    if (n == 0) continue;
    Mirror(events_,
           {{"stream", s}, {"kind", std::string(EventKindName(static_cast<EventKind>(k)))}},
           static_cast<double>(n), source);
  }
  for (int e = 1; e < kParseErrorCount; ++e) {
    uint64_t n = st.errors_by_reason[static_cast<size_t>(e)];
    if (n == 0) continue;
    Mirror(parse_errors_,
           {{"stream", s}, {"reason", std::string(ParseErrorName(static_cast<ParseError>(e)))}},
           static_cast<double>(n), source);
  }
}

void Metrics::PublishDetectorSeconds(const std::vector<std::pair<std::string, double>>& totals,
                                     uint64_t source) {
  for (const auto& [name, seconds] : totals)
    Mirror(detector_seconds_, {{"detector", name}}, seconds, source);
}

void Metrics::PublishSinks(const std::vector<AlertSink*>& sinks) {
  std::map<std::string, int, std::less<>> seen;
  for (AlertSink* sink : sinks) {
    std::string label(sink->name());
    if (int n = ++seen[label]; n > 1) label += "-" + std::to_string(n);
    Mirror(sink_errors_, {{"sink", label}},
           static_cast<double>(sink->refused() + sink->delivery_failures()));
    if (sink->async()) {
      Mirror(sink_request_failures_, {{"sink", label}},
             static_cast<double>(sink->request_failures()));
      Mirror(sink_retries_, {{"sink", label}}, static_cast<double>(sink->retries()));
    }
    sink_queue_depth_->Add({{"sink", label}}).Set(static_cast<double>(sink->queue_depth()));
  }
}

void Metrics::PublishPartition(const std::string& topic, int32_t partition, uint64_t messages,
                               int64_t lag, uint64_t source) {
  std::map<std::string, std::string> labels{{"topic", topic},
                                            {"partition", std::to_string(partition)}};
  Mirror(kafka_messages_, labels, static_cast<double>(messages), source);
  if (lag >= 0) kafka_lag_->Add(labels).Set(static_cast<double>(lag));
}

void Metrics::ForgetPartition(const std::string& topic, int32_t partition) {
  std::map<std::string, std::string> labels{{"topic", topic},
                                            {"partition", std::to_string(partition)}};
  kafka_lag_->Remove(&kafka_lag_->Add(labels));
}

void Metrics::PublishKafka(uint64_t commits, uint64_t commit_errors, uint64_t pauses,
                           uint64_t rebalances, uint64_t dead_letters, uint64_t delivery_errors) {
  Mirror(kafka_commits_, {}, static_cast<double>(commits));
  Mirror(kafka_commit_errors_, {}, static_cast<double>(commit_errors));
  Mirror(kafka_pauses_, {}, static_cast<double>(pauses));
  Mirror(kafka_rebalances_, {}, static_cast<double>(rebalances));
  Mirror(dead_letters_, {}, static_cast<double>(dead_letters));
  Mirror(delivery_errors_, {}, static_cast<double>(delivery_errors));
}

void Metrics::PublishListener(const std::string& listener, bool tcp,
                              const SyslogListenerStats& st) {
  auto with = [&listener](const char* key, const char* value) {
    return std::map<std::string, std::string>{{"listener", listener}, {key, value}};
  };
  const uint64_t buffer_full = st.buffer_full;
  Mirror(listener_cut_, with("reason", "too_long"), static_cast<double>(st.too_long - buffer_full));
  if (!tcp) return;
  Mirror(listener_cut_, with("reason", "buffer_full"), static_cast<double>(buffer_full));
  Mirror(listener_connections_, with("result", "accepted"),
         static_cast<double>(st.connections_accepted));
  Mirror(listener_connections_, with("result", "refused"),
         static_cast<double>(st.connections_refused));
  Mirror(listener_closed_, with("reason", "evicted"), static_cast<double>(st.connections_evicted));
  Mirror(listener_closed_, with("reason", "frame_timeout"), static_cast<double>(st.frame_timeouts));
  Mirror(listener_closed_, with("reason", "bad_frame"), static_cast<double>(st.bad_frames));
  listener_open_->Add({{"listener", listener}}).Set(static_cast<double>(st.connections));
  listener_buffered_->Add({{"listener", listener}}).Set(static_cast<double>(st.buffered_bytes));
}

void Metrics::CountAlert(const Alert& alert) {
  alerts_
      ->Add({{"rule", alert.rule.id}, {"severity", std::string(SeverityName(alert.rule.severity))}})
      .Increment();
}

void Metrics::CountSuppression(uint64_t suppressed, uint64_t summaries, uint64_t evictions) {
  suppressed_->Add({}).Increment(static_cast<double>(suppressed));
  suppression_summaries_->Add({}).Increment(static_cast<double>(summaries));
  suppression_evictions_->Add({}).Increment(static_cast<double>(evictions));
}

void Metrics::ObserveLatency(double seconds) { latency_histogram_->Observe(seconds); }

}  // namespace loghunt
