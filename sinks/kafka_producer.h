// KafkaProducer: an idempotent librdkafka producer with per-message delivery
// callbacks, shared by the Kafka alert sink and the dead-letter writer.
//
// Produce() copies the message and returns at once, never waiting: a message
// that finds the local queue full is parked and sent by the poll thread once
// there is room (writers wait for room in WaitForRoom(), outside their locks,
// which is the backpressure). Its `done` callback runs
// exactly once on the producer's poll thread: done(true) when the broker has
// acknowledged the message (acks=all), done(false) when it is given up: the
// broker refused it for good (e.g. too large; logged and counted in failed())
// or the producer shut down with it still queued. Transient failures (broker
// unreachable for longer than message.timeout.ms) are retried by producing
// again, so nothing is dropped while the producer lives.
//
// Thread-safety: Produce(), Flush() and the counters may be called from any
// thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/log_throttle.h"
#include "sinks/sink.h"

struct rd_kafka_s;

namespace loghunt {

// librdkafka properties, applied in order (later ones win).
using KafkaProperties = std::vector<std::pair<std::string, std::string>>;

class KafkaProducer {
 public:
  // Creates the producer. `properties` must contain bootstrap.servers; the
  // producer forces enable.idempotence=true and acks=all. nullptr + *error on
  // a bad property.
  static std::unique_ptr<KafkaProducer> Create(const KafkaProperties& properties,
                                               std::string* error);
  ~KafkaProducer();
  // Flushes (for 10 s, unless Interrupt() was called: the daemon flushed
  // already, within its deadline), then gives up what is still queued
  // (counted in failed(), logged) and stops. The destructor calls it.
  void Close();
  KafkaProducer(const KafkaProducer&) = delete;
  KafkaProducer& operator=(const KafkaProducer&) = delete;

  using Headers = std::vector<std::pair<std::string, std::string>>;
  // Returns false only when the producer is closed or the message is refused
  // outright (e.g. larger than message.max.bytes); `done` is then not called
  // and *error (when given) says why.
  bool Produce(std::string_view topic, std::string_view key, std::string_view value,
               const Headers& headers, DeliveryCallback done, std::string* error = nullptr);
  // Waits until every produced message is resolved, up to timeout_ms (after
  // Interrupt() not for parked ones). Returns true when none is outstanding.
  // After Interrupt() every flush ends by kInterruptFlushMs after it.
  bool Flush(int timeout_ms);
  // Shutdown begins: parked messages (those that found the local queue full)
  // are no longer sent but given up (done(false)) when the producer is
  // destroyed; WaitForRoom() no longer waits. See AlertSink::Interrupt.
  void Interrupt();
  static constexpr int kInterruptFlushMs = 30'000;
  // Waits up to timeout_ms until the local queue holds fewer messages than
  // queue.buffering.max.messages (or Interrupt()); false when it still does.
  // See AlertSink::WaitForRoom.
  bool WaitForRoom(int timeout_ms);

  uint64_t delivered() const { return delivered_; }
  uint64_t retries() const { return retries_; }
  uint64_t failed() const { return failed_; }
  uint64_t outstanding() const { return outstanding_; }

 private:
  struct Pending;
  KafkaProducer() = default;
  enum class SendResult { kSent, kFull, kError };
  // *err (when given) gets librdkafka's error code on kError.
  SendResult TrySend(Pending* pending, int* err = nullptr);
  // Sends or parks `pending`; false (*err set) when librdkafka refuses it outright.
  bool Send(Pending* pending, int* err = nullptr);
  // Sends parked messages, in order, while there is room (the poller thread).
  void RetryParked();
  // Gives `pending` up: done(false), counted as failed, logged (throttled).
  void Fail(Pending* pending, const char* why);
  // Logs a message given up: the first, then one a minute with a count (a
  // topic that cannot exist failed every alert, one line each).
  void LogGivenUp(const std::string& topic, const char* why);
  uint64_t parked();
  static void OnDelivery(rd_kafka_s* rk, const void* message, void* opaque);

  rd_kafka_s* rk_ = nullptr;
  int64_t max_queued_ = 100000;  // queue.buffering.max.messages
  std::thread poller_;
  std::atomic<bool> closing_{false};
  std::atomic<bool> interrupted_{false};
  std::atomic<int64_t> interrupt_deadline_ns_{0};  // steady_clock
  std::mutex parked_mu_;
  // Messages that found the local queue full: sent again by the poller, or
  // after Interrupt() given up at destruction.
  std::vector<Pending*> parked_;
  std::atomic<uint64_t> delivered_{0};
  std::atomic<uint64_t> retries_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<uint64_t> outstanding_{0};
  LogThrottle given_up_log_;
};

}  // namespace loghunt
