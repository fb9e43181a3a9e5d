#include "sinks/stream_sink.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/serialize.h"
#include "sinks/ocsf.h"

namespace loghunt {

bool ParseAlertFormat(std::string_view name, AlertFormat* format) {
  if (name == "json") {
    *format = AlertFormat::kJson;
  } else if (name == "text") {
    *format = AlertFormat::kText;
  } else if (name == "ocsf") {
    *format = AlertFormat::kOcsf;
  } else {
    return false;
  }
  return true;
}

StreamSink::StreamSink(AlertFormat format, bool flush_each_alert)
    : format_(format), flush_each_(flush_each_alert), file_(stdout) {}

StreamSink::StreamSink(std::string path, AlertFormat format, bool fsync)
    : path_(std::move(path)), format_(format), fsync_(fsync) {
  Open();
}

StreamSink::~StreamSink() {
  if (file_ != nullptr) {
    std::fflush(file_);
    if (!path_.empty()) std::fclose(file_);
  }
}

bool StreamSink::Open() {
  file_ = std::fopen(path_.c_str(), "ae");
  if (file_ == nullptr) {
    error_ = path_ + ": " + std::strerror(errno);
    return false;
  }
  error_.clear();
  return true;
}

bool StreamSink::Write(const Alert& alert) {
  std::lock_guard lock(mu_);
  if (file_ == nullptr) return false;
  line_.clear();
  AppendAlertFormatted(alert, format_, &line_);
  line_.push_back('\n');
  // Each alert reaches the kernel before Write() returns: an alert that a
  // quiet listener raises is not left in stdio's buffer until shutdown, a
  // Kafka offset is not committed past an alert that a crash would lose, and
  // a full disk fails this alert rather than a later flush.
  if (std::fwrite(line_.data(), 1, line_.size(), file_) != line_.size()) return false;
  if (flush_each_ && std::fflush(file_) != 0) return false;
  if (fsync_ && ::fsync(fileno(file_)) != 0) return false;
  return true;
}

bool StreamSink::Flush() {
  std::lock_guard lock(mu_);
  if (file_ == nullptr) return false;
  if (std::fflush(file_) != 0) return false;
  if (fsync_ && !path_.empty() && ::fsync(fileno(file_)) != 0) return false;
  return true;
}

void StreamSink::Reopen() {
  std::lock_guard lock(mu_);
  if (path_.empty()) return;
  if (file_ != nullptr) std::fclose(file_);
  Open();
}

}  // namespace loghunt
