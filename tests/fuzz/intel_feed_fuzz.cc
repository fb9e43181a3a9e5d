// Fuzz target: threat-intel feeds, which come from outside (downloaded
// files, a Kafka topic anyone with produce rights can write). The first
// byte picks the input: a list, CSV (with a header naming every column),
// STIX 2.1 bundle or MISP event file, or a Kafka feed message
// ("KEY<TAB>VALUE", no tab: a tombstone). Contract: never crash, never throw
// out of the loader (a message with a field of an unexpected JSON type once
// aborted the daemon), never read out of bounds; and what was loaded answers
// lookups.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/time.h"
#include "detectors/intel/indicator_store.h"
#include "detectors/intel/intel_feeds.h"
#include "detectors/intel/live_indicators.h"

namespace {

void Lookups(auto match) {
  const int64_t now = loghunt::NowNanos();
  for (const char* v : {"203.0.113.7", "10.0.0.1", "2001:db8::1", "evil.example", "x.com",
                        "http://evil.example/a", "d41d8cd98f00b204e9800998ecf8427e"}) {
    match(v, now);
    match(v, int64_t{0});
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int mode = data[0] % 5;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (mode == 4) {
    // One store across inputs, as a feed consumer keeps it; bounded.
    static loghunt::LiveIndicatorStore live("fuzz", {.max_indicators = 1000});
    const size_t tab = text.find('\t');
    const std::string_view key = text.substr(0, tab);
    const std::string value(tab == std::string_view::npos ? "" : text.substr(tab + 1));
    loghunt::IndicatorMessageReport report;
    std::string error;
    loghunt::ApplyIndicatorMessage(key, tab == std::string_view::npos ? nullptr : value.data(),
                                   value.size(), 50, &live, &report, &error);
    loghunt::Indicator hit;
    Lookups([&](std::string_view v, int64_t t) {
      live.MatchIp(v, t, &hit);
      live.MatchDomain(v, t, &hit);
      live.MatchUrl(v, t, &hit);
      live.MatchHash(v, t, &hit);
    });
    live.DropExpired(loghunt::NowNanos());
    return 0;
  }
  loghunt::FeedConfig config;
  config.name = "fuzz";
  config.format = static_cast<loghunt::FeedFormat>(mode);
  if (config.format == loghunt::FeedFormat::kCsv) {
    config.csv_header = true;
    config.columns = {"value", "type", "description", "confidence", "expires"};
  }
  loghunt::IndicatorStore store;
  loghunt::FeedLoadReport report;
  std::string error;
  loghunt::LoadFeedText(config, text, &store, &report, &error);
  Lookups([&](std::string_view v, int64_t t) {
    store.MatchIp(v, t);
    store.MatchDomain(v, t);
    store.MatchUrl(v, t);
    store.MatchHash(v, t);
  });
  return 0;
}
