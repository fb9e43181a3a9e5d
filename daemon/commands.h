// The loghuntd subcommands. Each returns the process exit code:
// 0 success, 1 runtime failure (unreadable input, sink failure), 2 bad config
// or usage.
#pragma once

#include <string>

namespace loghunt {

struct ReplayOptions {
  std::string stream;
  std::string config_path;  // "" = built-in defaults
  std::string input = "-";
  bool events = false;
};

int RunReplay(const ReplayOptions& options);
int RunCheckConfig(const std::string& path);
int RunDaemon(const std::string& config_path);

}  // namespace loghunt
