// Syslog parse + normalize throughput on one core: the Loghub OpenSSH and
// Linux samples replicated in memory to >= 100 MB each, fed line by line to
// SyslogParser (frame, extras, semantics) with a handler that only counts.
//
// Baseline, in the same run: one pass over the same lines that only finds the
// first ':' of each (memchr), i.e. the cost of touching the data. Report
// lines/s (items_per_second) per core and the ratio parse / baseline.
//   taskset -c 1 build-syslog/bench/syslog_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/syslog/syslog_parser.h"

namespace {

constexpr size_t kTargetBytes = 100u << 20;

struct Corpus {
  std::string text;
  std::vector<std::string_view> lines;
};

const Corpus& Load(const char* relative) {
  static std::vector<std::pair<std::string, Corpus*>> cache;
  for (auto& [name, c] : cache) {
    if (name == relative) return *c;
  }
  std::ifstream in(std::string(LOGHUNT_CORPORA) + "/" + relative, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string one = ss.str();
  auto* c = new Corpus;
  if (one.empty()) return *c;
  while (c->text.size() < kTargetBytes) c->text += one;
  std::string_view all = c->text;
  while (!all.empty()) {
    size_t nl = all.find('\n');
    c->lines.push_back(all.substr(0, nl));
    all.remove_prefix(nl == std::string_view::npos ? all.size() : nl + 1);
  }
  cache.emplace_back(relative, c);
  return *c;
}

class CountingHandler : public loghunt::EventHandler {
 public:
  void OnEvent(const loghunt::Event& e) override {
    ++events;
    kinds += static_cast<int>(e.kind);
  }
  void OnError(loghunt::ParseError, std::string_view, const loghunt::SourcePosition&) override {
    ++errors;
  }
  int64_t events = 0, errors = 0, kinds = 0;
};

void Report(benchmark::State& state, const Corpus& c) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * c.lines.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c.text.size()));
  state.counters["lines"] = static_cast<double>(c.lines.size());
}

void BM_Baseline_FindColon(benchmark::State& state, const char* file) {
  const Corpus& c = Load(file);
  for (auto _ : state) {
    size_t n = 0;
    for (std::string_view l : c.lines) {
      n += std::memchr(l.data(), ':', l.size()) != nullptr;
    }
    benchmark::DoNotOptimize(n);
  }
  Report(state, c);
}

void BM_SyslogParse(benchmark::State& state, const char* file) {
  const Corpus& c = Load(file);
  loghunt::ParserOptions options;
  options.default_year = 2005;
  loghunt::SyslogParser parser(options);
  CountingHandler h;
  for (auto _ : state) {
    int64_t offset = 0;
    for (std::string_view l : c.lines) parser.Parse(l, {"bench", -1, ++offset}, h);
  }
  benchmark::DoNotOptimize(h.kinds);
  Report(state, c);
  state.counters["errors"] = static_cast<double>(h.errors);
}

constexpr const char* kOpenSsh = "syslog/loghub/OpenSSH/OpenSSH_2k.log";
constexpr const char* kLinux = "syslog/loghub/Linux/Linux_2k.log";

BENCHMARK_CAPTURE(BM_Baseline_FindColon, openssh, kOpenSsh)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SyslogParse, openssh, kOpenSsh)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Baseline_FindColon, linux, kLinux)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SyslogParse, linux, kLinux)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
