// LogThrottle: lets a repeated message be logged at most once per interval,
// counting the ones held back, so a failure that repeats per message or per
// commit (a refusing broker, a full disk) gives one line a minute with a
// count instead of one line per occurrence.
//
// Thread-safety: Allow() may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

namespace loghunt {

class LogThrottle {
 public:
  explicit LogThrottle(std::chrono::steady_clock::duration interval = std::chrono::minutes(1))
      : interval_(interval) {}

  // True when the message may be logged now (the first one, then one per
  // interval); *held_back then gets how many were held back since the last
  // one logged. False: the caller stays silent (the occurrence is counted).
  bool Allow(uint64_t* held_back) {
    std::lock_guard lock(mu_);
    auto now = std::chrono::steady_clock::now();
    if (logged_ && now - last_ < interval_) {
      ++held_back_;
      return false;
    }
    logged_ = true;
    last_ = now;
    *held_back = held_back_;
    held_back_ = 0;
    return true;
  }

 private:
  const std::chrono::steady_clock::duration interval_;
  std::mutex mu_;
  bool logged_ = false;
  std::chrono::steady_clock::time_point last_;
  uint64_t held_back_ = 0;
};

}  // namespace loghunt
