#include "sinks/stream_sink.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
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
    : format_(format), flush_each_(flush_each_alert), out_(stdout) {}

StreamSink::StreamSink(std::string path, AlertFormat format, bool fsync)
    : path_(std::move(path)), format_(format), fsync_(fsync) {
  Open();
}

StreamSink::~StreamSink() {
  if (out_ != nullptr) std::fflush(out_);
  if (fd_ >= 0) ::close(fd_);
}

bool StreamSink::Open() {
  last_open_ = std::chrono::steady_clock::now();
  // Alerts name users, hosts and command lines: not for every local user.
  // Not through a symbolic link: one planted at the path by another user of
  // the directory made the daemon (root in the audisp plugin) append alerts
  // to the file it pointed to.
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
  if (fd_ < 0) {
    error_ = path_ + ": " + std::strerror(errno);
    return false;
  }
  error_.clear();
  return true;
}

void StreamSink::LogFailure(const Alert& alert, std::string_view reason) {
  uint64_t held_back = 0;
  if (!failure_log_.Allow(&held_back)) return;
  spdlog::error(
      "sink {}{}: alert {} ({}) not written: {} ({} more not written since the last "
      "message)",
      name(), path_.empty() ? "" : " " + path_, alert.id, alert.rule.id, reason, held_back);
}

bool StreamSink::Write(const Alert& alert) {
  std::lock_guard lock(mu_);
  line_.clear();
  AppendAlertFormatted(alert, format_, &line_);
  line_.push_back('\n');
  if (!path_.empty()) return WriteFile(alert);
  // Each alert reaches the kernel before Write() returns: an alert that a
  // quiet listener raises is not left in stdio's buffer until shutdown, and
  // a Kafka offset is not committed past an alert that a crash would lose.
  if (std::fwrite(line_.data(), 1, line_.size(), out_) != line_.size() ||
      (flush_each_ && std::fflush(out_) != 0)) {
    LogFailure(alert, std::string("write: ") + std::strerror(errno));
    return false;
  }
  return true;
}

bool StreamSink::WriteFile(const Alert& alert) {
  if (fd_ < 0) {
    if (std::chrono::steady_clock::now() - last_open_ < std::chrono::seconds(1) || !Open()) {
      LogFailure(alert, "not open: " + error_);
      return false;
    }
    spdlog::info("sink file {}: open again", path_);
  }
  size_t done = 0;
  while (done < line_.size()) {
    const ssize_t n = ::write(fd_, line_.data() + done, line_.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      const int error_number = n == 0 ? EIO : errno;
      // Written in part (the disk filled up midway): the cut line is taken
      // back, or it and the next alert made one line no JSON reader reads.
      struct stat st {};
      if (done > 0 && ::fstat(fd_, &st) == 0 && st.st_size >= static_cast<off_t>(done)) {
        if (::ftruncate(fd_, st.st_size - static_cast<off_t>(done)) != 0) {
          spdlog::error("sink file {}: cannot take back a line cut short: {}", path_,
                        std::strerror(errno));
        }
      }
      LogFailure(alert, std::string("write: ") + std::strerror(error_number));
      return false;
    }
  }
  if (fsync_ && ::fsync(fd_) != 0) {
    LogFailure(alert, std::string("fsync: ") + std::strerror(errno));
    return false;
  }
  return true;
}

bool StreamSink::Flush() {
  std::lock_guard lock(mu_);
  if (!path_.empty()) return fd_ >= 0 && (!fsync_ || ::fsync(fd_) == 0);
  return std::fflush(out_) == 0;
}

void StreamSink::Reopen() {
  std::lock_guard lock(mu_);
  if (path_.empty()) return;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!Open()) {
    spdlog::error(
        "sink file: cannot open {} again: {}; alerts are not written until it can be "
        "(tried again at most once a second)",
        path_, error_);
  }
}

}  // namespace loghunt
