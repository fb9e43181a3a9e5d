// `loghuntd tree --stream S --host H --pid P [--guid G] FILE`: replays FILE
// through the stream's parser into a ProcessTable (detectors/context) and
// prints the process tree around one process: its ancestors (oldest first),
// the process itself (marked "=>"), and its descendants down to
// `child_depth` levels. One line per process:
//
//   <indent>[pid N] IMAGE  TIME  COMMAND LINE
//
// When several processes on the host had that pid, the latest one is shown
// (or the one with --guid). Exit codes as in daemon/commands.h: 0 shown,
// 1 unreadable input or process not found, 2 bad usage (unknown stream).
#pragma once

#include <cstdint>
#include <string>

namespace loghunt {

struct TreeCommandOptions {
  std::string stream;
  std::string host;
  int64_t pid = -1;
  std::string guid;
  std::string input = "-";
  int ancestor_depth = 16;
  int child_depth = 4;
};

int RunTree(const TreeCommandOptions& options);

}  // namespace loghunt
