// loghunt-bench: whole-pipeline throughput on one core.
//
// Loads a corpus file into memory, replicates it to at least --min-mb
// megabytes, and runs it through the same Pipeline the daemon uses (parse +
// normalize, and with --detect the detectors, alerts going to a discarding
// sink). Reports events/s and MB/s on one core next to a baseline measured in
// the same run over the same bytes: splitting the buffer into lines and
// touching every byte (the floor any line-based pipeline pays).
//
//   build/loghunt-bench                       # every stream, default corpora
//   build/loghunt-bench --stream syslog --file F --min-mb 100 --detect
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/config.h"
#include "daemon/pipeline.h"

namespace {

class DiscardSink : public loghunt::AlertSink {
 public:
  std::string_view name() const override { return "discard"; }
  bool Write(const loghunt::Alert&) override {
    ++count;
    return true;
  }
  uint64_t count = 0;
};

std::vector<std::string_view> SplitLines(const std::string& buffer) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos < buffer.size()) {
    size_t nl = buffer.find('\n', pos);
    if (nl == std::string::npos) nl = buffer.size();
    lines.emplace_back(buffer.data() + pos, nl - pos);
    pos = nl + 1;
  }
  return lines;
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int Bench(const std::string& stream_name, const std::string& file, double min_mb, bool detect) {
  loghunt::Stream stream;
  if (!loghunt::ParseStreamName(stream_name, &stream)) {
    std::fprintf(stderr, "unknown stream %s\n", stream_name.c_str());
    return 2;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", file.c_str());
    return 1;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string one = ss.str();
  if (!one.empty() && one.back() != '\n') one.push_back('\n');
  std::string buffer;
  while (buffer.size() < min_mb * 1e6) buffer += one;
  std::vector<std::string_view> lines = SplitLines(buffer);

  // Baseline: touch every byte of every line (checksum so it is not optimized away).
  auto t0 = std::chrono::steady_clock::now();
  uint64_t checksum = 0;
  for (auto line : SplitLines(buffer)) {
    for (char c : line) checksum += static_cast<unsigned char>(c);
  }
  double base_s = Seconds(t0);

  loghunt::Config config;
  config.risky_command_enabled = detect;
  DiscardSink sink;
  loghunt::Pipeline pipeline(config, stream, {&sink});
  auto t1 = std::chrono::steady_clock::now();
  int64_t n = 0;
  for (auto line : lines) pipeline.Process(line, {"bench", 0, ++n});
  pipeline.Finish();
  double s = Seconds(t1);

  const auto& st = pipeline.stats();
  double mb = static_cast<double>(buffer.size()) / 1e6;
  std::printf(
      "%-8s %8.1f MB %9zu lines  pipeline%s: %10.0f events/s %8.1f MB/s  | baseline(split+touch): "
      "%8.1f MB/s  ratio %.3f  (events=%llu errors=%llu alerts=%llu, checksum %llu)\n",
      stream_name.c_str(), mb, lines.size(), detect ? "+detect" : "", st.events / s, mb / s,
      mb / base_s, base_s / s, static_cast<unsigned long long>(st.events),
      static_cast<unsigned long long>(st.errors()), static_cast<unsigned long long>(sink.count),
      static_cast<unsigned long long>(checksum % 1000));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"loghunt-bench: whole-pipeline throughput, events/s on one core"};
  std::string stream, file;
  double min_mb = 50;
  bool detect = false;
  std::string corpora = "../shared/corpora";
  app.add_option("--stream", stream, "auditd, syslog or winevent (default: all three)");
  app.add_option("--file", file, "Corpus file (default: one per stream from --corpora)");
  app.add_option("--min-mb", min_mb, "Replicate the file to at least this many MB")->capture_default_str();
  app.add_option("--corpora", corpora, "Corpora folder")->capture_default_str();
  app.add_flag("--detect", detect, "Run the detectors too");
  CLI11_PARSE(app, argc, argv);
  if (!stream.empty()) {
    if (file.empty()) {
      std::fprintf(stderr, "--stream needs --file\n");
      return 2;
    }
    return Bench(stream, file, min_mb, detect);
  }
  int rc = 0;
  rc |= Bench("syslog", corpora + "/syslog/loghub/OpenSSH/OpenSSH_2k.log", min_mb, detect);
  rc |= Bench("auditd", corpora + "/auditd/msticpy/auditd_log.txt", min_mb, detect);
  rc |= Bench("winevent", corpora + "/windows/security_datasets_process_creation.jsonl", min_mb, detect);
  return rc;
}
