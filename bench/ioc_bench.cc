// IoC extraction and extraction + recursive decoding on msticpy's command
// line corpus (../shared/corpora/msticpy/derived/corpus10k.txt), replicated
// to >= 100 MB and processed line by line as the detector does. The in-run
// baseline touches every byte once (a checksum), so the ratio says what the
// extraction costs over reading the input.
//
//   taskset -c 1 build-rules/bench/ioc_bench --benchmark_repetitions=3  (a Release build)
//
// bytes_per_second is per CPU second of the benchmark thread, i.e. per core,
// so a machine loaded by other work still gives comparable figures.
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "detectors/decode/decoder.h"
#include "detectors/ioc/ioc_extractor.h"

namespace {

struct Corpus {
  std::string text;
  std::vector<std::string_view> lines;
  Corpus() {
    std::ifstream in(std::string(LOGHUNT_CORPORA) + "/msticpy/derived/corpus10k.txt",
                     std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    std::string one = s.str();
    if (one.empty()) return;
    while (text.size() < (100u << 20)) text += one;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string::npos) nl = text.size();
      lines.emplace_back(text.data() + pos, nl - pos);
      pos = nl + 1;
    }
  }
};

const Corpus& GetCorpus() {
  static Corpus corpus;
  return corpus;
}

void BM_Baseline_Checksum(benchmark::State& state) {
  const Corpus& c = GetCorpus();
  for (auto _ : state) {
    uint64_t sum = 0;
    for (std::string_view line : c.lines) {
      for (char ch : line) sum += static_cast<uint8_t>(ch);
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c.text.size()));
  state.counters["lines"] = static_cast<double>(c.lines.size());
}

void BM_Extract(benchmark::State& state) {
  const Corpus& c = GetCorpus();
  loghunt::IocExtractor extractor;
  loghunt::Arena arena;
  std::vector<loghunt::Ioc> iocs;
  size_t found = 0;
  for (auto _ : state) {
    for (std::string_view line : c.lines) {
      arena.Reset();
      iocs.clear();
      extractor.Extract(line, arena, &iocs);
      found += iocs.size();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c.text.size()));
  state.counters["iocs_per_pass"] =
      static_cast<double>(found) / static_cast<double>(state.iterations());
}

void BM_ExtractAndDecode(benchmark::State& state) {
  const Corpus& c = GetCorpus();
  loghunt::IocExtractor extractor;
  loghunt::Decoder decoder;
  loghunt::Arena arena;
  std::vector<loghunt::Ioc> iocs;
  size_t found = 0, layers = 0;
  for (auto _ : state) {
    for (std::string_view line : c.lines) {
      arena.Reset();
      iocs.clear();
      extractor.Extract(line, arena, &iocs);
      for (const loghunt::DecodedLayer& l : decoder.Decode(line)) {
        extractor.Extract(l.text, arena, &iocs);
        ++layers;
      }
      found += iocs.size();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c.text.size()));
  state.counters["iocs_per_pass"] =
      static_cast<double>(found) / static_cast<double>(state.iterations());
  state.counters["layers_per_pass"] =
      static_cast<double>(layers) / static_cast<double>(state.iterations());
}

BENCHMARK(BM_Baseline_Checksum)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Extract)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ExtractAndDecode)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
