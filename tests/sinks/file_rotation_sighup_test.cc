// The file sink under logrotate, end to end: `loghuntd run` writes alerts to a
// file, the file is renamed and the daemon gets SIGHUP in the middle of its
// input; every alert ends up in exactly one of the two files.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>

namespace loghunt {
namespace {

namespace fs = std::filesystem;

size_t CountLines(const std::string& path, std::set<std::string>* ids) {
  std::ifstream in(path);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    size_t at = line.find("\"id\":\"");
    if (at != std::string::npos) ids->insert(line.substr(at + 6, 32));
  }
  return n;
}

TEST(FileSinkRotation, SighupMidStreamLosesNothing) {
  const std::string bin = std::string(LOGHUNT_BINARY_DIR) + "/loghuntd";
  ASSERT_TRUE(fs::exists(bin)) << bin << " is not built";
  const std::string dir = ::testing::TempDir() + "/rotation_" + std::to_string(::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);

  // The demo's alerting line (a sudo command running /bin/bash) between
  // ordinary ones; each copy is its own alert (its id hashes the line number).
  std::string alerting, plain;
  {
    std::ifstream demo(std::string(LOGHUNT_SOURCE_DIR) + "/conf/demo/syslog.log");
    for (std::string line; std::getline(demo, line);) {
      if (line.find("COMMAND=/bin/bash") != std::string::npos && alerting.empty()) alerting = line;
      if (line.find("session opened") != std::string::npos && plain.empty()) plain = line;
    }
  }
  ASSERT_FALSE(alerting.empty());
  constexpr int kAlerts = 60'000;
  {
    std::ofstream input(dir + "/input.log");
    for (int i = 0; i < kAlerts; ++i) input << alerting << '\n' << plain << '\n';
  }
  {
    std::ofstream cfg(dir + "/loghunt.yaml");
    cfg << "inputs:\n  - stream: syslog\n    path: input.log\n"
        << "sinks:\n  - type: file\n    path: " << dir << "/alerts.jsonl\n"
        << "metrics:\n  listen: \"\"\n";
  }

  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::freopen("/dev/null", "w", stderr);
    execl(bin.c_str(), bin.c_str(), "run", "--config", (dir + "/loghunt.yaml").c_str(), nullptr);
    _exit(127);
  }
  // Wait for the first alerts, freeze the daemon mid-input, rotate, signal.
  const std::string path = dir + "/alerts.jsonl";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while ((!fs::exists(path) || fs::file_size(path) == 0) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill(pid, SIGSTOP);
  fs::rename(path, path + ".1");
  kill(pid, SIGHUP);  // pending until the daemon runs again
  kill(pid, SIGCONT);
  int status = 0;
  bool exited = false;
  for (int i = 0; i < 1200 && !exited; ++i) {
    exited = waitpid(pid, &status, WNOHANG) == pid;
    if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!exited) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  ASSERT_TRUE(exited) << "loghuntd did not finish within 60 s";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;

  std::set<std::string> ids;
  size_t rotated = CountLines(path + ".1", &ids);
  ASSERT_TRUE(fs::exists(path)) << "the daemon did not reopen the file after SIGHUP";
  size_t fresh = CountLines(path, &ids);
  EXPECT_GT(rotated, 0u);
  EXPECT_GT(fresh, 0u) << "input finished before the rotation; make it longer";
  EXPECT_EQ(rotated + fresh, static_cast<size_t>(kAlerts));
  EXPECT_EQ(ids.size(), static_cast<size_t>(kAlerts));  // none lost, none twice
  fs::remove_all(dir);
}

}  // namespace
}  // namespace loghunt
