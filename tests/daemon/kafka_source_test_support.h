// Helpers of the KafkaSource tests (an embedded cluster, a source run on a
// thread of the test).
#pragma once

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "daemon/kafka_source.h"

namespace loghunt {

// Polls `pred` every 50 ms until it holds (true) or `limit` passed (false).
template <typename Pred>
bool WaitFor(Pred pred, std::chrono::seconds limit = std::chrono::seconds(30)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

// Runs source.Run() on a thread of its own until Stop(), or until it is
// destroyed (a failed assertion returning early from the test).
class RunningSource {
 public:
  explicit RunningSource(KafkaSource& source)
      : run_(std::async(std::launch::async, [this, &source] { source.Run(stop_, 0); })) {}
  ~RunningSource() { Stop(); }
  RunningSource(const RunningSource&) = delete;
  RunningSource& operator=(const RunningSource&) = delete;
  void Stop() {
    stop_ = true;
    if (run_.valid()) run_.wait();
  }

 private:
  std::atomic<bool> stop_{false};  // before run_: the thread reads it
  std::future<void> run_;
};

}  // namespace loghunt
