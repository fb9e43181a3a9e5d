#include "sinks/kafka_producer.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "sinks/kafka_conf.h"

namespace loghunt {

// One message in flight: everything needed to send it again.
struct KafkaProducer::Pending {
  KafkaProducer* owner;
  std::string topic;
  std::string key;
  std::string value;
  Headers headers;
  DeliveryCallback done;
};

std::unique_ptr<KafkaProducer> KafkaProducer::Create(const KafkaProperties& properties,
                                                     std::string* error) {
  char errstr[512];
  rd_kafka_conf_t* conf = NewKafkaConf();
  KafkaProperties all = properties;
  all.emplace_back("enable.idempotence", "true");
  all.emplace_back("acks", "all");
  for (const auto& [k, v] : all) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      *error = "producer property " + k + ": " + errstr;  // the value may be a secret: not shown
      rd_kafka_conf_destroy(conf);
      return nullptr;
    }
  }
  std::unique_ptr<KafkaProducer> p(new KafkaProducer());
  char max_queued[32];
  size_t max_queued_size = sizeof max_queued;
  if (rd_kafka_conf_get(conf, "queue.buffering.max.messages", max_queued, &max_queued_size) ==
      RD_KAFKA_CONF_OK) {
    p->max_queued_ = std::max<int64_t>(1, std::strtoll(max_queued, nullptr, 10));
  }
  rd_kafka_conf_set_dr_msg_cb(
      conf, [](rd_kafka_t* rk, const rd_kafka_message_t* m, void* op) { OnDelivery(rk, m, op); });
  rd_kafka_conf_set_opaque(conf, p.get());
  p->rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (p->rk_ == nullptr) {
    *error = std::string("producer: ") + errstr;
    return nullptr;  // conf is freed by rd_kafka_new on failure? No: only on success.
  }
  KafkaProducer* raw = p.get();
  p->poller_ = std::thread([raw] {
    while (!raw->closing_) {
      rd_kafka_poll(raw->rk_, 100);
      if (!raw->interrupted_) raw->RetryParked();
    }
  });
  return p;
}

KafkaProducer::~KafkaProducer() { Close(); }

void KafkaProducer::Close() {
  if (rk_ == nullptr) return;
  // After Interrupt() the daemon has flushed already, within its deadline.
  if (!interrupted_) Flush(10'000);
  closing_ = true;
  if (poller_.joinable()) poller_.join();
  const uint64_t failed_before = failed_;
  // Messages still queued are given up: their callbacks report done(false).
  rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_poll(rk_, 0);
  rd_kafka_destroy(rk_);
  rk_ = nullptr;
  for (Pending* p : parked_) {
    ++failed_;
    if (p->done) p->done(false);
    --outstanding_;
    delete p;
  }
  parked_.clear();
  // Not logged one by one (LogGivenUp is quiet while closing): they were
  // not logged at all, and the run exited 0.
  if (const uint64_t given_up = failed_ - failed_before; given_up > 0) {
    spdlog::error("kafka producer: stopping: {} message(s) undelivered, given up", given_up);
  }
}

KafkaProducer::SendResult KafkaProducer::TrySend(Pending* p, int* err_out) {
  rd_kafka_headers_t* hdrs = rd_kafka_headers_new(p->headers.size());
  for (const auto& [k, v] : p->headers) {
    rd_kafka_header_add(hdrs, k.data(), static_cast<ssize_t>(k.size()), v.data(),
                        static_cast<ssize_t>(v.size()));
  }
  rd_kafka_resp_err_t err = rd_kafka_producev(
      rk_, RD_KAFKA_V_TOPIC(p->topic.c_str()), RD_KAFKA_V_KEY(p->key.data(), p->key.size()),
      RD_KAFKA_V_VALUE(p->value.data(), p->value.size()), RD_KAFKA_V_HEADERS(hdrs),
      RD_KAFKA_V_OPAQUE(p), RD_KAFKA_V_END);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return SendResult::kSent;  // headers owned by librdkafka
  rd_kafka_headers_destroy(hdrs);
  if (err_out != nullptr) *err_out = err;
  return err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? SendResult::kFull : SendResult::kError;
}

bool KafkaProducer::Send(Pending* p, int* err) {
  {
    // Behind messages already parked, to keep their order (not after
    // Interrupt(): parked ones are no longer retried then).
    std::lock_guard lock(parked_mu_);
    if (!parked_.empty() && !interrupted_ && !closing_) {
      parked_.push_back(p);
      return true;
    }
  }
  switch (TrySend(p, err)) {
    case SendResult::kSent:
      return true;
    case SendResult::kFull: {
      if (closing_) {
        if (err != nullptr) *err = RD_KAFKA_RESP_ERR__DESTROY;
        return false;
      }
      // The local queue is full (queue.buffering.max.*): parked, never waited
      // for here, where a worker holds its lock or librdkafka runs a delivery
      // callback. The poller sends it once there is room; writers wait in
      // WaitForRoom(), which counts it. After Interrupt() it stays parked and
      // is given up when the producer is destroyed (its offset uncommitted).
      std::lock_guard lock(parked_mu_);
      parked_.push_back(p);
      return true;
    }
    case SendResult::kError:
      break;
  }
  return false;
}

void KafkaProducer::RetryParked() {
  std::vector<Pending*> batch;
  {
    std::lock_guard lock(parked_mu_);
    if (parked_.empty()) return;
    batch.swap(parked_);
  }
  size_t i = 0;
  for (; i < batch.size(); ++i) {
    SendResult r = TrySend(batch[i]);
    if (r == SendResult::kFull) break;
    if (r == SendResult::kError) Fail(batch[i], "refused by librdkafka");
  }
  if (i < batch.size()) {
    std::lock_guard lock(parked_mu_);
    parked_.insert(parked_.begin(), batch.begin() + static_cast<std::ptrdiff_t>(i), batch.end());
  }
}

void KafkaProducer::LogGivenUp(const std::string& topic, const char* why) {
  uint64_t held_back = 0;
  if (closing_ || !given_up_log_.Allow(&held_back)) return;
  spdlog::error(
      "kafka producer: message to {} given up: {} ({} more given up since the last message)", topic,
      why, held_back);
}

void KafkaProducer::Fail(Pending* p, const char* why) {
  ++failed_;
  LogGivenUp(p->topic, why);
  if (p->done) p->done(false);
  --outstanding_;
  delete p;
}

bool KafkaProducer::Produce(std::string_view topic, std::string_view key, std::string_view value,
                            const Headers& headers, DeliveryCallback done, std::string* error) {
  if (closing_) {
    if (error != nullptr) *error = "the producer is closed";
    return false;
  }
  auto* p = new Pending{this,    std::string(topic), std::string(key), std::string(value),
                        headers, std::move(done)};
  ++outstanding_;
  int err = RD_KAFKA_RESP_ERR_NO_ERROR;
  if (!Send(p, &err)) {
    --outstanding_;
    delete p;
    if (error != nullptr) *error = rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(err));
    return false;
  }
  return true;
}

void KafkaProducer::OnDelivery(rd_kafka_s* rk, const void* message, void*) {
  (void)rk;
  const auto* m = static_cast<const rd_kafka_message_t*>(message);
  auto* p = static_cast<Pending*>(m->_private);
  KafkaProducer* self = p->owner;
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++self->delivered_;
  } else {
    char errstr[256];
    bool fatal =
        rd_kafka_fatal_error(self->rk_, errstr, sizeof errstr) != RD_KAFKA_RESP_ERR_NO_ERROR;
    bool transient =
        m->err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT || m->err == RD_KAFKA_RESP_ERR__TRANSPORT ||
        m->err == RD_KAFKA_RESP_ERR__TIMED_OUT || m->err == RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS ||
        m->err == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT ||
        m->err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION ||
        m->err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE;
    if (transient && !fatal && !self->closing_) {
      // The broker was unreachable for longer than message.timeout.ms: send again.
      ++self->retries_;
      if (self->Send(p)) return;
    }
    ++self->failed_;
    self->LogGivenUp(p->topic, rd_kafka_err2str(m->err));
  }
  if (p->done) p->done(m->err == RD_KAFKA_RESP_ERR_NO_ERROR);
  --self->outstanding_;
  delete p;
}

uint64_t KafkaProducer::parked() {
  std::lock_guard lock(parked_mu_);
  return parked_.size();
}

bool KafkaProducer::WaitForRoom(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  // Messages produced and not yet reported, as librdkafka counts them against
  // queue.buffering.max.messages (rd_kafka_outq_len also counts events not
  // yet served, such as connection errors), and parked ones.
  // Parked messages count: they are sent before room opens for new ones.
  while (outstanding_ >= static_cast<uint64_t>(max_queued_) && !interrupted_ && !closing_) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

void KafkaProducer::Interrupt() {
  if (interrupted_.exchange(true)) return;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kInterruptFlushMs);
  interrupt_deadline_ns_ =
      std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
}

bool KafkaProducer::Flush(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  if (interrupted_) {
    deadline = std::min(deadline, std::chrono::steady_clock::time_point(
                                      std::chrono::nanoseconds(interrupt_deadline_ns_.load())));
  }
  // Parked messages are sent by the poller meanwhile, except after Interrupt().
  while (outstanding_ > (interrupted_ ? parked() : 0) &&
         std::chrono::steady_clock::now() < deadline) {
    rd_kafka_flush(rk_, 100);
    if (rd_kafka_outq_len(rk_) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return outstanding_ == 0;
}

}  // namespace loghunt
