#include "core/hash.h"

#include <cstdio>

namespace loghunt {

StableId& StableId::Add(std::string_view part) {
  char len[24];
  int n = std::snprintf(len, sizeof len, "%zu:", part.size());
  std::string_view prefix(len, static_cast<size_t>(n));
  a_ = Fnv1a64(part, Fnv1a64(prefix, a_));
  b_ = Fnv1a64(part, Fnv1a64(prefix, b_ ^ (a_ >> 17)));
  return *this;
}

StableId& StableId::Add(int64_t value) {
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(value));
  return Add(std::string_view(buf, static_cast<size_t>(n)));
}

std::string StableId::Hex() const {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(a_),
                static_cast<unsigned long long>(b_));
  return std::string(buf, 32);
}

}  // namespace loghunt
