// KafkaSink: alerts as JSON to a Kafka topic through an idempotent producer
// (enable.idempotence=true, acks=all), keyed by host so one host's alerts stay
// in order on one partition. Asynchronous: the pipeline acknowledges an
// alert's source position only when its delivery report says it is stored.
//
// Thread-safety: WriteAsync() from one worker at a time per sink instance is
// not required; the producer is thread-safe.
#pragma once

#include <memory>
#include <string>

#include "core/log_throttle.h"
#include "sinks/kafka_producer.h"
#include "sinks/sink.h"

namespace loghunt {

class KafkaSink : public AlertSink {
 public:
  // nullptr + *error when the producer cannot be created.
  static std::unique_ptr<KafkaSink> Create(const KafkaProperties& properties, std::string topic,
                                           AlertFormat format, std::string* error);

  std::string_view name() const override { return "kafka"; }
  bool async() const override { return true; }
  // Synchronous form: produces and waits for the delivery report.
  bool Write(const Alert& alert) override;
  bool WriteAsync(const Alert& alert, DeliveryCallback done) override;
  bool Flush() override;
  bool FlushWithin(int timeout_ms) override;
  void Interrupt() override { producer_->Interrupt(); }
  void Close() override { producer_->Close(); }
  bool WaitForRoom(int timeout_ms) override { return producer_->WaitForRoom(timeout_ms); }
  size_t queue_depth() const override { return producer_->outstanding(); }
  uint64_t delivery_failures() const override { return producer_->failed(); }
  uint64_t retries() const override { return producer_->retries(); }

  const KafkaProducer& producer() const { return *producer_; }

 private:
  static constexpr int kFlushTimeoutMs = 30'000;
  KafkaSink() = default;
  std::unique_ptr<KafkaProducer> producer_;
  std::string topic_;
  AlertFormat format_ = AlertFormat::kJson;
  LogThrottle refused_log_;
};

}  // namespace loghunt
