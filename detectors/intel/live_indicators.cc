#include "detectors/intel/live_indicators.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>

#include "core/text.h"
#include "core/time.h"
#include "detectors/intel/intel_feeds.h"

namespace loghunt {

namespace {

using json = nlohmann::json;

constexpr char kTag[] = {'i', 'n', 'd', 'u', 'h'};  // by IndicatorType

char Tag(IndicatorType type) { return kTag[static_cast<size_t>(type)]; }

// The lowercase of `s` after `tag` in `buf` (at least s.size() + 1 bytes).
std::string_view TaggedLower(char tag, std::string_view s, char* buf) {
  buf[0] = tag;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    buf[i + 1] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return {buf, s.size() + 1};
}

}  // namespace

LiveIndicatorStore::LiveIndicatorStore(std::string feed, LiveIndicatorOptions options)
    : feed_(std::move(feed)), options_(options) {}

std::optional<std::string> LiveIndicatorStore::Key(IndicatorType type, std::string_view value) {
  std::string key(1, Tag(type));
  switch (type) {
    case IndicatorType::kIp: {
      auto k = ParseIpBytes(value);
      if (!k) return std::nullopt;
      key.append(reinterpret_cast<const char*>(k->data()), k->size());
      return key;
    }
    case IndicatorType::kNetwork: {
      auto net = ParseNetworkBytes(value);
      if (!net) return std::nullopt;
      key.push_back(static_cast<char>(net->second));
      key.append(reinterpret_cast<const char*>(net->first.data()), net->first.size());
      return key;
    }
    default: {
      auto text = NormalizeIndicatorText(type, value);
      if (!text) return std::nullopt;
      return key + *text;
    }
  }
}

bool LiveIndicatorStore::Upsert(IndicatorType type, std::string_view value, uint8_t confidence,
                                std::string_view description, int64_t expires_ns,
                                int64_t valid_from_ns) {
  auto key = Key(type, value);
  std::unique_lock lock(mu_);
  if (!key) {
    ++stats_.invalid;
    return false;
  }
  auto [it, inserted] = map_.try_emplace(std::move(*key));
  Indicator& ind = it->second.indicator;
  ind.type = type;
  ind.feed = 0;
  ind.confidence = std::min<uint8_t>(confidence, 100);
  ind.expires_ns = expires_ns;
  ind.valid_from_ns = valid_from_ns;
  ind.value.assign(Trim(value));
  ind.description.assign(description);
  if (inserted) {
    it->second.order = order_.insert(order_.end(), &it->first);
    if (type == IndicatorType::kNetwork) {
      const auto len = static_cast<uint8_t>(it->first[1]);
      if (net_counts_[len]++ == 0) {
        net_lengths_.push_back(len);
        std::sort(net_lengths_.begin(), net_lengths_.end(), std::greater<>());
      }
    }
    ++stats_.added;
    while (map_.size() > options_.max_indicators && !order_.empty()) {
      Erase(map_.find(*order_.front()));
      ++stats_.evicted;
    }
  } else {
    order_.splice(order_.end(), order_, it->second.order);
    ++stats_.updated;
  }
  size_.store(map_.size(), std::memory_order_relaxed);
  return true;
}

void LiveIndicatorStore::Erase(Map::iterator it) {
  if (it->first[0] == Tag(IndicatorType::kNetwork)) {
    const auto len = static_cast<uint8_t>(it->first[1]);
    if (--net_counts_[len] == 0) std::erase(net_lengths_, len);
  }
  order_.erase(it->second.order);
  map_.erase(it);
}

bool LiveIndicatorStore::Remove(IndicatorType type, std::string_view value) {
  auto key = Key(type, value);
  if (!key) return false;
  std::unique_lock lock(mu_);
  auto it = map_.find(*key);
  if (it == map_.end()) return false;
  Erase(it);
  ++stats_.removed;
  size_.store(map_.size(), std::memory_order_relaxed);
  return true;
}

size_t LiveIndicatorStore::DropExpired(int64_t before_ns) {
  std::unique_lock lock(mu_);
  size_t n = 0;
  for (auto it = map_.begin(); it != map_.end();) {
    auto next = std::next(it);
    if (it->second.indicator.ExpiredAt(before_ns)) {
      Erase(it);
      ++n;
    }
    it = next;
  }
  stats_.expired += n;
  size_.store(map_.size(), std::memory_order_relaxed);
  return n;
}

LiveIndicatorStats LiveIndicatorStore::stats() const {
  std::shared_lock lock(mu_);
  LiveIndicatorStats s = stats_;
  s.size = map_.size();
  return s;
}

bool LiveIndicatorStore::Find(std::string_view key, int64_t now_ns, Indicator* out) const {
  auto it = map_.find(key);
  if (it == map_.end() || !it->second.indicator.ValidAt(now_ns)) return false;
  *out = it->second.indicator;
  return true;
}

bool LiveIndicatorStore::MatchIp(std::string_view ip, int64_t now_ns, Indicator* out) const {
  if (size() == 0) return false;
  auto k = ParseIpBytes(ip);
  if (!k) return false;
  char buf[18];
  buf[0] = Tag(IndicatorType::kIp);
  std::memcpy(buf + 1, k->data(), 16);
  std::shared_lock lock(mu_);
  if (Find({buf, 17}, now_ns, out)) return true;
  const bool v4 = (*k)[10] == 0xFF && (*k)[11] == 0xFF &&
                  std::all_of(k->begin(), k->begin() + 10, [](uint8_t b) { return b == 0; });
  buf[0] = Tag(IndicatorType::kNetwork);
  for (uint8_t len : net_lengths_) {
    if (v4 != (len >= 96)) continue;
    std::array<uint8_t, 16> masked = *k;
    MaskIpBytes(&masked, len);
    buf[1] = static_cast<char>(len);
    std::memcpy(buf + 2, masked.data(), 16);
    if (Find({buf, 18}, now_ns, out)) return true;
  }
  return false;
}

bool LiveIndicatorStore::MatchDomain(std::string_view domain, int64_t now_ns,
                                     Indicator* out) const {
  if (size() == 0) return false;
  domain = Trim(domain);
  while (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  if (domain.empty() || domain.size() > 253) return false;
  char buf[256];
  const char tag = Tag(IndicatorType::kDomain);
  TaggedLower(tag, domain, buf);
  const size_t end = domain.size() + 1;
  size_t start = 1;  // the name, then each parent with at least two labels
  std::shared_lock lock(mu_);
  while (true) {
    // The tag goes right before the name tried (over the dot before a parent).
    const char saved = buf[start - 1];
    buf[start - 1] = tag;
    const bool hit = Find({buf + start - 1, end - start + 1}, now_ns, out);
    buf[start - 1] = saved;
    if (hit) return true;
    size_t dot = std::string_view(buf + start, end - start).find('.');
    if (dot == std::string_view::npos) return false;
    start += dot + 1;
    if (std::string_view(buf + start, end - start).find('.') == std::string_view::npos) {
      return false;
    }
  }
}

bool LiveIndicatorStore::MatchUrl(std::string_view url, int64_t now_ns, Indicator* out) const {
  if (size() == 0) return false;
  auto key = Key(IndicatorType::kUrl, url);
  if (!key) return false;
  std::shared_lock lock(mu_);
  return Find(*key, now_ns, out);
}

bool LiveIndicatorStore::MatchHash(std::string_view hex, int64_t now_ns, Indicator* out) const {
  if (size() == 0) return false;
  hex = Trim(hex);
  if (hex.size() > 128) return false;
  char buf[130];
  std::string_view key = TaggedLower(Tag(IndicatorType::kHash), hex, buf);
  std::shared_lock lock(mu_);
  return Find(key, now_ns, out);
}

namespace {

// A confidence that is not a number or a revoked that is not a boolean
// makes the message bad (get throws): "revoked": "true" was taken as false.
uint8_t Confidence(const json& o, uint8_t fallback) {
  auto it = o.find("confidence");
  if (it == o.end()) return fallback;
  return static_cast<uint8_t>(std::clamp<double>(it->get<double>(), 0, 100));
}

bool Revoked(const json& o) {
  auto it = o.find("revoked");
  if (it != o.end() && it->get<bool>()) return true;
  return o.value("action", "") == "remove";
}

void ApplyStixIndicator(const json& o, uint8_t default_confidence, LiveIndicatorStore* store,
                        IndicatorMessageReport* r) {
  std::vector<StixIndicator> found;
  size_t unsupported = 0;
  if (o.value("pattern_type", "stix") != "stix" ||
      !ParseStixPattern(o.value("pattern", ""), &found, &unsupported)) {
    ++r->invalid;
    return;
  }
  r->invalid += unsupported;
  const bool revoked = Revoked(o);
  const uint8_t conf = Confidence(o, default_confidence);
  const std::string desc = o.value("description", o.value("name", ""));
  int64_t from = 0, expires = 0;
  if (!revoked && !ParseValidity(o, &from, &expires)) {
    r->invalid += found.size();  // a validity that cannot be read must not make them permanent
    return;
  }
  for (const StixIndicator& ind : found) {
    if (revoked) {
      r->removed += store->Remove(ind.type, ind.value) ? 1 : 0;
    } else if (store->Upsert(ind.type, ind.value, conf, desc, expires, from)) {
      ++r->upserted;
    } else {
      ++r->invalid;
    }
  }
}

}  // namespace

namespace {

// Tombstone keys and message values name an "ip" with a prefix length as the
// network it is.
IndicatorType IpOrNetwork(IndicatorType type, std::string_view value) {
  return type == IndicatorType::kIp && value.find('/') != std::string_view::npos
             ? IndicatorType::kNetwork
             : type;
}

bool ApplyParsedMessage(const json& doc, uint8_t default_confidence, LiveIndicatorStore* store,
                        IndicatorMessageReport* r, std::string* error) {
  if (!doc.is_object()) {
    *error = "not a JSON object";
    return false;
  }
  const std::string type_name = doc.value("type", "");
  if (type_name == "bundle") {
    auto objects = doc.find("objects");
    if (objects == doc.end() || !objects->is_array()) {
      *error = "stix bundle without objects";
      return false;
    }
    for (const json& o : *objects) {
      // A field of the wrong type makes that object invalid, not the bundle.
      try {
        if (o.is_object() && o.value("type", "") == "indicator")
          ApplyStixIndicator(o, default_confidence, store, r);
      } catch (const json::exception&) {
        ++r->invalid;
      }
    }
    return true;
  }
  if (type_name == "indicator") {
    ApplyStixIndicator(doc, default_confidence, store, r);
    return true;
  }
  auto type = ParseIndicatorType(type_name);
  auto v = doc.find("value");
  if (!type || v == doc.end() || !v->is_string()) {
    *error = "expected {\"type\": ip|network|domain|url|hash, \"value\": ...}";
    return false;
  }
  const std::string text = v->get<std::string>();
  type = IpOrNetwork(*type, text);
  if (Revoked(doc)) {
    r->removed += store->Remove(*type, text) ? 1 : 0;
    return true;
  }
  int64_t from = 0, expires = 0;
  if (!ParseValidity(doc, &from, &expires)) {
    *error = "valid_from or valid_until is not an RFC 3339 string";
    return false;
  }
  if (store->Upsert(*type, text, Confidence(doc, default_confidence), doc.value("description", ""),
                    expires, from)) {
    ++r->upserted;
  } else {
    ++r->invalid;
  }
  return true;
}

}  // namespace

bool ApplyIndicatorMessage(std::string_view key, const char* value, size_t value_size,
                           uint8_t default_confidence, LiveIndicatorStore* store,
                           IndicatorMessageReport* r, std::string* error) {
  if (value == nullptr) {  // tombstone: the key names the indicator
    size_t colon = key.find(':');
    std::optional<IndicatorType> type;
    if (colon != std::string_view::npos) type = ParseIndicatorType(key.substr(0, colon));
    if (!type) {
      *error = "tombstone key is not type:value";
      return false;
    }
    const std::string_view text = key.substr(colon + 1);
    r->removed += store->Remove(IpOrNetwork(*type, text), text) ? 1 : 0;
    return true;
  }
  json doc = json::parse(value, value + value_size, nullptr, /*allow_exceptions=*/false);
  // A field of an unexpected JSON type ("description": 5) makes the message
  // bad (logged and counted by the feed), never an exception out of the feed.
  try {
    return ApplyParsedMessage(doc, default_confidence, store, r, error);
  } catch (const json::exception& e) {
    *error = std::string("a field has the wrong JSON type: ") + e.what();
    return false;
  }
}

}  // namespace loghunt
