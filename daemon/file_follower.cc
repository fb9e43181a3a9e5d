#include "daemon/file_follower.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include "core/file.h"
#include "core/hash.h"

namespace loghunt {

struct SavedPosition {
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t offset = 0;
  std::string head;  // hash of the file's first bytes when saved ("" in older files)
};

namespace {

bool ParseDecimal(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

// *found false when there is no position file; false and *error when it
// cannot be read (permissions: a setup problem). A malformed one (a crash
// while the disk was full, an edit) is logged and ignored: the file is then
// read as without a position.
bool ReadPosition(const std::string& path, SavedPosition* pos, bool* found, std::string* error) {
  *found = false;
  FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) {
    if (errno == ENOENT) return true;
    *error = path + ": " + std::strerror(errno);
    return false;
  }
  char line[160] = {};
  const bool read = std::fgets(line, sizeof line, f) != nullptr;
  std::fclose(f);
  std::vector<std::string_view> fields;
  std::string_view rest(line);
  while (!rest.empty()) {
    size_t b = rest.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) break;
    rest.remove_prefix(b);
    size_t e = std::min(rest.find_first_of(" \t\r\n"), rest.size());
    fields.push_back(rest.substr(0, e));
    rest.remove_prefix(e);
  }
  if (!read || (fields.size() != 3 && fields.size() != 4) || !ParseDecimal(fields[0], &pos->dev) ||
      !ParseDecimal(fields[1], &pos->ino) || !ParseDecimal(fields[2], &pos->offset) ||
      (fields.size() == 4 && fields[3].size() != 16)) {
    spdlog::warn("{}: not a position (DEVICE INODE OFFSET [HEAD]): ignored", path);
    return true;
  }
  if (fields.size() == 4) pos->head = std::string(fields[3]);
  *found = true;
  return true;
}

// The file of a saved position under a rotated name in the directory of
// `path` (rotated while loghuntd was stopped: the name and a suffix,
// audit.log.1, auth.log-20261129, as logrotate and auditd name them); ""
// when there is none (deleted, compressed, moved elsewhere). The name
// guards against another file that got the inode number of one deleted
// since (the hash of its first bytes guards less when fewer were read).
// At most kMaxEntries names are looked at.
std::string FindRotated(const std::string& path, const SavedPosition& saved) {
  constexpr size_t kMaxEntries = 100000;
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const std::string base = std::filesystem::path(path).filename().string();
  std::error_code ec;
  size_t looked = 0;
  for (std::filesystem::directory_iterator it(dir, ec), end;
       !ec && it != end && looked < kMaxEntries; it.increment(ec), ++looked) {
    const std::string name = it->path().filename().string();
    if (name.size() <= base.size() || !name.starts_with(base)) continue;
    struct stat st {};
    if (::stat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        static_cast<uint64_t>(st.st_dev) == saved.dev &&
        static_cast<uint64_t>(st.st_ino) == saved.ino) {
      return it->path().string();
    }
  }
  return "";
}

}  // namespace

bool FileFollower::ResumeRotated(const SavedPosition& saved) {
  struct stat st {};
  if (::stat(options_.path.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_dev) == saved.dev &&
      static_cast<uint64_t>(st.st_ino) == saved.ino) {
    return false;  // not rotated
  }
  const std::string rotated = FindRotated(options_.path, saved);
  if (rotated.empty() || !OpenFile(rotated, /*report_missing=*/false)) return false;
  CaptureHead();
  if (::fstat(fd_, &st) != 0 || static_cast<uint64_t>(st.st_size) < saved.offset ||
      (!saved.head.empty() && saved.head != HeadHash(saved.offset)) ||
      ::lseek(fd_, static_cast<off_t>(saved.offset), SEEK_SET) < 0) {
    ::close(fd_);  // another file with the inode number of the old one
    fd_ = -1;
    return false;
  }
  offset_ = saved.offset;
  spdlog::info(
      "{}: rotated to {} while loghuntd was stopped: reading the rest of it first ({} of {} bytes "
      "read)",
      options_.path, rotated, saved.offset, st.st_size);
  return true;
}

std::unique_ptr<FileFollower> FileFollower::Open(const FollowOptions& options, std::string* error) {
  SavedPosition saved;
  bool have_position = false;
  if (!options.position_file.empty() &&
      !ReadPosition(options.position_file, &saved, &have_position, error)) {
    return nullptr;
  }
  std::unique_ptr<FileFollower> f(new FileFollower(options));
  if (have_position && f->ResumeRotated(saved)) return f;  // then the file now under the name
  if (!f->OpenFile(options.path, /*report_missing=*/true)) {
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
  f->CaptureHead();
  if (have_position && saved.dev == f->dev_ && saved.ino == f->ino_) {
    if (saved.offset > size) {
      spdlog::warn("{}: shorter than its saved position ({} < {} bytes): read from its start",
                   options.path, size, saved.offset);
    } else if (!saved.head.empty() && saved.head != f->HeadHash(saved.offset)) {
      spdlog::warn(
          "{}: its first bytes changed since the position was saved (truncated and "
          "written again, copytruncate): read from its start",
          options.path);
    } else {
      start = saved.offset;
    }
  } else if (have_position) {
    spdlog::warn(
        "{}: not the file of the saved position, which is not in its directory any more "
        "(replaced while loghuntd was stopped): read from its start; lines written to the "
        "old file after the stop were not read",
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

void FileFollower::CaptureHead() {
  char buf[kHeadBytes];
  const ssize_t n = ::pread(fd_, buf, sizeof buf, 0);
  head_.assign(buf, n > 0 ? static_cast<size_t>(n) : 0);
}

std::string FileFollower::HeadHash(uint64_t offset) const {
  // Of the first bytes up to `offset`: what a position at `offset` has read.
  const size_t n = static_cast<size_t>(std::min<uint64_t>(offset, head_.size()));
  return fmt::format("{:016x}", Fnv1a64(std::string_view(head_).substr(0, n)));
}

bool FileFollower::OpenFile(const std::string& path, bool report_missing) {
  // O_NONBLOCK: opening a FIFO would wait for a writer (refused below).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int e = errno;
    if (e == ENOENT && report_missing && !missing_logged_) {
      missing_logged_ = true;
      spdlog::warn("{}: does not exist (yet); waiting for it", path);
    } else if (e != ENOENT && report_missing && !unreadable_logged_) {
      unreadable_logged_ = true;  // a rotation created it with other permissions
      spdlog::error("{}: {}; waiting until it can be read", path, std::strerror(e));
    }
    errno = e;
    return false;
  }
  missing_logged_ = unreadable_logged_ = false;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
    return false;
  }
  fd_ = fd;
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  struct statx stx {};
  birth_ns_ = ::statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &stx) == 0 && (stx.stx_mask & STATX_BTIME)
                  ? stx.stx_btime.tv_sec * int64_t{1'000'000'000} + stx.stx_btime.tv_nsec
                  : 0;
  offset_ = 0;
  head_.clear();
  return true;
}

void FileFollower::Restart(const char* why, uint64_t size) {
  ++truncations_;
  spdlog::info("{}: {} ({} bytes now, {} read): read again from its start", options_.path, why,
               size, offset_);
  ::lseek(fd_, 0, SEEK_SET);
  offset_ = 0;
  head_.clear();
}

bool FileFollower::Switched(bool* newline) {
  *newline = false;
  if (fd_ < 0) {
    if (!OpenFile(options_.path, /*report_missing=*/true)) return false;
    spdlog::info("{}: opened; reading it from its start", options_.path);
    *newline = !last_was_newline_;
    return true;
  }
  if (Rewritten(newline)) return true;
  struct stat st {};
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
  if (!OpenFile(options_.path, /*report_missing=*/true))
    return false;  // gone again, or unreadable: waited for
  spdlog::info("{}: rotated; reading the new file from its start", options_.path);
  *newline = !last_was_newline_;
  return true;
}

bool FileFollower::Rewritten(bool* newline) {
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && static_cast<uint64_t>(st.st_size) < offset_) {
    Restart("truncated", static_cast<uint64_t>(st.st_size));
    *newline = !last_was_newline_;
    return true;
  }
  // Truncated and written again beyond the old size between two looks
  // (copytruncate, then a burst): the first bytes are no longer those read.
  if (!head_.empty()) {
    char buf[kHeadBytes];
    const ssize_t n = ::pread(fd_, buf, head_.size(), 0);
    if (n != static_cast<ssize_t>(head_.size()) || std::memcmp(buf, head_.data(), head_.size())) {
      Restart("truncated and written again", static_cast<uint64_t>(st.st_size));
      *newline = !last_was_newline_;
      return true;
    }
  }
  if (head_.size() < kHeadBytes && offset_ > head_.size()) CaptureHead();
  return false;
}

ssize_t FileFollower::Read(char* buf, size_t size, const std::function<bool()>& idle) {
  bool waited = false;
  for (;;) {
    // After a wait the file may have been rewritten in place: look before
    // reading on from the old offset (which would read the new file's tail).
    bool newline = false;
    if (waited && fd_ >= 0 && Rewritten(&newline)) {
      if (newline && size > 0) {
        buf[0] = '\n';
        last_was_newline_ = true;
        return 1;
      }
    }
    waited = false;
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
    waited = true;
  }
}

bool FileFollower::SavePosition(size_t buffered, int64_t oldest_held) {
  if (options_.position_file.empty() || fd_ < 0) return true;
  int64_t offset = EndOffset(buffered);
  if (oldest_held >= 0 && oldest_held < offset) offset = oldest_held;
  if (head_.size() < kHeadBytes) CaptureHead();
  std::string text =
      fmt::format("{} {} {} {}\n", static_cast<uint64_t>(dev_), static_cast<uint64_t>(ino_), offset,
                  HeadHash(static_cast<uint64_t>(offset)));
  if (text == saved_) return true;
  std::string error;
  if (!WriteFileAtomically(options_.position_file, text, &error)) {
    if (save_failing_) return false;
    save_failing_ = true;
    spdlog::error("{}: cannot save the position: {}", options_.path, error);
    return false;
  }
  saved_ = std::move(text);
  save_failing_ = false;
  return true;
}

}  // namespace loghunt
