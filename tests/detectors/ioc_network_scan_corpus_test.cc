// IocOptions::paths = false (the intel detector's scan: plain mode, without
// Hyperscan) reports the same non-path indicators as the scan with paths,
// line by line, on the Windows, msticpy, IoC-suite and loghub corpora; so
// does defanged mode without paths.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "detectors/ioc/ioc_extractor.h"
#include "tests/detectors/ioc_scan_util.h"

namespace loghunt {
namespace {

class Both {
 public:
  explicit Both(bool defanged)
      : with_paths_(IocPatterns::Default(), {.defanged = defanged, .paths = true}),
        without_(IocPatterns::Default(), {.defanged = defanged, .paths = false}) {}

  // Number of indicators; fails the test on the first line that differs.
  size_t Check(const std::string& file) {
    std::ifstream in(file);
    EXPECT_TRUE(in.good()) << file;
    std::string line;
    size_t found = 0;
    while (std::getline(in, line)) {
      const std::vector<std::string> a = Run(with_paths_, line), b = Run(without_, line);
      EXPECT_EQ(b, a) << file << ": " << line;
      if (a != b) return found;
      found += a.size();
    }
    return found;
  }

 private:
  std::vector<std::string> Run(IocExtractor& extractor, std::string_view text) {
    arena_.Reset();
    iocs_.clear();
    extractor.Extract(text, arena_, &iocs_);
    return DescribeNonPath(iocs_);
  }

  IocExtractor with_paths_, without_;
  Arena arena_;
  std::vector<Ioc> iocs_;
};

class IocNetworkScanCorpus : public ::testing::TestWithParam<bool> {};

TEST_P(IocNetworkScanCorpus, SameIndicatorsAsTheScanWithPaths) {
  const std::string c = LOGHUNT_CORPORA;
  Both both(GetParam());
  size_t found = 0;
  for (const char* f :
       {"/windows/security_datasets_process_creation.jsonl", "/msticpy/derived/corpus10k.txt",
        "/ioc/msticpy.jsonl", "/ioc/ioc-finder.jsonl", "/ioc/python-iocextract.jsonl",
        "/ioc/ioc-fanger.jsonl", "/loghub/OpenSSH/OpenSSH_2k.log", "/loghub/Linux/Linux_2k.log",
        "/loghub/Apache/Apache_2k.log", "/loghub/HDFS/HDFS_2k.log"}) {
    found += both.Check(c + f);
    if (HasFailure()) return;
  }
  EXPECT_GT(found, 10000u);  // the corpora hold indicators of every type
}

INSTANTIATE_TEST_SUITE_P(PlainAndDefanged, IocNetworkScanCorpus, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Defanged" : "Plain"; });

}  // namespace
}  // namespace loghunt
