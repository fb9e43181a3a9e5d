// Shared by the IoC scan tests: the non-path indicators of an extraction as
// comparable strings ("type value @offset class[ defanged]").
#pragma once

#include <string>
#include <vector>

#include "detectors/ioc/ioc_extractor.h"

namespace loghunt {

inline std::vector<std::string> DescribeNonPath(const std::vector<Ioc>& iocs) {
  std::vector<std::string> out;
  for (const Ioc& i : iocs) {
    if (i.type == IocType::kWindowsPath || i.type == IocType::kLinuxPath) continue;
    out.push_back(std::string(IocTypeName(i.type)) + " " + std::string(i.value) + " @" +
                  std::to_string(i.offset) + " " + std::string(IpClassName(i.ip_class)) +
                  (i.defanged ? " defanged" : ""));
  }
  return out;
}

}  // namespace loghunt
