// StreamSink: alerts as lines on stdout or appended to a file.
//
// JSON lines (one alert per line) or the one-line text form for people.
// Every Write() hands its line to the kernel (fflush) before it returns; for
// a file sink, `fsync` also makes it durable;
// Reopen() closes and reopens the path (for logrotate, on SIGHUP).
// Thread-safety: all methods may be called from several workers at once.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>

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

  bool ok() const { return file_ != nullptr; }
  const std::string& error() const { return error_; }

  std::string_view name() const override { return path_.empty() ? "stdout" : "file"; }
  bool Write(const Alert& alert) override;
  bool Flush() override;
  void Reopen() override;

 private:
  bool Open();

  std::mutex mu_;
  std::string path_;
  AlertFormat format_;
  bool fsync_ = false;
  bool flush_each_ = true;
  FILE* file_ = nullptr;
  std::string line_;
  std::string error_;
};

}  // namespace loghunt
