// Fuzz target: recursive decoding + IoC extraction on every layer, the path
// an attacker-controlled command line takes. Contract: never crash, never
// read out of bounds, stay within the byte budget; and the byte scan of the
// triggers finds what the reference scan (every trigger in Hyperscan) finds.
#include <algorithm>
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
  static loghunt::IocExtractor defanged_reference(loghunt::IocPatterns::Default(),
                                                  loghunt::IocOptions{.reference_scan = true});
  static loghunt::IocExtractor plain_reference(
      loghunt::IocPatterns::Default(),
      loghunt::IocOptions{.defanged = false, .reference_scan = true});
  static loghunt::Decoder decoder(loghunt::DecoderOptions{.byte_budget = 256 * 1024});
  static loghunt::Arena arena;
  static std::vector<loghunt::Ioc> iocs, reference;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  arena.Reset();
  iocs.clear();
  reference.clear();
  plain.Extract(text, arena, &iocs);
  defanged.Extract(text, arena, &iocs);
  plain_reference.Extract(text, arena, &reference);
  defanged_reference.Extract(text, arena, &reference);
  auto same = [](const loghunt::Ioc& a, const loghunt::Ioc& b) {
    return a.type == b.type && a.value == b.value && a.offset == b.offset &&
           a.ip_class == b.ip_class && a.defanged == b.defanged;
  };
  if (!std::equal(iocs.begin(), iocs.end(), reference.begin(), reference.end(), same)) {
    std::abort();
  }
  for (const loghunt::DecodedLayer& layer : decoder.Decode(text)) {
    defanged.Extract(layer.text, arena, &iocs);
  }
  if (decoder.bytes_used() > 256 * 1024) std::abort();
  for (const loghunt::Ioc& i : iocs) {
    if (i.value.empty()) std::abort();
  }
  return 0;
}
