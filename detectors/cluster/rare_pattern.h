// RarePatternDetector: streaming clustering of command lines and syslog
// messages, per (stream, host), with alerts for command-line patterns that
// are new or rare on a host.
//
// Every event with a command line (else, with a message) is assigned to a
// pattern by the host's TemplateMiner (host and user names of the event are
// masked too). Once the host is warmed up (`warmup_events` events or
// `warmup_seconds` of its own time, whichever comes first), a command-line
// pattern raises
//   loghunt.cluster.new_pattern  when it is first seen on the host, or
//   loghunt.cluster.rare_pattern when seen fewer than `rare_count` times in
//                                the current and previous `window_seconds`;
// with the parent process as context. The alert key is the pattern id, so
// suppression can aggregate per pattern. Message patterns alert only with
// `alert_on_messages`.
//
// State is bounded: `max_patterns_per_host` patterns per host (LRU),
// `max_hosts` hosts and `max_patterns_total` patterns in all (least recently
// seen hosts evicted); evictions are counted.
// With `snapshot_path` set, the state is restored from that file at
// construction (unless restore_snapshot is false), written at the first event after each
// `snapshot_interval_seconds` (steady clock) and when the detector is
// destroyed (shutdown, reload). A corrupt or unreadable snapshot is reported
// by snapshot_error() and ignored; a snapshot that cannot be written is
// reported to the error callback (set_error_callback), once per failure
// streak, and counted.
//
// Thread-safety: none; one instance per worker.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "detectors/cluster/cluster_snapshot.h"
#include "detectors/cluster/template_miner.h"
#include "detectors/detector.h"

namespace loghunt {

struct ClusterDetectorConfig {
  bool enabled = false;
  uint64_t warmup_events = 1000;
  int64_t warmup_seconds = 0;  // 0 = count events only
  uint32_t rare_count = 3;     // K
  int64_t window_seconds = 86400;
  size_t max_patterns_per_host = 10000;
  size_t max_hosts = 10000;
  // Patterns in all, over every host (355 bytes each by MemoryBytes() with
  // short templates, about 800 of RSS with real command lines; more with long
  // templates): beyond it the least recently seen hosts are forgotten. The
  // product of the two bounds above is 100 million patterns.
  size_t max_patterns_total = 1'000'000;
  bool alert_on_messages = false;
  std::string snapshot_path;  // "" = no persistence
  int64_t snapshot_interval_seconds = 300;
  // Not a config key: false when the state will come from the running
  // detector (a reload, TakeStateFrom), so the file is not read for nothing;
  // nor written before that (a reload abandoned would write an empty one).
  bool restore_snapshot = true;
};

struct ClusterDetectorStats {
  uint64_t events = 0;
  uint64_t new_patterns = 0;
  uint64_t pattern_evictions = 0;
  uint64_t host_evictions = 0;
  uint64_t snapshots_written = 0;
  uint64_t snapshot_errors = 0;
};

class RarePatternDetector : public Detector {
 public:
  explicit RarePatternDetector(ClusterDetectorConfig config);
  ~RarePatternDetector() override;
  std::string_view name() const override { return "cluster"; }
  void Inspect(const Event& event, std::vector<Alert>& alerts) override;
  // Moved as it is when it fits this detector's bounds with the same
  // patterns per host (constant time: through a snapshot, a million patterns
  // took seconds under the worker's lock); else through a snapshot, with this
  // detector's bounds applied. `old` then writes no snapshot at its end.
  void TakeStateFrom(Detector& old) override;

  // Writes the snapshot now (no-op without snapshot_path). False on error.
  bool SaveSnapshot();
  // The state as a snapshot / replaces the state with one.
  ClusterSnapshot Snapshot() const;
  void Restore(const ClusterSnapshot& snapshot);

  // Why the snapshot could not be restored or written ("" if it could).
  const std::string& snapshot_error() const { return snapshot_error_; }
  // Called with the reason when writing the snapshot fails after it worked
  // (or at the first failure); the daemon logs it.
  void set_error_callback(std::function<void(const std::string&)> callback) {
    on_error_ = std::move(callback);
  }
  ClusterDetectorStats stats() const;
  size_t hosts() const { return hosts_.size(); }
  size_t MemoryBytes() const;

 private:
  struct PatternState {
    int64_t window_start_ns = 0;
    uint32_t window_count = 0;
    uint32_t previous_count = 0;
    int64_t last_seen_ns = 0;
  };
  struct HostState {
    HostState(Stream s, std::string h, const MinerOptions& options);
    Stream stream;
    std::string host;
    TemplateMiner miner;
    std::vector<PatternState> patterns;  // by miner slot
    uint64_t events = 0;
    int64_t first_ns = 0;
    int64_t last_ns = 0;
    std::list<uint64_t>::iterator lru;  // its key's place in lru_
  };

  HostState& StateFor(Stream stream, std::string_view host);
  void CountWindow(PatternState& s, int64_t now_ns) const;
  uint32_t WindowCount(const PatternState& s) const;

  ClusterDetectorConfig config_;
  MinerOptions miner_options_;
  std::unordered_map<uint64_t, std::unique_ptr<HostState>> hosts_;
  // Keys of hosts_, least recently seen first: a touch moves one to the back,
  // eviction takes the front, both O(1) (a scan of every host per new host,
  // as before, made 100k spoofed host names 55 times slower).
  std::list<uint64_t> lru_;
  size_t total_patterns_ = 0;  // over all hosts
  void ForgetLeastRecentHost();
  ClusterDetectorStats stats_;
  std::string snapshot_error_;
  std::function<void(const std::string&)> on_error_;
  bool write_failing_ = false;  // the last write failed (reported already)
  std::chrono::steady_clock::time_point last_snapshot_;
  std::vector<std::string_view> known_;
};

}  // namespace loghunt
