// Alert suppression: per (rule id, alert key) window. The first alert of a
// window goes out at once; repeats inside the window are folded into one
// summary alert emitted when the window closes ("N times in M minutes", first
// and last seen, distinct hosts / messages / observables). Windows with no
// repeat close silently.
//
// A window opened at alert time T (event time; wall time when the alert has
// none) closes when the newest alert time seen passes T + window, or when the
// window has been open for `window` of wall-clock time (live streams that go
// quiet), whichever comes first; Drain() closes all (end of input, shutdown).
// Event time makes replays give the same summaries every run.
//
// State is bounded: at most max_keys open windows; opening one more evicts the
// least recently seen window, whose summary is emitted early (counted in
// evictions, never silently lost). Distinct values are kept up to
// max_distinct_values per window; beyond that only "more" is recorded. A
// host is kept cut to kKeptNameBytes and an observable to kKeptTextBytes
// (core/text.h; the summary shows the marker), a message only as a hash (it
// is counted, not shown): each was kept whole, so a window of alerts with
// 1 MB summaries, hosts or URLs held up to 30 MB, for each of max_keys windows.
//
// Two pieces:
//   Suppressor       the logic, no threads, no clock of its own (tests drive it)
//   SuppressingSink  an AlertSink decorator around one sink, with a timer
//                    thread closing windows every tick_ms. Thread-safe like
//                    the sinks it wraps (they must be: summaries are written
//                    from the timer thread too).
//
// Acknowledgement: a folded repeat is acknowledged at once (done(true)): the
// first alert of its window was delivered and the summary counts it. A crash
// before the window closes loses that summary, not an alert.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/alert.h"
#include "sinks/sink.h"

namespace loghunt {

struct SuppressionOptions {
  bool enabled = false;
  int window_seconds = 300;
  size_t max_keys = 10000;
  size_t max_distinct_values = 10;
  int tick_ms = 1000;  // SuppressingSink timer; 0 = no timer (tests, replays)
};

struct SuppressionStats {
  uint64_t passed = 0;      // alerts that went out (first of their window)
  uint64_t suppressed = 0;  // repeats folded into a summary
  uint64_t summaries = 0;
  uint64_t evictions = 0;  // windows closed early because max_keys was reached
  size_t open_windows = 0;
};

class Suppressor {
 public:
  explicit Suppressor(SuppressionOptions options);

  // True when `alert` goes out now; false when it was folded into its window.
  // Summaries of windows this alert's time closed are appended to `due`.
  bool Offer(const Alert& alert, int64_t wall_ns, std::vector<Alert>* due);
  // Appends summaries of windows open for a whole window of wall time.
  void Expire(int64_t wall_ns, std::vector<Alert>* due);
  // Closes every window.
  void Drain(std::vector<Alert>* due);
  const SuppressionStats& stats() const { return stats_; }

 private:
  struct Window {
    std::string key;
    RuleRef rule;
    std::string alert_key;
    std::string first_id;
    std::string host;
    OwnedPosition last_position;
    int64_t first_ns = 0;
    int64_t last_ns = 0;
    int64_t close_event_ns = 0;
    int64_t close_wall_ns = 0;
    uint64_t count = 0;
    std::set<std::string, std::less<>> hosts, observables;
    std::set<uint64_t> messages;  // Fnv1a64 of each summary
    bool more_hosts = false, more_messages = false, more_observables = false;
  };
  using WindowList = std::list<Window>;  // most recently seen first

  void Close(WindowList::iterator it, std::vector<Alert>* due);
  // Adds `value` as `set` keeps it (cut for strings, a hash for messages).
  void AddDistinct(std::set<std::string, std::less<>>& set, bool& more, std::string_view value,
                   size_t max);
  void AddDistinct(std::set<uint64_t>& set, bool& more, std::string_view value);
  Alert Summary(const Window& w) const;

  SuppressionOptions options_;
  WindowList lru_;
  std::unordered_map<std::string, WindowList::iterator> index_;
  std::set<std::pair<int64_t, const Window*>> by_event_close_, by_wall_close_;
  int64_t watermark_ns_ = 0;
  SuppressionStats stats_;
};

class SuppressingSink : public AlertSink {
 public:
  SuppressingSink(std::unique_ptr<AlertSink> inner, SuppressionOptions options);
  ~SuppressingSink() override;

  std::string_view name() const override { return inner_->name(); }
  bool Write(const Alert& alert) override;
  bool async() const override { return inner_->async(); }
  bool WriteAsync(const Alert& alert, DeliveryCallback done) override;
  // Closes every window (summaries out), then flushes the inner sink.
  bool Flush() override;
  bool FlushWithin(int timeout_ms) override;
  size_t queue_depth() const override { return inner_->queue_depth(); }
  uint64_t delivery_failures() const override { return inner_->delivery_failures(); }
  uint64_t request_failures() const override { return inner_->request_failures(); }
  uint64_t retries() const override { return inner_->retries(); }
  void Reopen() override { inner_->Reopen(); }
  void Interrupt() override { inner_->Interrupt(); }
  void Close() override;
  bool WaitForRoom(int timeout_ms) override { return inner_->WaitForRoom(timeout_ms); }

  SuppressionStats stats() const;
  AlertSink& inner() { return *inner_; }

 private:
  void Emit(std::vector<Alert>& summaries);
  void StopTimer();
  // Closes every window and emits the summaries.
  void DrainAndEmit();
  void TimerLoop();

  std::unique_ptr<AlertSink> inner_;
  SuppressionOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  Suppressor suppressor_;
  std::thread timer_;
};

}  // namespace loghunt
