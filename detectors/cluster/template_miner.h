// TemplateMiner: an online, Drain-family log template miner. Each message is
// cut at whitespace, every token is masked (detectors/cluster/token_mask.h),
// and the message goes to the leaf keyed by its token count and its first
// `prefix_depth` masked tokens. In the leaf it joins the most similar pattern
// (share of the pattern's non-wildcard positions whose token equals the
// message's) if that share reaches `similarity`; the positions that differ
// then become wildcards. Otherwise it starts a new pattern.
//
// Beyond Drain: "key=value" tokens with the same key and different constant
// values ("user=root" / "user=guest") keep messages apart, until a leaf has
// seen `max_key_values` distinct values for that key at that position; then
// the key is a variable (a user name field, say) and the patterns it kept
// apart are merged (reported through on_merge).
//
// Pattern ids are derived from the template text (Fnv1a64, 16 hex digits), not
// from a counter, so the same template has the same id after a restart and on
// every daemon. A pattern's id changes when its template generalises.
//
// A token longer than kMaxTokenBytes is one variable token (a blob, never
// constant), so a template holds at most max_tokens tokens of at most
// 3 x kMaxTokenBytes bytes each (masking writes "<*>" for a part).
//
// Memory is bounded: at most `max_patterns` patterns; beyond it the least
// recently matched pattern is evicted (counted in evictions()). Pattern slots
// are reused after eviction: a slot index names a pattern only until the
// next Add() that reports `created`.
//
// Hot path: Add() allocates only when it creates or generalises a pattern;
// matching an existing pattern reuses the miner's scratch buffers.
//
// Thread-safety: none; a miner belongs to one worker.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace loghunt {

inline constexpr size_t kMaxTokenBytes = 256;

struct MinerOptions {
  // Share of a pattern's positions that must match (Drain's st).
  double similarity = 0.65;
  // Masked leading tokens that key the leaf (Drain's depth - 2).
  int prefix_depth = 2;
  size_t max_patterns = 100000;
  // A message of more tokens has the rest folded into its last (a variable
  // token); bounds per-message work.
  size_t max_tokens = 128;
  // Patterns per leaf (same length and prefix); beyond it the leaf's least
  // recently matched pattern is evicted, so matching cost stays bounded.
  size_t max_leaf_patterns = 512;
  // Distinct constant values of one key=value position before it counts as variable.
  size_t max_key_values = 4;
};

struct MinerMatch {
  uint32_t slot = 0;
  bool created = false;           // a new pattern (the slot's previous content is gone)
  bool template_changed = false;  // an existing pattern generalised; its id changed
};

class TemplateMiner {
 public:
  struct Pattern {
    uint64_t id = 0;            // Fnv1a64(template)
    std::string template_text;  // masked tokens joined by single spaces
    uint64_t count = 0;
    bool live = false;
    uint64_t serial = 0;     // creation order, unique per miner (survives slot reuse)
    uint64_t last_used = 0;  // tick of the last match
    // internal
    std::vector<uint64_t> token_hashes;
    std::vector<uint64_t> key_hashes;  // "key=" hash per token, 0 if none
    uint64_t leaf_key = 0;
    uint32_t lru_prev = kNone;
    uint32_t lru_next = kNone;
  };
  static constexpr uint32_t kNone = 0xffffffffu;

  explicit TemplateMiner(MinerOptions options = {});

  // Assigns `message` to a pattern. Tokens (or token parts) equal to one of
  // `known_values` (host name, user name) are masked too.
  MinerMatch Add(std::string_view message, std::span<const std::string_view> known_values = {});

  // Re-creates a pattern from its template text (from a snapshot). Returns
  // false (and changes nothing) when the text has no tokens. A template equal
  // to an existing pattern's adds its count to it.
  bool Restore(std::string_view template_text, uint64_t count, uint32_t* slot);

  const Pattern& pattern(uint32_t slot) const { return patterns_[slot]; }
  size_t slots() const { return patterns_.size(); }
  size_t size() const { return live_; }
  uint64_t evictions() const { return evictions_; }
  const MinerOptions& options() const { return options_; }
  // Called with the slot just before a pattern is evicted.
  void set_on_evict(std::function<void(uint32_t slot, const Pattern&)> f) {
    on_evict_ = std::move(f);
  }
  // Called when pattern `from` is merged into `into` (before `from` is freed).
  void set_on_merge(std::function<void(uint32_t from, uint32_t into)> f) {
    on_merge_ = std::move(f);
  }

  // Calls fn(slot, pattern) for every live pattern, least recently matched first.
  template <typename Fn>
  void ForEachLeastRecentFirst(Fn&& fn) const {
    for (uint32_t s = lru_tail_; s != kNone; s = patterns_[s].lru_prev) fn(s, patterns_[s]);
  }

  // The 16-hex-digit form of a pattern id.
  static std::string IdHex(uint64_t id);
  // Approximate heap bytes held (patterns, leaves, scratch).
  size_t MemoryBytes() const;

 private:
  void Tokenize(std::string_view message, std::span<const std::string_view> known);
  uint64_t LeafKey(std::span<const uint64_t> hashes) const;
  uint32_t NewSlot();
  void Evict(uint32_t slot);
  // REQUIRES: `slot` is linked (Touch) / not linked (LinkFront).
  void Touch(uint32_t slot);
  void LinkFront(uint32_t slot);
  void Unlink(uint32_t slot);
  struct KeyValues {
    uint32_t position;
    uint64_t key_hash;
    bool variable;
    std::vector<uint64_t> values;
  };
  struct Leaf {
    std::vector<uint32_t> slots;
    std::vector<KeyValues> keys;
  };

  void SetTemplate(Pattern& p, std::string text);
  uint32_t Insert(uint64_t leaf_key, std::string text, uint64_t count);
  void RemoveFromLeaf(uint32_t slot);
  bool KeyIsVariable(const Leaf& leaf, size_t position, uint64_t key_hash) const;
  // Share of `p`'s non-wildcard positions equal in `hashes`, or -1 when a
  // constant key=value differs.
  double Similarity(const Leaf& leaf, const Pattern& p, std::span<const uint64_t> hashes,
                    std::span<const uint64_t> key_hashes) const;
  // Generalises `p` so that it also covers `hashes`; true when it changed.
  bool Generalise(Pattern& p, std::span<const uint64_t> hashes);
  // Records the key values of new pattern `slot`; returns the slot the new
  // pattern ended in (another one when merging absorbed it).
  uint32_t NoteKeyValues(uint64_t leaf_key, uint32_t slot);
  void Merge(uint32_t from, uint32_t into);

  MinerOptions options_;
  std::vector<Pattern> patterns_;
  std::vector<uint32_t> free_slots_;
  std::unordered_map<uint64_t, Leaf> leaves_;
  uint32_t lru_head_ = kNone;  // most recent
  uint32_t lru_tail_ = kNone;  // least recent
  size_t live_ = 0;
  uint64_t next_serial_ = 0;
  uint64_t tick_ = 0;
  uint64_t evictions_ = 0;
  std::function<void(uint32_t, const Pattern&)> on_evict_;
  std::function<void(uint32_t, uint32_t)> on_merge_;
  // scratch
  std::vector<std::string_view> tokens_;
  std::vector<uint64_t> hashes_;
  std::vector<uint64_t> key_hashes_;
  std::vector<std::string_view> known_;
};

}  // namespace loghunt
