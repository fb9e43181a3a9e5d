#include "daemon/ioc_command.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string_view>
#include <vector>

#include "core/json_out.h"
#include "daemon/line_reader.h"
#include "detectors/decode/decoder.h"
#include "detectors/ioc/ioc_extractor.h"

namespace loghunt {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Valid UTF-8 only (decoded layers are often not): see core/json_out.h.
void String(Writer& w, std::string_view s) { json::String(w, s); }

// Opens `path` ("-" = stdin) and calls `fn` per line; returns the exit code:
// 1 when the input could not be read whole (a read error, or a line, or with
// --whole the input, longer than max_line: only its first max_line bytes are
// read, and that is said on stderr) or stdout could not be written.
int ForEachLine(const IocCommandOptions& options,
                const std::function<void(size_t, std::string_view)>& fn) {
  FILE* in = stdin;
  if (options.input != "-") {
    in = std::fopen(options.input.c_str(), "rb");
    if (in == nullptr) {
      spdlog::error("{}: {}", options.input, std::strerror(errno));
      return 1;
    }
  }
  bool error = false, cut = false;
  if (options.whole) {
    std::string all;
    char chunk[65536];
    size_t n;
    while ((n = std::fread(chunk, 1, sizeof(chunk), in)) > 0) {
      size_t room = options.max_line - all.size();
      all.append(chunk, std::min(n, room));
      if (n > room) {
        cut = true;
        break;
      }
    }
    error = std::ferror(in) != 0;
    if (!error) {
      if (cut) {
        spdlog::error("{}: longer than {} bytes: only the first {} were read", options.input,
                      options.max_line, options.max_line);
      }
      fn(1, all);
    }
  } else {
    LineReader reader(in, options.max_line);
    std::string_view line;
    bool too_long = false;
    size_t number = 0;
    while (reader.Next(&line, &too_long)) {
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      ++number;
      if (too_long) {
        cut = true;
        spdlog::error("{}: line {}: longer than {} bytes: only the first {} were read",
                      options.input, number, options.max_line, options.max_line);
      }
      fn(number, line);
    }
    error = reader.error();
  }
  if (in != stdin) std::fclose(in);
  if (error) spdlog::error("{}: read error", options.input);
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    spdlog::error("stdout: {}", std::strerror(errno));
    error = true;
  }
  return error || cut ? 1 : 0;
}

// The text of `parent` (-1 = the line) with each child layer's fragment
// replaced by the child's own expansion, recursively.
void Expand(std::string_view text, int parent, const std::vector<DecodedLayer>& layers,
            std::string* out) {
  size_t pos = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    const DecodedLayer& l = layers[i];
    if (l.parent != parent || l.offset < pos || l.offset + l.length > text.size()) continue;
    out->append(text.substr(pos, l.offset - pos));
    Expand(l.text, static_cast<int>(i), layers, out);
    pos = l.offset + l.length;
  }
  out->append(text.substr(pos));
}

}  // namespace

int RunIoc(const IocCommandOptions& options) {
  IocOptions ioc_options;
  ioc_options.defanged = options.defanged;
  IocExtractor extractor(IocPatterns::Default(), ioc_options);
  DecoderOptions decoder_options;
  decoder_options.max_depth = options.max_depth;
  decoder_options.byte_budget = options.byte_budget;
  Decoder decoder(decoder_options);
  Arena arena;
  std::vector<Ioc> iocs;
  std::vector<std::string_view> chains;
  DistinctIocs distinct;
  std::vector<char> first;  // iocs[i] is the first of its (type, value)
  rapidjson::StringBuffer buffer;
  return ForEachLine(options, [&](size_t number, std::string_view line) {
    arena.Reset();
    iocs.clear();
    chains.clear();
    extractor.Extract(line, arena, &iocs);
    chains.resize(iocs.size());
    if (options.decode) {
      for (const DecodedLayer& layer : decoder.Decode(line)) {
        extractor.Extract(layer.text, arena, &iocs);
        chains.resize(iocs.size(), layer.chain);
      }
    }
    distinct.Reset(iocs.size());
    first.resize(iocs.size());
    for (size_t i = 0; i < iocs.size(); ++i) first[i] = distinct.Insert(iocs[i]);
    buffer.Clear();
    Writer w(buffer);
    w.StartObject();
    w.Key("line");
    w.Uint64(number);
    w.Key("iocs");
    w.StartObject();
    for (int t = 0; t < kIocTypeCount; ++t) {
      bool open = false;
      for (size_t i = 0; i < iocs.size(); ++i) {
        if (static_cast<int>(iocs[i].type) != t) continue;
        if (!first[i]) continue;  // found again in another layer
        if (!open) {
          String(w, IocTypeName(iocs[i].type));
          w.StartArray();
          open = true;
        }
        String(w, iocs[i].value);
      }
      if (open) w.EndArray();
    }
    w.EndObject();
    w.Key("observables");
    w.StartArray();
    for (size_t i = 0; i < iocs.size(); ++i) {
      w.StartObject();
      w.Key("type");
      String(w, IocTypeName(iocs[i].type));
      w.Key("value");
      String(w, iocs[i].value);
      w.Key("chain");
      String(w, chains[i]);
      if (iocs[i].defanged) {
        w.Key("defanged");
        w.Bool(true);
      }
      if (iocs[i].ip_class != IpClass::kNone) {
        w.Key("ip_class");
        String(w, IpClassName(iocs[i].ip_class));
      }
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    std::fwrite(buffer.GetString(), 1, buffer.GetSize(), stdout);
    std::fputc('\n', stdout);
  });
}

int RunDecode(const IocCommandOptions& options) {
  DecoderOptions decoder_options;
  decoder_options.max_depth = options.max_depth;
  decoder_options.byte_budget = options.byte_budget;
  Decoder decoder(decoder_options);
  std::string expanded;
  rapidjson::StringBuffer buffer;
  return ForEachLine(options, [&](size_t number, std::string_view line) {
    const std::vector<DecodedLayer>& layers = decoder.Decode(line);
    expanded.clear();
    Expand(line, -1, layers, &expanded);
    buffer.Clear();
    Writer w(buffer);
    w.StartObject();
    w.Key("line");
    w.Uint64(number);
    w.Key("decoded");
    String(w, expanded);
    w.Key("layers");
    w.StartArray();
    for (const DecodedLayer& l : layers) {
      w.StartObject();
      w.Key("depth");
      w.Int(l.depth);
      w.Key("chain");
      String(w, l.chain);
      if (!l.name.empty()) {
        w.Key("name");
        String(w, l.name);
      }
      w.Key("parent");
      w.Int(l.parent);
      w.Key("offset");
      w.Uint(l.offset);
      w.Key("length");
      w.Uint(l.length);
      if (l.truncated) {
        w.Key("truncated");
        w.Bool(true);
      }
      w.Key("text");
      String(w, l.text);
      w.EndObject();
    }
    w.EndArray();
    if (decoder.budget_exhausted()) {
      w.Key("budget_exhausted");
      w.Bool(true);
    }
    w.EndObject();
    std::fwrite(buffer.GetString(), 1, buffer.GetSize(), stdout);
    std::fputc('\n', stdout);
  });
}

}  // namespace loghunt
