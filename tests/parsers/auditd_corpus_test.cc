// AuditdParser over every file of ../shared/corpora/auditd. Expected values are
// computed here from the raw records (a deliberately simple reading, separate
// from the parser's) or taken from laurel's own .json output.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "parsers/auditd/auditd_parser.h"

namespace loghunt {
namespace {

namespace fs = std::filesystem;
const fs::path kDir = fs::path(LOGHUNT_CORPORA) / "auditd";

struct Seen {
  std::string id, command_line, exe, title, proctitle_extra;
  EventKind kind;
  int64_t pid, ppid, offset;
};

class Collector : public EventHandler {
 public:
  void OnEvent(const Event& e) override {
    events.push_back({std::string(e.Extra("auditd.id")), std::string(e.process.command_line),
                      std::string(e.process.executable), std::string(e.Extra("process.title")),
                      std::string(e.Extra("auditd.proctitle.proctitle")), e.kind, e.process.pid,
                      e.process.ppid, e.position.offset});
  }
  void OnError(ParseError, std::string_view, const SourcePosition&) override { ++errors; }
  std::vector<Seen> events;
  int errors = 0;
};

std::vector<std::string> ReadLines(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

Collector Replay(const std::vector<std::string>& lines, const std::string& name) {
  ParserOptions options;
  AuditdParser parser(options);
  Collector out;
  int64_t n = 0;
  for (const auto& l : lines) parser.Parse(l, {name, -1, ++n}, out);
  parser.Flush(out);
  return out;
}

// "node=X type=T msg=audit(ID): ..." -> "X/ID"; "" for lines that are no record.
std::string RawKey(const std::string& line, std::string* type = nullptr) {
  if (line.rfind("type=", 0) != 0 && line.rfind("node=", 0) != 0) return "";
  size_t m = line.find(" msg=audit(");
  size_t c = line.find("):", m);
  if (m == std::string::npos || c == std::string::npos) return "";
  std::string node = line.rfind("node=", 0) == 0 ? line.substr(5, line.find(' ') - 5) : "";
  if (type != nullptr) {
    size_t t = line.find("type=");
    *type = line.substr(t + 5, line.find(' ', t) - t - 5);
  }
  return node + "/" + line.substr(m + 11, c - m - 11);
}

std::vector<fs::path> CorpusFiles() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(kDir)) {
    auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".txt" || ext == ".log") &&
        entry.path().filename() != "README.txt") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(AuditdCorpusTest, EveryFileYieldsOneEventPerDistinctId) {
  auto files = CorpusFiles();
  ASSERT_GE(files.size(), 40u);
  for (const auto& f : files) {
    auto lines = ReadLines(f);
    std::set<std::string> ids;
    for (const auto& l : lines) {
      std::string k = RawKey(l);
      if (!k.empty()) ids.insert(k);
    }
    Collector out = Replay(lines, f.string());
    EXPECT_EQ(out.events.size(), ids.size()) << f;
    std::set<std::string> got;
    for (const auto& e : out.events) got.insert(e.id);
    EXPECT_EQ(got.size(), out.events.size()) << f << ": an id was split over two events";
  }
}

// Decodes one EXECVE argument value the way the kernel writes it.
std::string ArgValue(const std::string& v) {
  if (!v.empty() && v[0] == '"') return v.substr(1, v.size() - 2);
  std::string out;
  for (size_t i = 0; i + 1 < v.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(v.substr(i, 2), nullptr, 16)));
  return out;
}

TEST(AuditdCorpusTest, MsticpyCommandLinesJoinEveryExecveArgument) {
  auto lines = ReadLines(kDir / "msticpy" / "auditd_log.txt");
  std::map<std::string, std::vector<std::string>> args;  // raw id -> a0..aN
  std::set<std::string> ids;
  for (const auto& l : lines) {
    std::string type;
    std::string key = RawKey(l, &type);
    if (key.empty()) continue;
    ids.insert(key.substr(1));
    if (type != "EXECVE") continue;
    std::istringstream fields(l.substr(l.find("): ") + 3));
    for (std::string f; fields >> f;) {
      if (f.size() > 1 && f[0] == 'a' && isdigit(static_cast<unsigned char>(f[1]))) {
        args[key.substr(1)].push_back(ArgValue(f.substr(f.find('=') + 1)));
      }
    }
  }
  ASSERT_EQ(args.size(), 146u);  // README: 146 EXECVE records
  Collector out = Replay(lines, "auditd_log.txt");
  EXPECT_EQ(out.errors, 0);
  EXPECT_EQ(out.events.size(), ids.size());
  size_t checked = 0;
  for (const auto& e : out.events) {
    auto it = args.find(e.id);
    if (it == args.end()) continue;
    std::string joined;
    for (const auto& a : it->second) joined += (joined.empty() ? "" : " ") + a;
    EXPECT_EQ(e.kind, EventKind::kProcessStart) << e.id;
    EXPECT_EQ(e.command_line, joined) << e.id;
    ++checked;
  }
  EXPECT_EQ(checked, args.size());
}

// docs/auditd.md: PROCTITLE's NULs become spaces, in process.title and in
// the raw-field extra of events kept whole (kind other: NETFILTER_CFG and
// the like), which kept the NULs (13 events of msticpy's log).
TEST(AuditdCorpusTest, ProctitleExtraHasNoNulsAndAgreesWithTheTitle) {
  Collector out = Replay(ReadLines(kDir / "msticpy" / "auditd_log.txt"), "auditd_log.txt");
  size_t checked = 0;
  for (const auto& e : out.events) {
    if (e.proctitle_extra.empty()) continue;
    EXPECT_EQ(e.proctitle_extra.find('\0'), std::string::npos) << e.id;
    if (!e.title.empty()) {
      EXPECT_EQ(e.proctitle_extra, e.title) << e.id;
    }
    ++checked;
  }
  EXPECT_GE(checked, 13u);
}

TEST(AuditdCorpusTest, LaurelExpectationsAgreeOnCommandLinePidsAndExe) {
  simdjson::dom::parser json;
  size_t compared = 0;
  for (const auto& entry : fs::directory_iterator(kDir / "laurel")) {
    if (entry.path().extension() != ".json") continue;
    fs::path txt = entry.path();
    txt.replace_extension(".txt");
    Collector out = Replay(ReadLines(txt), txt.string());
    for (const auto& line : ReadLines(entry.path())) {
      if (line.empty()) continue;
      simdjson::dom::element doc = json.parse(line);
      std::string id{std::string_view(doc["ID"])};
      const Seen* seen = nullptr;
      for (const auto& e : out.events) {
        if (e.id == id) seen = &e;
      }
      ASSERT_NE(seen, nullptr) << txt << " " << id;
      simdjson::dom::element syscall;
      if (doc["SYSCALL"].get(syscall) == simdjson::SUCCESS) {
        EXPECT_EQ(seen->pid, int64_t(syscall["pid"])) << id;
        EXPECT_EQ(seen->ppid, int64_t(syscall["ppid"])) << id;
        EXPECT_EQ(seen->exe, std::string_view(syscall["exe"])) << id;
      }
      simdjson::dom::array argv;
      if (doc["EXECVE"]["ARGV"].get(argv) == simdjson::SUCCESS) {
        std::string joined;
        for (auto a : argv)
          joined += (joined.empty() ? "" : " ") + std::string(std::string_view(a));
        EXPECT_EQ(seen->command_line, joined) << id;
        EXPECT_EQ(seen->kind, EventKind::kProcessStart);
      }
      ++compared;
    }
  }
  EXPECT_GE(compared, 16u);
}

TEST(AuditdCorpusTest, PositionIsThatOfTheEventsLastRecord) {
  auto lines = ReadLines(kDir / "laurel" / "shell-proc-trace-reordered.txt");
  std::map<std::string, int64_t> last;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string k = RawKey(lines[i]);
    if (!k.empty()) last[k.substr(1)] = static_cast<int64_t>(i + 1);
  }
  Collector out = Replay(lines, "reordered");
  ASSERT_EQ(out.events.size(), last.size());
  for (const auto& e : out.events) EXPECT_EQ(e.offset, last[e.id]) << e.id;
}

}  // namespace
}  // namespace loghunt
