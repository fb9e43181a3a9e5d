// IndicatorStore: threat-intel indicators in memory, matched per lookup in
// O(1) (exact IP, URL, hash, domain) or O(number of distinct prefix lengths)
// for networks (at most 33 for IPv4, 129 for IPv6; in practice a handful).
//
// Exact values live in hash maps keyed by their normalized form: IPs as their
// 16 network-order bytes (IPv4 mapped into ::ffff:0:0/96), domains lowercase
// without a trailing dot, hashes lowercase hex, URLs with scheme and host
// lowercased. A domain lookup walks the parents ("a.b.evil.com" matches an
// indicator "evil.com"). Networks are kept in one hash map per prefix length,
// tried from the longest prefix down, so nested ranges resolve to the most
// specific one whatever the order they were loaded in. Each map has a Bloom
// filter (KeyFilter) in front of it, so a value no feed lists, the common
// case, is rejected without touching the maps.
//
// Several indicators may share a value (two feeds list the same IP); they are
// chained in load order, and a lookup returns the first valid at `now_ns`. A
// feed listing a value again with the validity of the last one chained for
// it adds nothing: that one would always be matched first. Each key keeps
// the end of its chain, so an Add is O(1) however many share the value.
//
// Thread-safety: built by one thread (Add, then Freeze), then immutable and
// shared read-only by any number of threads (const methods only).
// Lifetimes: returned Indicator pointers live as long as the store.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "detectors/intel/key_filter.h"

namespace loghunt {

enum class IndicatorType : uint8_t { kIp, kNetwork, kDomain, kUrl, kHash };

// "ip", "network", "domain", "url", "hash".
std::string_view IndicatorTypeName(IndicatorType type);
// Also accepts "ipv4", "ipv6", "cidr", "dns", "md5", "sha1", "sha256", "sha512".
std::optional<IndicatorType> ParseIndicatorType(std::string_view name);
// Guesses the type of a bare value (plain lists with type "auto", CSV rows
// without a type column): IP, CIDR, hex hash (32/40/64/128 digits), URL
// ("scheme://"), else a domain when it has a dot and no space; nullopt else.
std::optional<IndicatorType> GuessIndicatorType(std::string_view value);

// The 16 network-order bytes of an IPv4 (mapped) or IPv6 address; nullopt
// when `text` is not an address.
std::optional<std::array<uint8_t, 16>> ParseIpBytes(std::string_view text);
// Clears the bits of `bytes` after the first `prefix_len` (0..128).
void MaskIpBytes(std::array<uint8_t, 16>* bytes, int prefix_len);
// "a.b.c.d/len" or "v6/len" (no "/len": a single address) as its masked 16
// bytes and the prefix length over the 16 bytes (IPv4 lengths + 96); nullopt
// when it is not a network.
std::optional<std::pair<std::array<uint8_t, 16>, int>> ParseNetworkBytes(std::string_view text);
// The key a domain, URL or hash indicator is stored under: domains lowercase
// without a trailing dot, hashes lowercase, URLs with scheme and host
// lowercased (the path is case-sensitive). nullopt when `value` is not a
// valid value of `type` (a domain with a space or slash, a hash that is not
// 32/40/64/128 hex digits) and for ip/network (keyed by their bytes).
std::optional<std::string> NormalizeIndicatorText(IndicatorType type, std::string_view value);

struct Indicator {
  IndicatorType type = IndicatorType::kIp;
  uint16_t feed = 0;          // index into IndicatorStore::feeds()
  uint8_t confidence = 0;     // 0..100
  int64_t expires_ns = 0;     // UTC ns; 0 = never
  int64_t valid_from_ns = 0;  // UTC ns; 0 = always (STIX valid_from)
  std::string value;          // as given in the feed (for output)
  std::string description;
  uint32_t next = UINT32_MAX;  // next indicator with the same key, or UINT32_MAX

  bool ExpiredAt(int64_t now_ns) const { return expires_ns != 0 && now_ns >= expires_ns; }
  // Usable at `now_ns` (the event's time): from valid_from on, until it expires.
  bool ValidAt(int64_t now_ns) const { return now_ns >= valid_from_ns && !ExpiredAt(now_ns); }
};

class IndicatorStore {
 public:
  // Registers a feed name; returns its index (the same for the same name).
  uint16_t AddFeed(std::string_view name);
  // Stops using the indicators of `feed` (one that failed to load part way:
  // what it read before the error is not cited as that feed's).
  void DisableFeed(uint16_t feed);
  const std::vector<std::string>& feeds() const { return feeds_; }

  // Adds one indicator. Returns false (and adds nothing) when `value` is not
  // a valid value of `type` (bad address, prefix length, hash digits, ...).
  // A duplicate of the last indicator chained for the value (same feed,
  // valid_from and expiry) is merged into it: true, and the first one's
  // confidence and description stay.
  bool Add(IndicatorType type, std::string_view value, uint16_t feed, uint8_t confidence,
           std::string_view description, int64_t expires_ns, int64_t valid_from_ns = 0);

  // Lookups: the first indicator for the value valid at `now_ns`, or
  // nullptr. MatchIp tries the exact address, then the networks.
  const Indicator* MatchIp(std::string_view ip, int64_t now_ns) const;
  const Indicator* MatchDomain(std::string_view domain, int64_t now_ns) const;
  const Indicator* MatchUrl(std::string_view url, int64_t now_ns) const;
  const Indicator* MatchHash(std::string_view hex, int64_t now_ns) const;
  // out[i] = MatchHash(hexes[i], now_ns), faster for several: the cache
  // misses of their lookups overlap (a Sysmon event has three file hashes).
  // REQUIRES: `out` has room for hexes.size() pointers.
  void MatchHashes(std::span<const std::string_view> hexes, int64_t now_ns,
                   const Indicator** out) const;

  size_t size() const { return indicators_.size(); }
  // Indicators per type, for load reports.
  size_t count(IndicatorType type) const { return counts_[static_cast<size_t>(type)]; }

 private:
  using Key16 = std::array<uint8_t, 16>;
  struct Key16Hash {
    size_t operator()(const Key16& k) const;
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return KeyHash(s); }
  };
  // The indicators sharing one key: first and last of their chain.
  struct Chain {
    uint32_t head = UINT32_MAX;
    uint32_t tail = UINT32_MAX;
  };
  using StringMap = std::unordered_map<std::string, Chain, StringHash, std::equal_to<>>;

  // Appends `ind` to `chain`, or merges it into the chain's last indicator
  // when it duplicates that one.
  void Link(Chain* chain, Indicator ind);
  const Indicator* FirstLive(uint32_t index, int64_t now_ns) const;
  const Indicator* FindString(const StringMap& map, const KeyFilter& filter, std::string_view key,
                              int64_t now_ns) const;
  static uint64_t NetHash(const Key16& key, int len);
  // Inserts the key just added to the map of `filter`, rebuilding the
  // filter from the map when it is full.
  void FilterIp(const Key16& key);
  void FilterNet(const Key16& key, int len);
  static void FilterString(const StringMap& map, std::string_view key, KeyFilter* filter);

  std::vector<std::string> feeds_;
  std::vector<bool> feed_disabled_;  // by feed index
  std::vector<Indicator> indicators_;
  std::array<size_t, 5> counts_{};
  std::unordered_map<Key16, Chain, Key16Hash> ips_;
  // nets_[len]: network address (masked to len bits, mapped for IPv4) -> indicators.
  std::array<std::unordered_map<Key16, Chain, Key16Hash>, 129> nets_;
  std::vector<uint8_t> net_lengths_;  // lengths present, longest first
  StringMap domains_, urls_, hashes_;
  KeyFilter ip_filter_, net_filter_, domain_filter_, url_filter_, hash_filter_;
  size_t net_count_ = 0;  // keys over all of nets_
};

}  // namespace loghunt
