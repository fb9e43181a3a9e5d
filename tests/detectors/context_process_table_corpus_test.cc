// ProcessTable over the Security-Datasets process-creation sample: the
// ancestry chain the table gives a Sysmon 1 process equals the chain the test
// walks itself in the raw JSON (ParentProcessGuid -> ProcessGuid), and the
// ancestry detector attaches the parent the raw events name to alerts.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "detectors/context/ancestry_detector.h"
#include "detectors/context/process_table.h"
#include "parsers/parser.h"
#include "tests/parsers/syslog_test_util.h"

namespace loghunt {
namespace {

constexpr const char* kCorpus = "windows/security_datasets_process_creation.jsonl";

struct RawProcess {
  std::string host, guid, parent_guid, image, command_line;
  int64_t pid = -1;
  size_t line = 0;
};

// Sysmon 1 events of the corpus, keyed by host + ProcessGuid.
std::map<std::pair<std::string, std::string>, RawProcess> RawSysmonProcesses(
    const std::vector<std::string>& lines) {
  std::map<std::pair<std::string, std::string>, RawProcess> out;
  for (size_t i = 0; i < lines.size(); ++i) {
    auto j = nlohmann::json::parse(lines[i], nullptr, false);
    if (j.is_discarded() || j.value("EventID", 0) != 1 || !j.contains("ProcessGuid")) continue;
    RawProcess p;
    p.host = j.value("Hostname", "");
    p.guid = j.value("ProcessGuid", "");
    p.parent_guid = j.value("ParentProcessGuid", "");
    p.image = j.value("Image", "");
    p.command_line = j.value("CommandLine", "");
    p.pid = std::stoll(j.value("ProcessId", "-1"));
    p.line = i + 1;
    out[{p.host, p.guid}] = p;
  }
  return out;
}

class Feeder : public EventHandler {
 public:
  explicit Feeder(Detector* d) : d_(d) {}
  void OnEvent(const Event& e) override {
    std::vector<Alert> alerts;
    if (e.kind == EventKind::kProcessStart) {
      alerts.push_back(MakeAlert(e, RuleRef{"test.process", "process", Severity::kLow, {}}, "k"));
    }
    d_->Inspect(e, alerts);
    for (auto& a : alerts) out.push_back(std::move(a));
  }
  void OnError(ParseError, std::string_view, const SourcePosition&) override {}
  std::vector<Alert> out;

 private:
  Detector* d_;
};

std::string Prop(const Entity& e, std::string_view key) {
  for (const auto& [k, v] : e.properties) {
    if (k == key) return v;
  }
  return "";
}

TEST(ProcessTableCorpus, SysmonChainsEqualTheParentChainsOfTheRawEvents) {
  auto lines = testing::ReadLines(kCorpus);
  ASSERT_FALSE(lines.empty());
  auto raw = RawSysmonProcesses(lines);
  ASSERT_FALSE(raw.empty());

  ProcessAncestryDetector detector(ProcessTableOptions{.max_depth = 16});
  Feeder feeder(&detector);
  auto parser = MakeParser(Stream::kWinevent, ParserOptions{});
  int64_t n = 0;
  for (const auto& l : lines) parser->Parse(l, {"corpus", -1, ++n}, feeder);
  const ProcessTable& table = detector.table();

  size_t checked = 0, longest = 0;
  for (const auto& [key, child] : raw) {
    // The chain in the raw events, by guid.
    std::vector<const RawProcess*> want;
    for (auto it = raw.find({child.host, child.parent_guid}); it != raw.end() && want.size() < 16;
         it = raw.find({child.host, it->second.parent_guid})) {
      if (std::find(want.begin(), want.end(), &it->second) != want.end()) break;
      want.push_back(&it->second);
    }
    const ProcessRecord* rec = table.Find(child.host, child.pid, child.guid);
    ASSERT_NE(rec, nullptr) << "line " << child.line;
    auto got = table.Ancestors(*rec, 16);
    ASSERT_EQ(got.size(), want.size()) << "line " << child.line;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i]->pid, want[i]->pid) << "line " << child.line << " depth " << i + 1;
      EXPECT_EQ(got[i]->guid, want[i]->guid);
      EXPECT_EQ(got[i]->executable, want[i]->image);
      EXPECT_EQ(got[i]->command_line, want[i]->command_line);
    }
    checked += !want.empty();
    longest = std::max(longest, want.size());
  }
  EXPECT_GT(checked, 100u);
  EXPECT_GE(longest, 3u);
  RecordProperty("children_checked", static_cast<int>(checked));
  RecordProperty("longest_chain", static_cast<int>(longest));
}

TEST(ProcessTableCorpus, AlertsCarryTheParentOfTheRawEventWhenItCameFirst) {
  auto lines = testing::ReadLines(kCorpus);
  auto raw = RawSysmonProcesses(lines);
  ProcessAncestryDetector detector;
  Feeder feeder(&detector);
  auto parser = MakeParser(Stream::kWinevent, ParserOptions{});
  int64_t n = 0;
  for (const auto& l : lines) parser->Parse(l, {"corpus", -1, ++n}, feeder);
  size_t checked = 0;
  for (const Alert& a : feeder.out) {
    // The Sysmon child of this alert and its raw parent, if that parent's line came earlier.
    auto pos = static_cast<size_t>(a.position.offset);
    auto j = nlohmann::json::parse(lines[pos - 1], nullptr, false);
    if (j.value("EventID", 0) != 1) continue;
    auto parent = raw.find({j.value("Hostname", ""), j.value("ParentProcessGuid", "")});
    if (parent == raw.end() || parent->second.line >= pos) continue;
    const Entity* first = nullptr;
    for (const Entity& e : a.entities) {
      if (e.type == "Process" && Prop(e, "AncestryDepth") == "1") first = &e;
    }
    ASSERT_NE(first, nullptr) << "line " << pos;
    EXPECT_EQ(Prop(*first, "ProcessId"), std::to_string(parent->second.pid)) << "line " << pos;
    EXPECT_EQ(Prop(*first, "ImageFile"), parent->second.image) << "line " << pos;
    EXPECT_EQ(Prop(*first, "ProcessGuid"), parent->second.guid);
    ++checked;
  }
  EXPECT_GT(checked, 100u);
}

TEST(ProcessTableCorpus, Security4688AlertsCarryTheLatestEarlierProcessWithTheParentPid) {
  auto all = testing::ReadLines(kCorpus);
  // Only the 4688 events, so the parent is found by pid alone.
  std::vector<std::string> lines;
  std::vector<nlohmann::json> raw;
  for (const auto& l : all) {
    auto j = nlohmann::json::parse(l, nullptr, false);
    if (j.is_discarded() || j.value("EventID", 0) != 4688) continue;
    lines.push_back(l);
    raw.push_back(std::move(j));
  }
  ASSERT_GT(lines.size(), 100u);
  ProcessAncestryDetector detector;
  Feeder feeder(&detector);
  auto parser = MakeParser(Stream::kWinevent, ParserOptions{});
  int64_t n = 0;
  for (const auto& l : lines) parser->Parse(l, {"corpus", -1, ++n}, feeder);
  ASSERT_EQ(feeder.out.size(), lines.size());
  auto pid = [](const std::string& hex) { return std::stoll(hex, nullptr, 16); };
  size_t by_table = 0, by_event = 0;
  for (const Alert& a : feeder.out) {
    const size_t i = static_cast<size_t>(a.position.offset) - 1;
    const std::string host = raw[i].value("Hostname", "");
    const int64_t ppid = pid(raw[i].value("ProcessId", "-1"));
    // The raw parent: the latest earlier 4688 on the host that created ppid.
    const nlohmann::json* parent = nullptr;
    for (size_t j = i; j-- > 0;) {
      if (raw[j].value("Hostname", "") == host && pid(raw[j].value("NewProcessId", "-1")) == ppid &&
          raw[j].value("@timestamp", "") <= raw[i].value("@timestamp", "")) {
        parent = &raw[j];
        break;
      }
    }
    const Entity* first = nullptr;
    for (const Entity& e : a.entities) {
      if (e.type == "Process" && Prop(e, "AncestryDepth") == "1") first = &e;
    }
    if (parent != nullptr) {
      ASSERT_NE(first, nullptr) << "line " << i + 1;
      EXPECT_EQ(Prop(*first, "ProcessId"), std::to_string(ppid)) << "line " << i + 1;
      EXPECT_EQ(Prop(*first, "ImageFile"), parent->value("NewProcessName", "")) << "line " << i + 1;
      EXPECT_EQ(Prop(*first, "Source"), "");
      ++by_table;
    } else if (!raw[i].value("ParentProcessName", "").empty()) {
      ASSERT_NE(first, nullptr) << "line " << i + 1;
      EXPECT_EQ(Prop(*first, "ImageFile"), raw[i].value("ParentProcessName", ""))
          << "line " << i + 1;
      EXPECT_EQ(Prop(*first, "Source"), "child_event");
      ++by_event;
    }
  }
  EXPECT_GT(by_table, 50u);
  EXPECT_GT(by_event, 0u);
  RecordProperty("parents_from_table", static_cast<int>(by_table));
  RecordProperty("parents_from_child_event", static_cast<int>(by_event));
}

Event Start(std::string_view host, int64_t pid, int64_t ppid, std::string_view image, int64_t t) {
  Event e;
  e.kind = EventKind::kProcessStart;
  e.host = host;
  e.process.pid = pid;
  e.process.ppid = ppid;
  e.process.executable = image;
  e.timestamp_ns = t;
  return e;
}

TEST(ProcessTable, BoundsForgetTheOldestProcessAndTheLeastRecentHost) {
  ProcessTable t(ProcessTableOptions{.max_hosts = 2, .max_processes_per_host = 2});
  t.Observe(Start("a", 1, 0, "init", 1));
  t.Observe(Start("a", 2, 1, "sh", 2));
  t.Observe(Start("a", 3, 2, "ls", 3));
  EXPECT_EQ(t.Find("a", 1), nullptr);
  ASSERT_NE(t.Find("a", 3), nullptr);
  EXPECT_EQ(t.Ancestors(*t.Find("a", 3), 8).size(), 1u);
  t.Observe(Start("b", 1, 0, "init", 1));
  t.Observe(Start("a", 4, 2, "ps", 4));  // a is now the most recent host
  t.Observe(Start("c", 1, 0, "init", 1));
  EXPECT_EQ(t.Find("b", 1), nullptr);
  EXPECT_NE(t.Find("a", 4), nullptr);
  EXPECT_EQ(t.host_count(), 2u);
}

TEST(ProcessTable, AReusedPidStartedAfterTheChildIsNotItsParent) {
  ProcessTable t;
  t.Observe(Start("h", 10, 1, "child", 100));
  t.Observe(Start("h", 1, 0, "late", 200));  // pid 1 reused after the child started
  EXPECT_TRUE(t.Ancestors(*t.Find("h", 10), 8).empty());
  t.Observe(Start("h", 11, 1, "child2", 300));
  auto chain = t.Ancestors(*t.Find("h", 11), 8);
  ASSERT_EQ(chain.size(), 1u);
  EXPECT_EQ(chain[0]->executable, "late");
  EXPECT_EQ(t.Children(*t.Find("h", 1)).size(), 1u);
}

// After its parent's pid was reused, an older child still finds its parent:
// the latest process with the pid that started no later than the child.
TEST(ProcessTable, AnOlderChildKeepsItsParentAfterThePidIsReused) {
  ProcessTable t;
  t.Observe(Start("h", 700, 1, "java", 100));
  t.Observe(Start("h", 800, 700, "bash", 200));
  t.Observe(Start("h", 700, 1, "sleep", 300));  // 700 reused
  t.Observe(Start("h", 900, 700, "child-of-sleep", 400));
  auto chain = t.Ancestors(*t.Find("h", 800), 8);
  ASSERT_EQ(chain.size(), 1u);
  EXPECT_EQ(chain[0]->executable, "java");
  chain = t.Ancestors(*t.Find("h", 900), 8);
  ASSERT_EQ(chain.size(), 1u);
  EXPECT_EQ(chain[0]->executable, "sleep");
  EXPECT_EQ(t.Find("h", 700)->executable, "sleep");  // lookups by pid: the latest
  // The index of every process's children agrees with Children().
  auto index = t.ChildrenOn("h");
  for (int64_t pid : {1, 700, 800, 900}) {
    const ProcessRecord* r = t.Find("h", pid);
    if (r == nullptr) continue;
    auto it = index.find(r);
    EXPECT_EQ(it == index.end() ? std::vector<const ProcessRecord*>{} : it->second, t.Children(*r))
        << pid;
  }
  const ProcessRecord* java = t.Ancestors(*t.Find("h", 800), 1)[0];
  ASSERT_EQ(index[java].size(), 1u);
  EXPECT_EQ(index[java][0]->executable, "bash");
}

// An auditd clone/fork: the child runs its parent's image until it execs.
// Without it, a child of a forked subshell whose pid had been an older
// process's was given that process as its parent (laurel's
// shell-proc-trace-confusion: `id` under `rm`; nginx for an admin's whoami).
TEST(ProcessTable, AForkMakesTheChildItsParentsImageUntilItExecs) {
  ProcessTable t;
  t.Observe(Start("h", 700, 1, "/usr/bin/bash", 100));
  t.Observe(Start("h", 800, 1, "/usr/sbin/nginx", 200));  // runs as 800 and exits
  Event fork;
  fork.stream = Stream::kAuditd;
  fork.kind = EventKind::kOther;
  fork.host = "h";
  fork.process.pid = 700;
  fork.process.ppid = 1;
  fork.process.executable = "/usr/bin/bash";
  fork.timestamp_ns = 300;
  fork.extras = {{"auditd.syscall", "clone"}, {"auditd.exit", "800"}, {"event.outcome", "success"}};
  t.Observe(fork);  // bash forks a subshell that gets pid 800
  Event whoami = Start("h", 801, 800, "/usr/bin/whoami", 310);
  const ProcessRecord* parent = t.ParentOf(whoami);
  ASSERT_NE(parent, nullptr);
  EXPECT_EQ(parent->executable, "/usr/bin/bash");
  auto chain = t.Ancestors(ProcessRecordOf(whoami), 8);
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_EQ(chain[1]->pid, 700);  // the subshell's parent: the shell that forked it
  // A failed fork, a thread-less error value, other syscalls: nothing learned.
  fork.extras = {{"auditd.syscall", "clone"}, {"auditd.exit", "-11"}};
  fork.timestamp_ns = 400;
  size_t before = t.process_count();
  t.Observe(fork);
  fork.extras = {{"auditd.syscall", "openat"}, {"auditd.exit", "3"}};
  t.Observe(fork);
  EXPECT_EQ(t.process_count(), before);
}

// The total bound: hosts seen least recently give up their oldest processes
// (per-host and host bounds alone allowed 16.7 million processes).
TEST(ProcessTable, TheTotalBoundForgetsTheLeastRecentHostsOldestProcesses) {
  ProcessTable t(ProcessTableOptions{.max_processes = 5});
  for (int i = 0; i < 3; ++i) t.Observe(Start("a", 10 + i, 1, "a", 100 + i));
  for (int i = 0; i < 3; ++i) t.Observe(Start("b", 20 + i, 1, "b", 200 + i));
  EXPECT_EQ(t.process_count(), 5u);
  EXPECT_EQ(t.Find("a", 10), nullptr);  // a's oldest went first
  EXPECT_NE(t.Find("a", 12), nullptr);
  for (int i = 3; i < 8; ++i) t.Observe(Start("b", 20 + i, 1, "b", 200 + i));
  EXPECT_EQ(t.process_count(), 5u);
  EXPECT_EQ(t.host_count(), 1u);  // a emptied and forgotten
  EXPECT_EQ(t.Find("b", 22), nullptr);
  EXPECT_NE(t.Find("b", 27), nullptr);
  ProcessTable moved;
  moved.TakeProcessesFrom(t);
  EXPECT_EQ(moved.process_count(), 5u);
  EXPECT_EQ(t.process_count(), 0u);
}

// Forgetting the oldest process keeps the later ones with its pid findable.
TEST(ProcessTable, EvictionForgetsOnlyTheOldestProcessOfAPid) {
  ProcessTable t(ProcessTableOptions{.max_processes_per_host = 2});
  t.Observe(Start("h", 5, 1, "first", 100));
  t.Observe(Start("h", 5, 1, "second", 200));
  t.Observe(Start("h", 6, 5, "third", 300));  // evicts "first"
  ASSERT_NE(t.Find("h", 5), nullptr);
  EXPECT_EQ(t.Find("h", 5)->executable, "second");
  EXPECT_EQ(t.Ancestors(*t.Find("h", 6), 8).size(), 1u);
  EXPECT_EQ(t.process_count(), 2u);
}

}  // namespace
}  // namespace loghunt
