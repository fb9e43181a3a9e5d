#include "daemon/kafka_source.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

namespace loghunt {
namespace {

// Dead letters larger than this are cut (header loghunt.original_size says
// so): brokers refuse messages over message.max.bytes (1 MB by default), and a
// refused dead letter would be lost entirely.
constexpr size_t kMaxDeadLetterBytes = 512 * 1024;

int WorkerFor(const std::string& topic, int32_t partition, size_t workers) {
  // Stable spread: the same partition lands on the same worker index.
  uint64_t h = 1469598103934665603ULL;
  for (char c : topic) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  h = (h ^ static_cast<uint64_t>(partition)) * 1099511628211ULL;
  return static_cast<int>(h % workers);
}

}  // namespace

KafkaProperties CommonKafkaProperties(const KafkaConfig& kafka) {
  KafkaProperties p;
  p.emplace_back("bootstrap.servers", kafka.brokers);
  p.emplace_back("client.id", "loghuntd");
  for (const auto& kv : kafka.properties) p.push_back(kv);
  return p;
}

bool KafkaDeadLetterWriter::Write(std::string_view message, ParseError reason,
                                  const SourcePosition& position, DeliveryCallback done) {
  KafkaProducer::Headers headers = {
      {"loghunt.error", std::string(ParseErrorName(reason))},
      {"loghunt.source.topic", std::string(position.topic)},
      {"loghunt.source.partition", std::to_string(position.partition)},
      {"loghunt.source.offset", std::to_string(position.offset)}};
  if (message.size() > kMaxDeadLetterBytes) {
    headers.emplace_back("loghunt.original_size", std::to_string(message.size()));
    message = message.substr(0, kMaxDeadLetterBytes);
  }
  return producer_->Produce(topic_, {}, message, headers, std::move(done));
}

KafkaSource::KafkaSource(const Config& config, std::vector<AlertSink*> sinks,
                         DeadLetterWriter* dead_letters)
    : config_(config), sinks_(std::move(sinks)), dead_letters_(dead_letters) {}

KafkaSource::~KafkaSource() {
  workers_.clear();
  if (rk_ != nullptr) rd_kafka_destroy(rk_);
}

bool KafkaSource::Open(std::string* error) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  KafkaProperties props = {
      {"group.id", config_.kafka.group_id},
      {"partition.assignment.strategy", "cooperative-sticky"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},
      {"enable.partition.eof", "true"},
      // Bound what librdkafka prefetches per partition (it counts the worker
      // queue the partition is forwarded to).
      {"queued.max.messages.kbytes", "16384"},
  };
  for (const auto& kv : CommonKafkaProperties(config_.kafka)) props.push_back(kv);
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      *error = "kafka property " + k + ": " + errstr;
      rd_kafka_conf_destroy(conf);
      return false;
    }
  }
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_rebalance_cb(
      conf, [](rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
               void* opaque) { OnRebalance(rk, err, parts, opaque); });
  rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (rk_ == nullptr) {
    *error = std::string("kafka consumer: ") + errstr;
    return false;
  }
  rd_kafka_poll_set_consumer(rk_);
  for (int i = 0; i < config_.kafka.workers; ++i) {
    workers_.push_back(std::make_unique<KafkaWorker>(i, config_, rk_, sinks_, dead_letters_));
  }
  paused_.assign(workers_.size(), false);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(8);
  for (const auto& list : config_.kafka.topics) {
    for (const auto& t : list) rd_kafka_topic_partition_list_add(topics, t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    *error = std::string("kafka subscribe: ") + rd_kafka_err2str(err);
    return false;
  }
  for (auto& w : workers_) w->Start();
  return true;
}

void KafkaSource::OnRebalance(rd_kafka_s* rk, int err, void* partitions, void* opaque) {
  (void)rk;
  auto* self = static_cast<KafkaSource*>(opaque);
  ++self->stats_.rebalances;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    self->Assign(partitions);
  } else {
    self->Revoke(partitions, rd_kafka_assignment_lost(self->rk_) != 0);
  }
}

void KafkaSource::Assign(void* parts_ptr) {
  auto* parts = static_cast<rd_kafka_topic_partition_list_t*>(parts_ptr);
  for (int i = 0; i < parts->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = parts->elems[i];
    Stream stream = Stream::kSyslog;
    for (int s = 0; s < kStreamCount; ++s) {
      for (const auto& t : config_.kafka.topics[static_cast<size_t>(s)]) {
        if (t == tp.topic) stream = static_cast<Stream>(s);
      }
    }
    KafkaWorker& w = *workers_[static_cast<size_t>(WorkerFor(tp.topic, tp.partition, workers_.size()))];
    {
      std::lock_guard lock(w.mutex());
      w.AddPartition(tp.topic, tp.partition, stream);
    }
    // Forward before the partition is assigned, so no message reaches the main queue.
    rd_kafka_queue_t* q = rd_kafka_queue_get_partition(rk_, tp.topic, tp.partition);
    rd_kafka_queue_forward(q, w.queue());
    rd_kafka_queue_destroy(q);
    spdlog::info("assigned {}[{}] ({}) to worker {}", tp.topic, tp.partition, StreamName(stream), w.id());
  }
  rd_kafka_error_t* error = rd_kafka_incremental_assign(rk_, parts);
  if (error != nullptr) {
    spdlog::error("incremental assign: {}", rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
  }
}

void KafkaSource::Revoke(void* parts_ptr, bool lost) {
  auto* parts = static_cast<rd_kafka_topic_partition_list_t*>(parts_ptr);
  // Wait for in-flight batches: holding every worker's lock means none is
  // processing. Then let asynchronous deliveries finish, commit, and forget.
  std::vector<std::unique_lock<std::mutex>> locks;
  for (auto& w : workers_) locks.emplace_back(w->mutex());
  if (!lost) {
    for (AlertSink* sink : sinks_) sink->Flush();
    Commit(/*sync=*/true, parts);
  }
  for (int i = 0; i < parts->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = parts->elems[i];
    for (auto& w : workers_) w->RemovePartition(tp.topic, tp.partition);
    rd_kafka_queue_t* q = rd_kafka_queue_get_partition(rk_, tp.topic, tp.partition);
    rd_kafka_queue_forward(q, nullptr);
    rd_kafka_queue_destroy(q);
  }
  locks.clear();
  spdlog::info("{} {} partition(s)", lost ? "lost" : "revoked", parts->cnt);
  rd_kafka_error_t* error = rd_kafka_incremental_unassign(rk_, parts);
  if (error != nullptr) {
    spdlog::error("incremental unassign: {}", rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
  }
}

// REQUIRES: the caller holds every worker's lock, or none (then it takes them).
void KafkaSource::Commit(bool sync, const void* only_ptr) {
  const auto* only = static_cast<const rd_kafka_topic_partition_list_t*>(only_ptr);
  rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(16);
  for (auto& w : workers_) w->CollectCommits(offsets, only);
  if (offsets->cnt > 0) {
    rd_kafka_resp_err_t err = rd_kafka_commit(rk_, offsets, sync ? 0 : 1);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET) {
      ++stats_.commits;
    } else {
      ++stats_.commit_errors;
      spdlog::warn("commit: {}", rd_kafka_err2str(err));
    }
  }
  rd_kafka_topic_partition_list_destroy(offsets);
}

void KafkaSource::ApplyBackpressure() {
  const size_t high = static_cast<size_t>(config_.kafka.worker_queue_max_messages);
  for (size_t i = 0; i < workers_.size(); ++i) {
    size_t depth = rd_kafka_queue_length(workers_[i]->queue());
    bool pause = !paused_[i] && depth > high;
    bool resume = paused_[i] && depth < high / 2;
    if (!pause && !resume) continue;
    rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(8);
    {
      std::lock_guard lock(workers_[i]->mutex());
      workers_[i]->ListPartitions(parts);
    }
    if (pause) {
      rd_kafka_pause_partitions(rk_, parts);
      ++stats_.pauses;
    } else {
      rd_kafka_resume_partitions(rk_, parts);
    }
    paused_[i] = pause;
    rd_kafka_topic_partition_list_destroy(parts);
  }
}

bool KafkaSource::AllAtEnd() {
  // Every assigned partition must have reported its end (enable.partition.eof)
  // with no message since, and every worker queue must be empty. A worker
  // without partitions does not count against it.
  bool any = false;
  for (auto& w : workers_) {
    std::lock_guard lock(w->mutex());
    if (rd_kafka_queue_length(w->queue()) != 0) return false;
    if (w->AllAtEnd()) {
      any = true;
      continue;
    }
    rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(1);
    w->ListPartitions(parts);
    bool owns = parts->cnt > 0;
    rd_kafka_topic_partition_list_destroy(parts);
    if (owns) return false;
  }
  return any;
}

void KafkaSource::Run(const std::atomic<bool>& stop, int64_t idle_exit_ms) {
  auto last_commit = std::chrono::steady_clock::now();
  auto last_activity = last_commit;
  uint64_t last_messages = 0;
  while (!stop) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, 100);
    if (m != nullptr) {
      if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        spdlog::warn("kafka: {}", rd_kafka_message_errstr(m));
      }
      rd_kafka_message_destroy(m);
    }
    auto now = std::chrono::steady_clock::now();
    if (now - last_commit > std::chrono::milliseconds(config_.kafka.commit_interval_ms)) {
      std::vector<std::unique_lock<std::mutex>> locks;
      for (auto& w : workers_) locks.emplace_back(w->mutex());
      Commit(/*sync=*/false, nullptr);
      last_commit = now;
    }
    ApplyBackpressure();
    if (tick) tick();
    if (idle_exit_ms > 0) {
      uint64_t messages = Stats().pipeline.messages;
      if (messages != last_messages) {
        last_messages = messages;
        last_activity = now;
      } else if (now - last_activity > std::chrono::milliseconds(idle_exit_ms) && AllAtEnd()) {
        spdlog::info("idle for {} ms with every partition at its end: stopping", idle_exit_ms);
        break;
      }
    }
  }
  // Shutdown: stop the workers after their batch, deliver, commit, leave.
  // Half-assembled events are not flushed: their first offsets are not
  // committed, so after a restart they are read again, whole.
  for (auto& w : workers_) w->Stop();
  for (AlertSink* sink : sinks_) sink->Flush();
  {
    std::vector<std::unique_lock<std::mutex>> locks;
    for (auto& w : workers_) locks.emplace_back(w->mutex());
    Commit(/*sync=*/true, nullptr);
  }
  rd_kafka_consumer_close(rk_);
}

KafkaSourceStats KafkaSource::Stats() {
  KafkaSourceStats s = stats_;
  for (auto& w : workers_) {
    std::lock_guard lock(w->mutex());
    s.pipeline.Add(w->Stats());
  }
  return s;
}

}  // namespace loghunt
