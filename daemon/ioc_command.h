// `loghuntd ioc` and `loghuntd decode`: the IoC extractor and the recursive
// decoder on any text, one input line at a time, as JSON lines on stdout.
//
//   ioc:    {"line": N, "iocs": {type: [values]}, "observables": [{type, value,
//           chain, defanged, ip_class}]}   (plain text and decoded layers)
//   decode: {"line": N, "decoded": text with each fragment replaced by its
//           decoding, "layers": [{depth, chain, name, offset, length,
//           truncated, text}]}
//
// Exit codes as in daemon/commands.h: 0 ok, 1 unreadable input.
#pragma once

#include <cstddef>
#include <string>

namespace loghunt {

struct IocCommandOptions {
  std::string input = "-";
  bool decode = true;    // ioc: also extract from decoded layers
  bool defanged = true;  // recognize defanged spellings
  int max_depth = 20;
  size_t byte_budget = 1 << 20;
  size_t max_line = 16 << 20;
  // Treat the whole input as one text (base64 wrapped over lines, mail
  // bodies); it is then "line" 1. Input beyond max_line bytes is cut,
  // said on stderr, and the exit status is 1.
  bool whole = false;
};

int RunIoc(const IocCommandOptions& options);
int RunDecode(const IocCommandOptions& options);

}  // namespace loghunt
