// Arena: bump allocator for text that parsers and decoders create (unescaped
// JSON strings, hex-decoded arguments, joined command lines).
//
// Memory comes in blocks that are kept across Reset(), so a worker that resets
// its arena per batch allocates nothing in the steady state. Views returned by
// Copy()/Allocate() stay valid until the next Reset() or the arena's
// destruction; blocks never move.
//
// Thread-safety: none; one arena per worker.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace loghunt {

class Arena {
 public:
  explicit Arena(size_t block_size = 64 * 1024) : block_size_(block_size) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Returns `n` writable bytes (n may be 0). REQUIRES: n fits in memory.
  char* Allocate(size_t n) {
    if (n > remaining_) NewBlock(n);
    char* p = cursor_;
    cursor_ += n;
    remaining_ -= n;
    used_ += n;
    return p;
  }

  std::string_view Copy(std::string_view text) {
    char* p = Allocate(text.size());
    if (!text.empty()) std::memcpy(p, text.data(), text.size());
    return {p, text.size()};
  }

  // Gives back the unused tail of the most recent Allocate(n): after writing
  // `used` <= n bytes, call Shrink(n - used).
  void Shrink(size_t unused) {
    cursor_ -= unused;
    remaining_ += unused;
    used_ -= unused;
  }

  // Forgets every allocation; keeps the blocks (oversized ones are released).
  void Reset();

  size_t bytes_used() const { return used_; }
  size_t bytes_reserved() const { return reserved_; }

 private:
  struct Block {
    std::unique_ptr<char[]> data;
    size_t size;
  };
  void NewBlock(size_t at_least);

  size_t block_size_;
  std::vector<Block> blocks_;
  size_t next_block_ = 0;  // index of the next kept block to reuse
  char* cursor_ = nullptr;
  size_t remaining_ = 0;
  size_t used_ = 0;
  size_t reserved_ = 0;
};

}  // namespace loghunt
