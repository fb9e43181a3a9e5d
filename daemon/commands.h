// The loghuntd subcommands. Each returns the process exit code:
// 0 success, 1 runtime failure (unreadable input, sink failure), 2 bad config
// or usage.
#pragma once

#include <cstdint>
#include <string>

namespace loghunt {

struct ReplayOptions {
  std::string stream;
  std::string config_path;  // "" = built-in defaults
  std::string input = "-";
  bool events = false;
  // Each line is "TOPIC<TAB>PARTITION<TAB>OFFSET<TAB>MESSAGE" (a dump of a
  // Kafka topic): messages keep their Kafka positions, and each partition gets
  // its own parser, as in the daemon, so alert ids equal the daemon's.
  bool positioned = false;
  // Serve Prometheus metrics here during the replay ("host:port"; "" = no).
  std::string metrics_listen;
};

int RunReplay(const ReplayOptions& options);
int RunCheckConfig(const std::string& path);
struct RunOptions {
  std::string config_path;
  // With Kafka: stop once no message arrived for this long and every assigned
  // partition is consumed to its end (demos, tests). 0 = run until SIGTERM.
  int64_t idle_exit_ms = 0;
};

int RunDaemon(const RunOptions& options);

}  // namespace loghunt
