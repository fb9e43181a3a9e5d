// Sigma engine throughput on the Windows corpus (../shared/corpora/windows):
// events/s on one core with every corpus rule loaded and with the first 100
// Windows rules, whose ratio shows how cost grows with the rule count.
//
// Events are parsed once up front and kept (deep copies), so the timed loop is
// SigmaMatcher::Match alone: field lookup, one Hyperscan scan per mapped
// field, and evaluation of the candidate rules.
//
// BM_ScansOnly runs only the Hyperscan scans Match makes on a process
// creation (every database of every mapped field present in the event, with
// a callback that counts): the floor of Match's cost for a rule set, without
// marking slots or evaluating rules. Its counters give each field's share
// (us per event, measured in a separate pass).
//
// BM_JoinedCommandLines matches one hostile event, a process creation whose
// CommandLine joins every corpus command line, with all rules.
//
//   build-rules/bench/rules_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/hs_scan.h"
#include "detectors/rules/sigma_ruleset.h"
#include "detectors/rules/sigma_ruleset_impl.h"
#include "parsers/parser.h"

namespace loghunt {
namespace {

const std::string kCorpora = LOGHUNT_CORPORA;

// An Event whose views point into its own buffer.
struct OwnedEvent {
  std::string buffer;
  Event event;
};

class Collector : public EventHandler {
 public:
  explicit Collector(std::deque<OwnedEvent>* out) : out_(out) {}
  void OnEvent(const Event& e) override {
    OwnedEvent& o = out_->emplace_back();
    o.event = e;
    std::string_view message = e.message;  // decoded: the parser's arena goes with the call
    std::vector<std::string_view*> views = {&o.event.host,
                                            &o.event.program,
                                            &message,
                                            &o.event.raw,
                                            &o.event.process.executable,
                                            &o.event.process.command_line,
                                            &o.event.process.cwd,
                                            &o.event.process.parent_executable,
                                            &o.event.process.parent_command_line,
                                            &o.event.process.user,
                                            &o.event.process.logon_id,
                                            &o.event.process.hashes[0],
                                            &o.event.process.hashes[1],
                                            &o.event.process.hashes[2],
                                            &o.event.dns_query,
                                            &o.event.position.topic};
    for (auto& x : o.event.extras) {
      views.push_back(&x.key);
      views.push_back(&x.value);
    }
    size_t total = 0;
    for (auto* v : views) total += v->size();
    o.buffer.reserve(total);
    std::vector<size_t> offsets;
    for (auto* v : views) {
      offsets.push_back(o.buffer.size());
      o.buffer.append(*v);
    }
    for (size_t i = 0; i < views.size(); ++i) {
      *views[i] = std::string_view(o.buffer.data() + offsets[i], views[i]->size());
    }
    o.event.message = message;
  }
  void OnError(ParseError, std::string_view, const SourcePosition&) override {}

 private:
  std::deque<OwnedEvent>* out_;
};

const std::deque<OwnedEvent>& Events(bool process_creation_only) {
  static std::deque<OwnedEvent> all, pc;
  if (all.empty()) {
    auto parser = MakeParser(Stream::kWinevent, ParserOptions{});
    std::vector<std::string> files = {kCorpora +
                                      "/windows/security_datasets_process_creation.jsonl"};
    for (const auto& e : std::filesystem::directory_iterator(kCorpora + "/windows/full")) {
      files.push_back(e.path().string());
    }
    for (size_t i = 0; i < files.size(); ++i) {
      Collector c(i == 0 ? &pc : &all);
      std::ifstream in(files[i]);
      std::string line;
      while (std::getline(in, line)) {
        if (!line.empty()) parser->Parse(line, {}, c);
      }
    }
    // `all` = every Windows event: the process creations plus the full recordings.
    Collector c(&all);
    std::ifstream in(files[0]);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) parser->Parse(line, {}, c);
    }
  }
  return process_creation_only ? pc : all;
}

std::shared_ptr<const SigmaRuleSet> Rules(bool all_rules) {
  static std::shared_ptr<const SigmaRuleSet> all, first100;
  auto& slot = all_rules ? all : first100;
  if (!slot) {
    SigmaLoadOptions options;
    const std::string s = kCorpora + "/sigma";
    if (all_rules) {
      options.paths = {s + "/rules", s + "/rules-threat-hunting", s + "/rules-emerging-threats"};
    } else {
      options.paths = {s + "/rules/windows/process_creation"};
      options.max_files = 100;
    }
    SigmaLoadReport report;
    std::string error;
    slot = SigmaRuleSet::Load(options, &report, &error);
    if (!slot) std::abort();
  }
  return slot;
}

void BM_SigmaMatch(benchmark::State& state) {
  bool all_rules = state.range(0) != 0;
  bool pc_only = state.range(1) != 0;
  const auto& events = Events(pc_only);
  auto rules = Rules(all_rules);
  SigmaMatcher matcher(rules);
  std::vector<uint32_t> matched;
  size_t hits = 0;
  for (auto _ : state) {
    for (const OwnedEvent& e : events) {
      matched.clear();
      matcher.Match(e.event, &matched);
      hits += matched.size();
    }
  }
  benchmark::DoNotOptimize(hits);
  // Rule matches in one pass over the events: the same in every build that
  // evaluates the same rules, so a faster engine that skips work shows here.
  state.counters["matches"] = state.iterations() > 0 ? double(hits / state.iterations()) : 0.0;
  state.SetLabel(std::string(all_rules ? "all " : "first ") + std::to_string(rules->rule_count()) +
                 " rules, " + (pc_only ? "process_creation" : "all windows") + " events");
  state.counters["events_per_s"] = benchmark::Counter(
      double(events.size()) * double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["events"] = double(events.size());
}

// The values a group's fields take in an event: folded (for the folded
// database) and as they are (for the exact one).
struct FieldValues {
  std::vector<std::string> folded, exact;
  std::vector<bool> present;
};

int CountHit(unsigned, unsigned long long, unsigned long long, unsigned, void* ctx) {
  ++*static_cast<size_t*>(ctx);
  return 0;
}

void BM_ScansOnly(benchmark::State& state) {
  const bool all_rules = state.range(0) != 0;
  const auto& events = Events(true);
  auto rules = Rules(all_rules);
  const SigmaRuleSet::Impl& impl = rules->impl();
  hs_scratch_t* scratch = nullptr;
  for (const sigma::Group& g : impl.groups) {
    for (const sigma::GroupField& f : g.fields) {
      if (f.folded_database != nullptr) hs_alloc_scratch(f.folded_database, &scratch);
      if (f.exact_database != nullptr) hs_alloc_scratch(f.exact_database, &scratch);
    }
  }
  // Field values read up front (Match reads them per event; that is not a scan).
  std::vector<std::pair<const sigma::Group*, FieldValues>> work;
  for (const OwnedEvent& e : events) {
    for (const sigma::Group& g : impl.groups) {
      if (!g.mapping.Covers(e.event)) continue;
      FieldValues v;
      for (const sigma::GroupField& f : g.fields) {
        std::string_view text;
        bool present = false;
        for (size_t i = 0; i < f.sources.size() && !present; ++i) {
          present = f.sources[i].Read(e.event, &text);
        }
        std::string folded(text);
        for (char& c : folded) c = sigma::FoldAscii(c);
        v.folded.push_back(std::move(folded));
        v.exact.emplace_back(text);
        v.present.push_back(present);
      }
      work.emplace_back(&g, std::move(v));
    }
  }
  std::string copy;  // ScanPadded's, as the matcher's
  auto scan = [&](const sigma::GroupField& f, const FieldValues& v, size_t i, size_t* hits) {
    if (!v.present[i]) return;
    if (f.folded_database != nullptr) {
      ScanPadded(f.folded_database, v.folded[i], scratch, CountHit, hits, &copy);
    }
    if (f.exact_database != nullptr) {
      ScanPadded(f.exact_database, v.exact[i], scratch, CountHit, hits, &copy);
    }
  };
  size_t hits = 0;
  for (auto _ : state) {
    for (const auto& [g, v] : work) {
      for (size_t i = 0; i < g->fields.size(); ++i) scan(g->fields[i], v, i, &hits);
    }
  }
  benchmark::DoNotOptimize(hits);
  // Each field's share, from a separate pass (timing every scan would add the
  // clock's cost to each).
  std::map<std::string, double> seconds;
  constexpr int kReps = 10;
  for (const sigma::Group& g : impl.groups) {
    for (size_t i = 0; i < g.fields.size(); ++i) {
      auto start = std::chrono::steady_clock::now();
      size_t n = 0;
      for (int r = 0; r < kReps; ++r) {
        for (const auto& [wg, v] : work) {
          if (wg == &g) scan(g.fields[i], v, i, &n);
        }
      }
      benchmark::DoNotOptimize(n);
      seconds[g.fields[i].name] +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
  }
  for (const auto& [name, sec] : seconds) {
    const double us = sec * 1e6 / (kReps * static_cast<double>(events.size()));
    if (us >= 0.01) state.counters[name + "_us"] = us;
  }
  hs_free_scratch(scratch);
  state.SetLabel(std::string(all_rules ? "all " : "first ") + std::to_string(rules->rule_count()) +
                 " rules, scans only, process_creation events");
  state.counters["events_per_s"] = benchmark::Counter(
      static_cast<double>(events.size()) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
}

// A hostile event: one process creation whose CommandLine joins every
// corpus command line (about 220 KB), so it holds the triggers of many rules
// at once and each of their deferred literals would search the whole value;
// the per-field budget (sigma::kDirectBudgetBytes) turns those into one scan.
void BM_JoinedCommandLines(benchmark::State& state) {
  const auto& events = Events(true);
  auto rules = Rules(true);
  std::string joined;
  for (const OwnedEvent& e : events) {
    joined.append(e.event.process.command_line);
    joined.push_back(' ');
  }
  Event event = events.front().event;
  event.process.command_line = joined;
  for (ExtraField& extra : event.extras) {
    if (extra.key == "CommandLine") extra.value = joined;
  }
  SigmaMatcher matcher(rules);
  std::vector<uint32_t> matched;
  for (auto _ : state) {
    matched.clear();
    matcher.Match(event, &matched);
  }
  state.counters["matches"] = static_cast<double>(matched.size());
  state.counters["bytes"] = static_cast<double>(joined.size());
  state.SetBytesProcessed(static_cast<int64_t>(joined.size()) * state.iterations());
  state.SetLabel("all " + std::to_string(rules->rule_count()) + " rules, one joined command line");
}

BENCHMARK(BM_JoinedCommandLines)->Unit(benchmark::kMillisecond);

BENCHMARK(BM_ScansOnly)
    ->ArgNames({"rules_all"})
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);

BENCHMARK(BM_SigmaMatch)
    ->ArgNames({"all_rules", "process_creation_only"})
    ->Args({0, 1})
    ->Args({1, 1})
    ->Args({0, 0})
    ->Args({1, 0})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);

// Prints, after the table, all-rules events/s divided by first-100 events/s
// for each event set: both runs of a pair come from this process, on the same
// events.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  RatioReporter() : ConsoleReporter(isatty(STDOUT_FILENO) ? OO_Defaults : OO_Tabular) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      auto it = run.counters.find("events_per_s");
      if (it != run.counters.end()) rates_[run.benchmark_name()] = it->second.value;
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    for (const char* set : {"process_creation_only:1", "process_creation_only:0"}) {
      double first = 0, all = 0;
      for (const auto& [name, rate] : rates_) {
        if (name.find(set) == std::string::npos) continue;
        (name.find("all_rules:1") != std::string::npos ? all : first) = rate;
      }
      if (first > 0 && all > 0) {
        std::printf(
            "ratio all/first-100 rules, %s events: %.0f / %.0f events/s = %.3f\n",
            std::string(set) == "process_creation_only:1" ? "process_creation" : "all windows", all,
            first, all / first);
      }
    }
  }

 private:
  std::map<std::string, double> rates_;
};

}  // namespace
}  // namespace loghunt

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  loghunt::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
