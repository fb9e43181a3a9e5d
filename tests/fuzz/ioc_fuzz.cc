// Fuzz target: recursive decoding + IoC extraction on every layer, the path
// an attacker-controlled command line takes. Contract: never crash, never
// read out of bounds, stay within the byte budget.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "detectors/decode/decoder.h"
#include "detectors/ioc/ioc_extractor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static loghunt::IocExtractor defanged;
  static loghunt::IocExtractor plain(loghunt::IocPatterns::Default(),
                                     loghunt::IocOptions{.defanged = false});
  static loghunt::Decoder decoder(loghunt::DecoderOptions{.byte_budget = 256 * 1024});
  static loghunt::Arena arena;
  static std::vector<loghunt::Ioc> iocs;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  arena.Reset();
  iocs.clear();
  plain.Extract(text, arena, &iocs);
  defanged.Extract(text, arena, &iocs);
  for (const loghunt::DecodedLayer& layer : decoder.Decode(text)) {
    defanged.Extract(layer.text, arena, &iocs);
  }
  if (decoder.bytes_used() > 256 * 1024) std::abort();
  for (const loghunt::Ioc& i : iocs) {
    if (i.value.empty()) std::abort();
  }
  return 0;
}
