// KafkaSource::ReloadDetectors (SIGHUP) on librdkafka's mock cluster: the
// cluster detector's learned hosts and patterns survive a reload, with and
// without snapshot_path. Before the fix the new detector sets were built
// first and restored a snapshot that was stale or missing, and the old sets
// wrote theirs only when destroyed, after the swap: commands seen before the
// reload raised loghunt.cluster.new_pattern again after it (5 of 5 here).
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "daemon/config.h"
#include "daemon/embedded_kafka.h"
#include "daemon/kafka_source.h"
#include "tests/daemon/kafka_source_test_support.h"

namespace loghunt {
namespace {

const std::vector<std::string> kSudoLines = {
    "<86>Nov 29 10:00:00 host1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
    "COMMAND=/usr/bin/id -u",
    "<86>Nov 29 10:00:01 host1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
    "COMMAND=/usr/bin/systemctl restart nginx",
    "<86>Nov 29 10:00:02 host1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
    "COMMAND=/usr/bin/cat /etc/shadow",
    "<86>Nov 29 10:00:03 host1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
    "COMMAND=/usr/sbin/useradd -m backup",
    "<86>Nov 29 10:00:04 host1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
    "COMMAND=/usr/bin/tar czf /tmp/home.tgz /home",
};

// Counts the cluster detector's new-pattern alerts.
class NewPatternSink : public AlertSink {
 public:
  std::string_view name() const override { return "new-patterns"; }
  bool Write(const Alert& alert) override {
    if (alert.rule.id == "loghunt.cluster.new_pattern") ++new_patterns;
    return true;
  }
  std::atomic<uint64_t> new_patterns{0};
};

void Produce(const std::string& brokers, const std::vector<std::string>& lines) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  ASSERT_EQ(rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), err, sizeof err),
            RD_KAFKA_CONF_OK);
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  ASSERT_NE(producer, nullptr) << err;
  for (const std::string& line : lines) {
    EXPECT_EQ(rd_kafka_producev(producer, RD_KAFKA_V_TOPIC("syslog"),
                                RD_KAFKA_V_VALUE(const_cast<char*>(line.data()), line.size()),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  EXPECT_EQ(rd_kafka_flush(producer, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_destroy(producer);
}

// Consumes the sudo lines, reloads the detectors, consumes the same lines
// again: none may be new the second time.
void CheckReloadKeepsClusterState(const std::string& name, bool with_snapshot) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("loghunt-reload-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(dir / "sudo.log");
    for (const std::string& line : kSudoLines) out << line << '\n';
  }
  std::string yaml =
      "metrics: {listen: \"\"}\n"
      "kafka:\n"
      "  group_id: reload-" +
      name +
      "\n"
      "  topics: {syslog: [syslog]}\n"
      "  commit_interval_ms: 200\n"
      "  workers: 1\n"
      "  embedded:\n"
      "    enabled: true\n"
      "    partitions: 1\n"
      "    load:\n"
      "      - {stream: syslog, path: " +
      (dir / "sudo.log").string() +
      "}\n"
      "detectors:\n"
      "  risky_command: {enabled: false}\n"
      "  ioc: {enabled: false}\n"
      "  cluster:\n"
      "    enabled: true\n"
      "    warmup_events: 0\n"
      "    rare_count: 1\n";
  if (with_snapshot) {
    yaml += "    snapshot_path: " + (dir / "snap.bin").string() +
            "\n"
            "    snapshot_interval_seconds: 86400\n";
  }
  Config config;
  std::vector<std::string> errors;
  ASSERT_TRUE(LoadConfigText(yaml, name + ".yaml", &config, &errors))
      << (errors.empty() ? "" : errors.front());
  std::string error;
  auto cluster = EmbeddedKafka::Start(config, &error);
  ASSERT_NE(cluster, nullptr) << error;
  config.kafka.brokers = cluster->bootstrap_servers();

  NewPatternSink sink;
  KafkaSource source(config, {&sink}, nullptr, nullptr);
  ASSERT_TRUE(source.Open(&error)) << error;
  RunningSource running(source);

  const uint64_t n = kSudoLines.size();
  ASSERT_TRUE(WaitFor([&] { return source.Stats().pipeline.messages >= n; }));
  const uint64_t learned = sink.new_patterns;
  ASSERT_EQ(learned, n) << "each command is a new pattern on first sight";

  // A reload reads the config again (here: the same one).
  ASSERT_TRUE(source.ReloadDetectors(config, &error)) << error;
  Produce(config.kafka.brokers, kSudoLines);
  ASSERT_TRUE(WaitFor([&] { return source.Stats().pipeline.messages >= 2 * n; }));
  EXPECT_EQ(sink.new_patterns, learned)
      << "commands learned before the reload were new again after it";

  running.Stop();
  std::filesystem::remove_all(dir);
}

TEST(KafkaSourceReload, KeepsTheClusterStateWithoutSnapshotPath) {
  CheckReloadKeepsClusterState("memory", /*with_snapshot=*/false);
}

TEST(KafkaSourceReload, KeepsTheClusterStateWithSnapshotPath) {
  CheckReloadKeepsClusterState("snapshot", /*with_snapshot=*/true);
}

}  // namespace
}  // namespace loghunt
