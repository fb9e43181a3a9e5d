// A stand-in for libFuzzer's main, used when the build has no libFuzzer: it
// feeds LLVMFuzzerTestOneInput every seed file, every line of every seed file,
// and a fixed number of deterministic mutations of those (bit flips, byte
// insertions, truncations, splices), so each fuzz target runs briefly in CI.
// A crash or sanitizer report fails the test; there are no assertions here
// because the target's contract is "never crash".
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void Run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::string list, corpora;
  long mutations = 1000;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--seeds-list" && i + 1 < argc) {
      list = argv[++i];
    } else if (arg == "--corpora" && i + 1 < argc) {
      corpora = argv[++i];
    } else if (arg == "--mutations" && i + 1 < argc) {
      mutations = std::stol(argv[++i]);
    } else {
      files.push_back(arg);
    }
  }
  if (!list.empty()) {
    std::ifstream in(list);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      // "./x": a seed kept beside the list (tests/fuzz/seeds/...), else a
      // path in the corpora.
      if (line.starts_with("./")) {
        const size_t slash = list.rfind('/');
        files.push_back((slash == std::string::npos ? std::string(".") : list.substr(0, slash)) +
                        line.substr(1));
      } else {
        files.push_back(corpora + "/" + line);
      }
    }
  }
  std::vector<std::string> seeds;
  for (const auto& f : files) {
    std::string text = ReadFile(f);
    if (text.empty()) {
      std::fprintf(stderr, "fuzz driver: %s: missing or empty seed file\n", f.c_str());
      return 1;
    }
    seeds.push_back(text);
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) seeds.push_back(line);
  }
  seeds.push_back("");
  for (const auto& s : seeds) Run(s);

  std::mt19937_64 rng(0x10687);
  for (long m = 0; m < mutations; ++m) {
    std::string s = seeds[rng() % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 5) {
        case 0:
          if (!s.empty()) s[rng() % s.size()] ^= static_cast<char>(1u << (rng() % 8));
          break;
        case 1:
          s.insert(s.begin() + static_cast<long>(s.empty() ? 0 : rng() % s.size()),
                   static_cast<char>(rng() % 256));
          break;
        case 2:
          if (!s.empty()) s.resize(rng() % s.size());
          break;
        case 3: {
          const std::string& other = seeds[rng() % seeds.size()];
          if (!other.empty()) s += other.substr(rng() % other.size());
          break;
        }
        case 4:
          if (!s.empty()) {
            const char* specials[] = {"\"", "\\", "{",  "}", "[", "]", ":",
                                      "=",  " ",  "\n", "<", ">", "%", "\0"};
            s.insert(rng() % s.size(), specials[rng() % 14], 1);
          }
          break;
      }
    }
    Run(s);
  }
  std::printf("fuzz driver: %zu seeds, %ld mutations, no crash\n", seeds.size(), mutations);
  return 0;
}
