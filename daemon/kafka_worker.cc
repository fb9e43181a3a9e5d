#include "daemon/kafka_worker.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include "core/time.h"
#include "daemon/metrics.h"

namespace loghunt {
namespace {
constexpr size_t kBatchSize = 1000;
constexpr int kBatchTimeoutMs = 200;
}  // namespace

Config WorkerDetectorConfig(const Config& config, int worker) {
  Config c = config;
  if (!c.cluster.snapshot_path.empty()) {
    c.cluster.snapshot_path += ".worker" + std::to_string(worker);
  }
  return c;
}

KafkaWorker::KafkaWorker(int id, const Config& config, rd_kafka_s* consumer,
                         std::vector<AlertSink*> sinks, DeadLetterWriter* dead_letters,
                         Metrics* metrics)
    : id_(id),
      config_(config),
      consumer_(consumer),
      queue_(rd_kafka_queue_new(consumer)),
      sinks_(std::move(sinks)),
      dead_letters_(dead_letters),
      metrics_(metrics),
      detectors_(std::make_unique<DetectorSet>(WorkerDetectorConfig(config, id))) {}

KafkaWorker::~KafkaWorker() {
  Stop();
  rd_kafka_queue_destroy(queue_);
}

void KafkaWorker::Start() {
  thread_ = std::thread([this] { Run(); });
}

void KafkaWorker::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void KafkaWorker::AddPartition(const std::string& topic, int32_t partition, Stream stream) {
  auto state = std::make_unique<PartitionState>();
  state->topic = topic;
  state->partition = partition;
  state->pipeline = std::make_unique<Pipeline>(config_, stream, detectors_.get(), sinks_,
                                               &state->tracker, dead_letters_);
  state->pipeline->SetMetrics(metrics_);
  state->last_message = std::chrono::steady_clock::now();
  partitions_[{topic, partition}] = std::move(state);
}

void KafkaWorker::RemovePartition(const std::string& topic, int32_t partition) {
  auto it = partitions_.find({topic, partition});
  if (it == partitions_.end()) return;
  Pipeline& p = *it->second->pipeline;
  retired_by_stream_[static_cast<size_t>(p.stream())].Add(p.stats());
  if (it->second->tracker.pending() > 0) draining_.push_back(std::move(it->second));
  partitions_.erase(it);
}

void KafkaWorker::FreeDrained() {
  std::erase_if(draining_, [](const auto& state) { return state->tracker.pending() == 0; });
}

void KafkaWorker::CollectCommits(rd_kafka_topic_partition_list_t* out,
                                 const rd_kafka_topic_partition_list_t* only) const {
  for (const auto& [key, state] : partitions_) {
    if (only != nullptr &&
        rd_kafka_topic_partition_list_find(only, key.first.c_str(), key.second) == nullptr) {
      continue;
    }
    int64_t offset = state->tracker.CommitOffset(state->pipeline->OldestBufferedOffset());
    if (offset < 0) continue;
    rd_kafka_topic_partition_list_add(out, key.first.c_str(), key.second)->offset = offset;
  }
}

void KafkaWorker::ListPartitions(rd_kafka_topic_partition_list_t* out) const {
  for (const auto& [key, state] : partitions_) {
    rd_kafka_topic_partition_list_add(out, key.first.c_str(), key.second);
  }
}

bool KafkaWorker::AllAtEnd() const {
  for (const auto& [key, state] : partitions_) {
    if (!state->at_end) return false;
  }
  return !partitions_.empty();
}

std::array<PipelineStats, kStreamCount> KafkaWorker::StatsByStream() const {
  std::array<PipelineStats, kStreamCount> out = retired_by_stream_;
  for (const auto& [key, state] : partitions_) {
    out[static_cast<size_t>(state->pipeline->stream())].Add(state->pipeline->stats());
  }
  return out;
}

PipelineStats KafkaWorker::Stats() const {
  PipelineStats total;
  for (const auto& s : StatsByStream()) total.Add(s);
  return total;
}

std::vector<KafkaWorker::PartitionInfo> KafkaWorker::Partitions() const {
  std::vector<PartitionInfo> out;
  for (const auto& [key, state] : partitions_) {
    out.push_back({key.first, key.second, state->pipeline->stats().messages, state->next_offset,
                   state->pipeline->id()});
  }
  return out;
}

std::unique_ptr<DetectorSet> KafkaWorker::ReplaceDetectors(std::unique_ptr<DetectorSet> detectors) {
  detectors->TakeStateFrom(*detectors_);
  for (auto& [key, state] : partitions_) state->pipeline->SetDetectors(detectors.get());
  std::swap(detectors, detectors_);
  return detectors;
}

void KafkaWorker::FlushIdle(std::chrono::steady_clock::time_point now) {
  // An assembler (auditd) holds an event until its end record or a later
  // record tells the time has passed; on a quiet partition neither comes, so
  // flush after the configured timeout of wall-clock silence.
  auto timeout = std::chrono::milliseconds(config_.parser.audit_event_timeout_ms);
  for (auto& [key, state] : partitions_) {
    if (state->pipeline->OldestBufferedOffset() >= 0 && now - state->last_message > timeout) {
      state->pipeline->FlushParser();
    }
  }
}

void KafkaWorker::Run() {
  std::vector<rd_kafka_message_t*> batch(kBatchSize);
  while (!stop_) {
    // A sink that cannot take alerts (its endpoint away, its queue full) is
    // waited for here, before the batch and outside the lock: the source's
    // commits, statistics and rebalances, which take the lock, go on, and the
    // messages wait in Kafka (this worker's queue fills, fetching stops).
    // The dead-letter topic's producer likewise.
    bool room = true;
    for (AlertSink* sink : sinks_) room = sink->WaitForRoom(kBatchTimeoutMs) && room;
    if (dead_letters_ != nullptr) room = dead_letters_->WaitForRoom(kBatchTimeoutMs) && room;
    if (!room) continue;
    // One message at a time, not rd_kafka_consume_batch_queue: in librdkafka
    // before 2.1.0 (Debian 12 has 2.0.2) the batch call advances a
    // partition's application offset past messages that a pause or a
    // rebalance then purges from the batch, so fetching resumes after them and
    // they are never seen (librdkafka PR #4208; the scale-out test lost alerts
    // that way). A single pop drops outdated messages before taking them.
    ssize_t n = 0;
    for (rd_kafka_message_t* m = rd_kafka_consume_queue(queue_, kBatchTimeoutMs); m != nullptr;
         m = rd_kafka_consume_queue(queue_, 0)) {
      batch[static_cast<size_t>(n++)] = m;
      if (static_cast<size_t>(n) == batch.size()) break;
    }
    std::lock_guard lock(mu_);
    auto now = std::chrono::steady_clock::now();
    if (n > 0 && first_batch_ns_ == 0) first_batch_ns_ = NowNanos();
    for (ssize_t i = 0; i < n; ++i) {
      rd_kafka_message_t* m = batch[static_cast<size_t>(i)];
      const char* topic = m->rkt != nullptr ? rd_kafka_topic_name(m->rkt) : "";
      auto it = partitions_.find({topic, m->partition});
      if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
          if (it != partitions_.end()) it->second->at_end = true;
        } else {
          spdlog::warn("worker {}: consume error: {}", id_, rd_kafka_message_errstr(m));
        }
        rd_kafka_message_destroy(m);
        continue;
      }
      if (it != partitions_.end()) {  // else revoked meanwhile: the new owner reads it
        PartitionState& state = *it->second;
        if (state.next_offset < 0) {
          spdlog::info("worker {}: {}[{}] starts at offset {}", id_, state.topic, m->partition,
                       m->offset);
        }
        SourcePosition pos{state.topic, m->partition, m->offset};
        std::string_view payload(static_cast<const char*>(m->payload), m->len);
        if (payload.size() > config_.max_message_bytes) {
          state.pipeline->CountTooLong(payload, pos);
        } else {
          state.pipeline->Process(payload, pos);
        }
        state.tracker.Processed(m->offset);
        state.last_message = now;
        state.at_end = false;
        state.next_offset = m->offset + 1;
        if (metrics_ != nullptr && ++sampled_ % 16 == 0) {
          int64_t ts = rd_kafka_message_timestamp(m, nullptr);
          if (ts > 0)
            metrics_->ObserveLatency(static_cast<double>(NowNanos() / 1'000'000 - ts) / 1e3);
        }
      }
      rd_kafka_message_destroy(m);
    }
    // States of partitions taken away are freed once their last delivery is
    // reported, also while the worker stays busy (it freed them only when
    // idle, so a worker with a backlog kept one per rebalance).
    if (!draining_.empty()) FreeDrained();
    if (n <= 0) {
      FlushIdle(now);
    } else {
      last_batch_ns_ = NowNanos();
    }
    ++batches_;
  }
}

}  // namespace loghunt
