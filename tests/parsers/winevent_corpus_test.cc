// WineventParser over the real Windows corpora (../shared/corpora): every
// Security-Datasets record and every evtx_dump object of the Sigma regression
// data. Expected values come from the raw JSON, read here with simdjson's DOM
// API (a different code path from the parser's On-Demand walk).
#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/text.h"
#include "parsers/winevent/json_object_splitter.h"
#include "parsers/winevent/winevent_parser.h"
#include "tests/parsers/winevent_test_util.h"

namespace loghunt {
namespace {

namespace fs = std::filesystem;
using testing::CapturedEvent;
using testing::CapturingHandler;

const fs::path kCorpora = LOGHUNT_CORPORA;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// A string field of a DOM object, or "" (numbers as their JSON text).
std::string DomField(simdjson::dom::object obj, std::string_view key) {
  simdjson::dom::element v;
  if (obj[key].get(v)) return "";
  std::string_view s;
  if (v.is_string()) return std::string(v.get_string().value());
  if (v.is_int64()) return std::to_string(v.get_int64().value());
  if (v.is_uint64()) return std::to_string(v.get_uint64().value());
  (void)s;
  return "";
}

bool IsProcessStartRecord(int64_t id, std::string_view channel) {
  return (id == 4688 && EqualsNoCase(channel, "Security")) ||
         (id == 1 && channel.find("Sysmon") != std::string_view::npos);
}

std::vector<fs::path> WindowsDatasets() {
  std::vector<fs::path> files{kCorpora / "windows/security_datasets_process_creation.jsonl"};
  for (const auto& entry : fs::directory_iterator(kCorpora / "windows/full")) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin() + 1, files.end());
  return files;
}

// Done-when 1: every record parses, the process_start count equals the 4688 +
// Sysmon 1 records counted from the raw JSON, and command lines / images /
// parent images come out byte-exact.
TEST(WineventCorpusTest, EveryWindowsDatasetParsesAndProcessStartsMatchTheRawRecords) {
  std::vector<fs::path> files = WindowsDatasets();
  ASSERT_EQ(files.size(), 9u);
  ParserOptions options;
  WineventParser parser(options);
  simdjson::dom::parser dom;
  size_t total_events = 0;
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.filename().string());
    std::vector<std::string> lines = Lines(ReadFile(file));
    ASSERT_FALSE(lines.empty());
    size_t non_empty = 0, expected_starts = 0, starts = 0, empty_errors = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::string& line = lines[i];
      CapturingHandler h;
      parser.Parse(line, {file.filename().string(), -1, static_cast<int64_t>(i + 1)}, h);
      if (Trim(line).empty()) {
        ASSERT_EQ(h.errors.size(), 1u);
        EXPECT_EQ(h.errors[0], ParseError::kEmpty);
        ++empty_errors;
        continue;
      }
      ++non_empty;
      ASSERT_TRUE(h.errors.empty()) << "line " << i + 1 << ": " << ParseErrorName(h.errors[0]);
      ASSERT_EQ(h.events.size(), 1u) << "line " << i + 1;
      const CapturedEvent& e = h.events[0];

      simdjson::dom::object raw;
      ASSERT_EQ(dom.parse(line).get(raw), simdjson::SUCCESS) << "line " << i + 1;
      int64_t id = raw["EventID"].get_int64().value();
      std::string channel = DomField(raw, "Channel");
      EXPECT_EQ(e.program, channel);
      EXPECT_EQ(e.host, DomField(raw, "Hostname"));
      EXPECT_EQ(e.extras.at("winlog.event_id"), std::to_string(id));
      if (!IsProcessStartRecord(id, channel)) {
        EXPECT_NE(e.kind, EventKind::kProcessStart) << "line " << i + 1;
        continue;
      }
      ++expected_starts;
      if (e.kind != EventKind::kProcessStart) continue;
      ++starts;
      const bool sysmon = id == 1;
      EXPECT_EQ(e.command_line, DomField(raw, "CommandLine")) << "line " << i + 1;
      EXPECT_EQ(e.executable, DomField(raw, sysmon ? "Image" : "NewProcessName")) << i + 1;
      EXPECT_EQ(e.parent_executable, DomField(raw, sysmon ? "ParentImage" : "ParentProcessName"))
          << "line " << i + 1;
      auto cmd = e.extras.find("CommandLine");
      EXPECT_EQ(cmd == e.extras.end() ? "" : cmd->second, DomField(raw, "CommandLine"));
      if (sysmon) {
        EXPECT_EQ(e.parent_command_line, DomField(raw, "ParentCommandLine")) << i + 1;
        EXPECT_EQ(e.user, DomField(raw, "User")) << "line " << i + 1;
        std::string pid = DomField(raw, "ProcessId");  // absent in some records
        EXPECT_EQ(e.pid, pid.empty() ? -1 : std::stoll(pid)) << "line " << i + 1;
      } else {
        EXPECT_EQ(e.logon_id, DomField(raw, "SubjectLogonId"));
        EXPECT_EQ(e.pid, static_cast<int64_t>(*ParseHexInt(DomField(raw, "NewProcessId"))));
      }
    }
    EXPECT_EQ(starts, expected_starts);
    EXPECT_EQ(non_empty + empty_errors, lines.size());
    total_events += non_empty;
  }
  // README: 1,655 process-creation records plus 7,790 in full/.
  EXPECT_EQ(total_events, 1655u + 7790u);
}

// A named sample of real records, checked byte for byte against the raw line.
struct Sample {
  const char* marker;  // a substring that picks the record's command line
  const char* what;
};

TEST(WineventCorpusTest, NamedAttackRecordsComeOutByteExact) {
  const fs::path file = kCorpora / "windows/security_datasets_process_creation.jsonl";
  std::vector<std::string> lines = Lines(ReadFile(file));
  const Sample samples[] = {
      {"comsvcs.dll", "rundll32 comsvcs MiniDump of lsass"},
      {"-enc", "Empire PowerShell -enc launcher"},
      {"mimikatz", "mimikatz command line"},
      {"bitsadmin", "bitsadmin transfer"},
      {"mshta", "mshta script"},
  };
  ParserOptions options;
  WineventParser parser(options);
  simdjson::dom::parser dom;
  for (const Sample& sample : samples) {
    SCOPED_TRACE(sample.what);
    int checked = 0;
    for (const std::string& line : lines) {
      simdjson::dom::object raw;
      ASSERT_EQ(dom.parse(line).get(raw), simdjson::SUCCESS);
      std::string cmd = DomField(raw, "CommandLine");
      if (cmd.find(sample.marker) == std::string::npos) continue;
      int64_t id = raw["EventID"].get_int64().value();
      CapturingHandler h;
      parser.Parse(line, {}, h);
      ASSERT_EQ(h.events.size(), 1u);
      const CapturedEvent& e = h.events[0];
      EXPECT_EQ(e.kind, EventKind::kProcessStart);
      EXPECT_EQ(e.command_line, cmd);
      EXPECT_NE(e.command_line.find(sample.marker), std::string::npos);
      if (id == 1) {
        EXPECT_EQ(e.parent_executable, DomField(raw, "ParentImage"));
        EXPECT_EQ(e.parent_command_line, DomField(raw, "ParentCommandLine"));
        // The Hashes value split: each algorithm's digest as written.
        std::string hashes = DomField(raw, "Hashes");
        for (auto [alg, key] :
             {std::pair{"MD5=", "process.hash.md5"}, std::pair{"SHA256=", "process.hash.sha256"},
              std::pair{"IMPHASH=", "process.pe.imphash"}}) {
          size_t at = hashes.find(alg);
          if (at == std::string::npos) continue;
          size_t start = at + std::string_view(alg).size();
          EXPECT_EQ(e.extras.at(key), hashes.substr(start, hashes.find(',', start) - start));
        }
      } else {
        EXPECT_EQ(e.parent_executable, DomField(raw, "ParentProcessName"));
      }
      if (++checked == 3) break;
    }
    EXPECT_GT(checked, 0) << "no record with " << sample.marker;
  }
}

// A network logon's 4624 names no process: ProcessName "-", ProcessId 0x0.
// "-" is Windows' "none" (as for IpAddress and the user fields), not an
// executable: it came out as process.executable "-" with pid 0 (10 events of
// the full datasets), a "-" program for detectors and the Process entity.
TEST(WineventCorpusTest, ADashProcessNameIsNoProcess) {
  ParserOptions options;
  WineventParser parser(options);
  simdjson::dom::parser dom;
  int checked = 0;
  for (const fs::path& file : WindowsDatasets()) {
    for (const std::string& line : Lines(ReadFile(file))) {
      if (line.find("\"ProcessName\":\"-\"") == std::string::npos) continue;
      CapturingHandler h;
      parser.Parse(line, {}, h);
      ASSERT_EQ(h.events.size(), 1u) << line.substr(0, 200);
      EXPECT_EQ(h.events[0].executable, "") << line.substr(0, 200);
      EXPECT_EQ(h.events[0].pid, -1) << line.substr(0, 200);
      ++checked;
    }
  }
  EXPECT_GE(checked, 10);
}

// The Sigma regression data (evtx_dump, several pretty-printed objects per
// file): split, parse each object, and find every EventData field as an extra
// under its own name with its exact value.
TEST(WineventCorpusTest, SigmaRegressionEventsKeepEveryEventDataFieldByName) {
  std::vector<std::string> index = Lines(ReadFile(kCorpora / "sigma/regression_index.jsonl"));
  ASSERT_GT(index.size(), 100u);
  ParserOptions options;
  WineventParser parser(options);
  simdjson::dom::parser dom, dom_index;
  size_t objects = 0, process_starts = 0, sysmon1 = 0;
  for (const std::string& entry : index) {
    simdjson::dom::object meta;
    ASSERT_EQ(dom_index.parse(entry).get(meta), simdjson::SUCCESS);
    std::string path = DomField(meta, "event_json");
    SCOPED_TRACE(path);
    std::string text = ReadFile(kCorpora / "sigma" / path);
    JsonSplitResult split = SplitJsonObjects(text);
    ASSERT_TRUE(split.ok) << "at offset " << split.error_offset;
    // The DOM's own multi-document reader must see the same number of objects.
    simdjson::padded_string padded(text);
    simdjson::dom::document_stream stream;
    ASSERT_EQ(dom.parse_many(padded).get(stream), simdjson::SUCCESS);
    size_t dom_count = 0;
    for (auto doc : stream) {
      ASSERT_EQ(doc.error(), simdjson::SUCCESS);
      ++dom_count;
    }
    ASSERT_EQ(split.objects.size(), dom_count);
    for (std::string_view object : split.objects) {
      ++objects;
      CapturingHandler h;
      parser.Parse(object, {}, h);
      ASSERT_TRUE(h.errors.empty()) << ParseErrorName(h.errors[0]);
      ASSERT_EQ(h.events.size(), 1u);
      const CapturedEvent& e = h.events[0];
      simdjson::dom::object raw;
      ASSERT_EQ(dom.parse(object.data(), object.size()).get(raw), simdjson::SUCCESS);
      simdjson::dom::object system = raw["Event"]["System"].get_object().value();
      simdjson::dom::element id_element = system["EventID"].value();
      int64_t id = id_element.is_int64() ? id_element.get_int64().value()
                                         : id_element["#text"].get_int64().value();
      std::string channel = DomField(system, "Channel");
      EXPECT_EQ(e.program, channel);
      EXPECT_EQ(e.host, DomField(system, "Computer"));
      if (IsProcessStartRecord(id, channel)) {
        sysmon1 += id == 1;
        EXPECT_EQ(e.kind, EventKind::kProcessStart);
      }
      process_starts += e.kind == EventKind::kProcessStart;
      simdjson::dom::object data;
      if (raw["Event"]["EventData"].get_object().get(data)) continue;
      for (auto [key, value] : data) {
        std::string expected;
        if (value.is_string()) {
          expected = std::string(value.get_string().value());
        } else if (value.is_int64()) {
          expected = std::to_string(value.get_int64().value());
        } else {
          continue;  // null / nested: not kept
        }
        auto it = e.extras.find(std::string(key));
        ASSERT_NE(it, e.extras.end()) << key;
        EXPECT_EQ(it->second, expected) << key;
      }
      if (e.kind == EventKind::kProcessStart && id == 1) {
        EXPECT_EQ(e.command_line, DomField(data, "CommandLine"));
        EXPECT_EQ(e.executable, DomField(data, "Image"));
        EXPECT_EQ(e.parent_executable, DomField(data, "ParentImage"));
      }
    }
  }
  std::printf("sigma regression: %zu files, %zu objects, %zu Sysmon 1, %zu process_start\n",
              index.size(), objects, sysmon1, process_starts);
  EXPECT_GE(objects, index.size());
  EXPECT_GT(sysmon1, 0u);
  EXPECT_GE(process_starts, sysmon1);
}

}  // namespace
}  // namespace loghunt
