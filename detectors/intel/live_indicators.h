// LiveIndicatorStore: the indicators of one streamed feed (a Kafka topic,
// docs/intel.md "Kafka feeds"), which change while the daemon runs, matched
// with the same semantics as IndicatorStore (exact IP then networks, most
// specific first; domain then its parents; URL; hash) and judged expired at
// the caller's `now_ns` (the event's time).
//
// One indicator per (type, normalized value): Upsert replaces it (new
// confidence, description, expiry), Remove drops it. Memory is bounded:
// beyond `max_indicators` the least recently upserted indicator is evicted
// (counted); DropExpired frees indicators expired before a time.
//
// Thread-safety: every method may be called from any thread. Updates take an
// exclusive lock (one writer: the feed's consumer); lookups take a shared
// lock, or none while the store is empty, and copy the hit out, so nothing a
// lookup returns refers into the store.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <list>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "detectors/intel/indicator_store.h"

namespace loghunt {

struct LiveIndicatorOptions {
  size_t max_indicators = 1'000'000;
};

struct LiveIndicatorStats {
  uint64_t added = 0;    // new (type, value)
  uint64_t updated = 0;  // replaced an indicator with the same (type, value)
  uint64_t removed = 0;  // Remove() of a present indicator
  uint64_t evicted = 0;  // dropped to stay within max_indicators
  uint64_t expired = 0;  // dropped by DropExpired
  uint64_t invalid = 0;  // values that are not indicators of their type
  size_t size = 0;
};

class LiveIndicatorStore {
 public:
  explicit LiveIndicatorStore(std::string feed, LiveIndicatorOptions options = {});

  const std::string& feed() const { return feed_; }
  const LiveIndicatorOptions& options() const { return options_; }

  // Adds or replaces the indicator (type, value). false (counted as invalid)
  // when `value` is not a valid value of `type`.
  bool Upsert(IndicatorType type, std::string_view value, uint8_t confidence,
              std::string_view description, int64_t expires_ns, int64_t valid_from_ns = 0);
  // Drops the indicator (type, value); false when there was none.
  bool Remove(IndicatorType type, std::string_view value);
  // Drops every indicator whose expiry is before `before_ns`; returns how many.
  size_t DropExpired(int64_t before_ns);

  // Lookups: true and *out = a copy of the indicator (out->feed = 0) when one
  // matches and is valid at `now_ns` (Indicator::ValidAt).
  bool MatchIp(std::string_view ip, int64_t now_ns, Indicator* out) const;
  bool MatchDomain(std::string_view domain, int64_t now_ns, Indicator* out) const;
  bool MatchUrl(std::string_view url, int64_t now_ns, Indicator* out) const;
  bool MatchHash(std::string_view hex, int64_t now_ns, Indicator* out) const;

  size_t size() const { return size_.load(std::memory_order_relaxed); }
  LiveIndicatorStats stats() const;

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Entry {
    Indicator indicator;
    std::list<const std::string*>::iterator order;
  };
  using Map = std::unordered_map<std::string, Entry, StringHash, std::equal_to<>>;

  // The map key of (type, value): a type tag then the normalized value
  // (IP/network bytes); nullopt when not a valid indicator.
  static std::optional<std::string> Key(IndicatorType type, std::string_view value);
  bool Find(std::string_view key, int64_t now_ns, Indicator* out) const;  // REQUIRES: mu_ shared
  void Erase(Map::iterator it);                                           // REQUIRES: mu_ exclusive

  const std::string feed_;
  const LiveIndicatorOptions options_;
  mutable std::shared_mutex mu_;
  Map map_;
  std::list<const std::string*> order_;     // keys of map_, least recently upserted first
  std::array<uint32_t, 129> net_counts_{};  // networks per prefix length (over 16 bytes)
  std::vector<uint8_t> net_lengths_;        // lengths with networks, longest first
  std::atomic<size_t> size_{0};
  LiveIndicatorStats stats_;  // guarded by mu_ (size filled in by stats())
};

// How one message of an indicator topic changed a LiveIndicatorStore.
struct IndicatorMessageReport {
  size_t upserted = 0;
  size_t removed = 0;
  size_t invalid = 0;  // indicators that are not valid values, unsupported patterns
};

// Applies one message of an indicator topic to `store` (format in
// docs/intel.md "Kafka feeds"):
//   {"type": "ip|network|domain|url|hash|md5|...", "value": "...",
//    "confidence": 0..100, "description": "...", "valid_until": RFC 3339,
//    "revoked": false}                           one indicator
//   a STIX 2.1 "indicator" object, or a "bundle" of them (pattern as the stix
//    file format; valid_until, confidence, description/name, revoked)
//   a null value (Kafka tombstone) with key "type:value"   removal
// "revoked": true (or "action": "remove") removes instead of upserting.
// `default_confidence` applies when the message gives none.
// false + *error when the message is not JSON or not one of these shapes.
bool ApplyIndicatorMessage(std::string_view key, const char* value, size_t value_size,
                           uint8_t default_confidence, LiveIndicatorStore* store,
                           IndicatorMessageReport* report, std::string* error);

}  // namespace loghunt
