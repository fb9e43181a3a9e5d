// Shared by the IoC scan tests: the indicators of an extraction (all, or
// all but paths) as comparable strings ("type value @offset class[ defanged]").
#pragma once

#include <string>
#include <vector>

#include "detectors/ioc/ioc_extractor.h"

namespace loghunt {

inline std::vector<std::string> Describe(const std::vector<Ioc>& iocs, bool with_paths) {
  std::vector<std::string> out;
  for (const Ioc& i : iocs) {
    if (!with_paths && (i.type == IocType::kWindowsPath || i.type == IocType::kLinuxPath)) {
      continue;
    }
    out.push_back(std::string(IocTypeName(i.type)) + " " + std::string(i.value) + " @" +
                  std::to_string(i.offset) + " " + std::string(IpClassName(i.ip_class)) +
                  (i.defanged ? " defanged" : ""));
  }
  return out;
}

inline std::vector<std::string> DescribeNonPath(const std::vector<Ioc>& iocs) {
  return Describe(iocs, false);
}

}  // namespace loghunt
