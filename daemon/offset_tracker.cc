#include "daemon/offset_tracker.h"

#include <algorithm>

namespace loghunt {

void OffsetTracker::Processed(int64_t offset) {
  std::lock_guard lock(mu_);
  // The last message processed, not the highest: when earlier offsets come
  // again (fetched anew after messages of an older assignment of the
  // partition were still processed), the commit must go back with them.
  next_ = offset + 1;
}

void OffsetTracker::AddPending(int64_t offset) {
  std::lock_guard lock(mu_);
  ++pending_[offset];
}

void OffsetTracker::Resolve(int64_t offset) {
  std::lock_guard lock(mu_);
  auto it = pending_.find(offset);
  if (it != pending_.end() && --it->second == 0) pending_.erase(it);
}

int64_t OffsetTracker::CommitOffset(int64_t parser_oldest) const {
  std::lock_guard lock(mu_);
  if (next_ < 0) return -1;
  int64_t commit = next_;
  if (!pending_.empty()) commit = std::min(commit, pending_.begin()->first);
  if (parser_oldest >= 0) commit = std::min(commit, parser_oldest);
  return commit;
}

size_t OffsetTracker::pending() const {
  std::lock_guard lock(mu_);
  return pending_.size();
}

std::optional<int64_t> OffsetTracker::OldestPending() const {
  std::lock_guard lock(mu_);
  if (pending_.empty()) return std::nullopt;
  return pending_.begin()->first;
}

}  // namespace loghunt
