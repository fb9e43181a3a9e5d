// Fuzz target: the cluster snapshot loader and the restore of a parsed
// snapshot into the rare-pattern detector. Contract: a corrupt snapshot is
// rejected or restored, never a crash and never unbounded allocation.
// Each input is used three times: as raw bytes; re-sealed with a valid
// checksum (so mutations reach the record parser, not only the checksum
// test); and as the text of a valid snapshot that is then damaged at an
// input-chosen byte and re-sealed (so text seeds exercise real structure).
#include <cstdint>
#include <string>
#include <string_view>

#include "core/hash.h"
#include "detectors/cluster/cluster_snapshot.h"
#include "detectors/cluster/rare_pattern.h"

namespace {

void Reseal(std::string* bytes) {
  uint64_t sum = loghunt::Fnv1a64(*bytes);
  for (int i = 0; i < 8; ++i) bytes->push_back(static_cast<char>((sum >> (8 * i)) & 0xff));
}

void RestoreIfValid(std::string_view bytes) {
  loghunt::ClusterSnapshot snapshot;
  std::string error;
  if (!loghunt::ParseClusterSnapshot(bytes, &snapshot, &error)) return;
  loghunt::ClusterDetectorConfig config;
  config.enabled = true;
  config.max_patterns_per_host = 64;
  config.max_hosts = 16;
  loghunt::RarePatternDetector detector(config);
  detector.Restore(snapshot);
  std::string again;
  loghunt::SerializeClusterSnapshot(detector.Snapshot(), &again);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  RestoreIfValid(input);

  std::string sealed(input.substr(0, input.size() >= 8 ? input.size() - 8 : 0));
  if (sealed.rfind("LHCLSNAP", 0) != 0) sealed.insert(0, "LHCLSNAP");
  Reseal(&sealed);
  RestoreIfValid(sealed);

  // A structurally valid snapshot built from the input's lines, then damaged.
  loghunt::ClusterSnapshot built;
  size_t start = 0;
  while (start < input.size() && built.hosts.size() < 4) {
    size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    std::string_view line = input.substr(start, end - start);
    built.hosts.push_back({static_cast<uint8_t>(line.size() % 4),
                           std::string(line.substr(0, 16)),
                           line.size(),
                           1,
                           2,
                           {{std::string(line), 3, 4, 5, 6, 7}}});
    start = end + 1;
  }
  std::string bytes;
  loghunt::SerializeClusterSnapshot(built, &bytes);
  bytes.resize(bytes.size() - 8);
  if (size >= 3 && bytes.size() > 12) {
    size_t at = 12 + (static_cast<size_t>(data[0]) << 8 | data[1]) % (bytes.size() - 12);
    bytes[at] = static_cast<char>(data[2]);
  }
  Reseal(&bytes);
  RestoreIfValid(bytes);
  return 0;
}
