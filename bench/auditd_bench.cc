// auditd path throughput: AuditdParser (header check, libauparse assembly,
// normalization to Events; no detectors) against libauparse's own feed mode
// with a callback that walks every record and field, on the same records in
// the same run. Input: every record line of ../shared/corpora/auditd, in file
// order, fed once per iteration into a fresh parser (ids must not repeat).
//
// Prints records/s for both and the ratio parser / libauparse (medians with
// repetitions). Run pinned to one core for a per-core figure; on a loaded
// machine interleave repetitions:
//   taskset -c 1 build/bench/auditd_bench --benchmark_repetitions=7
//       --benchmark_enable_random_interleaving=true
#include <auparse.h>
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "parsers/auditd/auditd_parser.h"

namespace {

namespace fs = std::filesystem;

const std::vector<std::string>& Records() {
  static const std::vector<std::string> records = [] {
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(fs::path(LOGHUNT_CORPORA) / "auditd")) {
      auto ext = e.path().extension();
      if (e.is_regular_file() && (ext == ".txt" || ext == ".log") &&
          e.path().filename() != "README.txt") {
        files.push_back(e.path());
      }
    }
    std::sort(files.begin(), files.end());
    std::vector<std::string> out;
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      for (std::string l; std::getline(in, l);) {
        if (l.rfind("type=", 0) == 0 || l.rfind("node=", 0) == 0) out.push_back(l);
      }
    }
    return out;
  }();
  return records;
}

void WalkEvent(auparse_state_t* au, auparse_cb_event_t type, void* sink) {
  if (type != AUPARSE_CB_EVENT_READY || auparse_first_record(au) <= 0) return;
  size_t& n = *static_cast<size_t*>(sink);
  do {
    if (auparse_first_field(au) <= 0) continue;
    do {
      const char* name = auparse_get_field_name(au);
      const char* value = auparse_get_field_str(au);
      n += (name != nullptr ? 1 : 0) + (value != nullptr ? std::strlen(value) : 0);
    } while (auparse_next_field(au) > 0);
  } while (auparse_next_record(au) > 0);
}

void BM_LibauparseFeedIterate(benchmark::State& state) {
  std::vector<std::string> lines;
  for (const auto& r : Records()) lines.push_back(r + "\n");  // auparse wants whole lines
  size_t sink = 0;
  for (auto _ : state) {
    auparse_state_t* au = auparse_init(AUSOURCE_FEED, nullptr);
    auparse_add_callback(au, WalkEvent, &sink, nullptr);
    for (const auto& l : lines) auparse_feed(au, l.data(), l.size());
    auparse_flush_feed(au);
    auparse_destroy(au);
  }
  benchmark::DoNotOptimize(sink);
  state.counters["records/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * lines.size()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LibauparseFeedIterate)->Unit(benchmark::kMillisecond)->MinTime(3.0);

class CountingHandler : public loghunt::EventHandler {
 public:
  void OnEvent(const loghunt::Event& e) override {
    ++events;
    bytes += e.process.command_line.size() + e.extras.size();
  }
  void OnError(loghunt::ParseError, std::string_view, const loghunt::SourcePosition&) override {
    ++errors;
  }
  size_t events = 0, bytes = 0, errors = 0;
};

void BM_AuditdParser(benchmark::State& state) {
  const auto& lines = Records();
  CountingHandler handler;
  loghunt::ParserOptions options;
  for (auto _ : state) {
    loghunt::AuditdParser parser(options);
    int64_t offset = 0;
    for (const auto& l : lines) parser.Parse(l, {"bench", 0, ++offset}, handler);
    parser.Flush(handler);
  }
  benchmark::DoNotOptimize(handler.bytes);
  state.counters["records/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * lines.size()), benchmark::Counter::kIsRate);
  state.counters["events/iter"] =
      static_cast<double>(handler.events) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_AuditdParser)->Unit(benchmark::kMillisecond)->MinTime(3.0);

// Keeps the records/s of each benchmark to print the ratio after the table.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      auto it = r.counters.find("records/s");
      if (it != r.counters.end()) rates_[r.benchmark_name()] = it->second.value;
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    // With --benchmark_repetitions the medians are compared.
    auto rate = [&](const std::string& prefix) {
      double plain = 0, median = 0;
      for (const auto& [name, value] : rates_) {
        if (name.rfind(prefix, 0) != 0) continue;
        if (name.ends_with("_median"))
          median = value;
        else if (name.find('_', prefix.size()) == std::string::npos)
          plain = value;
      }
      return median > 0 ? median : plain;
    };
    double base = rate("BM_LibauparseFeedIterate/");
    double ours = rate("BM_AuditdParser/");
    std::printf("input: %zu records\n", Records().size());
    std::printf("libauparse feed+iterate: %.0f records/s\n", base);
    std::printf("AuditdParser (parse+assemble+normalize): %.0f records/s\n", ours);
    if (base > 0) std::printf("ratio AuditdParser / libauparse: %.2f\n", ours / base);
  }

 private:
  std::map<std::string, double> rates_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
