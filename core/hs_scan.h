// hs_scan over data whose end may lie just before an unmapped page.
//
// Hyperscan 5.4.0 (Debian 12's libhs5) reads up to 32 bytes past the end of
// the data in its AVX512VBMI literal matcher ("fat teddy",
// VectorCamp/vectorscan#322, fixed upstream after 5.4.11). On a CPU with
// AVX512VBMI (Ice Lake and later, Zen 4) data that ends that close to an
// unmapped page crashes the scan; the Sigma fuzz target hit it within
// minutes. ScanPadded scans such data from a copy with room after it (the
// match offsets are the same) and everything else in place: a copy for about
// one scan in 64, decided by two arithmetic operations.
//
// Header-only: the including target links Hyperscan.
#pragma once

#include <hs/hs.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace loghunt {

// Bytes past the end of the data that a scan may read (twice the overread).
inline constexpr size_t kHsScanSlack = 64;

// True when the kHsScanSlack bytes after `data` may cross into another page
// (or `data` is empty, whose pointer may be anything).
inline bool HsScanNeedsCopy(std::string_view data) {
  constexpr uintptr_t kPage = 4096;  // the smallest x86-64 page
  if (data.empty()) return true;
  const auto last = reinterpret_cast<uintptr_t>(data.data() + data.size() - 1);
  return last % kPage + kHsScanSlack >= kPage;
}

// hs_scan of `data`, through `copy` (reused; holds the data plus slack) when
// HsScanNeedsCopy. Callbacks get offsets into `data` either way.
inline hs_error_t ScanPadded(const hs_database_t* database, std::string_view data,
                             hs_scratch_t* scratch, match_event_handler on_match, void* context,
                             std::string* copy) {
  const char* text = data.data();
  if (HsScanNeedsCopy(data)) {
    if (copy->size() < data.size() + kHsScanSlack) copy->resize(data.size() + kHsScanSlack);
    if (!data.empty()) std::memcpy(copy->data(), data.data(), data.size());
    text = copy->data();
  }
  return hs_scan(database, text, static_cast<unsigned>(data.size()), 0, scratch, on_match, context);
}

}  // namespace loghunt
