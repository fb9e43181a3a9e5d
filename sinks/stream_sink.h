// StreamSink: alerts as lines on stdout or appended to a file.
//
// JSON lines (one alert per line) or the one-line text form for people.
// Every Write() hands its line to the kernel before it returns; for a file
// sink, `fsync` also makes it durable. A line the file could take only part
// of (a full disk) is taken back, so the file holds whole lines only and the
// next alert starts its own. Failures are logged (the first, then one line a
// minute with a count). A file that cannot be opened again (SIGHUP after its
// folder went away) is tried again at most once a second by later writes.
// Reopen() closes and reopens the path (for logrotate, on SIGHUP).
// Thread-safety: all methods may be called from several workers at once.
#pragma once

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

#include "core/log_throttle.h"
#include "sinks/sink.h"

namespace loghunt {

class StreamSink : public AlertSink {
 public:
  // Writes to stdout; `flush_each_alert` false leaves lines in stdio's buffer
  // until Flush() (replay, a batch job that flushes at its end).
  explicit StreamSink(AlertFormat format, bool flush_each_alert = true);
  // Appends to `path`; check ok() / error() after construction.
  StreamSink(std::string path, AlertFormat format, bool fsync);
  ~StreamSink() override;

  bool ok() const { return path_.empty() || fd_ >= 0; }
  const std::string& error() const { return error_; }

  std::string_view name() const override { return path_.empty() ? "stdout" : "file"; }
  bool Write(const Alert& alert) override;
  bool Flush() override;
  void Reopen() override;

 private:
  bool Open();
  bool WriteFile(const Alert& alert);
  // Logs an alert not written, and why (throttled).
  void LogFailure(const Alert& alert, std::string_view reason);

  std::mutex mu_;
  std::string path_;  // empty: stdout
  AlertFormat format_;
  bool fsync_ = false;
  bool flush_each_ = true;
  FILE* out_ = nullptr;  // stdout
  int fd_ = -1;          // the file (O_APPEND)
  std::chrono::steady_clock::time_point last_open_;
  std::string line_;
  std::string error_;
  LogThrottle failure_log_;
};

}  // namespace loghunt
