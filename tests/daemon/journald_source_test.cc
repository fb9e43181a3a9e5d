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
    std::ofstream out(dir_ + "/in.export");
    for (int i = 0; i < 5; ++i) {
      out << "__CURSOR=s=1;i=" << i + 1
          << "\n__REALTIME_TIMESTAMP=" << 1700000000000000 + i * 1000000
          << "\n__MONOTONIC_TIMESTAMP=" << i + 1 << "\n_BOOT_ID=0123456789abcdef0123456789abcdef\n"
          << "_HOSTNAME=web-1\nSYSLOG_IDENTIFIER=sshd\n_PID=" << 100 + i
          << "\nPRIORITY=6\nSYSLOG_FACILITY=4\nMESSAGE=Accepted password for user" << i
          << " from 10.0.0." << i << " port 22 ssh2\n\n";
    }
    out.close();
    std::string cmd = std::string(kJournalRemote) + " -o " + dir_ + "/test.journal - < " + dir_ +
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
  std::string dir_;
};

TEST_F(JournaldSourceTest, EntriesBecomeSyslogLinesTheParserReads) {
  std::string error;
  auto source = JournaldSource::Open(Options(), &error);
  ASSERT_TRUE(source) << error;
  std::vector<std::string> lines;
  std::atomic<bool> stop{false};
  EXPECT_EQ(source->Run(stop, false, [&](std::string_view l) { lines.emplace_back(l); }), 5u);
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
  struct Entry {
    std::string host, ident, facility, priority;
  } entries[] = {{"web-1", "sudo", "10", "5"},
                 {"web-1", "CRON", "9", "6"},
                 {"web-1", "sshd", "99", "6"},
                 {"web-1", long_ident, "4", "6"},
                 {long_host, "sshd", "4", "6"}};
  {
    std::ofstream out(dir_ + "/odd.export");
    int i = 0;
    for (const auto& e : entries) {
      ++i;
      out << "__CURSOR=s=2;i=" << i << "\n__REALTIME_TIMESTAMP=" << 1700000000000000 + i * 1000000
          << "\n__MONOTONIC_TIMESTAMP=" << i << "\n_BOOT_ID=0123456789abcdef0123456789abcdef\n"
          << "_HOSTNAME=" << e.host << "\nSYSLOG_IDENTIFIER=" << e.ident << "\n_PID=" << 300 + i
          << "\nPRIORITY=" << e.priority << "\nSYSLOG_FACILITY=" << e.facility << "\nMESSAGE=entry "
          << i << "\n\n";
    }
  }
  std::string cmd = std::string(kJournalRemote) + " -o " + dir_ + "/odd.journal - < " + dir_ +
                    "/odd.export > /dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  JournaldOptions o = Options();
  o.files = {dir_ + "/odd.journal"};
  std::string error;
  auto source = JournaldSource::Open(o, &error);
  ASSERT_TRUE(source) << error;
  std::vector<std::string> lines;
  std::atomic<bool> stop{false};
  source->Run(stop, false, [&](std::string_view l) { lines.emplace_back(l); });
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

TEST_F(JournaldSourceTest, PersistedCursorResumesAfterTheLastHandledEntry) {
  std::string error;
  std::vector<std::string> lines;
  {
    auto source = JournaldSource::Open(Options(), &error);
    ASSERT_TRUE(source) << error;
    std::atomic<bool> stop{false};
    source->Run(stop, false, [&](std::string_view l) {
      lines.emplace_back(l);
      if (lines.size() == 2) stop = true;  // "SIGTERM" after the second entry
    });
  }
  ASSERT_EQ(lines.size(), 2u);
  ASSERT_TRUE(std::filesystem::exists(dir_ + "/cursor"));
  auto source = JournaldSource::Open(Options(), &error);
  ASSERT_TRUE(source) << error;
  std::atomic<bool> stop{false};
  EXPECT_EQ(source->Run(stop, false, [&](std::string_view l) { lines.emplace_back(l); }), 3u);
  ASSERT_EQ(lines.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_NE(lines[i].find("user" + std::to_string(i) + " "), std::string::npos) << lines[i];
  }
  // Nothing new: a third run reads nothing.
  auto again = JournaldSource::Open(Options(), &error);
  EXPECT_EQ(again->Run(stop, false, [](std::string_view) {}), 0u);
}

TEST_F(JournaldSourceTest, WithoutCursorOnlyNewEntriesAreRead) {
  JournaldOptions o = Options();
  o.from_start = false;
  o.cursor_file.clear();
  std::string error;
  auto source = JournaldSource::Open(o, &error);
  ASSERT_TRUE(source) << error;
  std::atomic<bool> stop{false};
  EXPECT_EQ(source->Run(stop, false, [](std::string_view) {}), 0u);
}

}  // namespace
}  // namespace loghunt
