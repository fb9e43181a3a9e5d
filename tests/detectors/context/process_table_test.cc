// ProcessTable's byte bounds: command lines an attacker can make as long as
// a message (auditd execve arguments, 4688 events) are kept cut, and the
// table counts what it holds against max_bytes.
#include "detectors/context/process_table.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/text.h"

namespace loghunt {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000'000;

// The strings an Event views, kept alive with it.
struct Start {
  std::string host, executable, command_line;
  Event event;
  Start(std::string h, int64_t pid, int64_t ppid, std::string exe, std::string cmd)
      : host(std::move(h)), executable(std::move(exe)), command_line(std::move(cmd)) {
    event.stream = Stream::kAuditd;
    event.kind = EventKind::kProcessStart;
    event.timestamp_ns = kT0 + pid;
    event.host = host;
    event.process.pid = pid;
    event.process.ppid = ppid;
    event.process.executable = executable;
    event.process.command_line = command_line;
  }
};

std::string CommandLineOf(const Alert& alert) {
  for (const Entity& e : alert.entities) {
    for (const auto& [key, value] : e.properties) {
      if (key == "CommandLine") return value;
    }
  }
  return "";
}

// An alert's ancestry showed a parent's whole command line, 100 KB here, and
// the table kept it whole for each of up to a million processes.
TEST(ProcessTable, AnAncestorsLongCommandLineIsShownCut) {
  ProcessTable table;
  Start parent("h1", 100, 1, "/usr/bin/python3", "python3 -c " + std::string(100'000, 'p'));
  Start child("h1", 101, 100, "/usr/bin/id", "id");
  table.Observe(parent.event);
  table.Observe(child.event);
  Alert alert;
  table.AppendAncestry(child.event, &alert);
  ASSERT_EQ(alert.entities.size(), 1u);
  std::string shown = CommandLineOf(alert);
  EXPECT_LT(shown.size(), 8192u + 100);
  EXPECT_TRUE(shown.starts_with("python3 -c pppp")) << shown.substr(0, 100);
  EXPECT_TRUE(shown.ends_with("p...[cut: 100011 bytes in all]"))
      << shown.substr(shown.size() - std::min<size_t>(shown.size(), 100));
}

TEST(ProcessTable, ACommandLineOfUsualLengthIsKeptWhole) {
  ProcessTable table;
  Start parent("h1", 100, 1, "/usr/bin/java", "java -cp " + std::string(8000, 'j') + " Main");
  Start child("h1", 101, 100, "/bin/sh", "sh -c true");
  table.Observe(parent.event);
  table.Observe(child.event);
  Alert alert;
  table.AppendAncestry(child.event, &alert);
  EXPECT_EQ(CommandLineOf(alert), parent.command_line);
  EXPECT_EQ(table.Find("h1", 100)->command_line, parent.command_line);
}

// 1,000 processes with 100 KB command lines (on 10 hosts) hold about their
// first kKeptTextBytes each, by the table's own count; under a smaller
// max_bytes the least recently seen hosts' oldest processes are forgotten,
// as beyond max_processes.
TEST(ProcessTable, LongCommandLinesOfManyProcessesStayWithinMaxBytes) {
  std::vector<std::unique_ptr<Start>> starts;
  for (int64_t pid = 1; pid <= 1000; ++pid) {
    starts.push_back(std::make_unique<Start>("host" + std::to_string(pid % 10), pid, 1,
                                             "/usr/bin/python3",
                                             "python3 -c " + std::string(100'000, 'p')));
  }
  ProcessTable table;
  for (const auto& s : starts) table.Observe(s->event);
  EXPECT_EQ(table.process_count(), 1000u);
  EXPECT_GE(table.bytes(), 1000 * kKeptTextBytes);
  EXPECT_LE(table.bytes(), 1000 * (kKeptTextBytes + 1024));
  EXPECT_LE(table.bytes(), table.options().max_bytes);

  ProcessTable small(ProcessTableOptions{.max_bytes = 1 << 20});
  for (const auto& s : starts) small.Observe(s->event);
  EXPECT_LE(small.bytes(), size_t{1} << 20);
  EXPECT_GT(small.process_count(), 100u);
  EXPECT_LT(small.process_count(), 1000u);
  EXPECT_NE(small.Find("host0", 1000), nullptr);  // the latest are kept
  EXPECT_EQ(small.Find("host1", 1), nullptr);     // the oldest are not
}

}  // namespace
}  // namespace loghunt
