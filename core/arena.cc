#include "core/arena.h"

#include <algorithm>

namespace loghunt {

void Arena::NewBlock(size_t at_least) {
  // Reuse a kept block when it is large enough; blocks are scanned in order so
  // a Reset() arena refills the same memory.
  while (next_block_ < blocks_.size()) {
    Block& b = blocks_[next_block_++];
    if (b.size >= at_least) {
      cursor_ = b.data.get();
      remaining_ = b.size;
      return;
    }
  }
  size_t size = std::max(block_size_, at_least);
  blocks_.push_back({std::make_unique<char[]>(size), size});
  next_block_ = blocks_.size();
  reserved_ += size;
  cursor_ = blocks_.back().data.get();
  remaining_ = size;
}

void Arena::Reset() {
  // Oversized blocks (one huge message) are released so one outlier does not
  // pin memory for the life of the worker.
  std::erase_if(blocks_, [this](const Block& b) {
    if (b.size > block_size_) {
      reserved_ -= b.size;
      return true;
    }
    return false;
  });
  next_block_ = 0;
  cursor_ = nullptr;
  remaining_ = 0;
  used_ = 0;
}

}  // namespace loghunt
