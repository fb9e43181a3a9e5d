#include "detectors/intel/indicator_store.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/text.h"

namespace loghunt {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string NormalizeDomain(std::string_view d) {
  d = Trim(d);
  while (!d.empty() && d.back() == '.') d.remove_suffix(1);
  return Lower(d);
}

// Scheme and host lowercased, the rest kept (paths are case-sensitive);
// writes Trim(u).size() bytes to `out`.
size_t NormalizeUrlInto(std::string_view u, char* out) {
  u = Trim(u);
  if (!u.empty()) std::memcpy(out, u.data(), u.size());
  size_t sep = u.find("://");
  if (sep == std::string_view::npos) return u.size();
  size_t host_end = u.find_first_of("/?#", sep + 3);
  if (host_end == std::string_view::npos) host_end = u.size();
  for (size_t i = 0; i < host_end; ++i) {
    if (out[i] >= 'A' && out[i] <= 'Z') out[i] = static_cast<char>(out[i] - 'A' + 'a');
  }
  return u.size();
}

std::string NormalizeUrl(std::string_view u) {
  std::string out(u.size(), '\0');
  out.resize(NormalizeUrlInto(u, out.data()));
  return out;
}

bool IsHashLength(size_t n) { return n == 32 || n == 40 || n == 64 || n == 128; }

// Copies `n` bytes of `src` to `dst` with A-Z lowered (Sysmon writes hashes
// in upper case, the store keeps them in lower case): 16 bytes per step.
void LowerAscii(const char* src, size_t n, char* dst) {
  size_t k = 0;
#if defined(__SSE2__)
  const __m128i before_a = _mm_set1_epi8('A' - 1), after_z = _mm_set1_epi8('Z' + 1);
  const __m128i bit = _mm_set1_epi8(0x20);
  for (; k + 16 <= n; k += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + k));
    // Signed compares: bytes >= 0x80 are negative, so never upper case.
    const __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(v, before_a), _mm_cmplt_epi8(v, after_z));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + k),
                     _mm_or_si128(v, _mm_and_si128(upper, bit)));
  }
#endif
  for (; k < n; ++k) {
    const char c = src[k];
    dst[k] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
}

}  // namespace

void MaskIpBytes(std::array<uint8_t, 16>* k, int len) {
  for (int i = 0; i < 16; ++i) {
    int keep = std::clamp(len - i * 8, 0, 8);
    (*k)[static_cast<size_t>(i)] &= static_cast<uint8_t>(keep == 0 ? 0 : 0xFF << (8 - keep));
  }
}

std::optional<std::pair<std::array<uint8_t, 16>, int>> ParseNetworkBytes(std::string_view text) {
  text = Trim(text);
  size_t slash = text.find('/');
  auto k = ParseIpBytes(text.substr(0, slash));
  if (!k) return std::nullopt;
  const bool v4 = text.substr(0, slash).find(':') == std::string_view::npos;
  int len = v4 ? 32 : 128;
  if (slash != std::string_view::npos) {
    auto n = ParseInt(text.substr(slash + 1));
    if (!n || *n < 0 || *n > len) return std::nullopt;
    len = static_cast<int>(*n);
  }
  if (v4) len += 96;
  MaskIpBytes(&*k, len);
  return std::make_pair(*k, len);
}

std::optional<std::string> NormalizeIndicatorText(IndicatorType type, std::string_view value) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  switch (type) {
    case IndicatorType::kDomain: {
      std::string d = NormalizeDomain(value);
      if (d.empty() || d.find_first_of(" \t/") != std::string::npos) return std::nullopt;
      return d;
    }
    case IndicatorType::kUrl:
      return NormalizeUrl(value);
    case IndicatorType::kHash:
      if (!IsHashLength(value.size()) || !IsHexString(value)) return std::nullopt;
      return Lower(value);
    case IndicatorType::kIp:
    case IndicatorType::kNetwork:
      break;
  }
  return std::nullopt;
}

std::string_view IndicatorTypeName(IndicatorType type) {
  switch (type) {
    case IndicatorType::kIp:
      return "ip";
    case IndicatorType::kNetwork:
      return "network";
    case IndicatorType::kDomain:
      return "domain";
    case IndicatorType::kUrl:
      return "url";
    case IndicatorType::kHash:
      return "hash";
  }
  return "ip";
}

std::optional<IndicatorType> ParseIndicatorType(std::string_view name) {
  if (name == "ip" || name == "ipv4" || name == "ipv6") return IndicatorType::kIp;
  if (name == "network" || name == "cidr") return IndicatorType::kNetwork;
  if (name == "domain" || name == "dns" || name == "hostname") return IndicatorType::kDomain;
  if (name == "url") return IndicatorType::kUrl;
  if (name == "hash" || name == "md5" || name == "sha1" || name == "sha256" || name == "sha512") {
    return IndicatorType::kHash;
  }
  return std::nullopt;
}

std::optional<std::array<uint8_t, 16>> ParseIpBytes(std::string_view text) {
  text = Trim(text);
  if (text.empty() || text.size() > 45) return std::nullopt;
  char buf[64];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  std::array<uint8_t, 16> k{};
  if (text.find(':') == std::string_view::npos) {
    uint8_t v4[4];
    if (inet_pton(AF_INET, buf, v4) != 1) return std::nullopt;
    k[10] = k[11] = 0xFF;
    std::memcpy(k.data() + 12, v4, 4);
    return k;
  }
  if (inet_pton(AF_INET6, buf, k.data()) != 1) return std::nullopt;
  return k;
}

std::optional<IndicatorType> GuessIndicatorType(std::string_view value) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  if (ParseIpBytes(value)) return IndicatorType::kIp;
  if (size_t slash = value.find('/'); slash != std::string_view::npos &&
                                      value.find("://") == std::string_view::npos &&
                                      ParseIpBytes(value.substr(0, slash))) {
    return IndicatorType::kNetwork;
  }
  if (IsHashLength(value.size()) && IsHexString(value)) return IndicatorType::kHash;
  if (value.find("://") != std::string_view::npos) return IndicatorType::kUrl;
  if (value.find('.') != std::string_view::npos &&
      value.find_first_of(" \t/\\") == std::string_view::npos) {
    return IndicatorType::kDomain;
  }
  return std::nullopt;
}

size_t IndicatorStore::Key16Hash::operator()(const Key16& k) const {
  uint64_t a, b;
  std::memcpy(&a, k.data(), 8);
  std::memcpy(&b, k.data() + 8, 8);
  uint64_t h = a * 0x9E3779B97F4A7C15ull ^ (b + 0x7F4A7C159E3779B9ull + (a << 6) + (a >> 2));
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return static_cast<size_t>(h);
}

uint16_t IndicatorStore::AddFeed(std::string_view name) {
  for (size_t i = 0; i < feeds_.size(); ++i) {
    if (feeds_[i] == name) return static_cast<uint16_t>(i);
  }
  feeds_.emplace_back(name);
  return static_cast<uint16_t>(feeds_.size() - 1);
}

// New indicators go to the end of the chain, so the first loaded feed wins.
void IndicatorStore::Link(Chain* chain, Indicator ind) {
  if (chain->tail != UINT32_MAX) {
    const Indicator& last = indicators_[chain->tail];
    if (last.feed == ind.feed && last.valid_from_ns == ind.valid_from_ns &&
        last.expires_ns == ind.expires_ns) {
      return;
    }
  }
  const uint32_t index = static_cast<uint32_t>(indicators_.size());
  ++counts_[static_cast<size_t>(ind.type)];
  indicators_.push_back(std::move(ind));
  if (chain->head == UINT32_MAX) {
    chain->head = index;
  } else {
    indicators_[chain->tail].next = index;
  }
  chain->tail = index;
}

bool IndicatorStore::Add(IndicatorType type, std::string_view value, uint16_t feed,
                         uint8_t confidence, std::string_view description, int64_t expires_ns,
                         int64_t valid_from_ns) {
  value = Trim(value);
  if (value.empty()) return false;
  Chain* chain = nullptr;
  switch (type) {
    case IndicatorType::kIp: {
      auto k = ParseIpBytes(value);
      if (!k) return false;
      auto [it, added] = ips_.try_emplace(*k);
      chain = &it->second;
      if (added) FilterIp(*k);
      break;
    }
    case IndicatorType::kNetwork: {
      auto net = ParseNetworkBytes(value);
      if (!net) return false;
      const int len = net->second;
      auto [it, added] = nets_[static_cast<size_t>(len)].try_emplace(net->first);
      chain = &it->second;
      if (added) FilterNet(net->first, len);
      if (std::find(net_lengths_.begin(), net_lengths_.end(), len) == net_lengths_.end()) {
        net_lengths_.push_back(static_cast<uint8_t>(len));
        std::sort(net_lengths_.begin(), net_lengths_.end(), std::greater<>());
      }
      break;
    }
    case IndicatorType::kDomain:
    case IndicatorType::kUrl:
    case IndicatorType::kHash: {
      auto key = NormalizeIndicatorText(type, value);
      if (!key) return false;
      StringMap& map = type == IndicatorType::kDomain ? domains_
                       : type == IndicatorType::kUrl  ? urls_
                                                      : hashes_;
      KeyFilter& filter = type == IndicatorType::kDomain ? domain_filter_
                          : type == IndicatorType::kUrl  ? url_filter_
                                                         : hash_filter_;
      auto [it, added] = map.try_emplace(std::move(*key));
      chain = &it->second;
      if (added) FilterString(map, it->first, &filter);
      break;
    }
  }
  Indicator ind;
  ind.type = type;
  ind.feed = feed;
  ind.confidence = std::min<uint8_t>(confidence, 100);
  ind.expires_ns = expires_ns;
  ind.valid_from_ns = valid_from_ns;
  ind.value = std::string(value);
  ind.description = std::string(description);
  Link(chain, std::move(ind));
  return true;
}

const Indicator* IndicatorStore::FirstLive(uint32_t index, int64_t now_ns) const {
  for (uint32_t i = index; i != UINT32_MAX; i = indicators_[i].next) {
    const Indicator& ind = indicators_[i];
    if (!ind.ValidAt(now_ns)) continue;
    if (ind.feed < feed_disabled_.size() && feed_disabled_[ind.feed]) continue;
    return &ind;
  }
  return nullptr;
}

void IndicatorStore::DisableFeed(uint16_t feed) {
  if (feed_disabled_.size() <= feed) feed_disabled_.resize(feed + 1u, false);
  feed_disabled_[feed] = true;
}

const Indicator* IndicatorStore::FindString(const StringMap& map, const KeyFilter& filter,
                                            std::string_view key, int64_t now_ns) const {
  if (!filter.MayContain(KeyHash(key))) return nullptr;
  auto it = map.find(key);
  return it == map.end() ? nullptr : FirstLive(it->second.head, now_ns);
}

uint64_t IndicatorStore::NetHash(const Key16& key, int len) {
  return KeyHashMix(KeyHash(key.data(), key.size()) ^ static_cast<uint64_t>(len),
                    0x9E3779B97F4A7C15ull);
}

void IndicatorStore::FilterIp(const Key16& key) {
  if (!ip_filter_.Full()) {
    ip_filter_.Insert(KeyHash(key.data(), key.size()));
    return;
  }
  ip_filter_.Resize(ips_.size());
  for (const auto& [k, chain] : ips_) ip_filter_.Insert(KeyHash(k.data(), k.size()));
}

void IndicatorStore::FilterNet(const Key16& key, int len) {
  ++net_count_;
  if (!net_filter_.Full()) {
    net_filter_.Insert(NetHash(key, len));
    return;
  }
  net_filter_.Resize(net_count_);
  for (size_t l = 0; l < nets_.size(); ++l) {
    for (const auto& [k, chain] : nets_[l]) net_filter_.Insert(NetHash(k, static_cast<int>(l)));
  }
}

void IndicatorStore::FilterString(const StringMap& map, std::string_view key, KeyFilter* filter) {
  if (!filter->Full()) {
    filter->Insert(KeyHash(key));
    return;
  }
  filter->Resize(map.size());
  for (const auto& [k, chain] : map) filter->Insert(KeyHash(k));
}

const Indicator* IndicatorStore::MatchIp(std::string_view ip, int64_t now_ns) const {
  if (ips_.empty() && net_lengths_.empty()) return nullptr;
  auto k = ParseIpBytes(ip);
  if (!k) return nullptr;
  if (ip_filter_.MayContain(KeyHash(k->data(), k->size()))) {
    if (auto it = ips_.find(*k); it != ips_.end()) {
      if (const Indicator* hit = FirstLive(it->second.head, now_ns)) return hit;
    }
  }
  const bool v4 = (*k)[10] == 0xFF && (*k)[11] == 0xFF &&
                  std::all_of(k->begin(), k->begin() + 10, [](uint8_t b) { return b == 0; });
  for (uint8_t len : net_lengths_) {
    // IPv4 networks are kept IPv4-mapped (length + 96): an IPv4 address meets
    // no shorter network. An IPv6 address may be in a network of any length
    // (it skipped /96 to /128, which never matched); mapped ones differ from
    // it in their ::ffff bytes.
    if (v4 && len < 96) continue;
    Key16 masked = *k;
    MaskIpBytes(&masked, len);
    if (!net_filter_.MayContain(NetHash(masked, len))) continue;
    const auto& map = nets_[len];
    if (auto it = map.find(masked); it != map.end()) {
      if (const Indicator* hit = FirstLive(it->second.head, now_ns)) return hit;
    }
  }
  return nullptr;
}

const Indicator* IndicatorStore::MatchDomain(std::string_view domain, int64_t now_ns) const {
  if (domains_.empty()) return nullptr;
  domain = Trim(domain);
  while (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  if (domain.empty() || domain.size() > 253) return nullptr;
  char buf[256];
  for (size_t i = 0; i < domain.size(); ++i) {
    char c = domain[i];
    buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  std::string_view d(buf, domain.size());
  // The name itself, then each parent with at least two labels.
  while (true) {
    if (const Indicator* hit = FindString(domains_, domain_filter_, d, now_ns)) return hit;
    size_t dot = d.find('.');
    if (dot == std::string_view::npos) return nullptr;
    d.remove_prefix(dot + 1);
    if (d.find('.') == std::string_view::npos) return nullptr;
  }
}

const Indicator* IndicatorStore::MatchUrl(std::string_view url, int64_t now_ns) const {
  if (urls_.empty()) return nullptr;
  char buf[1024];
  if (url.size() > sizeof(buf)) return FindString(urls_, url_filter_, NormalizeUrl(url), now_ns);
  return FindString(urls_, url_filter_, std::string_view(buf, NormalizeUrlInto(url, buf)), now_ns);
}

const Indicator* IndicatorStore::MatchHash(std::string_view hex, int64_t now_ns) const {
  const Indicator* hit = nullptr;
  MatchHashes({&hex, 1}, now_ns, &hit);
  return hit;
}

void IndicatorStore::MatchHashes(std::span<const std::string_view> hexes, int64_t now_ns,
                                 const Indicator** out) const {
  constexpr size_t kBatch = 4;
  char keys[kBatch][128];
  size_t sizes[kBatch];
  uint64_t hashes[kBatch];
  for (size_t b = 0; b < hexes.size(); b += kBatch) {
    const size_t m = std::min(kBatch, hexes.size() - b);
    // Normalize and hash every value first, then probe the filter: the
    // probes are independent loads, so their cache misses overlap.
    for (size_t i = 0; i < m; ++i) {
      out[b + i] = nullptr;
      const std::string_view hex = Trim(hexes[b + i]);
      sizes[i] = hashes_.empty() || !IsHashLength(hex.size()) ? 0 : hex.size();
      LowerAscii(hex.data(), sizes[i], keys[i]);
      hashes[i] = KeyHash(keys[i], sizes[i]);
    }
    for (size_t i = 0; i < m; ++i) {
      if (sizes[i] == 0 || !hash_filter_.MayContain(hashes[i])) continue;
      auto it = hashes_.find(std::string_view(keys[i], sizes[i]));
      if (it != hashes_.end()) out[b + i] = FirstLive(it->second.head, now_ns);
    }
  }
}

}  // namespace loghunt
