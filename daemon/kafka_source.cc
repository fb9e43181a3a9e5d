#include "daemon/kafka_source.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <future>
#include <memory>
#include <thread>

#include "sinks/kafka_conf.h"

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
                         DeadLetterWriter* dead_letters, Metrics* metrics)
    : config_(config), sinks_(std::move(sinks)), dead_letters_(dead_letters), metrics_(metrics) {}

KafkaSource::~KafkaSource() {
  if (rk_ != nullptr && !close_tried_) closed_ = Close();
  workers_.clear();
  if (rk_ == nullptr) return;
  if (closed_) {
    rd_kafka_destroy(rk_);
    return;
  }
  // Not leaving the group again (that waits for the brokers; Close() had its
  // time), but even so librdkafka's destroy waits for the commits still
  // outstanding, which wait for the coordinator: given close_timeout_ms, then
  // left to finish, or not, on its own thread (none of our callbacks runs
  // from it). The daemon exits meanwhile.
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> destroyed = done->get_future();
  std::thread([rk = rk_, done] {
    rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    done->set_value();
  }).detach();
  if (destroyed.wait_for(std::chrono::milliseconds(close_timeout_ms)) !=
      std::future_status::ready) {
    spdlog::warn(
        "kafka: the consumer did not shut down within {} ms (brokers unreachable?): not "
        "waiting for it",
        close_timeout_ms);
  }
}

bool KafkaSource::Open(std::string* error) {
  char errstr[512];
  rd_kafka_conf_t* conf = NewKafkaConf();
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
      // Backpressure: librdkafka stops fetching a partition while the queue it
      // is forwarded to (its worker's) holds this many messages, and fetches
      // again once the worker drained it. rd_kafka_pause_partitions is not
      // used for this: librdkafka 2.0.2 (Debian 12) purges the fetched
      // messages on pause and, when the worker had not taken any message of
      // the partition yet, resumes after them, so they were never processed
      // (tests/daemon/kafka_source_backpressure_test.cc lost thousands).
      {"queued.min.messages", std::to_string(config_.kafka.worker_queue_max_messages)},
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
    workers_.push_back(
        std::make_unique<KafkaWorker>(i, config_, rk_, sinks_, dead_letters_, metrics_));
  }
  paused_.assign(workers_.size(), false);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(8);
  for (const auto& list : config_.kafka.topics) {
    for (const auto& t : list)
      rd_kafka_topic_partition_list_add(topics, t.c_str(), RD_KAFKA_PARTITION_UA);
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
  ++self->rebalances_;
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
    KafkaWorker& w =
        *workers_[static_cast<size_t>(WorkerFor(tp.topic, tp.partition, workers_.size()))];
    {
      std::lock_guard lock(w.mutex());
      w.AddPartition(tp.topic, tp.partition, stream);
    }
    // Forward before the partition is assigned, so no message reaches the main queue.
    rd_kafka_queue_t* q = rd_kafka_queue_get_partition(rk_, tp.topic, tp.partition);
    rd_kafka_queue_forward(q, w.queue());
    rd_kafka_queue_destroy(q);
    spdlog::info("assigned {}[{}] ({}) to worker {}", tp.topic, tp.partition, StreamName(stream),
                 w.id());
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
    // Commit() takes only positions whose alerts are resolved, so a flush
    // cut short by an endpoint that is away commits less, never more.
    for (AlertSink* sink : sinks_) {
      if (keepalive) keepalive();
      auto start = std::chrono::steady_clock::now();
      if (!sink->FlushWithin(revoke_flush_ms)) {
        // The time waited: a shutdown (Interrupt) cuts the wait short.
        spdlog::warn("revoke: sink {} still has {} alert(s) in delivery after {} ms", sink->name(),
                     sink->queue_depth(),
                     std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - start)
                         .count());
      }
    }
    if (keepalive) keepalive();
    Commit(/*sync=*/true, parts);
  } else {
    rd_kafka_topic_partition_list_t* at = rd_kafka_topic_partition_list_new(16);
    for (auto& w : workers_) w->CollectCommits(at, parts);
    std::string list;
    for (int i = 0; i < at->cnt; ++i)
      list += fmt::format(" {}[{}]@{}", at->elems[i].topic, at->elems[i].partition,
                          at->elems[i].offset);
    rd_kafka_topic_partition_list_destroy(at);
    spdlog::warn("partitions lost, positions not committed:{}", list);
  }
  for (int i = 0; i < parts->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = parts->elems[i];
    for (auto& w : workers_) {
      // Its final message count: what was consumed since the last Publish()
      // (up to a second of traffic) was never counted otherwise.
      if (metrics_ != nullptr) {
        for (const auto& p : w->Partitions()) {
          if (p.partition == tp.partition && p.topic == tp.topic) {
            metrics_->PublishPartition(p.topic, p.partition, p.messages, -1, p.pipeline_id);
            metrics_->ForgetSource(p.pipeline_id);  // its pipeline ends with the partition
          }
        }
      }
      w->RemovePartition(tp.topic, tp.partition);
    }
    // Its lag is the new owner's to report (a stale series inflated sums).
    if (metrics_ != nullptr) metrics_->ForgetPartition(tp.topic, tp.partition);
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
  if (only != nullptr) {
    std::string list;
    for (int i = 0; i < offsets->cnt; ++i) {
      list += fmt::format(" {}[{}]@{}", offsets->elems[i].topic, offsets->elems[i].partition,
                          offsets->elems[i].offset);
    }
    spdlog::info("committing{} before giving partitions up", list.empty() ? " nothing" : list);
  }
  if (offsets->cnt > 0) {
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (sync) {
      err = static_cast<rd_kafka_resp_err_t>(CommitAndWait(offsets));
    } else {
      // rd_kafka_commit(async) reports only that the request was queued: a
      // commit the coordinator refused went uncounted and unlogged. The answer
      // comes to OnCommitted from rd_kafka_consumer_poll() in Run().
      rd_kafka_queue_t* q = rd_kafka_queue_get_consumer(rk_);
      err = rd_kafka_commit_queue(
          rk_, offsets, q,
          [](rd_kafka_t*, rd_kafka_resp_err_t e, rd_kafka_topic_partition_list_t* committed,
             void* opaque) { static_cast<KafkaSource*>(opaque)->OnCommitted(e, committed); },
          this);
      rd_kafka_queue_destroy(q);
    }
    if (sync && (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET)) {
      ++commits_;
    } else if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
      ++commit_errors_;
      spdlog::warn("commit: {}", rd_kafka_err2str(err));
    }
  }
  rd_kafka_topic_partition_list_destroy(offsets);
}

void KafkaSource::OnCommitted(int err_code, const void* offsets_ptr) {
  const auto* offsets = static_cast<const rd_kafka_topic_partition_list_t*>(offsets_ptr);
  auto err = static_cast<rd_kafka_resp_err_t>(err_code);
  if (err == RD_KAFKA_RESP_ERR__NO_OFFSET) err = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::string failed;  // partitions the coordinator refused
  for (int i = 0; offsets != nullptr && i < offsets->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = offsets->elems[i];
    if (tp.err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) err = tp.err;
    failed += fmt::format(" {}[{}]@{}", tp.topic, tp.partition, tp.offset);
  }
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++commits_;
    return;
  }
  ++commit_errors_;
  // Every commit_interval_ms while the coordinator refuses: once a minute.
  uint64_t held_back = 0;
  if (commit_error_log_.Allow(&held_back)) {
    spdlog::warn("commit:{} {} ({} more failed commit(s) since the last message)", failed,
                 rd_kafka_err2str(err), held_back);
  }
}

int KafkaSource::CommitAndWait(const void* offsets_ptr) {
  const auto* offsets = static_cast<const rd_kafka_topic_partition_list_t*>(offsets_ptr);
  // Not rd_kafka_commit(sync): it waits for the coordinator's answer for as
  // long as the brokers are away (46 s at a SIGTERM in a review, then leaving
  // the group waited too).
  auto now = std::chrono::steady_clock::now();
  auto deadline = std::min(now + std::chrono::milliseconds(close_timeout_ms), shutdown_deadline_);
  int timeout_ms = static_cast<int>(std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()));
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk_);
  rd_kafka_resp_err_t err = rd_kafka_commit_queue(rk_, offsets, q, nullptr, nullptr);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    // The answer comes as an RD_KAFKA_EVENT_OFFSET_COMMIT event. Destroying
    // the queue before it came is safe: librdkafka then drops the answer.
    rd_kafka_event_t* event = rd_kafka_queue_poll(q, timeout_ms);
    if (event == nullptr) {
      err = RD_KAFKA_RESP_ERR__TIMED_OUT;
    } else {
      err = rd_kafka_event_error(event);
      rd_kafka_event_destroy(event);
    }
  }
  rd_kafka_queue_destroy(q);
  return err;
}

bool KafkaSource::Close() {
  close_tried_ = true;
  shutdown_deadline_ =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(close_timeout_ms);
  // rd_kafka_consumer_close() waits for the brokers for as long as they are
  // away. The queue gets the revocation as an event (the rebalance callback
  // is not called for it); it is handled as the callback would.
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk_);
  rd_kafka_error_t* error = rd_kafka_consumer_close_queue(rk_, q);
  if (error != nullptr) {
    spdlog::warn("kafka: leaving the group: {}", rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
    rd_kafka_queue_destroy(q);
    return false;
  }
  while (!rd_kafka_consumer_closed(rk_) && std::chrono::steady_clock::now() < shutdown_deadline_) {
    rd_kafka_event_t* event = rd_kafka_queue_poll(q, 100);
    if (event == nullptr) continue;
    if (rd_kafka_event_type(event) == RD_KAFKA_EVENT_REBALANCE) {
      OnRebalance(rk_, rd_kafka_event_error(event), rd_kafka_event_topic_partition_list(event),
                  this);
    }
    rd_kafka_event_destroy(event);
  }
  bool closed = rd_kafka_consumer_closed(rk_) != 0;
  if (!closed) {
    spdlog::warn(
        "kafka: leaving the group did not finish within {} ms (brokers unreachable?): the group "
        "gives this member's partitions to others after session.timeout.ms",
        close_timeout_ms);
  }
  rd_kafka_queue_destroy(q);
  return closed;
}

void KafkaSource::ApplyBackpressure() {
  // Only counts: a worker queue at its bound (librdkafka then holds back the
  // fetches of its partitions, see Open) is one backpressure episode, over
  // when the queue is back under half of it.
  const size_t high = static_cast<size_t>(config_.kafka.worker_queue_max_messages);
  for (size_t i = 0; i < workers_.size(); ++i) {
    size_t depth = rd_kafka_queue_length(workers_[i]->queue());
    if (!paused_[i] && depth >= high) {
      paused_[i] = true;
      ++pauses_;
    } else if (paused_[i] && depth < high / 2) {
      paused_[i] = false;
    }
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
  auto last_publish = last_commit;
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
    if (now - last_publish > std::chrono::milliseconds(publish_interval_ms)) {
      Publish();
      last_publish = now;
    }
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
  // committed, so after a restart they are read again, whole. When asked to
  // stop, a worker waiting for room in a full sink queue must not hold that
  // up: the sinks stop making writers wait (AlertSink::Interrupt).
  if (stop) {
    for (AlertSink* sink : sinks_) sink->Interrupt();
  }
  for (auto& w : workers_) w->Stop();
  for (AlertSink* sink : sinks_) sink->Flush();
  {
    std::vector<std::unique_lock<std::mutex>> locks;
    for (auto& w : workers_) locks.emplace_back(w->mutex());
    Commit(/*sync=*/true, nullptr);
  }
  closed_ = Close();
  Publish();
}

int64_t KafkaSource::TotalLag() {
  int64_t lag = 0;
  for (auto& w : workers_) {
    std::vector<KafkaWorker::PartitionInfo> parts;
    {
      std::lock_guard lock(w->mutex());
      parts = w->Partitions();
    }
    for (const auto& p : parts) {
      int64_t low = 0, high = 0;
      if (rd_kafka_get_watermark_offsets(rk_, p.topic.c_str(), p.partition, &low, &high) ==
              RD_KAFKA_RESP_ERR_NO_ERROR &&
          high >= 0) {
        lag += std::max<int64_t>(0, high - std::max(p.next_offset, low));
      }
    }
  }
  return lag;
}

void KafkaSource::Publish() {
  if (metrics_ == nullptr) return;
  std::array<PipelineStats, kStreamCount> by_stream{};
  uint64_t dead_letters = 0;
  for (auto& w : workers_) {
    std::vector<KafkaWorker::PartitionInfo> parts;
    std::vector<std::pair<std::string, double>> seconds;
    uint64_t detector_set = 0;
    {
      std::lock_guard lock(w->mutex());
      auto s = w->StatsByStream();
      for (size_t i = 0; i < s.size(); ++i) by_stream[i].Add(s[i]);
      parts = w->Partitions();
      seconds = w->DetectorSeconds();
      detector_set = w->DetectorSetId();
    }
    // Per detector set (a reload's fresh sets start from 0), off the lock.
    metrics_->PublishDetectorSeconds(seconds, detector_set);
    for (const auto& p : parts) {
      int64_t low = 0, high = 0, lag = -1;
      int64_t next = p.next_offset;
      if (next < 0) {
        // Nothing consumed here yet: the fetch position (the committed offset
        // once known) says where this partition stands.
        rd_kafka_topic_partition_list_t* one = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(one, p.topic.c_str(), p.partition);
        if (rd_kafka_position(rk_, one) == RD_KAFKA_RESP_ERR_NO_ERROR) next = one->elems[0].offset;
        rd_kafka_topic_partition_list_destroy(one);
      }
      if (rd_kafka_get_watermark_offsets(rk_, p.topic.c_str(), p.partition, &low, &high) ==
              RD_KAFKA_RESP_ERR_NO_ERROR &&
          high >= 0 && next >= 0) {
        lag = std::max<int64_t>(0, high - std::max(next, low));
      }
      metrics_->PublishPartition(p.topic, p.partition, p.messages, lag, p.pipeline_id);
    }
  }
  for (size_t i = 0; i < by_stream.size(); ++i) {
    metrics_->PublishPipeline(static_cast<Stream>(i), by_stream[i]);
    dead_letters += by_stream[i].dead_letters;
  }
  metrics_->PublishSinks(sinks_);
  uint64_t delivery_errors = 0;
  for (AlertSink* sink : sinks_) delivery_errors += sink->delivery_failures();
  metrics_->PublishKafka(commits_, commit_errors_, pauses_, rebalances_, dead_letters,
                         delivery_errors);
}

bool KafkaSource::ReloadDetectors(const Config& config, std::string* error) {
  if (!LoadSharedDetectorData(config, error)) return false;
  std::vector<std::unique_ptr<DetectorSet>> fresh;
  try {
    for (size_t i = 0; i < workers_.size(); ++i) {
      Config worker_config = WorkerDetectorConfig(config, static_cast<int>(i));
      {
        // The running cluster state moves in (TakeStateFrom); its snapshot
        // file is older and would be read for nothing.
        std::lock_guard lock(workers_[i]->mutex());
        if (workers_[i]->HasDetector("cluster")) worker_config.cluster.restore_snapshot = false;
      }
      fresh.push_back(std::make_unique<DetectorSet>(worker_config));
    }
  } catch (const std::exception& e) {
    *error = e.what();
    return false;
  }
  std::vector<std::unique_ptr<DetectorSet>> old;
  for (size_t i = 0; i < workers_.size(); ++i) {
    std::lock_guard lock(workers_[i]->mutex());
    old.push_back(workers_[i]->ReplaceDetectors(std::move(fresh[i])));
  }
  if (metrics_ != nullptr) {
    // Their time since the last publication, then they are forgotten.
    for (const auto& set : old) {
      metrics_->PublishDetectorSeconds(set->Seconds(), set->id());
      metrics_->ForgetSource(set->id());
    }
  }
  return true;  // `old` is destroyed here, off the workers' locks
}

KafkaSourceStats KafkaSource::Stats() {
  KafkaSourceStats s;
  s.commits = commits_;
  s.commit_errors = commit_errors_;
  s.pauses = pauses_;
  s.rebalances = rebalances_;
  int64_t first = 0, last = 0;
  for (auto& w : workers_) {
    std::lock_guard lock(w->mutex());
    s.pipeline.Add(w->Stats());
    if (w->first_batch_ns() != 0 && (first == 0 || w->first_batch_ns() < first))
      first = w->first_batch_ns();
    last = std::max(last, w->last_batch_ns());
  }
  if (first != 0 && last > first) s.active_seconds = static_cast<double>(last - first) / 1e9;
  return s;
}

}  // namespace loghunt
