// Streaming clustering throughput and memory (detectors/cluster/).
//
//   BM_TokenizeBaseline : whitespace split + FNV hash of each token of the
//                         same messages: the floor any template miner pays;
//                         the ratio to it is the in-run baseline.
//   BM_MinerAdd         : TemplateMiner::Add on the six Loghub-2k samples'
//                         message content, replicated (the miner is warm, as
//                         in a long-running daemon); lines/s on one core.
//   BM_MinerWithHeader  : the same plus cutting the content out of the raw
//                         line with the dataset's LogFormat (`loghuntd cluster`).
//   BM_MillionPatterns  : 1,000,000 distinct patterns into a miner bounded at
//                         1,000,000 (then 200,000 more, evicted): reports
//                         bytes held (MemoryBytes) and the RSS growth.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "core/hash.h"
#include "detectors/cluster/log_format.h"
#include "detectors/cluster/template_miner.h"

namespace {

struct Dataset {
  const char* name;
  const char* header;
};
constexpr Dataset kDatasets[] = {
    {"HDFS", "<Date> <Time> <Pid> <Level> <Component>: <Content>"},
    {"Hadoop", "<Date> <Time> <Level> \\[<Process>\\] <Component>: <Content>"},
    {"BGL",
     "<Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> <Component> <Level> <Content>"},
    {"Linux", "<Month> <Date> <Time> <Level> <Component>(\\[<PID>\\])?: <Content>"},
    {"Apache", "\\[<Time>\\] \\[<Level>\\] <Content>"},
    {"OpenSSH", "<Date> <Day> <Time> <Component> sshd\\[<Pid>\\]: <Content>"},
};

struct Corpus {
  std::vector<std::string> raw;
  std::vector<size_t> format_of;  // index into formats
  std::vector<loghunt::LogFormat> formats;
  std::vector<std::string> content;
  size_t bytes = 0;
};

const Corpus& LoadCorpus() {
  static Corpus c = [] {
    Corpus c;
    for (const Dataset& d : kDatasets) {
      std::string error;
      c.formats.push_back(*loghunt::LogFormat::Parse(d.header, &error));
      std::ifstream in(std::string(LOGHUNT_CORPORA) + "/loghub/" + d.name + "/" + d.name +
                       "_2k.log");
      for (std::string line; std::getline(in, line);) {
        auto content = c.formats.back().Extract(line);
        c.content.emplace_back(content ? *content : std::string_view(line));
        c.raw.push_back(line);
        c.format_of.push_back(c.formats.size() - 1);
        c.bytes += c.content.back().size();
      }
    }
    return c;
  }();
  return c;
}

size_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

void BM_TokenizeBaseline(benchmark::State& state) {
  const Corpus& c = LoadCorpus();
  uint64_t sink = 0;
  for (auto _ : state) {
    for (const std::string& m : c.content) {
      size_t i = 0;
      while (i < m.size()) {
        while (i < m.size() && m[i] == ' ') ++i;
        size_t start = i;
        while (i < m.size() && m[i] != ' ') ++i;
        sink += loghunt::Fnv1a64(std::string_view(m).substr(start, i - start));
      }
    }
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * c.content.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c.bytes));
}
BENCHMARK(BM_TokenizeBaseline)->Unit(benchmark::kMillisecond);

void BM_MinerAdd(benchmark::State& state) {
  const Corpus& c = LoadCorpus();
  loghunt::TemplateMiner miner;
  for (const std::string& m : c.content) miner.Add(m);  // warm: patterns exist
  for (auto _ : state) {
    for (const std::string& m : c.content) benchmark::DoNotOptimize(miner.Add(m));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * c.content.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c.bytes));
  state.counters["patterns"] = static_cast<double>(miner.size());
}
BENCHMARK(BM_MinerAdd)->Unit(benchmark::kMillisecond);

void BM_MinerWithHeader(benchmark::State& state) {
  const Corpus& c = LoadCorpus();
  loghunt::TemplateMiner miner;
  for (const std::string& m : c.content) miner.Add(m);
  for (auto _ : state) {
    for (size_t i = 0; i < c.raw.size(); ++i) {
      auto content = c.formats[c.format_of[i]].Extract(c.raw[i]);
      benchmark::DoNotOptimize(miner.Add(content ? *content : std::string_view(c.raw[i])));
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * c.raw.size()));
}
BENCHMARK(BM_MinerWithHeader)->Unit(benchmark::kMillisecond);

// "evt<letters> started on node <letters>": distinct constant words (no
// digits), so every message is its own pattern.
std::string DistinctMessage(uint64_t i) {
  std::string word;
  do {
    word.push_back(static_cast<char>('a' + i % 26));
    i /= 26;
  } while (i > 0);
  return "evt" + word + " started on node " + word + "x";
}

void BM_MillionPatterns(benchmark::State& state) {
  constexpr size_t kPatterns = 1'000'000;
  for (auto _ : state) {
    state.PauseTiming();
    size_t rss_before = RssBytes();
    state.ResumeTiming();
    loghunt::MinerOptions options;
    options.max_patterns = kPatterns;
    loghunt::TemplateMiner miner(options);
    for (uint64_t i = 0; i < kPatterns + 200'000; ++i) miner.Add(DistinctMessage(i));
    state.PauseTiming();
    state.counters["patterns"] = static_cast<double>(miner.size());
    state.counters["evictions"] = static_cast<double>(miner.evictions());
    state.counters["miner_MB"] = static_cast<double>(miner.MemoryBytes()) / 1e6;
    state.counters["rss_growth_MB"] = static_cast<double>(RssBytes() - rss_before) / 1e6;
    state.counters["bytes_per_pattern"] = static_cast<double>(miner.MemoryBytes()) / kPatterns;
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * (kPatterns + 200'000)));
}
BENCHMARK(BM_MillionPatterns)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
