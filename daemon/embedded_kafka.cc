#include "daemon/embedded_kafka.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <set>

#include "daemon/kafka_source.h"
#include "daemon/line_reader.h"
#include "parsers/parser.h"
#include "sinks/kafka_conf.h"
#include "sinks/kafka_producer.h"

namespace loghunt {
namespace {

// Remembers the host of the last event a parser produced (the message key).
class HostCapture : public EventHandler {
 public:
  void OnEvent(const Event& e) override { host.assign(e.host); }
  void OnError(ParseError, std::string_view, const SourcePosition&) override {}
  std::string host;
};

}  // namespace

std::unique_ptr<EmbeddedKafka> EmbeddedKafka::Start(const Config& config, std::string* error) {
  std::unique_ptr<EmbeddedKafka> k(new EmbeddedKafka());
  char errstr[512];
  rd_kafka_conf_t* conf = NewKafkaConf();
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
  k->rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (k->rk_ == nullptr) {
    *error = std::string("embedded kafka: ") + errstr;
    return nullptr;
  }
  k->cluster_ = rd_kafka_mock_cluster_new(k->rk_, 1);
  if (k->cluster_ == nullptr) {
    *error = "embedded kafka: cannot create the mock cluster";
    return nullptr;
  }
  k->bootstraps_ = rd_kafka_mock_cluster_bootstraps(k->cluster_);
  std::set<std::string> topics;
  for (const auto& list : config.kafka.topics) topics.insert(list.begin(), list.end());
  for (const auto& sink : config.sinks) {
    if (sink.type == "kafka") topics.insert(sink.topic);
  }
  if (!config.kafka.dead_letter_topic.empty()) topics.insert(config.kafka.dead_letter_topic);
  for (const auto& t : topics) {
    rd_kafka_resp_err_t err =
        rd_kafka_mock_topic_create(k->cluster_, t.c_str(), config.kafka.embedded_partitions, 1);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      *error = "embedded kafka: create topic " + t + ": " + rd_kafka_err2str(err);
      return nullptr;
    }
  }
  spdlog::info("embedded kafka at {} with {} topic(s) of {} partitions", k->bootstraps_,
               topics.size(), config.kafka.embedded_partitions);
  if (!k->Load(config, error)) return nullptr;
  return k;
}

bool EmbeddedKafka::Load(const Config& config, std::string* error) {
  if (config.kafka.embedded_load.empty()) return true;
  KafkaConfig kc = config.kafka;
  kc.brokers = bootstraps_;
  auto producer = KafkaProducer::Create(CommonKafkaProperties(kc), error);
  if (!producer) return false;
  for (const InputConfig& input : config.kafka.embedded_load) {
    const auto& topics = config.kafka.topics[static_cast<size_t>(input.stream)];
    if (topics.empty()) {
      *error = "kafka.embedded.load: no topic configured for stream " +
               std::string(StreamName(input.stream));
      return false;
    }
    FILE* f = std::fopen(input.path.c_str(), "rb");
    if (f == nullptr) {
      *error = "kafka.embedded.load: cannot read " + input.path;
      return false;
    }
    auto parser = MakeParser(input.stream, config.parser);
    HostCapture capture;
    LineReader reader(f, config.max_message_bytes);
    std::string_view line;
    bool too_long;
    while (reader.Next(&line, &too_long)) {
      capture.host.clear();
      parser->Parse(line, {}, capture);
      // Records without a host (raw auditd) stay together under the file's name.
      std::string key = capture.host.empty() ? input.path : capture.host;
      if (producer->Produce(topics.front(), key, line, {}, nullptr)) ++loaded_;
    }
    std::fclose(f);
  }
  if (!producer->Flush(30'000)) {
    *error = "embedded kafka: loading the samples timed out";
    return false;
  }
  spdlog::info("embedded kafka: loaded {} message(s)", loaded_);
  return true;
}

EmbeddedKafka::~EmbeddedKafka() {
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
  if (rk_ != nullptr) rd_kafka_destroy(rk_);
}

}  // namespace loghunt
