#include "detectors/cluster/template_miner.h"

#include <algorithm>
#include <cstdio>

#include "core/hash.h"
#include "detectors/cluster/token_mask.h"

namespace loghunt {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

// Splits a template's text back into its tokens.
template <typename Fn>
void ForEachTemplateToken(std::string_view text, Fn&& fn) {
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsSpace(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !IsSpace(text[i])) ++i;
    if (i > start) fn(text.substr(start, i - start));
  }
}

}  // namespace

TemplateMiner::TemplateMiner(MinerOptions options) : options_(options) {
  if (options_.max_patterns == 0) options_.max_patterns = 1;
  if (options_.max_tokens < 2) options_.max_tokens = 2;
  if (options_.prefix_depth < 0) options_.prefix_depth = 0;
  if (options_.max_key_values < 2) options_.max_key_values = 2;
}

std::string TemplateMiner::IdHex(uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(id));
  return std::string(buf, 16);
}

void TemplateMiner::Tokenize(std::string_view message, std::span<const std::string_view> known) {
  tokens_.clear();
  hashes_.clear();
  key_hashes_.clear();
  size_t i = 0;
  while (i < message.size()) {
    while (i < message.size() && IsSpace(message[i])) ++i;
    if (i == message.size()) break;
    size_t start = i;
    while (i < message.size() && !IsSpace(message[i])) ++i;
    size_t next = i;
    while (next < message.size() && IsSpace(message[next])) ++next;
    if (tokens_.size() + 1 == options_.max_tokens && next < message.size()) {
      // The tail of an overlong message (more than max_tokens tokens) is one
      // variable token.
      tokens_.push_back(message.substr(start));
      hashes_.push_back(WildcardTokenHash());
      key_hashes_.push_back(0);
      return;
    }
    std::string_view token = message.substr(start, i - start);
    if (token.size() > kMaxTokenBytes) {
      // Variable, and masking it part by part could make the template longer
      // than the message (each digit of "5/5/5/..." becomes "<*>").
      tokens_.push_back(token);
      hashes_.push_back(WildcardTokenHash());
      key_hashes_.push_back(0);
      continue;
    }
    uint64_t key_hash;
    tokens_.push_back(token);
    hashes_.push_back(MaskedTokenHash(token, known, &key_hash));
    key_hashes_.push_back(key_hash);
  }
}

uint64_t TemplateMiner::LeafKey(std::span<const uint64_t> hashes) const {
  uint64_t key = 0x9e3779b97f4a7c15ULL ^ hashes.size();
  size_t depth = std::min(hashes.size(), static_cast<size_t>(options_.prefix_depth));
  for (size_t i = 0; i < depth; ++i) {
    key = (key ^ hashes[i]) * 0x100000001b3ULL;
    key ^= key >> 29;
  }
  return key;
}

void TemplateMiner::Unlink(uint32_t slot) {
  Pattern& p = patterns_[slot];
  if (p.lru_prev != kNone) {
    patterns_[p.lru_prev].lru_next = p.lru_next;
  } else {
    lru_head_ = p.lru_next;
  }
  if (p.lru_next != kNone) {
    patterns_[p.lru_next].lru_prev = p.lru_prev;
  } else {
    lru_tail_ = p.lru_prev;
  }
  p.lru_prev = p.lru_next = kNone;
}

void TemplateMiner::LinkFront(uint32_t slot) {
  Pattern& p = patterns_[slot];
  p.last_used = ++tick_;
  p.lru_prev = kNone;
  p.lru_next = lru_head_;
  if (lru_head_ != kNone) patterns_[lru_head_].lru_prev = slot;
  lru_head_ = slot;
  if (lru_tail_ == kNone) lru_tail_ = slot;
}

void TemplateMiner::Touch(uint32_t slot) {
  patterns_[slot].last_used = ++tick_;
  if (lru_head_ == slot) return;
  Unlink(slot);
  LinkFront(slot);
}

void TemplateMiner::RemoveFromLeaf(uint32_t slot) {
  Pattern& p = patterns_[slot];
  auto it = leaves_.find(p.leaf_key);
  if (it != leaves_.end()) {
    auto& v = it->second.slots;
    auto pos = std::find(v.begin(), v.end(), slot);
    if (pos != v.end()) {
      *pos = v.back();
      v.pop_back();
    }
    if (v.empty()) leaves_.erase(it);
  }
  Unlink(slot);
  p.live = false;
  p.count = 0;
  std::string().swap(p.template_text);
  std::vector<uint64_t>().swap(p.token_hashes);
  std::vector<uint64_t>().swap(p.key_hashes);
  free_slots_.push_back(slot);
  --live_;
}

void TemplateMiner::Evict(uint32_t slot) {
  if (on_evict_) on_evict_(slot, patterns_[slot]);
  RemoveFromLeaf(slot);
  ++evictions_;
}

uint32_t TemplateMiner::NewSlot() {
  if (live_ >= options_.max_patterns && lru_tail_ != kNone) Evict(lru_tail_);
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(patterns_.size());
    patterns_.emplace_back();
  }
  Pattern& p = patterns_[slot];
  p.live = true;
  p.serial = next_serial_++;
  p.count = 0;
  ++live_;
  LinkFront(slot);
  return slot;
}

void TemplateMiner::SetTemplate(Pattern& p, std::string text) {
  p.template_text = std::move(text);
  p.id = Fnv1a64(p.template_text);
}

bool TemplateMiner::KeyIsVariable(const Leaf& leaf, size_t position, uint64_t key_hash) const {
  for (const KeyValues& k : leaf.keys) {
    if (k.position == position && k.key_hash == key_hash) return k.variable;
  }
  return false;
}

double TemplateMiner::Similarity(const Leaf& leaf, const Pattern& p,
                                 std::span<const uint64_t> hashes,
                                 std::span<const uint64_t> key_hashes) const {
  const size_t n = hashes.size();
  if (p.token_hashes.size() != n) return -1;  // only on leaf-key collision
  const uint64_t wildcard = WildcardTokenHash();
  size_t same = 0, constant = 0;
  for (size_t i = 0; i < n; ++i) {
    uint64_t t = p.token_hashes[i];
    if (t == wildcard) continue;
    ++constant;
    if (t == hashes[i]) {
      ++same;
    } else if (p.key_hashes[i] != 0 && p.key_hashes[i] == key_hashes[i] &&
               !KeyIsVariable(leaf, i, key_hashes[i])) {
      // Same key, another constant value ("user=root" / "user=guest").
      return -1;
    }
  }
  return constant == 0 ? 1.0 : static_cast<double>(same) / static_cast<double>(constant);
}

bool TemplateMiner::Generalise(Pattern& p, std::span<const uint64_t> hashes) {
  const uint64_t wildcard = WildcardTokenHash();
  bool changed = false;
  for (size_t i = 0; i < hashes.size() && i < p.token_hashes.size(); ++i) {
    if (p.token_hashes[i] != wildcard && p.token_hashes[i] != hashes[i]) {
      p.token_hashes[i] = wildcard;
      p.key_hashes[i] = 0;
      changed = true;
    }
  }
  if (!changed) return false;
  std::string text;
  size_t i = 0;
  ForEachTemplateToken(p.template_text, [&](std::string_view tok) {
    if (!text.empty()) text.push_back(' ');
    text.append(i < p.token_hashes.size() && p.token_hashes[i] == wildcard ? kWildcardToken : tok);
    ++i;
  });
  SetTemplate(p, std::move(text));
  return true;
}

void TemplateMiner::Merge(uint32_t from, uint32_t into) {
  if (on_merge_) on_merge_(from, into);
  Pattern& dst = patterns_[into];
  // Copy: RemoveFromLeaf frees the source's vectors.
  std::vector<uint64_t> src_hashes = patterns_[from].token_hashes;
  dst.count += patterns_[from].count;
  Generalise(dst, src_hashes);
  RemoveFromLeaf(from);
}

uint32_t TemplateMiner::NoteKeyValues(uint64_t leaf_key, uint32_t slot) {
  auto leaf_it = leaves_.find(leaf_key);
  if (leaf_it == leaves_.end()) return slot;
  Leaf& leaf = leaf_it->second;
  const uint64_t wildcard = WildcardTokenHash();
  for (size_t i = 0; i < patterns_[slot].key_hashes.size(); ++i) {
    const uint64_t key = patterns_[slot].key_hashes[i];
    const uint64_t value = patterns_[slot].token_hashes[i];
    if (key == 0 || value == wildcard) continue;
    auto k = std::find_if(leaf.keys.begin(), leaf.keys.end(), [&](const KeyValues& kv) {
      return kv.position == i && kv.key_hash == key;
    });
    if (k == leaf.keys.end()) {
      leaf.keys.push_back({static_cast<uint32_t>(i), key, false, {}});
      k = leaf.keys.end() - 1;
    }
    if (k->variable || std::find(k->values.begin(), k->values.end(), value) != k->values.end()) {
      continue;
    }
    k->values.push_back(value);
    if (k->values.size() < options_.max_key_values) continue;
    // The key takes many values: it is a variable. Merge the patterns it kept apart.
    k->variable = true;
    std::vector<uint64_t>().swap(k->values);
    std::vector<uint32_t> bases;
    std::vector<uint32_t> members = leaf.slots;  // Merge() edits leaf.slots
    for (uint32_t s : members) {
      if (!patterns_[s].live) continue;
      bool merged = false;
      for (uint32_t b : bases) {
        const Pattern& ps = patterns_[s];
        double sim = Similarity(leaf, patterns_[b], ps.token_hashes, ps.key_hashes);
        if (sim >= options_.similarity) {
          Merge(s, b);
          if (s == slot) slot = b;
          merged = true;
          break;
        }
      }
      if (!merged) bases.push_back(s);
    }
    // `leaf` may be gone if merging emptied it (it cannot: bases remain).
  }
  return slot;
}

uint32_t TemplateMiner::Insert(uint64_t leaf_key, std::string text, uint64_t count) {
  if (auto it = leaves_.find(leaf_key);
      it != leaves_.end() &&
      it->second.slots.size() >= std::max<size_t>(1, options_.max_leaf_patterns)) {
    const auto& slots = it->second.slots;
    uint32_t oldest = *std::min_element(slots.begin(), slots.end(), [&](uint32_t a, uint32_t b) {
      return patterns_[a].last_used < patterns_[b].last_used;
    });
    Evict(oldest);
  }
  uint32_t slot = NewSlot();  // may evict, so look the leaf up afterwards
  Pattern& p = patterns_[slot];
  SetTemplate(p, std::move(text));
  p.token_hashes.assign(hashes_.begin(), hashes_.end());
  p.key_hashes.assign(key_hashes_.begin(), key_hashes_.end());
  p.leaf_key = leaf_key;
  p.count = count;
  leaves_[leaf_key].slots.push_back(slot);
  return NoteKeyValues(leaf_key, slot);
}

MinerMatch TemplateMiner::Add(std::string_view message, std::span<const std::string_view> known) {
  Tokenize(message, known);
  if (tokens_.empty()) {
    tokens_.push_back({});
    hashes_.push_back(Fnv1a64({}));
    key_hashes_.push_back(0);
  }
  const size_t n = hashes_.size();
  const uint64_t key = LeafKey(hashes_);

  MinerMatch match;
  auto leaf_it = leaves_.find(key);
  if (leaf_it != leaves_.end()) {
    const Leaf& leaf = leaf_it->second;
    uint32_t best = kNone;
    double best_sim = -1;
    for (uint32_t slot : leaf.slots) {
      double sim = Similarity(leaf, patterns_[slot], hashes_, key_hashes_);
      if (sim > best_sim) {
        best = slot;
        best_sim = sim;
      }
    }
    if (best != kNone && best_sim >= options_.similarity) {
      Pattern& p = patterns_[best];
      ++p.count;
      Touch(best);
      match.slot = best;
      match.template_changed = Generalise(p, hashes_);
      return match;
    }
  }

  std::string text;
  const uint64_t wildcard = WildcardTokenHash();
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) text.push_back(' ');
    if (hashes_[i] == wildcard) {
      text.append(kWildcardToken);
    } else {
      AppendMaskedToken(tokens_[i], known, &text);
    }
  }
  uint32_t slot = Insert(key, std::move(text), 1);
  match.slot = slot;
  match.created = patterns_[slot].count == 1;
  match.template_changed = !match.created;
  return match;
}

bool TemplateMiner::Restore(std::string_view template_text, uint64_t count, uint32_t* slot_out) {
  hashes_.clear();
  key_hashes_.clear();
  std::string text;
  ForEachTemplateToken(template_text, [&](std::string_view tok) {
    if (hashes_.size() >= options_.max_tokens) return;
    if (!text.empty()) text.push_back(' ');
    text.append(tok);
    uint64_t key_hash;
    hashes_.push_back(MaskedTokenHash(tok, {}, &key_hash));
    key_hashes_.push_back(key_hash);
  });
  if (hashes_.empty()) return false;
  const uint64_t key = LeafKey(hashes_);
  auto it = leaves_.find(key);
  if (it != leaves_.end()) {
    for (uint32_t s : it->second.slots) {
      if (patterns_[s].token_hashes == hashes_) {
        patterns_[s].count += count;
        *slot_out = s;
        return true;
      }
    }
  }
  *slot_out = Insert(key, std::move(text), std::max<uint64_t>(count, 1));
  return true;
}

size_t TemplateMiner::MemoryBytes() const {
  size_t bytes = patterns_.capacity() * sizeof(Pattern) + free_slots_.capacity() * sizeof(uint32_t);
  for (const Pattern& p : patterns_) {
    bytes += (p.token_hashes.capacity() + p.key_hashes.capacity()) * sizeof(uint64_t);
    if (p.template_text.capacity() > 15) bytes += p.template_text.capacity() + 1;
  }
  // unordered_map: one node (key, leaf, next pointer) per leaf plus the buckets.
  bytes += leaves_.bucket_count() * sizeof(void*);
  for (const auto& [key, leaf] : leaves_) {
    bytes += sizeof(key) + sizeof(leaf) + sizeof(void*) + leaf.slots.capacity() * sizeof(uint32_t) +
             leaf.keys.capacity() * sizeof(KeyValues);
    for (const KeyValues& k : leaf.keys) bytes += k.values.capacity() * sizeof(uint64_t);
  }
  bytes += (tokens_.capacity() + known_.capacity()) * sizeof(std::string_view) +
           (hashes_.capacity() + key_hashes_.capacity()) * sizeof(uint64_t);
  return bytes;
}

}  // namespace loghunt
