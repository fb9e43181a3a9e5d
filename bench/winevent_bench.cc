// Windows event parsing throughput on one core (issue 5, done-when 4).
//
// The corpus is every record of ../shared/corpora/windows (the Security-Datasets
// process creations and the 8 full datasets), replicated to at least 200 MB,
// one JSON object per line as the pipeline hands them over. Measured in the same
// process, over the same bytes:
//   winevent_parse_normalize  WineventParser::Parse: shape detection, every
//                             field read, unescaping, normalization, extras
//                             (the message is checked but, unread, not decoded).
//   ..._read_message          the same with a handler that reads the message
//                             (decoding it), as clustering and Sigma may.
//   simdjson_visit_fields     what a consumer of unpadded messages does with
//                             simdjson On-Demand when it always copies: copy into
//                             a padded buffer, iterate, visit every top-level
//                             field (key + raw value token), read EventID.
//   simdjson_visit_fields_in_place  the same, but copying only messages whose
//                             padding is not readable, as WineventParser does
//                             (WineventParser::PaddingIsReadable): the like-for-
//                             like baseline.
//   simdjson_iterate_many     the floor: one padded buffer, iterate_many, read
//                             EventID of each document; no copies.
// After the runs the ratios parse/visit and parse/floor are printed (medians
// when the runs are repeated). On a shared machine, pin and repeat:
//
//   taskset -c 1 build/bench/winevent_bench --benchmark_repetitions=5
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "parsers/winevent/winevent_parser.h"

namespace {

namespace fs = std::filesystem;
constexpr size_t kTargetBytes = 200u << 20;

struct Corpus {
  std::string buffer;  // lines joined by '\n', followed by simdjson padding
  size_t size = 0;     // bytes of JSON text (without the padding)
  std::vector<std::string_view> lines;
  size_t distinct_lines = 0;
};

const Corpus& GetCorpus() {
  static const Corpus corpus = [] {
    Corpus c;
    std::vector<fs::path> files{fs::path(LOGHUNT_CORPORA) /
                                "windows/security_datasets_process_creation.jsonl"};
    for (const auto& e : fs::directory_iterator(fs::path(LOGHUNT_CORPORA) / "windows/full")) {
      if (e.path().extension() == ".json") files.push_back(e.path());
    }
    std::sort(files.begin() + 1, files.end());
    std::string once;
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      std::string line;
      while (std::getline(in, line)) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        once += line;
        once += '\n';
        ++c.distinct_lines;
      }
    }
    if (once.empty()) return c;
    size_t copies = (kTargetBytes + once.size() - 1) / once.size();
    c.buffer.reserve(copies * once.size() + simdjson::SIMDJSON_PADDING);
    for (size_t i = 0; i < copies; ++i) c.buffer += once;
    c.size = c.buffer.size();
    c.buffer.append(simdjson::SIMDJSON_PADDING, ' ');
    std::string_view all(c.buffer.data(), c.size);
    size_t start = 0;
    while (start < all.size()) {
      size_t end = all.find('\n', start);
      c.lines.push_back(all.substr(start, end - start));
      start = end + 1;
    }
    return c;
  }();
  return corpus;
}

class CountingHandler : public loghunt::EventHandler {
 public:
  explicit CountingHandler(bool read_message) : read_message_(read_message) {}
  void OnEvent(const loghunt::Event& e) override {
    ++events;
    process_starts += e.kind == loghunt::EventKind::kProcessStart;
    if (read_message_) message_bytes += e.message.view().size();  // decodes it
  }
  void OnError(loghunt::ParseError, std::string_view, const loghunt::SourcePosition&) override {
    ++errors;
  }
  size_t events = 0, process_starts = 0, errors = 0, message_bytes = 0;

 private:
  bool read_message_;
};

void Finish(benchmark::State& state, const Corpus& c, size_t events_per_pass) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * events_per_pass));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c.size));
  state.counters["MB"] = static_cast<double>(c.size) / 1e6;
}

void ParseNormalize(benchmark::State& state, bool read_message) {
  const Corpus& c = GetCorpus();
  loghunt::ParserOptions options;
  loghunt::WineventParser parser(options);
  CountingHandler handler(read_message);
  for (auto _ : state) {
    int64_t offset = 0;
    for (std::string_view line : c.lines) parser.Parse(line, {"bench", 0, ++offset}, handler);
  }
  if (handler.errors != 0) state.SkipWithError("parse errors in the corpus");
  state.counters["process_start_share"] =
      static_cast<double>(handler.process_starts) / static_cast<double>(handler.events);
  benchmark::DoNotOptimize(handler.message_bytes);
  Finish(state, c, c.lines.size());
}

void BM_WineventParseNormalize(benchmark::State& state) { ParseNormalize(state, false); }
void BM_WineventParseNormalizeReadMessage(benchmark::State& state) { ParseNormalize(state, true); }

void VisitFields(benchmark::State& state, bool in_place) {
  const Corpus& c = GetCorpus();
  simdjson::ondemand::parser parser;
  std::vector<char> padded;
  size_t sink = 0, errors = 0;
  for (auto _ : state) {
    for (std::string_view line : c.lines) {
      const char* json = line.data();
      if (!in_place || !loghunt::WineventParser::PaddingIsReadable(line)) {
        if (padded.size() < line.size() + simdjson::SIMDJSON_PADDING) {
          padded.resize(line.size() + simdjson::SIMDJSON_PADDING);
        }
        std::memcpy(padded.data(), line.data(), line.size());
        std::memset(padded.data() + line.size(), 0, simdjson::SIMDJSON_PADDING);
        json = padded.data();
      }
      simdjson::ondemand::document doc;
      simdjson::ondemand::object obj;
      if (parser.iterate(json, line.size(), line.size() + simdjson::SIMDJSON_PADDING).get(doc) ||
          doc.get_object().get(obj)) {
        ++errors;
        continue;
      }
      for (auto item : obj) {
        simdjson::ondemand::field field;
        if (std::move(item).get(field)) {
          ++errors;
          break;
        }
        // raw() points into the padded buffer, so 8 bytes are always readable.
        if (std::memcmp(field.key().raw(), "EventID\"", 8) == 0) {
          int64_t id = 0;
          if (!field.value().get_int64().get(id)) sink += static_cast<size_t>(id);
        } else {
          sink += field.value().raw_json_token().size();
        }
      }
    }
  }
  benchmark::DoNotOptimize(sink);
  if (errors != 0) state.SkipWithError("simdjson errors in the corpus");
  Finish(state, c, c.lines.size());
}

void BM_SimdjsonVisitFields(benchmark::State& state) { VisitFields(state, false); }
void BM_SimdjsonVisitFieldsInPlace(benchmark::State& state) { VisitFields(state, true); }

void BM_SimdjsonIterateMany(benchmark::State& state) {
  const Corpus& c = GetCorpus();
  simdjson::ondemand::parser parser;
#ifdef SIMDJSON_THREADS_ENABLED
  parser.threaded = false;  // one core: no stage-1 helper thread
#endif
  size_t sink = 0, docs = 0;
  for (auto _ : state) {
    docs = 0;
    simdjson::ondemand::document_stream stream;
    if (parser.iterate_many(c.buffer.data(), c.size, 1 << 20).get(stream)) {
      state.SkipWithError("iterate_many failed");
      return;
    }
    for (auto doc : stream) {
      int64_t id = 0;
      if (!doc["EventID"].get_int64().get(id)) sink += static_cast<size_t>(id);
      ++docs;
    }
  }
  benchmark::DoNotOptimize(sink);
  if (docs != c.lines.size()) state.SkipWithError("iterate_many saw a different count");
  Finish(state, c, c.lines.size());
}

BENCHMARK(BM_WineventParseNormalize)->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK(BM_WineventParseNormalizeReadMessage)->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK(BM_SimdjsonVisitFields)->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK(BM_SimdjsonVisitFieldsInPlace)->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK(BM_SimdjsonIterateMany)->Unit(benchmark::kMillisecond)->Iterations(5);

// Prints the in-run ratios after the table.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      auto it = r.counters.find("items_per_second");
      if (it != r.counters.end() && !r.error_occurred) rates_[r.benchmark_name()] = it->second;
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void PrintRatios() const {
    // With --benchmark_repetitions the median of the repetitions, else the one run.
    auto rate = [&](const std::string& benchmark) {
      const std::string prefix = benchmark + "/";  // "BM_X/iterations:5[_median]"
      double plain = 0.0;
      for (const auto& [name, value] : rates_) {
        if (name.rfind(prefix, 0) != 0) continue;
        if (name.ends_with("_median")) return static_cast<double>(value);
        if (name.find('_', prefix.size()) == std::string::npos) plain = value;
      }
      return plain;
    };
    double parse = rate("BM_WineventParseNormalize"),
           parse_read = rate("BM_WineventParseNormalizeReadMessage"),
           visit = rate("BM_SimdjsonVisitFields"), in_place = rate("BM_SimdjsonVisitFieldsInPlace"),
           floor = rate("BM_SimdjsonIterateMany");
    std::printf(
        "events/s: parse+normalize %.0f (reading the message %.0f), simdjson visit-fields %.0f, "
        "visit-fields in place %.0f, simdjson iterate_many %.0f\n",
        parse, parse_read, visit, in_place, floor);
    if (visit > 0 && in_place > 0 && floor > 0) {
      std::printf(
          "ratio parse+normalize / simdjson visit-fields = %.3f; / visit-fields in place = %.3f; "
          "/ iterate_many = %.3f\n",
          parse / visit, parse / in_place, parse / floor);
      std::printf(
          "ratio parse+normalize reading the message / simdjson visit-fields = %.3f; / "
          "visit-fields in place = %.3f\n",
          parse_read / visit, parse_read / in_place);
    }
  }

 private:
  std::map<std::string, double> rates_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const Corpus& c = GetCorpus();
  double load[3] = {0, 0, 0};
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3) load[0] = -1;
    std::fclose(f);
  }
  std::printf(
      "corpus: %zu distinct records, replicated to %zu events, %.1f MB, %.0f bytes/event; "
      "load average %.2f %.2f %.2f\n",
      c.distinct_lines, c.lines.size(), static_cast<double>(c.size) / 1e6,
      c.lines.empty() ? 0.0 : static_cast<double>(c.size) / static_cast<double>(c.lines.size()),
      load[0], load[1], load[2]);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}
