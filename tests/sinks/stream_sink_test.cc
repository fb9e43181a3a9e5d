#include "sinks/stream_sink.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace loghunt {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

Alert SampleAlert(const std::string& id) {
  Alert a;
  a.id = id;
  a.time_ns = 1;
  a.rule = {"r", "Rule", Severity::kLow, {}};
  a.host = "h";
  a.summary = "s";
  return a;
}

TEST(StreamSink, FileAppendsJsonLinesAndReopensAfterRotation) {
  std::string dir = ::testing::TempDir() + "/sink_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::string path = dir + "/alerts.jsonl";
  StreamSink sink(path, AlertFormat::kJson, true);
  ASSERT_TRUE(sink.ok()) << sink.error();
  EXPECT_TRUE(sink.Write(SampleAlert("a1")));
  std::filesystem::rename(path, path + ".1");  // logrotate moves the file
  EXPECT_TRUE(sink.Write(SampleAlert("a2")));  // still goes to the moved file
  sink.Reopen();                               // SIGHUP
  EXPECT_TRUE(sink.Write(SampleAlert("a3")));
  EXPECT_TRUE(sink.Flush());
  std::string rotated = ReadFile(path + ".1");
  std::string fresh = ReadFile(path);
  EXPECT_NE(rotated.find("\"id\":\"a1\""), std::string::npos);
  EXPECT_NE(rotated.find("\"id\":\"a2\""), std::string::npos);
  EXPECT_EQ(fresh.find("a2"), std::string::npos);
  EXPECT_NE(fresh.find("\"id\":\"a3\""), std::string::npos);
  EXPECT_EQ(std::count(fresh.begin(), fresh.end(), '\n'), 1);
  std::filesystem::remove_all(dir);
}

// Without fsync an alert is still in the file (the kernel's) once Write()
// returns, not in a stdio buffer until a flush; a full disk fails the Write.
TEST(StreamSink, EveryWriteReachesTheFile) {
  std::string dir = ::testing::TempDir() + "/sink_w_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::string path = dir + "/alerts.jsonl";
  StreamSink sink(path, AlertFormat::kJson, false);
  ASSERT_TRUE(sink.ok()) << sink.error();
  EXPECT_TRUE(sink.Write(SampleAlert("w1")));
  EXPECT_NE(ReadFile(path).find("\"id\":\"w1\""), std::string::npos);
  std::filesystem::remove_all(dir);

  StreamSink full("/dev/full", AlertFormat::kJson, false);
  ASSERT_TRUE(full.ok()) << full.error();
  EXPECT_FALSE(full.Write(SampleAlert("lost")));
}

// A symbolic link at the path is not followed: the sink fails (and says why)
// rather than append alerts to the file the link points to.
TEST(StreamSink, ASymbolicLinkAtThePathIsNotFollowed) {
  std::string dir = ::testing::TempDir() + "/sink_link_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/alerts.jsonl", victim = dir + "/victim";
  std::ofstream(victim) << "precious\n";
  std::filesystem::create_symlink(victim, path);
  StreamSink sink(path, AlertFormat::kJson, true);
  EXPECT_FALSE(sink.ok());
  EXPECT_NE(sink.error().find("alerts.jsonl"), std::string::npos) << sink.error();
  EXPECT_FALSE(sink.Write(SampleAlert("a1")));
  EXPECT_EQ(ReadFile(victim), "precious\n");
  std::filesystem::remove_all(dir);
}

TEST(StreamSink, UnwritablePathIsAnErrorNotACrash) {
  StreamSink sink("/nonexistent-dir/x/alerts.jsonl", AlertFormat::kJson, false);
  EXPECT_FALSE(sink.ok());
  EXPECT_NE(sink.error().find("/nonexistent-dir/x/alerts.jsonl"), std::string::npos);
  EXPECT_FALSE(sink.Write(SampleAlert("a")));
}

// A line the file takes only in part (the disk fills up midway; here the
// file size limit) is taken back: the next alert starts its own line, and
// every line is a whole alert. It stayed, and the next alert was appended
// to it: a line no JSON reader reads.
TEST(StreamSink, ALineCutShortByAFullDiskIsTakenBack) {
  std::string dir = ::testing::TempDir() + "/sink_full_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::string path = dir + "/alerts.jsonl";
  StreamSink sink(path, AlertFormat::kJson, false);
  ASSERT_TRUE(sink.ok()) << sink.error();
  ASSERT_TRUE(sink.Write(SampleAlert("f1")));
  const auto size = std::filesystem::file_size(path);
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit limit = old;
  limit.rlim_cur = size + 40;  // room for part of a line
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limit), 0);
  const bool written = sink.Write(SampleAlert("f2"));
  const auto size_after = std::filesystem::file_size(path);
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_FALSE(written);
  EXPECT_EQ(size_after, size);
  EXPECT_TRUE(sink.Write(SampleAlert("f3")));
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("\"id\":\"f1\""), std::string::npos);
  EXPECT_EQ(lines[1].rfind("{\"", 0), 0u) << lines[1];
  EXPECT_NE(lines[1].find("\"id\":\"f3\""), std::string::npos);
  std::filesystem::remove_all(dir);
}

// A file that cannot be opened again at SIGHUP (its folder gone) is tried
// again by later writes: alerts were dropped until the next SIGHUP.
TEST(StreamSink, AFailedReopenIsTriedAgainByLaterWrites) {
  std::string dir = ::testing::TempDir() + "/sink_re_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::string path = dir + "/alerts.jsonl";
  StreamSink sink(path, AlertFormat::kJson, false);
  ASSERT_TRUE(sink.ok()) << sink.error();
  std::filesystem::rename(dir, dir + ".old");
  sink.Reopen();
  EXPECT_FALSE(sink.ok());
  EXPECT_FALSE(sink.Write(SampleAlert("r1")));
  std::filesystem::create_directories(dir);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // tried at most once a second
  EXPECT_TRUE(sink.Write(SampleAlert("r2")));
  EXPECT_NE(ReadFile(path).find("\"id\":\"r2\""), std::string::npos);
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(dir + ".old");
}

TEST(AlertFormat, ParsesNames) {
  AlertFormat f;
  EXPECT_TRUE(ParseAlertFormat("text", &f));
  EXPECT_EQ(f, AlertFormat::kText);
  EXPECT_FALSE(ParseAlertFormat("xml", &f));
}

}  // namespace
}  // namespace loghunt
