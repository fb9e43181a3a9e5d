#include "sinks/stream_sink.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

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

TEST(StreamSink, UnwritablePathIsAnErrorNotACrash) {
  StreamSink sink("/nonexistent-dir/x/alerts.jsonl", AlertFormat::kJson, false);
  EXPECT_FALSE(sink.ok());
  EXPECT_NE(sink.error().find("/nonexistent-dir/x/alerts.jsonl"), std::string::npos);
  EXPECT_FALSE(sink.Write(SampleAlert("a")));
}

TEST(AlertFormat, ParsesNames) {
  AlertFormat f;
  EXPECT_TRUE(ParseAlertFormat("text", &f));
  EXPECT_EQ(f, AlertFormat::kText);
  EXPECT_FALSE(ParseAlertFormat("xml", &f));
}

}  // namespace
}  // namespace loghunt
