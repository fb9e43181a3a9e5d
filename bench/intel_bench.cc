// Threat-intel matching with 1,000,000 indicators loaded (400k IPs, 100k
// networks, 300k domains, 150k hashes, 50k URLs, generated), reporting the
// store's heap footprint, per-lookup costs, and the cost of the intel
// detector inside the pipeline on the Security-Datasets Windows corpus:
// BM_Pipeline/0 = parse + default detectors (the in-run baseline),
// BM_Pipeline/1 = the same plus IntelDetector (scan_text on), /2 = plus
// IntelDetector with scan_text off (structured fields only); the ratio of
// items_per_second to /0 is the pipeline's throughput with intel on.
//
// BM_IntelOnly runs the intel detector alone on the parsed corpus (/0 parse
// only), for its own cost per event. Compare with random interleaving, so
// that order and drift do not enter the ratios:
//
//   taskset -c 1 build-intel/bench/intel_bench --benchmark_filter=BM_Pipeline
//     --benchmark_repetitions=9 --benchmark_min_time=0.5
//     --benchmark_enable_random_interleaving=true
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "daemon/config.h"
#include "daemon/pipeline.h"
#include "detectors/intel/indicator_store.h"
#include "detectors/intel/intel_detector.h"
#include "parsers/parser.h"

namespace loghunt {
namespace {

constexpr size_t kIndicators = 1'000'000;

std::string Ip(uint32_t v) {
  return std::to_string(v >> 24) + "." + std::to_string((v >> 16) & 255) + "." +
         std::to_string((v >> 8) & 255) + "." + std::to_string(v & 255);
}

std::string Hex(std::mt19937_64& rng, size_t digits) {
  static const char* kHex = "0123456789abcdef";
  std::string s(digits, '0');
  for (char& c : s) c = kHex[rng() & 15];
  return s;
}

struct Fixture {
  std::shared_ptr<IndicatorStore> store = std::make_shared<IndicatorStore>();
  std::vector<std::string> ips, domains, hashes;
  size_t heap_bytes = 0;
  Fixture() {
    std::mt19937_64 rng(42);
    size_t before = mallinfo2().uordblks;
    uint16_t feed = store->AddFeed("bench");
    for (size_t i = 0; i < kIndicators; ++i) {
      switch (i % 20) {
        case 0:
        case 1:
        case 2:
        case 3:
        case 4:
        case 5:
        case 6:
        case 7: {
          std::string ip = Ip(static_cast<uint32_t>(rng()));
          if (ips.size() < 10000) ips.push_back(ip);
          store->Add(IndicatorType::kIp, ip, feed, 70, "bench ip", 0);
          break;
        }
        case 8:
        case 9:
          store->Add(IndicatorType::kNetwork,
                     Ip(static_cast<uint32_t>(rng()) & 0xFFFFFF00u) + "/24", feed, 50, "bench net",
                     0);
          break;
        case 10:
        case 11:
        case 12:
        case 13:
        case 14:
        case 15: {
          std::string d = Hex(rng, 10) + ".example" + std::to_string(i % 97) + ".com";
          if (domains.size() < 10000) domains.push_back("www." + d);
          store->Add(IndicatorType::kDomain, d, feed, 60, "bench domain", 0);
          break;
        }
        case 16:
        case 17:
        case 18: {
          std::string h = Hex(rng, 64);
          if (hashes.size() < 10000) hashes.push_back(h);
          store->Add(IndicatorType::kHash, h, feed, 90, "bench hash", 0);
          break;
        }
        default:
          store->Add(IndicatorType::kUrl, "http://" + Hex(rng, 12) + ".example/x", feed, 60, "", 0);
      }
    }
    heap_bytes = mallinfo2().uordblks - before;
  }
};

const Fixture& Get() {
  static Fixture f;
  return f;
}

void Report(benchmark::State& state) {
  state.counters["indicators"] = static_cast<double>(Get().store->size());
  state.counters["store_MiB"] = static_cast<double>(Get().heap_bytes) / (1 << 20);
}

void BM_MatchIp_Hit(benchmark::State& state) {
  const auto& f = Get();
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(f.store->MatchIp(f.ips[i++ % f.ips.size()], 1));
  state.SetItemsProcessed(state.iterations());
  Report(state);
}

void BM_MatchIp_Miss(benchmark::State& state) {
  const auto& f = Get();
  std::vector<std::string> miss;
  for (uint32_t v = 0; v < 1000; ++v) miss.push_back(Ip(0x0A000000u + v * 7919));
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(f.store->MatchIp(miss[i++ % miss.size()], 1));
  state.SetItemsProcessed(state.iterations());
}

void BM_MatchDomain_ParentWalk(benchmark::State& state) {
  const auto& f = Get();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.store->MatchDomain(f.domains[i++ % f.domains.size()], 1));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_MatchHash_Hit(benchmark::State& state) {
  const auto& f = Get();
  size_t i = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(f.store->MatchHash(f.hashes[i++ % f.hashes.size()], 1));
  state.SetItemsProcessed(state.iterations());
}

std::vector<std::string> CorpusLines() {
  std::ifstream in(std::string(LOGHUNT_CORPORA) +
                   "/windows/security_datasets_process_creation.jsonl");
  std::vector<std::string> lines;
  std::string l;
  while (std::getline(in, l)) lines.push_back(l);
  return lines;
}

class Runner : public EventHandler {
 public:
  Runner(DetectorSet* set, Detector* intel) : set_(set), intel_(intel) {}
  void OnEvent(const Event& e) override {
    alerts_.clear();
    set_->Inspect(e, alerts_);
    if (intel_ != nullptr) intel_->Inspect(e, alerts_);
    alerts += alerts_.size();
  }
  void OnError(ParseError, std::string_view, const SourcePosition&) override {}
  size_t alerts = 0;

 private:
  DetectorSet* set_;
  Detector* intel_;
  std::vector<Alert> alerts_;
};

void BM_Pipeline(benchmark::State& state) {
  static const std::vector<std::string> lines = CorpusLines();
  const auto& f = Get();
  Config config;  // built-in defaults: the detectors a plain `replay` runs
  DetectorSet set(config);
  IntelDetectorOptions options;
  options.scan_text = state.range(0) == 1;
  IntelDetector intel(f.store, options);
  Runner runner(&set, state.range(0) ? &intel : nullptr);
  auto parser = MakeParser(Stream::kWinevent, ParserOptions{});
  int64_t n = 0;
  for (auto _ : state) {
    for (const auto& l : lines) parser->Parse(l, {"bench", -1, ++n}, runner);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(lines.size()));
  state.SetBytesProcessed(state.iterations() * [] {
    int64_t b = 0;
    for (const auto& l : lines) b += static_cast<int64_t>(l.size());
    return b;
  }());
  state.counters["alerts_per_pass"] =
      static_cast<double>(runner.alerts) / static_cast<double>(state.iterations());
  Report(state);
}

// The intel detector alone on parsed events: /0 parses only, /1 parses and
// runs IntelDetector (scan_text on), /2 with scan_text off. The difference of
// the per-event times is the detector's own cost, without the other
// detectors' noise around it.
class IntelOnly : public EventHandler {
 public:
  explicit IntelOnly(Detector* intel) : intel_(intel) {}
  void OnEvent(const Event& e) override {
    if (intel_ == nullptr) {
      benchmark::DoNotOptimize(e.process.command_line.data());
      return;
    }
    alerts_.clear();
    intel_->Inspect(e, alerts_);
  }
  void OnError(ParseError, std::string_view, const SourcePosition&) override {}

 private:
  Detector* intel_;
  std::vector<Alert> alerts_;
};

void BM_IntelOnly(benchmark::State& state) {
  static const std::vector<std::string> lines = CorpusLines();
  const auto& f = Get();
  IntelDetectorOptions options;
  options.scan_text = state.range(0) == 1;
  IntelDetector intel(f.store, options);
  IntelOnly handler(state.range(0) ? &intel : nullptr);
  auto parser = MakeParser(Stream::kWinevent, ParserOptions{});
  int64_t n = 0;
  for (auto _ : state) {
    for (const auto& l : lines) parser->Parse(l, {"bench", -1, ++n}, handler);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(lines.size()));
}

BENCHMARK(BM_MatchIp_Hit);
BENCHMARK(BM_MatchIp_Miss);
BENCHMARK(BM_MatchDomain_ParentWalk);
BENCHMARK(BM_MatchHash_Hit);
BENCHMARK(BM_Pipeline)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_IntelOnly)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace loghunt

BENCHMARK_MAIN();
