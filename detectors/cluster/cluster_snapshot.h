// ClusterSnapshot: the rare-pattern detector's per-host state as bytes, so a
// restart does not re-alert on known patterns.
//
// Format (version 1, integers little-endian):
//   "LHCLSNAP" u32 version  u32 host_count
//   per host:    u8 stream  str host  u64 events  i64 first_ns  i64 last_ns  u32 patterns
//   per pattern: str template  u64 count  i64 window_start_ns  u32 window_count
//                u32 previous_count  i64 last_seen_ns
//   u64 Fnv1a64 of every byte before it
// (str = u32 length + bytes). Patterns are listed least recently seen first.
//
// ParseClusterSnapshot never trusts the input: it checks the checksum, every
// length against the bytes left and fixed limits, and returns false with a
// reason on anything malformed (a corrupt snapshot is reported and ignored).
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loghunt {

struct PatternSnapshot {
  std::string template_text;
  uint64_t count = 0;
  int64_t window_start_ns = 0;
  uint32_t window_count = 0;
  uint32_t previous_count = 0;
  int64_t last_seen_ns = 0;
};

struct HostSnapshot {
  uint8_t stream = 0;
  std::string host;
  uint64_t events = 0;
  int64_t first_ns = 0;
  int64_t last_ns = 0;
  std::vector<PatternSnapshot> patterns;
};

struct ClusterSnapshot {
  std::vector<HostSnapshot> hosts;
};

void SerializeClusterSnapshot(const ClusterSnapshot& snapshot, std::string* out);
bool ParseClusterSnapshot(std::string_view bytes, ClusterSnapshot* snapshot, std::string* error);

}  // namespace loghunt
