#include "detectors/intel/intel_detector.h"

#include <algorithm>

#include "core/time.h"
#include "detectors/ioc/ioc_types.h"

namespace loghunt {

namespace {

Entity ObservableEntity(std::string_view type, std::string_view value) {
  std::string v(value);
  if (type == "ipv4" || type == "ipv6") return {"IpAddress", {{"Address", v}}};
  if (type == "dns") return {"Dns", {{"DomainName", v}}};
  if (type == "url") return {"Url", {{"Url", v}}};
  std::string alg(type);
  for (char& c : alg) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return {"FileHash", {{"Algorithm", alg}, {"Value", v}}};
}

// `text` with its ASCII control characters (CR, LF, tab, ESC, ...) as
// spaces: a feed's description must not break the one-line message.
std::string OneLine(std::string text) {
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return text;
}

// The entity of an indicator hit, the same in the intel.match alert and on
// the alerts of other detectors it annotates, where `observable`
// ("ipv4:1.2.3.4") names what matched ("" in the intel.match alert).
Entity ThreatIntelligenceEntity(const Indicator& hit, std::string_view feed,
                                std::string observable) {
  Entity ti{"ThreatIntelligence",
            {{"Provider", std::string(feed)},
             {"Indicator", hit.value},
             {"IndicatorType", std::string(IndicatorTypeName(hit.type))},
             {"Confidence", std::to_string(hit.confidence)},
             {"Description", hit.description}}};
  if (hit.expires_ns != 0) ti.properties.emplace_back("ValidUntil", FormatRfc3339(hit.expires_ns));
  if (!observable.empty()) ti.properties.emplace_back("Observable", std::move(observable));
  return ti;
}

// Adds `entity` unless the alert has it already (a decoded observable of the
// ioc detector that is also in the event's text).
void AddDistinctEntity(Alert* alert, Entity entity) {
  for (const Entity& e : alert->entities) {
    if (e.type == entity.type && e.properties == entity.properties) return;
  }
  alert->entities.push_back(std::move(entity));
}

bool OfEvent(const Alert& alert, const Event& event) {
  return alert.position.offset == event.position.offset &&
         alert.position.topic == event.position.topic;
}

std::string_view HashTypeOfLength(size_t n) {
  switch (n) {
    case 32:
      return "md5";
    case 40:
      return "sha1";
    case 64:
      return "sha256";
    default:
      return "sha512";
  }
}

}  // namespace

IntelDetector::IntelDetector(std::shared_ptr<const IndicatorStore> store,
                             IntelDetectorOptions options,
                             std::shared_ptr<const IocPatterns> patterns)
    : store_(std::move(store)),
      options_(options),
      extractor_(std::move(patterns), IocOptions{.defanged = false, .paths = false}) {
  iocs_.reserve(64);
  seen_.reserve(8);
  hash_values_.reserve(8);
  hash_hits_.reserve(8);
}

RuleRef IntelDetector::Rule(const Indicator& hit, std::string_view feed) {
  RuleRef r;
  r.id = "loghunt.intel.match";
  r.title = "Threat intel match (" + std::string(feed) + ")";
  r.severity = hit.confidence >= 80   ? Severity::kHigh
               : hit.confidence >= 50 ? Severity::kMedium
                                      : Severity::kLow;
  r.tags = {"threat_intel", "feed:" + std::string(feed)};
  return r;
}

void IntelDetector::Check(const Event& event, std::string_view observable_type,
                          std::string_view value, std::vector<Alert>& alerts,
                          const Indicator* const* stored) {
  if (value.empty()) return;
  const int64_t now = event.timestamp_ns != 0 ? event.timestamp_ns : NowNanos();
  const Hit found = Lookup(observable_type, value, now, stored);
  if (found.indicator == nullptr) return;
  const Indicator& hit = *found.indicator;
  const std::string feed(found.feed);
  std::string seen_key =
      feed + '\x1f' + std::string(IndicatorTypeName(hit.type)) + '\x1f' + hit.value;
  if (std::find(seen_.begin(), seen_.end(), seen_key) != seen_.end()) return;
  seen_.push_back(std::move(seen_key));
  std::string key = std::string(observable_type) + ":" + std::string(value);
  Alert alert = MakeAlert(event, Rule(hit, feed), key);
  std::string summary = std::string(value) + " matches " +
                        std::string(IndicatorTypeName(hit.type)) + " indicator " + hit.value +
                        " of feed " + feed + " (confidence " + std::to_string(hit.confidence) + ")";
  if (!hit.description.empty()) summary += ": " + hit.description;
  alert.summary = OneLine(std::move(summary));
  alert.entities.push_back(ThreatIntelligenceEntity(hit, feed, ""));
  alert.entities.push_back(ObservableEntity(observable_type, value));
  Observable obs;
  obs.type = std::string(observable_type);
  obs.value = std::string(value);
  if (observable_type == "ipv4" || observable_type == "ipv6") {
    // The IoC extractor's classes; ParseIpBytes maps an IPv4 address into
    // ::ffff:0:0/96, which ClassifyIpv6 classes as that IPv4 address.
    if (auto bytes = ParseIpBytes(value)) obs.ip_class = IpClassName(ClassifyIpv6(bytes->data()));
  }
  alert.observables.push_back(std::move(obs));
  // The alerts of the detectors before this one on the event (Sigma's have
  // no observables) name what in their event matched.
  for (size_t i = 0; i < earlier_alerts_; ++i) {
    if (OfEvent(alerts[i], event)) {
      AddDistinctEntity(&alerts[i], ThreatIntelligenceEntity(hit, feed, key));
    }
  }
  alerts.push_back(std::move(alert));
}

IntelDetector::Hit IntelDetector::Lookup(std::string_view type, std::string_view value,
                                         int64_t now_ns, const Indicator* const* stored) {
  enum { kIp, kDomain, kUrl, kHash } kind;
  if (type == "ipv4" || type == "ipv6") {
    kind = kIp;
  } else if (type == "dns") {
    kind = kDomain;
  } else if (type == "url") {
    kind = kUrl;
  } else if (type == "md5" || type == "sha1" || type == "sha256" || type == "sha512") {
    kind = kHash;
  } else {
    return {};
  }
  if (stored != nullptr) {
    if (*stored != nullptr) return {*stored, store_->feeds()[(*stored)->feed]};
  } else if (store_ != nullptr) {
    const Indicator* hit = kind == kIp       ? store_->MatchIp(value, now_ns)
                           : kind == kDomain ? store_->MatchDomain(value, now_ns)
                           : kind == kUrl    ? store_->MatchUrl(value, now_ns)
                                             : store_->MatchHash(value, now_ns);
    if (hit != nullptr) return {hit, store_->feeds()[hit->feed]};
  }
  for (const auto& live : options_.live_feeds) {
    const bool hit = kind == kIp       ? live->MatchIp(value, now_ns, &live_hit_)
                     : kind == kDomain ? live->MatchDomain(value, now_ns, &live_hit_)
                     : kind == kUrl    ? live->MatchUrl(value, now_ns, &live_hit_)
                                       : live->MatchHash(value, now_ns, &live_hit_);
    if (hit) return {&live_hit_, live->feed()};
  }
  return {};
}

void IntelDetector::Annotate(const Event& event, std::vector<Alert>& alerts) {
  const int64_t now = event.timestamp_ns != 0 ? event.timestamp_ns : NowNanos();
  for (Alert& alert : alerts) {
    if (!OfEvent(alert, event)) continue;
    const size_t n = alert.observables.size();  // entities are appended, observables are not
    for (size_t i = 0; i < n; ++i) {
      const Observable& o = alert.observables[i];
      const Hit found = Lookup(o.type, o.value, now);
      if (found.indicator == nullptr) continue;
      AddDistinctEntity(
          &alert, ThreatIntelligenceEntity(*found.indicator, found.feed, o.type + ":" + o.value));
    }
  }
}

void IntelDetector::Inspect(const Event& event, std::vector<Alert>& alerts) {
  if ((store_ == nullptr || store_->size() == 0) && options_.live_feeds.empty()) return;
  seen_.clear();
  earlier_alerts_ = alerts.size();
  if (!alerts.empty()) Annotate(event, alerts);
  auto ip_type = [](std::string_view ip) {
    return ip.find(':') != std::string_view::npos ? "ipv6" : "ipv4";
  };
  for (std::string_view ip :
       {event.network.source_ip, event.network.destination_ip, event.logon.source_ip}) {
    if (!ip.empty()) Check(event, ip_type(ip), ip, alerts);
  }
  hash_values_.clear();
  for (std::string_view h : event.process.hashes) {
    if (!h.empty()) hash_values_.push_back(h);
  }
  hash_hits_.assign(hash_values_.size(), nullptr);
  if (store_ != nullptr && !hash_values_.empty()) {
    const int64_t now = event.timestamp_ns != 0 ? event.timestamp_ns : NowNanos();
    store_->MatchHashes(hash_values_, now, hash_hits_.data());
  }
  for (size_t i = 0; i < hash_values_.size(); ++i) {
    // A miss of the store needs no Check unless a streamed feed may list it.
    if (store_ != nullptr && hash_hits_[i] == nullptr && options_.live_feeds.empty()) continue;
    const Indicator* const* stored = store_ != nullptr ? &hash_hits_[i] : nullptr;
    Check(event, HashTypeOfLength(hash_values_[i].size()), hash_values_[i], alerts, stored);
  }
  Check(event, "dns", event.dns_query, alerts);
  if (!options_.scan_text) return;
  arena_.Reset();
  iocs_.clear();
  if (!event.process.command_line.empty()) {
    extractor_.Extract(event.process.command_line, arena_, &iocs_);
  }
  // A Windows event's message is the rendering of its fields, already looked
  // up above; scanning it would double the cost for nothing.
  if (!event.message.empty() && event.stream != Stream::kWinevent) {
    extractor_.Extract(event.message, arena_, &iocs_);
  }
  for (const Ioc& ioc : iocs_) {
    switch (ioc.type) {
      case IocType::kIpv4:
      case IocType::kIpv6:
      case IocType::kDns:
      case IocType::kUrl:
      case IocType::kMd5:
      case IocType::kSha1:
      case IocType::kSha256:
      case IocType::kSha512:
        Check(event, IocTypeName(ioc.type), ioc.value, alerts);
        break;
      default:
        break;
    }
  }
}

}  // namespace loghunt
