// KafkaSource: the daemon's Kafka consumer group (see ../shared/DESIGN.md,
// "Threads and state").
//
// One librdkafka consumer joins the group with the cooperative-sticky
// assignor and subscribes to every topic of the config. On assignment, each
// partition's queue is forwarded to one KafkaWorker's queue, so workers
// consume in parallel and a partition is handled in order by one worker.
// Offsets are stored by us, never automatically: per partition the commit
// offset is the highest below which every message is processed and every
// alert and dead letter delivered (OffsetTracker). Commits happen on a timer,
// on revocation (after the workers finished their in-flight batch and the
// asynchronous sinks flushed) and on shutdown.
//
// Backpressure: librdkafka stops fetching the partitions of a worker whose
// queue holds kafka.worker_queue_max_messages (queued.min.messages counts the
// queue a partition is forwarded to) until the worker drained it; the source
// counts those episodes. Nothing is dropped and memory stays bounded.
//
// Thread-safety: Run() on one thread; RequestStop() from any thread or a
// signal handler's flag.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/log_throttle.h"
#include "daemon/config.h"
#include "daemon/kafka_worker.h"
#include "daemon/metrics.h"
#include "daemon/pipeline.h"
#include "sinks/kafka_producer.h"

struct rd_kafka_s;

namespace loghunt {

struct KafkaSourceStats {
  PipelineStats pipeline;
  uint64_t commits = 0;
  uint64_t commit_errors = 0;
  uint64_t pauses = 0;
  uint64_t rebalances = 0;
  // From the first message a worker took to the last one it finished.
  double active_seconds = 0;
};

// librdkafka properties common to our consumers and producers.
KafkaProperties CommonKafkaProperties(const KafkaConfig& kafka);

class KafkaSource {
 public:
  // `sinks` are not owned. `dead_letters` and `metrics` may be null.
  KafkaSource(const Config& config, std::vector<AlertSink*> sinks, DeadLetterWriter* dead_letters,
              Metrics* metrics);
  ~KafkaSource();

  // Creates the consumer and subscribes. false + *error on a bad property.
  bool Open(std::string* error);
  // Consumes until `stop` becomes true, or, when idle_exit_ms > 0, until no
  // message arrived for that long and every assigned partition is at its end.
  // Commits and leaves the group before returning, each within
  // close_timeout_ms (after the sinks' flush).
  void Run(const std::atomic<bool>& stop, int64_t idle_exit_ms);
  KafkaSourceStats Stats();
  // Publishes the current totals to the metrics (called by Run() every
  // publish_interval_ms, and for a partition taken away, its last count).
  void Publish();
  // Sum of (high watermark - next offset) over the assigned partitions.
  int64_t TotalLag();
  // Rebuilds every worker's detectors from `config` (SIGHUP). On failure
  // (*error set) the running detectors stay. Parser and source settings
  // change only with a restart.
  bool ReloadDetectors(const Config& config, std::string* error);

  // Called on Run()'s thread about every 100 ms (signals, status).
  std::function<void()> tick;
  // Called on Run()'s thread before and after each sink's flush when
  // partitions are revoked (the systemd watchdog: tick does not run then).
  std::function<void()> keepalive;
  // How long a revocation waits for each sink's pending deliveries before it
  // commits what is delivered (the rest is read again by the partitions'
  // next owner). The consumer group's rebalance waits for it meanwhile, so
  // it is shorter than a shutdown's flush (the sinks' flush timeouts).
  int revoke_flush_ms = 10'000;
  // How long a synchronous commit (on revocation, at shutdown) and leaving
  // the group at shutdown may each take. With the brokers unreachable a
  // commit waited for them for as long as they were away, and so did
  // leaving the group (118 s to stop, over systemd's TimeoutStopSec). What is
  // not committed then is read again after a restart (at-least-once).
  int close_timeout_ms = 10'000;
  // How often Run() publishes the metrics.
  int publish_interval_ms = 1000;

 private:
  static void OnRebalance(rd_kafka_s* rk, int err, void* partitions, void* opaque);
  // The answer to a timed (asynchronous) commit, on Run()'s thread.
  void OnCommitted(int err, const void* offsets);
  void Assign(void* partitions);
  void Revoke(void* partitions, bool lost);
  // Commits the offsets of every owned partition (or of those in `only`).
  // sync: waits for the coordinator's answer, at most close_timeout_ms (and
  // not past the shutdown deadline, once set).
  void Commit(bool sync, const void* only);
  // Leaves the group (revoking what is assigned) within close_timeout_ms;
  // false when that did not finish in time (the consumer is then destroyed
  // without leaving: the group reassigns its partitions after
  // session.timeout.ms).
  bool Close();
  // Commits `offsets` and waits for the answer (see Commit).
  int CommitAndWait(const void* offsets);
  void ApplyBackpressure();
  bool AllAtEnd();

  const Config& config_;
  std::vector<AlertSink*> sinks_;
  DeadLetterWriter* dead_letters_;
  Metrics* metrics_;
  rd_kafka_s* rk_ = nullptr;
  std::vector<std::unique_ptr<KafkaWorker>> workers_;
  std::vector<bool> paused_;
  // Set when Run() begins to stop: commits and leaving the group end by then.
  std::chrono::steady_clock::time_point shutdown_deadline_ =
      std::chrono::steady_clock::time_point::max();
  bool close_tried_ = false;  // Close() was called
  bool closed_ = false;       // ... and the consumer left the group in time
  // Written by the loop in Run(), read by Stats() from any thread.
  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> commit_errors_{0};
  std::atomic<uint64_t> pauses_{0};
  std::atomic<uint64_t> rebalances_{0};
  // Failed timed commits are logged at most once a minute (with a count).
  LogThrottle commit_error_log_;
};

// Sends unparsable messages to kafka.dead_letter_topic with the reason and the
// source position in headers.
class KafkaDeadLetterWriter : public DeadLetterWriter {
 public:
  KafkaDeadLetterWriter(KafkaProducer* producer, std::string topic)
      : producer_(producer), topic_(std::move(topic)) {}
  bool Write(std::string_view message, ParseError reason, const SourcePosition& position,
             DeliveryCallback done) override;
  bool WaitForRoom(int timeout_ms) override { return producer_->WaitForRoom(timeout_ms); }

 private:
  KafkaProducer* producer_;
  std::string topic_;
};

}  // namespace loghunt
