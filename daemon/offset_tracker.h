// OffsetTracker: the at-least-once bookkeeping of one Kafka partition.
//
// The worker that owns the partition reports every message it has finished
// (Processed) and every asynchronous delivery it started for an offset
// (AddPending: an alert handed to the Kafka sink, a dead letter). Delivery
// reports resolve them (Resolve, from the producer's thread). CommitOffset()
// is the offset to commit: every message below it is processed and every
// delivery for it finished. The producer retries transient failures for as
// long as it runs, so a delivery finishes undelivered only when the broker
// refuses it for good (counted and logged by the producer) or at shutdown,
// after the last commit.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>

namespace loghunt {

class OffsetTracker {
 public:
  void Processed(int64_t offset);
  void AddPending(int64_t offset);
  void Resolve(int64_t offset);
  // `parser_oldest` is StreamParser::OldestBufferedOffset() (-1 = none).
  // Returns -1 when nothing can be committed yet.
  int64_t CommitOffset(int64_t parser_oldest) const;
  size_t pending() const;
  // The lowest offset with a delivery outstanding, if any.
  std::optional<int64_t> OldestPending() const;

 private:
  mutable std::mutex mu_;
  int64_t next_ = -1;               // last processed offset + 1 (goes back on a rewind)
  std::map<int64_t, int> pending_;  // offset -> deliveries outstanding
};

}  // namespace loghunt
