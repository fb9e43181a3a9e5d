#include "daemon/file_follower.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

namespace loghunt {

namespace {

struct SavedPosition {
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t offset = 0;
};

// False and *error for an unreadable or malformed file; *found false when
// there is none.
bool ReadPosition(const std::string& path, SavedPosition* pos, bool* found, std::string* error) {
  *found = false;
  FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) {
    if (errno == ENOENT) return true;
    *error = path + ": " + std::strerror(errno);
    return false;
  }
  char line[128] = {};
  const bool read = std::fgets(line, sizeof line, f) != nullptr;
  std::fclose(f);
  char rest = 0;
  if (!read || std::sscanf(line, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %c", &pos->dev, &pos->ino,
                           &pos->offset, &rest) != 3) {
    *error = path + ": not a position file (DEVICE INODE OFFSET); remove it to start afresh";
    return false;
  }
  *found = true;
  return true;
}

}  // namespace

std::unique_ptr<FileFollower> FileFollower::Open(const FollowOptions& options, std::string* error) {
  SavedPosition saved;
  bool have_position = false;
  if (!options.position_file.empty() &&
      !ReadPosition(options.position_file, &saved, &have_position, error)) {
    return nullptr;
  }
  std::unique_ptr<FileFollower> f(new FileFollower(options));
  if (!f->OpenFile(/*report_missing=*/true)) {
    if (errno != ENOENT) {
      *error = options.path + ": " +
               (errno == EINVAL ? "not a regular file (a followed input must be one)"
                                : std::strerror(errno));
      return nullptr;
    }
    return f;  // waited for; read from its start once it exists
  }
  struct stat st {};
  ::fstat(f->fd_, &st);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  uint64_t start = 0;
  if (have_position && saved.dev == f->dev_ && saved.ino == f->ino_) {
    if (saved.offset <= size) {
      start = saved.offset;
    } else {
      spdlog::warn("{}: shorter than its saved position ({} < {} bytes): read from its start",
                   options.path, size, saved.offset);
    }
  } else if (have_position) {
    spdlog::warn(
        "{}: not the file of the saved position (replaced while loghuntd was stopped): read "
        "from its start; lines written to the old file after the stop were not read",
        options.path);
  } else if (!options.from_start) {
    start = size;  // only what is written from now on
  }
  if (start > 0 && ::lseek(f->fd_, static_cast<off_t>(start), SEEK_SET) < 0) {
    *error = options.path + ": " + std::strerror(errno);
    return nullptr;
  }
  f->offset_ = start;
  return f;
}

FileFollower::~FileFollower() {
  if (fd_ >= 0) ::close(fd_);
}

bool FileFollower::OpenFile(bool report_missing) {
  // O_NONBLOCK: opening a FIFO would wait for a writer (refused below).
  const int fd = ::open(options_.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int e = errno;
    if (e == ENOENT && report_missing && !missing_logged_) {
      missing_logged_ = true;
      spdlog::warn("{}: does not exist (yet); waiting for it", options_.path);
    }
    errno = e;
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
    return false;
  }
  fd_ = fd;
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  offset_ = 0;
  return true;
}

bool FileFollower::Switched(bool* newline) {
  *newline = false;
  if (fd_ < 0) {
    if (!OpenFile(/*report_missing=*/true)) return false;
    spdlog::info("{}: appeared; reading it from its start", options_.path);
    *newline = !last_was_newline_;
    return true;
  }
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && static_cast<uint64_t>(st.st_size) < offset_) {
    ++truncations_;
    spdlog::info("{}: truncated ({} < {} bytes read): read again from its start", options_.path,
                 static_cast<uint64_t>(st.st_size), offset_);
    ::lseek(fd_, 0, SEEK_SET);
    offset_ = 0;
    *newline = !last_was_newline_;
    return true;
  }
  // Another file under the name: the rotated one was read to its end (Read()
  // read it once more after the rename was seen).
  if (::stat(options_.path.c_str(), &st) != 0 || (st.st_dev == dev_ && st.st_ino == ino_)) {
    return false;
  }
  if (!rotation_seen_) {
    rotation_seen_ = true;
    return true;  // one more read of the old file: lines written just before the rename
  }
  rotation_seen_ = false;
  ++rotations_;
  ::close(fd_);
  fd_ = -1;
  if (!OpenFile(/*report_missing=*/false)) return false;  // gone again: waited for
  spdlog::info("{}: rotated; reading the new file from its start", options_.path);
  *newline = !last_was_newline_;
  return true;
}

ssize_t FileFollower::Read(char* buf, size_t size, const std::function<bool()>& idle) {
  for (;;) {
    if (fd_ >= 0) {
      const ssize_t n = ::read(fd_, buf, size);
      if (n > 0) {
        offset_ += static_cast<uint64_t>(n);
        last_was_newline_ = buf[n - 1] == '\n';
        rotation_seen_ = false;
        return n;
      }
      if (n < 0 && errno != EINTR) return -1;
    }
    bool newline = false;
    if (Switched(&newline)) {
      if (newline && size > 0) {
        buf[0] = '\n';
        last_was_newline_ = true;
        return 1;
      }
      continue;
    }
    if (idle && idle()) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(options_.poll_ms));
  }
}

bool FileFollower::SavePosition(size_t buffered) {
  if (options_.position_file.empty() || fd_ < 0) return true;
  std::string text = fmt::format("{} {} {}\n", static_cast<uint64_t>(dev_),
                                 static_cast<uint64_t>(ino_), EndOffset(buffered));
  if (text == saved_) return true;
  const std::string tmp = options_.position_file + ".tmp";
  FILE* out = std::fopen(tmp.c_str(), "we");
  bool ok = out != nullptr && std::fputs(text.c_str(), out) >= 0;
  if (out != nullptr && std::fclose(out) != 0) ok = false;
  std::error_code ec;
  if (ok) std::filesystem::rename(tmp, options_.position_file, ec);
  if (!ok || ec) {
    if (save_failing_) return false;
    save_failing_ = true;
    spdlog::error("{}: cannot save the position to {}: {}", options_.path, options_.position_file,
                  ec ? ec.message() : std::strerror(errno));
    return false;
  }
  saved_ = std::move(text);
  save_failing_ = false;
  return true;
}

}  // namespace loghunt
