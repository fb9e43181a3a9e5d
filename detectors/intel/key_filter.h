// KeyFilter: a split-block Bloom filter over 64-bit key hashes, put in front
// of the indicator store's hash maps so that a lookup of a value no feed
// lists (nearly every lookup) costs one cache line of a small, hot bit array
// instead of one or two cache misses in maps of hundreds of thousands of
// entries.
//
// MayContain() is never false for an inserted hash; it is true for a hash
// never inserted with a probability of 0.03% to 0.55% (24 to 12 bits per key:
// the filter doubles when it holds more keys than 12 bits each allow, which
// the owner does by calling Resize() and inserting every key again).
//
// KeyHash() is the hash to insert and test with (the store's maps use it
// too): 16 bytes per 64x64->128-bit multiply, so a 64-digit hash takes four;
// not keyed, so not for keys an adversary chooses to collide (the stored keys
// come from the feeds).
//
// Thread-safety: const methods may be called from any number of threads once
// the filter is no longer modified.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace loghunt {

inline uint64_t KeyHashMix(uint64_t a, uint64_t b) {
  const unsigned __int128 m = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
}

inline uint64_t KeyHash(const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = KeyHashMix(n ^ 0x9E3779B97F4A7C15ull, 0xA0761D6478BD642Full);
  while (n >= 16) {  // two words per multiply (wyhash's step): 64-digit hashes in 4 steps
    uint64_t a, b;
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + 8, 8);
    h = KeyHashMix(a ^ 0xE7037ED1A0B428DBull, b ^ h);
    p += 16;
    n -= 16;
  }
  if (n > 0) {
    uint64_t a = 0, b = 0;
    std::memcpy(&a, p, n < 8 ? n : 8);
    if (n > 8) std::memcpy(&b, p + 8, n - 8);
    h = KeyHashMix(a ^ 0x8EBC6AF09C88C6E3ull, b ^ h);
  }
  return KeyHashMix(h ^ 0x589965CC75374CC3ull, 0xA0761D6478BD642Full);
}

inline uint64_t KeyHash(std::string_view key) { return KeyHash(key.data(), key.size()); }

class KeyFilter {
 public:
  // True when the filter holds more keys than it was sized for: the owner
  // should Resize(keys()) and insert every key again.
  bool Full() const { return keys_ + 1 > capacity_; }
  size_t keys() const { return keys_; }
  size_t bytes() const { return blocks_.size() * sizeof(Block); }

  // Clears the filter and sizes it for 2 * `keys` keys (at least 1024).
  void Resize(size_t keys) {
    const size_t want = keys < 512 ? 1024 : 2 * keys;
    blocks_.assign((want * kBitsPerKey + 255) / 256, Block{});
    capacity_ = blocks_.size() * 256 / kBitsPerKey;
    keys_ = 0;
  }

  void Insert(uint64_t hash) {
    if (blocks_.empty()) Resize(0);
    Block& b = blocks_[BlockIndex(hash)];
    const uint32_t h = static_cast<uint32_t>(hash);
    for (int i = 0; i < 8; ++i) b.words[i] |= Bit(h, i);
    ++keys_;
  }

  bool MayContain(uint64_t hash) const {
    if (blocks_.empty()) return false;
    const Block& b = blocks_[BlockIndex(hash)];
    const uint32_t h = static_cast<uint32_t>(hash);
    bool all = true;
    for (int i = 0; i < 8; ++i) all &= (b.words[i] & Bit(h, i)) != 0;
    return all;
  }

 private:
  static constexpr size_t kBitsPerKey = 12;
  struct alignas(32) Block {
    uint32_t words[8];
  };
  static constexpr uint32_t kSalts[8] = {0x47b6137bU, 0x44974d91U, 0x8824ad5bU, 0xa2b7289dU,
                                         0x705495c7U, 0x2df1424bU, 0x9efc4947U, 0x5c6bfb31U};
  static uint32_t Bit(uint32_t h, int i) { return 1u << ((h * kSalts[i]) >> 27); }
  size_t BlockIndex(uint64_t hash) const {
    return static_cast<size_t>(((hash >> 32) * blocks_.size()) >> 32);
  }

  std::vector<Block> blocks_;
  size_t keys_ = 0;
  size_t capacity_ = 0;  // keys at 12 bits each
};

}  // namespace loghunt
