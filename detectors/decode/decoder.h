// Decoder: finds encoded fragments in text and decodes them recursively,
// msticpy base64unpack-style (../shared/reference/msticpy.md §2), so that
// IoC extraction and rules can run on what an attacker hid.
//
// Encodings: base64 (standard and URL-safe, with or without padding, across
// CR/LF), hex strings, UTF-16LE/BE text (PowerShell -EncodedCommand), gzip,
// zlib and raw deflate streams (zlib), zip / 7z / tar members (libarchive).
// Each successful decoding that yields text is a DecodedLayer; layers are
// scanned again for encoded fragments, up to `max_depth` decoding steps.
//
// Bounds: every byte a Decode() call produces counts against its byte budget;
// decompression stops when the budget is spent (the layer is marked
// truncated), so no decompression bomb can make a call use more than the
// budget plus a fixed overhead. The number of fragments per text and of
// layers per call are capped as well.
//
// Allocation: decoded text lives in the decoder's arena and the layer list is
// a reused vector; the zlib stream is reused. In the steady state Decode()
// allocates nothing except inside libarchive, for archive members.
//
// Lifetimes: the layers and every view in them (text, chain, name) are valid
// until the next Decode() call or the decoder's destruction.
// Thread-safety: none; one Decoder per worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "core/arena.h"

namespace loghunt {

struct DecoderOptions {
  int max_depth = 20;             // decoding steps along one chain
  size_t byte_budget = 1 << 20;   // bytes produced per Decode() call
  size_t min_base64_length = 20;  // msticpy: 30; 20 also finds short encoded URLs
  size_t min_hex_length = 16;     // hex digits
  size_t max_fragments = 50;      // candidates decoded per text (msticpy: 50)
  size_t max_layers = 256;        // layers per Decode() call
};

struct DecodedLayer {
  std::string_view text;   // the decoded text (UTF-8)
  std::string_view chain;  // decoders applied, outermost first: "base64 > utf16le"
  std::string_view name;   // archive member name, else empty
  int parent = -1;         // index of the layer this was found in; -1 = the input
  uint32_t offset = 0;     // span of the encoded fragment within the parent's text
  uint32_t length = 0;
  int depth = 1;           // number of decoding steps from the input
  bool truncated = false;  // the byte budget cut this layer short
};

class Decoder {
 public:
  explicit Decoder(DecoderOptions options = {});
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Decodes every encoded fragment of `text`, recursively. Returns the text
  // layers in discovery order (parents before children); empty when nothing
  // decodes. Never fails on bad input: what does not decode is skipped.
  const std::vector<DecodedLayer>& Decode(std::string_view text);
  // Same with a byte budget for this call instead of options().byte_budget.
  const std::vector<DecodedLayer>& Decode(std::string_view text, size_t byte_budget);

  // Bytes produced by the last call, and whether it hit the budget.
  size_t bytes_used() const { return used_; }
  bool budget_exhausted() const { return exhausted_; }
  const DecoderOptions& options() const { return options_; }

 private:
  struct Impl;
  void ScanText(std::string_view text, int parent, int depth, std::string_view chain);
  void DecodeBytes(std::string_view bytes, int parent, uint32_t offset, uint32_t length, int depth,
                   std::string_view chain, std::string_view name, bool truncated);
  bool AddLayer(std::string_view text, int parent, uint32_t offset, uint32_t length, int depth,
                std::string_view chain, std::string_view name, bool truncated);
  std::string_view Chain(std::string_view parent, std::string_view step);
  char* Reserve(size_t n);  // budgeted allocation; nullptr when the budget is spent

  DecoderOptions options_;
  Arena arena_;
  std::vector<DecodedLayer> layers_;
  size_t budget_ = 0;
  size_t used_ = 0;
  bool exhausted_ = false;
  std::unique_ptr<Impl> impl_;
};

}  // namespace loghunt
