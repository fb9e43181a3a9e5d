#include "daemon/cluster_command.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <vector>

#include "daemon/line_reader.h"
#include "detectors/cluster/log_format.h"
#include "detectors/cluster/template_miner.h"

namespace loghunt {
namespace {

// RFC 4180 quoting, only when needed.
void WriteCsvField(std::string_view s, FILE* out) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    std::fwrite(s.data(), 1, s.size(), out);
    return;
  }
  std::fputc('"', out);
  for (char c : s) {
    if (c == '"') std::fputc('"', out);
    std::fputc(c, out);
  }
  std::fputc('"', out);
}

struct FinalPattern {
  uint64_t id = 0;
  std::string template_text;
  uint64_t count = 0;
};

}  // namespace

int RunCluster(const ClusterOptions& options) {
  if (options.format != "loghub" && options.format != "summary") {
    std::fprintf(stderr, "loghuntd cluster: unknown format '%s' (loghub or summary)\n",
                 options.format.c_str());
    return 2;
  }
  std::optional<LogFormat> header;
  if (!options.log_format.empty()) {
    std::string error;
    header = LogFormat::Parse(options.log_format, &error);
    if (!header) {
      std::fprintf(stderr, "loghuntd cluster: --log-format: %s\n", error.c_str());
      return 2;
    }
  }
  FILE* in = options.input == "-" ? stdin : std::fopen(options.input.c_str(), "rbe");
  if (in == nullptr) {
    std::fprintf(stderr, "loghuntd cluster: %s: %s\n", options.input.c_str(), std::strerror(errno));
    return 1;
  }

  MinerOptions miner_options;
  miner_options.max_patterns = std::max<size_t>(1, options.max_patterns);
  TemplateMiner miner(miner_options);
  // Lines name their pattern by its creation serial, which survives slot
  // reuse: an evicted pattern's last template is kept under its serial, and a
  // merged pattern's serial points at the one it joined.
  std::vector<FinalPattern> retired;  // by serial; filled on eviction
  std::vector<uint32_t> line_serial;
  std::vector<uint32_t> alias;  // serial -> the serial it was merged into (union-find)
  auto grow = [&](uint64_t serial) {
    while (alias.size() <= serial) alias.push_back(static_cast<uint32_t>(alias.size()));
  };
  auto find = [&](uint32_t s) {
    while (alias[s] != s) s = alias[s] = alias[alias[s]];
    return s;
  };
  miner.set_on_evict([&](uint32_t, const TemplateMiner::Pattern& p) {
    if (retired.size() <= p.serial) retired.resize(p.serial + 1);
    retired[p.serial] = {p.id, p.template_text, p.count};
  });
  miner.set_on_merge([&](uint32_t from, uint32_t into) {
    uint64_t a = miner.pattern(from).serial, b = miner.pattern(into).serial;
    grow(std::max(a, b));
    alias[find(static_cast<uint32_t>(a))] = find(static_cast<uint32_t>(b));
  });

  LineReader reader(in, 1 << 20);
  std::string_view line;
  bool too_long = false;
  uint64_t unmatched = 0, cut = 0;
  while (reader.Next(&line, &too_long)) {
    cut += too_long ? 1 : 0;  // clustered on their first MiB
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string_view message = line;
    if (header) {
      if (auto content = header->Extract(line)) {
        message = *content;
      } else {
        ++unmatched;
      }
    }
    MinerMatch m = miner.Add(message);
    uint64_t serial = miner.pattern(m.slot).serial;
    grow(serial);
    line_serial.push_back(static_cast<uint32_t>(serial));
  }
  bool read_error = reader.error();
  if (in != stdin) std::fclose(in);
  if (read_error) {
    std::fprintf(stderr, "loghuntd cluster: %s: read error\n", options.input.c_str());
    return 1;
  }

  std::vector<FinalPattern> final_patterns(alias.size());
  for (uint32_t s = 0; s < retired.size(); ++s) final_patterns[s] = std::move(retired[s]);
  for (uint32_t slot = 0; slot < miner.slots(); ++slot) {
    const auto& p = miner.pattern(slot);
    if (p.live) final_patterns[p.serial] = {p.id, p.template_text, p.count};
  }
  for (uint32_t& s : line_serial) s = find(s);

  static char out_buffer[1 << 16];
  std::setvbuf(stdout, out_buffer, _IOFBF, sizeof out_buffer);
  if (options.format == "loghub") {
    std::fputs("LineId,EventId,EventTemplate\n", stdout);
    for (size_t i = 0; i < line_serial.size(); ++i) {
      const FinalPattern& p = final_patterns[line_serial[i]];
      std::fprintf(stdout, "%zu,%s,", i + 1, TemplateMiner::IdHex(p.id).c_str());
      WriteCsvField(p.template_text, stdout);
      std::fputc('\n', stdout);
    }
  } else {
    std::vector<const FinalPattern*> order;
    for (uint32_t s = 0; s < final_patterns.size(); ++s) {
      if (find(s) == s) order.push_back(&final_patterns[s]);
    }
    std::stable_sort(order.begin(), order.end(), [](const FinalPattern* a, const FinalPattern* b) {
      return a->count > b->count;
    });
    for (const FinalPattern* p : order) {
      std::fprintf(stdout, "%llu\t%s\t", static_cast<unsigned long long>(p->count),
                   TemplateMiner::IdHex(p->id).c_str());
      // fwrite: a template may hold a NUL byte (printf would cut it there).
      std::fwrite(p->template_text.data(), 1, p->template_text.size(), stdout);
      std::fputc('\n', stdout);
    }
  }
  std::fflush(stdout);
  std::fprintf(stderr,
               "loghuntd cluster: lines=%zu patterns=%zu evictions=%llu header_unmatched=%llu "
               "cut_at_1MiB=%llu\n",
               line_serial.size(), miner.size(), static_cast<unsigned long long>(miner.evictions()),
               static_cast<unsigned long long>(unmatched), static_cast<unsigned long long>(cut));
  return 0;
}

}  // namespace loghunt
