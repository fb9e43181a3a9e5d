// KafkaWorker: one consumer thread of the daemon. librdkafka forwards the
// queue of every partition assigned to this worker into the worker's queue
// (rd_kafka_queue_forward), so all messages of a partition are handled here,
// in order; the worker keeps one Pipeline (parser state) and OffsetTracker
// per partition and one DetectorSet (detector state, per-host state, scratch)
// for all of them, with no locks on the hot path but its own batch lock.
//
// The batch lock is held while a batch is processed. The source takes it to
// add or remove partitions, to read commit offsets, and to wait for in-flight
// work to finish before a revocation commits.
//
// Thread-safety: methods marked "REQUIRES: lock()" must be called with the
// worker's mutex held; Start/Stop from the source's thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "daemon/config.h"
#include "daemon/offset_tracker.h"
#include "daemon/pipeline.h"

struct rd_kafka_s;
struct rd_kafka_queue_s;
struct rd_kafka_topic_partition_list_s;

namespace loghunt {

// The config a worker builds its detectors from: per-worker state files
// (the cluster snapshot) get the worker's number appended, so workers never
// write one file at once.
Config WorkerDetectorConfig(const Config& config, int worker);

class KafkaWorker {
 public:
  // `metrics` may be null.
  KafkaWorker(int id, const Config& config, rd_kafka_s* consumer, std::vector<AlertSink*> sinks,
              DeadLetterWriter* dead_letters, Metrics* metrics);
  ~KafkaWorker();

  int id() const { return id_; }
  rd_kafka_queue_s* queue() const { return queue_; }
  std::mutex& mutex() { return mu_; }

  void Start();
  // Finishes the current batch and joins the thread.
  void Stop();

  // REQUIRES: lock(). Starts tracking `partition` of `topic` carrying `stream`.
  void AddPartition(const std::string& topic, int32_t partition, Stream stream);
  // REQUIRES: lock(). Forgets a partition (its buffered parser state is dropped:
  // it was not committed, so the next owner reads it again).
  void RemovePartition(const std::string& topic, int32_t partition);
  // REQUIRES: lock(). Appends the commit offset of every owned partition (or of
  // those in `only`, when given) that has one.
  void CollectCommits(rd_kafka_topic_partition_list_s* out,
                      const rd_kafka_topic_partition_list_s* only) const;
  // REQUIRES: lock(). Appends every owned partition.
  void ListPartitions(rd_kafka_topic_partition_list_s* out) const;
  // REQUIRES: lock(). True when every owned partition has reported its end
  // (no message since) — and it owns at least one.
  bool AllAtEnd() const;
  // REQUIRES: lock(). Totals over the partitions this worker owns or owned.
  PipelineStats Stats() const;
  // REQUIRES: lock(). The same, per stream.
  std::array<PipelineStats, kStreamCount> StatsByStream() const;
  // REQUIRES: lock(). Messages consumed and next offset per owned partition.
  struct PartitionInfo {
    std::string topic;
    int32_t partition;
    uint64_t messages;
    int64_t next_offset;   // -1 before the first message
    uint64_t pipeline_id;  // a partition back after a rebalance has a new pipeline
  };
  std::vector<PartitionInfo> Partitions() const;
  // REQUIRES: lock().
  std::vector<std::pair<std::string, double>> DetectorSeconds() const {
    return detectors_->Seconds();
  }
  // REQUIRES: lock(). Tells the detector sets apart (one per reload) for metrics.
  uint64_t DetectorSetId() const { return detectors_->id(); }
  // REQUIRES: lock(). Replaces the detectors (SIGHUP): `detectors` was built
  // off the lock and takes over the old set's learned state
  // (DetectorSet::TakeStateFrom); the old set is returned to be destroyed off
  // the lock too.
  std::unique_ptr<DetectorSet> ReplaceDetectors(std::unique_ptr<DetectorSet> detectors);
  // REQUIRES: lock().
  bool HasDetector(std::string_view name) const { return detectors_->Has(name); }

  uint64_t batches() const { return batches_; }
  // Wall-clock ns of the start of the first non-empty batch and the end of
  // the last one (0 before any), for throughput figures.
  int64_t first_batch_ns() const { return first_batch_ns_; }
  int64_t last_batch_ns() const { return last_batch_ns_; }

 private:
  struct PartitionState {
    std::string topic;  // owns the text that events' positions point to
    int32_t partition;
    OffsetTracker tracker;
    std::unique_ptr<Pipeline> pipeline;
    std::chrono::steady_clock::time_point last_message;
    bool at_end = false;  // reached the partition's end, no message since
    int64_t next_offset = -1;
  };
  using Key = std::pair<std::string, int32_t>;

  void Run();
  void FlushIdle(std::chrono::steady_clock::time_point now);
  void FreeDrained();  // REQUIRES: mu_ held

  int id_;
  const Config& config_;
  rd_kafka_s* consumer_;
  rd_kafka_queue_s* queue_;
  std::vector<AlertSink*> sinks_;
  DeadLetterWriter* dead_letters_;
  Metrics* metrics_;
  std::unique_ptr<DetectorSet> detectors_;
  std::array<PipelineStats, kStreamCount> retired_by_stream_;
  uint64_t sampled_ = 0;
  std::mutex mu_;
  std::map<Key, std::unique_ptr<PartitionState>> partitions_;
  // Removed partitions whose deliveries were still outstanding (a sink flush
  // that timed out): their delivery callbacks point at the tracker, so the
  // state lives until the last one has reported.
  std::vector<std::unique_ptr<PartitionState>> draining_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> batches_{0};
  std::atomic<int64_t> first_batch_ns_{0};
  std::atomic<int64_t> last_batch_ns_{0};
};

}  // namespace loghunt
