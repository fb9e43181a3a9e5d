// `loghuntd cluster`: assigns every line of a file to a template pattern with
// the same miner the rare-pattern detector uses (detectors/cluster/), so that
// grouping can be checked offline, e.g. against the Loghub ground truth with
// ../shared/tools/loghub_eval.py.
//
//   --format loghub : CSV `LineId,EventId,EventTemplate`, one row per line, in
//                     line order; EventId/EventTemplate are the line's pattern
//                     at the end of the input (templates generalise as lines
//                     arrive).
//   --format summary: (default) one row per pattern, most frequent first:
//                     `count<TAB>id<TAB>template`.
//   --log-format    : the lines' header layout (detectors/cluster/log_format.h);
//                     the <Content> field is clustered, or the whole line when
//                     a line does not match.
// Exit codes as in daemon/commands.h (2 = usage, 1 = unreadable input).
#pragma once

#include <cstddef>
#include <string>

namespace loghunt {

struct ClusterOptions {
  std::string input = "-";
  std::string format = "summary";  // summary | loghub
  std::string log_format;          // "" = the whole line is the message
  size_t max_patterns = 1'000'000;
};

int RunCluster(const ClusterOptions& options);

}  // namespace loghunt
