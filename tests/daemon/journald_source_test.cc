#include "daemon/journald_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "daemon/config.h"
#include "daemon/pipeline.h"
#include "parsers/syslog/syslog_parser.h"

namespace loghunt {
namespace {

constexpr const char* kJournalRemote = "/usr/lib/systemd/systemd-journal-remote";

// Writes a journal file with `n` sshd entries through systemd-journal-remote
// (journal export format in, journal file out).
class JournaldSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kJournalRemote))
        << "install systemd-journal-remote (tools/install-deps) to make test journals";
    dir_ = ::testing::TempDir() + "/journal_" + std::to_string(::getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    ASSERT_NO_FATAL_FAILURE(WriteJournal(5, dir_ + "/test.journal"));
  }
  void WriteJournal(int n, const std::string& path) {
    std::ofstream out(dir_ + "/in.export");
    for (int i = 0; i < n; ++i) {
      out << "__CURSOR=s=1;i=" << i + 1
          << "\n__REALTIME_TIMESTAMP=" << 1700000000000000 + int64_t{i} * 1000000
          << "\n__MONOTONIC_TIMESTAMP=" << i + 1 << "\n_BOOT_ID=0123456789abcdef0123456789abcdef\n"
          << "_HOSTNAME=web-1\nSYSLOG_IDENTIFIER=sshd\n_PID=" << 100 + i
          << "\nPRIORITY=6\nSYSLOG_FACILITY=4\nMESSAGE=Accepted password for user" << i
          << " from 10.0.0." << i % 256 << " port 22 ssh2\n\n";
    }
    out.close();
    std::string cmd = std::string(kJournalRemote) + " -o " + path + " - < " + dir_ +
                      "/in.export > /dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  JournaldOptions Options() const {
    JournaldOptions o;
    o.files = {dir_ + "/test.journal"};
    o.cursor_file = dir_ + "/cursor";
    o.from_start = true;
    o.save_every = 1;
    return o;
  }

  struct Entry {
    std::string host, ident, facility, priority;  // priority "-": no PRIORITY field
  };
  // The lines JournaldSource makes of `entries`, written as journal file NAME
  // (entry i: _PID 300+i, MESSAGE "entry i").
  std::vector<std::string> LinesOf(const std::string& name, const std::vector<Entry>& entries) {
    {
      std::ofstream out(dir_ + "/" + name + ".export");
      int i = 0;
      for (const auto& e : entries) {
        ++i;
        out << "__CURSOR=s=2;i=" << i
            << "\n__REALTIME_TIMESTAMP=" << 1700000000000000 + int64_t{i} * 1000000
            << "\n__MONOTONIC_TIMESTAMP=" << i << "\n_BOOT_ID=0123456789abcdef0123456789abcdef\n"
            << "_HOSTNAME=" << e.host << "\nSYSLOG_IDENTIFIER=" << e.ident << "\n_PID=" << 300 + i
            << "\n";
        if (e.priority != "-") out << "PRIORITY=" << e.priority << "\n";
        out << "SYSLOG_FACILITY=" << e.facility << "\nMESSAGE=entry " << i << "\n\n";
      }
    }
    std::string cmd = std::string(kJournalRemote) + " -o " + dir_ + "/" + name + ".journal - < " +
                      dir_ + "/" + name + ".export > /dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    JournaldOptions o = Options();
    o.files = {dir_ + "/" + name + ".journal"};
    std::string error;
    auto source = JournaldSource::Open(o, &error);
    EXPECT_TRUE(source) << error;
    std::vector<std::string> lines;
    if (!source) return lines;
    std::atomic<bool> stop{false};
    source->Run(stop, false,
                [&](std::string_view l, const SourcePosition&) { lines.emplace_back(l); });
    return lines;
  }
  std::string dir_;
};

TEST_F(JournaldSourceTest, EntriesBecomeSyslogLinesTheParserReads) {
  std::string error;
  auto source = JournaldSource::Open(Options(), &error);
  ASSERT_TRUE(source) << error;
  std::vector<std::string> lines;
  std::atomic<bool> stop{false};
  EXPECT_EQ(source->Run(stop, false,
                        [&](std::string_view l, const SourcePosition&) { lines.emplace_back(l); }),
            5u);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(
      lines[0],
      "<38>1 2023-11-14T22:13:20Z web-1 sshd 100 - - Accepted password for user0 from 10.0.0.0 "
      "port 22 ssh2");
  // The syslog parser turns them into events with host, program and message.
  Config config;
  char* buf = nullptr;
  size_t size = 0;
  FILE* out = open_memstream(&buf, &size);
  {
    Pipeline p(config, Stream::kSyslog, {}, out);
    for (size_t i = 0; i < lines.size(); ++i)
      p.Process(lines[i], SourcePosition{"journald", -1, int64_t(i)});
    p.Finish();
    EXPECT_EQ(p.stats().events, 5u);
    EXPECT_EQ(p.stats().errors(), 0u);
  }
  std::fclose(out);
  std::string events(buf, size);
  free(buf);
  EXPECT_NE(events.find("\"host.name\":\"web-1\""), std::string::npos) << events.substr(0, 400);
  EXPECT_NE(events.find("user4"), std::string::npos);
}

// The PRI carries the entry's facility as it is (authpriv 10, cron 9; one
// outside 0..23 is user), and every line is a valid RFC 5424 frame: fields
// longer than RFC 5424 allows (APP-NAME 48, HOSTNAME 255) are cut, so no
// entry is lost as bad_frame.
TEST_F(JournaldSourceTest, LinesKeepTheFacilityAndStayValidRfc5424) {
  const std::string long_ident(49, 'a'), long_host(300, 'h');
  std::vector<std::string> lines = LinesOf("odd", {{"web-1", "sudo", "10", "5"},
                                                   {"web-1", "CRON", "9", "6"},
                                                   {"web-1", "sshd", "99", "6"},
                                                   {"web-1", long_ident, "4", "6"},
                                                   {long_host, "sshd", "4", "6"}});
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0].substr(0, 6), "<85>1 ");  // authpriv.notice
  EXPECT_EQ(lines[1].substr(0, 6), "<78>1 ");  // cron.info
  EXPECT_EQ(lines[2].substr(0, 6), "<14>1 ");  // user.info
  EXPECT_NE(lines[3].find(" web-1 " + long_ident.substr(0, 48) + " 304 - - entry 4"),
            std::string::npos)
      << lines[3];
  EXPECT_NE(lines[4].find(" " + long_host.substr(0, 255) + " sshd 305 - - entry 5"),
            std::string::npos);
  SyslogParser parser{ParserOptions{}};
  for (const auto& line : lines) {
    struct : EventHandler {
      void OnEvent(const Event&) override { ++events; }
      void OnError(ParseError, std::string_view, const SourcePosition&) override {}
      int events = 0;
    } handler;
    parser.Parse(line, SourcePosition{"journald", -1, 0}, handler);
    EXPECT_EQ(handler.events, 1) << line;
  }
}

// PRIORITY is one digit 0..7 (systemd.journal-fields(7)); journalctl shows
// any other value, or none, as info, and so does the line's PRI: masking it
// with 7 made PRIORITY=12 a warning and PRIORITY=8 an emergency.
TEST_F(JournaldSourceTest, PriorityOutsideZeroToSevenIsInfoAsJournalctlReadsIt) {
  std::vector<std::string> lines = LinesOf("prio", {{"web-1", "sshd", "4", "12"},
                                                    {"web-1", "sshd", "4", "8"},
                                                    {"web-1", "sshd", "4", "-1"},
                                                    {"web-1", "sshd", "4", "x"},
                                                    {"web-1", "sshd", "4", "-"},
                                                    {"web-1", "sshd", "4", "7"},
                                                    {"web-1", "sshd", "4", "0"}});
  ASSERT_EQ(lines.size(), 7u);
  const char* const expected[] = {"<38>1 ", "<38>1 ", "<38>1 ", "<38>1 ",
                                  "<38>1 ", "<39>1 ", "<32>1 "};  // auth.info, .debug, .emerg
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i].substr(0, 6), expected[i]) << lines[i];
  }
  SyslogParser parser{ParserOptions{}};
  struct : EventHandler {
    void OnEvent(const Event& e) override {
      severity = std::string(e.Extra("log.syslog.severity.name"));
    }
    void OnError(ParseError, std::string_view, const SourcePosition&) override {}
    std::string severity;
  } handler;
  parser.Parse(lines[0], SourcePosition{"journald", -1, 0}, handler);
  EXPECT_EQ(handler.severity, "info");
}

TEST_F(JournaldSourceTest, PersistedCursorResumesAfterTheLastHandledEntry) {
  std::string error;
  std::vector<std::string> lines;
  {
    auto source = JournaldSource::Open(Options(), &error);
    ASSERT_TRUE(source) << error;
    std::atomic<bool> stop{false};
    source->Run(stop, false, [&](std::string_view l, const SourcePosition&) {
      lines.emplace_back(l);
      if (lines.size() == 2) stop = true;  // "SIGTERM" after the second entry
    });
  }
  ASSERT_EQ(lines.size(), 2u);
  ASSERT_TRUE(std::filesystem::exists(dir_ + "/cursor"));
  auto source = JournaldSource::Open(Options(), &error);
  ASSERT_TRUE(source) << error;
  std::atomic<bool> stop{false};
  EXPECT_EQ(source->Run(stop, false,
                        [&](std::string_view l, const SourcePosition&) { lines.emplace_back(l); }),
            3u);
  ASSERT_EQ(lines.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_NE(lines[i].find("user" + std::to_string(i) + " "), std::string::npos) << lines[i];
  }
  // Nothing new: a third run reads nothing.
  auto again = JournaldSource::Open(Options(), &error);
  EXPECT_EQ(again->Run(stop, false, [](std::string_view, const SourcePosition&) {}), 0u);
}

TEST_F(JournaldSourceTest, WithoutCursorOnlyNewEntriesAreRead) {
  JournaldOptions o = Options();
  o.from_start = false;
  o.cursor_file.clear();
  std::string error;
  auto source = JournaldSource::Open(o, &error);
  ASSERT_TRUE(source) << error;
  std::atomic<bool> stop{false};
  EXPECT_EQ(source->Run(stop, false, [](std::string_view, const SourcePosition&) {}), 0u);
}

// Alert ids hash the entry's position: it is the journal's own sequence
// number, so an entry read again after a restart keeps its alert ids and
// another entry never gets them (the daemon numbered entries 1, 2, ... from
// each start: after a restart new alerts took the ids of earlier ones, and
// an Elasticsearch sink, which indexes by id, overwrote them).
TEST_F(JournaldSourceTest, PositionsAreTheJournalsSequenceNumbers) {
  auto read_positions = [&](JournaldOptions o) {
    std::vector<std::pair<std::string, int64_t>> positions;
    std::string error;
    auto source = JournaldSource::Open(o, &error);
    EXPECT_TRUE(source) << error;
    if (!source) return positions;
    std::atomic<bool> stop{false};
    source->Run(stop, false, [&](std::string_view, const SourcePosition& p) {
      positions.emplace_back(std::string(p.topic), p.offset);
    });
    return positions;
  };
  JournaldOptions o = Options();
  o.cursor_file.clear();
  auto first = read_positions(o);
  ASSERT_EQ(first.size(), 5u);
  EXPECT_TRUE(first[0].first.starts_with("journald#")) << first[0].first;
  EXPECT_GT(first[0].first.size(), std::string("journald#").size());
  for (size_t i = 1; i < first.size(); ++i) {
    EXPECT_EQ(first[i].first, first[0].first);
    EXPECT_GT(first[i].second, first[i - 1].second);
  }
  // Read again (a restart without a saved cursor): the same positions.
  EXPECT_EQ(read_positions(o), first);
  // Resumed after the second entry: the positions of the last three.
  o.cursor_file = dir_ + "/cursor";
  {
    std::string error;
    auto source = JournaldSource::Open(o, &error);
    ASSERT_TRUE(source) << error;
    std::atomic<bool> stop{false};
    int n = 0;
    source->Run(stop, false, [&](std::string_view, const SourcePosition&) {
      if (++n == 2) stop = true;
    });
  }
  auto rest = read_positions(o);
  ASSERT_EQ(rest.size(), 3u);
  EXPECT_EQ(rest[0], first[2]);
  EXPECT_EQ(rest[2], first[4]);
}

// The cursor saved is the last entry before the oldest one whose alerts are
// not delivered yet: the entries after it are read again at a restart, none
// is skipped. (It was saved only once every sink had delivered everything
// within 5 s, the input stopped meanwhile; through a backlog it stood still.)
TEST_F(JournaldSourceTest, CursorStaysBeforeTheOldestUnfinishedEntry) {
  std::vector<int64_t> offsets;
  int64_t unfinished = -1;
  JournaldOptions o = Options();
  o.oldest_unfinished = [&] { return unfinished; };
  std::string error;
  {
    auto source = JournaldSource::Open(o, &error);
    ASSERT_TRUE(source) << error;
    std::atomic<bool> stop{false};
    source->Run(stop, false, [&](std::string_view, const SourcePosition& p) {
      offsets.push_back(p.offset);
      if (offsets.size() == 3) unfinished = p.offset;  // the third entry's alert is held
    });
  }
  ASSERT_EQ(offsets.size(), 5u);
  std::vector<std::string> lines;
  {
    // A restart, on a copy of the cursor file.
    JournaldOptions restart = Options();
    restart.cursor_file = dir_ + "/cursor.copy";
    std::filesystem::copy_file(o.cursor_file, restart.cursor_file);
    auto source = JournaldSource::Open(restart, &error);
    ASSERT_TRUE(source) << error;
    std::atomic<bool> stop{false};
    source->Run(stop, false,
                [&](std::string_view l, const SourcePosition&) { lines.emplace_back(l); });
  }
  ASSERT_EQ(lines.size(), 3u);  // the third to the fifth again
  EXPECT_NE(lines[0].find("user2 "), std::string::npos) << lines[0];
  // Delivered since: the next save moves the cursor to the last entry.
  auto source = JournaldSource::Open(o, &error);
  ASSERT_TRUE(source) << error;
  unfinished = -1;
  std::atomic<bool> stop{false};
  EXPECT_EQ(source->Run(stop, false, [](std::string_view, const SourcePosition&) {}), 3u);
  auto again = JournaldSource::Open(Options(), &error);
  EXPECT_EQ(again->Run(stop, false, [](std::string_view, const SourcePosition&) {}), 0u);
}

// A long backlog behind one entry: the cursors kept as checkpoints are
// bounded (JournaldSource::kMaxCheckpoints, spaced further apart as they
// fill up), and the cursor saved once the entry is delivered is at most a
// spacing before the next unfinished one, never after it.
TEST_F(JournaldSourceTest, CheckpointsThroughALongBacklogStayBeforeTheUnfinishedEntry) {
  const int kEntries = 3 * static_cast<int>(JournaldSource::kMaxCheckpoints);
  ASSERT_NO_FATAL_FAILURE(WriteJournal(kEntries, dir_ + "/big.journal"));
  JournaldOptions o = Options();
  o.files = {dir_ + "/big.journal"};
  o.save_every = 1000;
  int64_t unfinished = -1;
  o.oldest_unfinished = [&] { return unfinished; };
  int n = 0;
  const int kHeldAt = kEntries - 1000;
  std::string error;
  {
    auto source = JournaldSource::Open(o, &error);
    ASSERT_TRUE(source) << error;
    std::atomic<bool> stop{false};
    source->Run(stop, false, [&](std::string_view, const SourcePosition& p) {
      ++n;
      if (n == 1) unfinished = p.offset;        // held from the first entry...
      if (n == kHeldAt) unfinished = p.offset;  // ...until this one is the oldest held
    });
  }
  ASSERT_EQ(n, kEntries);
  JournaldOptions resume = Options();
  resume.files = o.files;
  auto source = JournaldSource::Open(resume, &error);
  ASSERT_TRUE(source) << error;
  std::atomic<bool> stop{false};
  std::string first;
  uint64_t again = source->Run(stop, false, [&](std::string_view l, const SourcePosition&) {
    if (first.empty()) first = l;
  });
  // Entry kHeldAt (user<kHeldAt-1>) and all after it are read again, and
  // only a few before it (8 is the spacing after two halvings).
  EXPECT_GE(again, static_cast<uint64_t>(kEntries - kHeldAt + 1)) << first;
  EXPECT_LE(again, static_cast<uint64_t>(kEntries - kHeldAt + 1 + 8)) << first;
}

// A directory of journal files (journalctl --directory) is read like a file.
TEST_F(JournaldSourceTest, ReadsAJournalDirectory) {
  JournaldOptions o = Options();
  o.files = {dir_};
  o.cursor_file.clear();
  std::string error;
  auto source = JournaldSource::Open(o, &error);
  ASSERT_TRUE(source) << error;
  std::atomic<bool> stop{false};
  EXPECT_EQ(source->Run(stop, false, [](std::string_view, const SourcePosition&) {}), 5u);
}

}  // namespace
}  // namespace loghunt
