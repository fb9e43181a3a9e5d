// Corpus tests of streaming clustering: real command lines from the msticpy
// corpora group into one pattern when they differ only in variables, and a
// restart from the snapshot does not re-alert on patterns already seen.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/file.h"
#include "core/hash.h"
#include "daemon/config.h"
#include "daemon/pipeline.h"
#include "detectors/cluster/cluster_snapshot.h"
#include "detectors/cluster/rare_pattern.h"
#include "detectors/cluster/template_miner.h"

namespace loghunt {
namespace {

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The distinct corpus lines starting with `prefix`.
std::set<std::string> LinesStartingWith(const std::vector<std::string>& lines,
                                        std::string_view prefix) {
  std::set<std::string> out;
  for (const auto& l : lines) {
    if (l.rfind(prefix, 0) == 0) out.insert(l);
  }
  return out;
}

// Clusters `family` (after some unrelated lines) and returns its pattern ids.
std::set<uint64_t> PatternIds(const std::set<std::string>& family,
                              const std::vector<std::string>& noise) {
  TemplateMiner miner;
  for (const auto& n : noise) miner.Add(n);
  std::set<uint32_t> slots;
  for (const auto& l : family) slots.insert(miner.Add(l).slot);
  std::set<uint64_t> ids;
  for (uint32_t s : slots) ids.insert(miner.pattern(s).id);
  return ids;
}

class ClusterCorpus : public ::testing::Test {
 protected:
  void SetUp() override {
    corpus_ = ReadLines(std::string(LOGHUNT_CORPORA) + "/msticpy/derived/corpus10k.txt");
    ASSERT_GT(corpus_.size(), 9000u);
    noise_.assign(corpus_.begin(), corpus_.begin() + 2000);
  }
  std::vector<std::string> corpus_;
  std::vector<std::string> noise_;
};

TEST_F(ClusterCorpus, CommandLinesDifferingInGuidsAreOnePattern) {
  for (auto prefix : {"\"auditpol.exe\" /get /subcategory:{",
                      "\"MpCmdRun.exe\" GetDeviceTicket -AccessKey ", "DllHost.exe /Processid:{"}) {
    auto family = LinesStartingWith(corpus_, prefix);
    ASSERT_GE(family.size(), 3u) << prefix;  // distinct GUIDs
    EXPECT_EQ(PatternIds(family, noise_).size(), 1u) << prefix;
  }
}

TEST_F(ClusterCorpus, CommandLinesDifferingInTempPathsAreOnePattern) {
  auto family =
      LinesStartingWith(corpus_, "\"csc.exe\" /noconfig /fullpaths @\"C:\\Windows\\TEMP\\");
  ASSERT_GE(family.size(), 4u);  // random per-compile folders, some without digits
  EXPECT_EQ(PatternIds(family, noise_).size(), 1u);
}

TEST_F(ClusterCorpus, CommandLinesDifferingInNumbersAreOnePattern) {
  auto family = LinesStartingWith(corpus_, "ping  127.0.0.1 -n ");
  ASSERT_GE(family.size(), 10u);
  EXPECT_EQ(PatternIds(family, noise_).size(), 1u);
}

TEST_F(ClusterCorpus, DifferentProgramsStayApart) {
  std::set<std::string> mixed;
  for (auto prefix : {"ping  127.0.0.1 -n ", "\"csc.exe\" /noconfig /fullpaths"}) {
    auto f = LinesStartingWith(corpus_, prefix);
    mixed.insert(*f.begin());
  }
  EXPECT_EQ(PatternIds(mixed, noise_).size(), 2u);
}

TEST(ClusterCorpusHosts, MessagesDifferingInHostNamesAreOnePattern) {
  // OpenSSH's "reverse mapping" lines name many different resolver hosts.
  auto lines = ReadLines(std::string(LOGHUNT_CORPORA) + "/loghub/OpenSSH/OpenSSH_2k.log");
  std::set<std::string> family;
  std::set<std::string> hosts;
  for (const auto& l : lines) {
    auto at = l.find("reverse mapping checking getaddrinfo for ");
    if (at == std::string::npos) continue;
    std::string message = l.substr(at);
    family.insert(message);
    hosts.insert(message.substr(41, message.find(' ', 41) - 41));
  }
  ASSERT_GE(hosts.size(), 3u);
  EXPECT_EQ(PatternIds(family, {}).size(), 1u);
}

// Feeds lines [begin, end) of `lines` to a fresh pipeline (winevent stream);
// returns the alerts. Destroying the pipeline writes the cluster snapshot.
class CollectingSink : public AlertSink {
 public:
  std::string_view name() const override { return "collect"; }
  bool Write(const Alert& alert) override {
    alerts.push_back(alert);
    return true;
  }
  std::vector<Alert> alerts;
};

std::vector<Alert> Replay(const Config& config, const std::vector<std::string>& lines, size_t begin,
                          size_t end) {
  CollectingSink sink;
  {
    Pipeline pipeline(config, Stream::kWinevent, {&sink});
    for (size_t i = begin; i < end; ++i) {
      pipeline.Process(lines[i], {"process_creation", -1, static_cast<int64_t>(i + 1)});
    }
    pipeline.Finish();
  }
  std::vector<Alert> cluster;
  for (auto& a : sink.alerts) {
    if (a.rule.id.rfind("loghunt.cluster.", 0) == 0) cluster.push_back(std::move(a));
  }
  return cluster;
}

std::set<std::string> Ids(const std::vector<Alert>& alerts) {
  std::set<std::string> ids;
  for (const auto& a : alerts) ids.insert(a.id);
  return ids;
}

TEST(ClusterRestart, RestoredSnapshotDoesNotReAlertOnKnownPatterns) {
  auto lines =
      ReadLines(std::string(LOGHUNT_CORPORA) + "/windows/security_datasets_process_creation.jsonl");
  ASSERT_GT(lines.size(), 1000u);
  const size_t half = lines.size() / 2;
  auto dir =
      std::filesystem::temp_directory_path() / ("loghunt_cluster_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  Config config;
  config.risky_command_enabled = false;
  config.cluster.enabled = true;
  config.cluster.warmup_events = 0;
  config.cluster.warmup_seconds = 0;
  config.cluster.rare_count = 1;  // only first sightings: "rare" = never seen before
  config.cluster.snapshot_path = (dir / "cluster.snapshot").string();

  // Restarted: first half, stop (snapshot), second half from the snapshot.
  auto first = Replay(config, lines, 0, half);
  ASSERT_TRUE(std::filesystem::exists(config.cluster.snapshot_path));
  std::string bytes, error;
  ClusterSnapshot snapshot;
  ASSERT_TRUE(ReadWholeFile(config.cluster.snapshot_path, 1 << 30, &bytes, &error)) << error;
  ASSERT_TRUE(ParseClusterSnapshot(bytes, &snapshot, &error)) << error;
  std::set<std::string> first_half_ids;
  for (const auto& h : snapshot.hosts) {
    for (const auto& p : h.patterns)
      first_half_ids.insert(h.host + "/" + TemplateMiner::IdHex(Fnv1a64(p.template_text)));
  }
  ASSERT_GT(first_half_ids.size(), 5u);
  auto second = Replay(config, lines, half, lines.size());
  for (const Alert& a : second) {
    EXPECT_EQ(first_half_ids.count(a.host + "/" + a.key), 0u)
        << "re-alert after restart: " << a.summary;
  }

  // Uninterrupted run: the restarted second half alerts exactly as it does.
  std::filesystem::remove(config.cluster.snapshot_path);
  Config continuous = config;
  continuous.cluster.snapshot_path.clear();
  auto all = Replay(continuous, lines, 0, lines.size());
  std::set<std::string> all_second;
  for (const Alert& a : all) {
    if (a.position.offset > static_cast<int64_t>(half)) all_second.insert(a.id);
  }
  EXPECT_EQ(Ids(second), all_second);
  EXPECT_FALSE(second.empty());

  // Without the snapshot the second half re-alerts on first-half patterns.
  auto amnesiac = Replay(continuous, lines, half, lines.size());
  size_t re_alerts = 0;
  for (const Alert& a : amnesiac) re_alerts += first_half_ids.count(a.host + "/" + a.key);
  EXPECT_GT(re_alerts, 0u);

  // A corrupt snapshot is reported and ignored: the detector starts empty.
  { std::ofstream(config.cluster.snapshot_path) << "LHCLSNAP corrupt"; }
  RarePatternDetector corrupt(config.cluster);
  EXPECT_NE(corrupt.snapshot_error().find("ignored"), std::string::npos);
  EXPECT_EQ(corrupt.hosts(), 0u);
  std::filesystem::remove_all(dir);
}

// Beyond max_hosts the least recently seen host is dropped, and a snapshot
// lists hosts least recently seen first.
// An auditd process start on `host` running `command_line`.
Event Command(std::string_view host, std::string_view command_line) {
  Event e;
  e.stream = Stream::kAuditd;
  e.kind = EventKind::kProcessStart;
  e.host = host;
  e.timestamp_ns = 1'000'000'000;
  e.process.command_line = command_line;
  return e;
}

// Patterns in all: the per-host and host bounds alone allowed 100 million.
TEST(ClusterHosts, TheTotalPatternBoundEvictsTheLeastRecentHosts) {
  ClusterDetectorConfig config;
  config.enabled = true;
  config.max_patterns_total = 5;
  RarePatternDetector detector(config);
  std::vector<Alert> alerts;
  const char* commands[] = {"ls -l /tmp", "id", "uname -a", "whoami now", "cat /etc/passwd"};
  for (const char* c : commands) detector.Inspect(Command("a", c), alerts);
  for (int i = 0; i < 3; ++i) detector.Inspect(Command("b", commands[i]), alerts);
  auto snapshot = detector.Snapshot();
  size_t total = 0;
  for (const auto& h : snapshot.hosts) total += h.patterns.size();
  EXPECT_LE(total, 5u);
  ASSERT_EQ(snapshot.hosts.size(), 1u);  // a, seen least recently, went
  EXPECT_EQ(snapshot.hosts[0].host, "b");
  EXPECT_EQ(detector.stats().host_evictions, 1u);
  // Restoring a snapshot larger than the bound keeps the most recent hosts.
  ClusterDetectorConfig big = config;
  big.max_patterns_total = 100;
  RarePatternDetector large(big);
  for (const char* c : commands) large.Inspect(Command("a", c), alerts);
  for (int i = 0; i < 3; ++i) large.Inspect(Command("b", commands[i]), alerts);
  RarePatternDetector small(config);
  small.Restore(large.Snapshot());
  ASSERT_EQ(small.Snapshot().hosts.size(), 1u);
  EXPECT_EQ(small.Snapshot().hosts[0].host, "b");
}

TEST(ClusterHosts, TheLeastRecentlySeenHostIsEvicted) {
  ClusterDetectorConfig config;
  config.enabled = true;
  config.max_hosts = 2;
  RarePatternDetector detector(config);
  std::vector<Alert> alerts;
  auto see = [&](const char* host) { detector.Inspect(Command(host, "ls -l /tmp"), alerts); };
  auto hosts = [&] {
    std::vector<std::string> out;
    for (const auto& h : detector.Snapshot().hosts) out.push_back(h.host);
    return out;
  };
  see("a");
  see("b");
  see("a");
  EXPECT_EQ(hosts(), (std::vector<std::string>{"b", "a"}));
  see("c");  // b is the least recently seen
  EXPECT_EQ(hosts(), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(detector.stats().host_evictions, 1u);
  see("a");
  see("d");
  EXPECT_EQ(hosts(), (std::vector<std::string>{"a", "d"}));
  EXPECT_EQ(detector.stats().host_evictions, 2u);
}

// Windows names users DOMAIN\\user and paths hold the user alone; hosts
// are FQDNs and messages hold the short name: both are masked as known values.
TEST(ClusterHosts, DomainUsersAndShortHostNamesAreMasked) {
  ClusterDetectorConfig config;
  config.enabled = true;
  RarePatternDetector detector(config);
  std::vector<Alert> alerts;
  for (const char* user : {"CORP\\alice", "CORP\\bob", "CORP\\carol"}) {
    Event e;
    e.stream = Stream::kWinevent;
    e.kind = EventKind::kProcessStart;
    e.host = "wks1.corp.example";
    e.timestamp_ns = 1'000'000'000;
    e.process.user = user;
    const std::string name = std::string(user).substr(5);
    const std::string cmd =
        "C:\\Users\\" + name + "\\AppData\\Local\\updater.exe --run --host wks1";
    e.process.command_line = cmd;
    detector.Inspect(e, alerts);
  }
  auto snapshot = detector.Snapshot();
  ASSERT_EQ(snapshot.hosts.size(), 1u);
  ASSERT_EQ(snapshot.hosts[0].patterns.size(), 1u);
  EXPECT_EQ(snapshot.hosts[0].patterns[0].template_text,
            "C:\\Users\\<*>\\AppData\\Local\\updater.exe --run --host <*>");
}

// The snapshot is written every snapshot_interval_seconds of a quiet
// daemon's few events, not only at an event count that is a multiple of 1,024.
TEST(ClusterRestart, TheSnapshotIsWrittenAtTheIntervalWhateverTheEventCount) {
  namespace fs = std::filesystem;
  const fs::path path =
      fs::temp_directory_path() / ("cluster_interval_" + std::to_string(getpid()) + ".bin");
  fs::remove(path);
  ClusterDetectorConfig config;
  config.enabled = true;
  config.snapshot_path = path.string();
  config.snapshot_interval_seconds = 0;  // at the next event
  RarePatternDetector detector(config);
  std::vector<Alert> alerts;
  detector.Inspect(Command("h", "ls -l /tmp"), alerts);
  detector.Inspect(Command("h", "id"), alerts);
  EXPECT_TRUE(fs::exists(path));  // while the detector runs, after 2 events
  EXPECT_EQ(detector.stats().snapshots_written, 2u);
  fs::remove(path);
}

// A snapshot that cannot be written (its folder is missing) is reported
// once per failure streak, not silently counted (nothing logged it).
TEST(ClusterRestart, ASnapshotThatCannotBeWrittenIsReportedOnce) {
  ClusterDetectorConfig config;
  config.enabled = true;
  config.snapshot_path = "/nonexistent-loghunt-dir/sub/snap.bin";
  config.snapshot_interval_seconds = 0;
  RarePatternDetector detector(config);
  std::vector<std::string> reported;
  detector.set_error_callback([&](const std::string& e) { reported.push_back(e); });
  std::vector<Alert> alerts;
  for (int i = 0; i < 3; ++i) detector.Inspect(Command("h", "ls -l /tmp"), alerts);
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_NE(reported[0].find("/nonexistent-loghunt-dir/sub/snap.bin"), std::string::npos)
      << reported[0];
  EXPECT_EQ(detector.stats().snapshot_errors, 3u);
  detector.set_error_callback(nullptr);  // the destructor's last attempt fails too
}

// A reload (SIGHUP) moves the running state into the new detector: nothing
// is copied or read from the snapshot file, the old detector writes no
// snapshot at its end, and a known pattern is not new after the reload. With
// smaller bounds the state goes through a snapshot and the bounds apply.
TEST(ClusterRestart, AReloadMovesTheStateAndWritesNoSnapshot) {
  namespace fs = std::filesystem;
  const fs::path path =
      fs::temp_directory_path() / ("cluster_reload_" + std::to_string(getpid()) + ".bin");
  fs::remove(path);
  ClusterDetectorConfig config;
  config.enabled = true;
  config.warmup_events = 0;
  config.rare_count = 1;  // only new patterns alert
  config.snapshot_path = path.string();
  auto old = std::make_unique<RarePatternDetector>(config);
  std::vector<Alert> alerts;
  for (const char* h : {"a", "b", "c"}) old->Inspect(Command(h, "ls -l /tmp"), alerts);
  ClusterDetectorConfig reloaded = config;
  reloaded.restore_snapshot = false;
  // A reload abandoned before the state moved writes no (empty) snapshot.
  std::make_unique<RarePatternDetector>(reloaded).reset();
  EXPECT_FALSE(fs::exists(path));
  RarePatternDetector fresh(reloaded);
  fresh.TakeStateFrom(*old);
  EXPECT_EQ(fresh.hosts(), 3u);
  EXPECT_EQ(old->hosts(), 0u);  // moved, not copied
  old.reset();
  EXPECT_FALSE(fs::exists(path));  // the old detector left the snapshot to the new one
  alerts.clear();
  fresh.Inspect(Command("a", "ls -l /tmp"), alerts);
  EXPECT_TRUE(alerts.empty());  // known before the reload
  // Fewer hosts allowed: through a snapshot, the most recent kept.
  ClusterDetectorConfig smaller = reloaded;
  smaller.max_hosts = 2;
  RarePatternDetector small(smaller);
  small.TakeStateFrom(fresh);
  ASSERT_EQ(small.hosts(), 2u);
  EXPECT_EQ(small.Snapshot().hosts[1].host, "a");
  fs::remove(path);
}

TEST(ClusterRestart, AlertsCarryPatternParentAndFeatures) {
  auto lines =
      ReadLines(std::string(LOGHUNT_CORPORA) + "/windows/security_datasets_process_creation.jsonl");
  Config config;
  config.risky_command_enabled = false;
  config.cluster.enabled = true;
  config.cluster.warmup_events = 5;
  auto alerts = Replay(config, lines, 0, lines.size());
  ASSERT_FALSE(alerts.empty());
  size_t with_parent = 0;
  for (const Alert& a : alerts) {
    EXPECT_EQ(a.key.size(), 16u);
    const Entity* pattern = nullptr;
    for (const auto& e : a.entities) {
      if (e.type == "Pattern") pattern = &e;
      if (e.type == "Process") {
        for (const auto& [k, v] : e.properties) with_parent += k == "ParentImageFile";
      }
    }
    ASSERT_NE(pattern, nullptr);
    EXPECT_EQ(pattern->properties[0].second, a.key);
    EXPECT_EQ(pattern->properties.size(), 8u);
  }
  EXPECT_GT(with_parent, 0u);
}

}  // namespace
}  // namespace loghunt
