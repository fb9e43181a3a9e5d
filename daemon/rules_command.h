// `loghuntd rules check DIR...`: loads Sigma rules the way the daemon does and
// reports what loaded and what was rejected (file, id, reason).
#pragma once

#include <string>
#include <vector>

namespace loghunt {

struct RulesCheckOptions {
  std::vector<std::string> paths;  // rule files or directories
  std::string mapping_file;        // "" = built-in conf/sigma-mappings.yaml only
};

// Prints "loaded N of M rules (P%)" and one "FILE: ID: reason" line per
// rejected rule on stdout. Returns 0 when every rule loaded, 1 when any was
// rejected, 2 when nothing could be loaded (bad path, bad mapping file).
int RunRulesCheck(const RulesCheckOptions& options);

}  // namespace loghunt
