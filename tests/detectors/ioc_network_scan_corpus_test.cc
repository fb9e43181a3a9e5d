// The byte scan of the triggers (IocExtractor::ScanBytes) reports the same
// indicators as the reference scan, which finds every trigger with
// Hyperscan; and without paths (the intel detector's scan) the same
// non-path indicators. Line by line on the Windows, msticpy, IoC-suite and
// loghub corpora, in plain and defanged mode.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "detectors/ioc/ioc_extractor.h"
#include "tests/detectors/ioc_scan_util.h"

namespace loghunt {
namespace {

class Scans {
 public:
  explicit Scans(bool defanged)
      : reference_(IocPatterns::Default(), {.defanged = defanged, .reference_scan = true}),
        with_paths_(IocPatterns::Default(), {.defanged = defanged, .paths = true}),
        without_(IocPatterns::Default(), {.defanged = defanged, .paths = false}) {}

  // Number of indicators; fails the test on the first line that differs.
  size_t Check(const std::string& file) {
    std::ifstream in(file);
    EXPECT_TRUE(in.good()) << file;
    std::string line;
    size_t found = 0;
    while (std::getline(in, line)) {
      const std::vector<std::string> reference = Run(reference_, line, true);
      const std::vector<std::string> a = Run(with_paths_, line, true);
      const std::vector<std::string> b = Run(without_, line, false);
      EXPECT_EQ(a, reference) << file << ": " << line;
      EXPECT_EQ(b, Run(reference_, line, false)) << file << ": " << line;
      if (::testing::Test::HasFailure()) return found;
      found += a.size();
    }
    return found;
  }

 private:
  std::vector<std::string> Run(IocExtractor& extractor, std::string_view text, bool paths) {
    arena_.Reset();
    iocs_.clear();
    extractor.Extract(text, arena_, &iocs_);
    return Describe(iocs_, paths);
  }

  IocExtractor reference_, with_paths_, without_;
  Arena arena_;
  std::vector<Ioc> iocs_;
};

class IocNetworkScanCorpus : public ::testing::TestWithParam<bool> {};

TEST_P(IocNetworkScanCorpus, SameIndicatorsAsTheReferenceScan) {
  const std::string c = LOGHUNT_CORPORA;
  Scans both(GetParam());
  size_t found = 0;
  for (const char* f :
       {"/windows/security_datasets_process_creation.jsonl", "/msticpy/derived/corpus10k.txt",
        "/ioc/msticpy.jsonl", "/ioc/ioc-finder.jsonl", "/ioc/python-iocextract.jsonl",
        "/ioc/ioc-fanger.jsonl", "/loghub/OpenSSH/OpenSSH_2k.log", "/loghub/Linux/Linux_2k.log",
        "/loghub/Apache/Apache_2k.log", "/loghub/HDFS/HDFS_2k.log"}) {
    found += both.Check(c + f);
    if (HasFailure()) return;
  }
  EXPECT_GT(found, 10000u);  // the corpora hold indicators of every type, paths most
}

INSTANTIATE_TEST_SUITE_P(PlainAndDefanged, IocNetworkScanCorpus, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Defanged" : "Plain"; });

}  // namespace
}  // namespace loghunt
