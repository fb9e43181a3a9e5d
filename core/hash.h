// Stable, non-cryptographic hashes for ids that must be the same on every
// daemon and after every restart (alert ids, entity ids, pattern ids). The
// algorithm is part of the output format: changing it changes every id.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace loghunt {

// 64-bit FNV-1a, continuing from `seed` (the FNV offset basis by default).
constexpr uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ULL;
inline uint64_t Fnv1a64(std::string_view data, uint64_t seed = kFnvOffsetBasis) {
  uint64_t h = seed;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// Builds a 128-bit id from a sequence of parts; parts are length-prefixed so
// ("ab","c") and ("a","bc") differ. Hex() gives 32 lowercase hex digits.
class StableId {
 public:
  StableId& Add(std::string_view part);
  StableId& Add(int64_t value);
  std::string Hex() const;

 private:
  uint64_t a_ = kFnvOffsetBasis;
  uint64_t b_ = 0x84222325cbf29ce4ULL;
};

}  // namespace loghunt
