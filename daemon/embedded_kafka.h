// EmbeddedKafka: librdkafka's in-process mock cluster, for the demo and for
// trying loghuntd without a broker (kafka.embedded.enabled). It creates every
// topic the config names (source topics, the alert sink's topic, the
// dead-letter topic) and produces the files of kafka.embedded.load into the
// first topic of their stream, keyed by host as production shippers do, so
// the daemon then runs the very same consumer-group code as in production.
//
// The mock cluster lives as long as this object. Not for production: it keeps
// everything in memory.
#pragma once

#include <memory>
#include <string>

#include "daemon/config.h"

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace loghunt {

class EmbeddedKafka {
 public:
  // nullptr + *error on failure.
  static std::unique_ptr<EmbeddedKafka> Start(const Config& config, std::string* error);
  ~EmbeddedKafka();

  const std::string& bootstrap_servers() const { return bootstraps_; }
  uint64_t loaded_messages() const { return loaded_; }
  // For tests that make the cluster fail requests
  // (rd_kafka_mock_push_request_errors and the like).
  rd_kafka_mock_cluster_s* mock_cluster() const { return cluster_; }

 private:
  EmbeddedKafka() = default;
  bool Load(const Config& config, std::string* error);

  rd_kafka_s* rk_ = nullptr;
  rd_kafka_mock_cluster_s* cluster_ = nullptr;
  std::string bootstraps_;
  uint64_t loaded_ = 0;
};

}  // namespace loghunt
