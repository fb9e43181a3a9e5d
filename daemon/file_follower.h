// FileFollower: reads a log file the way `tail -F` does, for a host agent
// that follows /var/log/audit/audit.log or /var/log/auth.log (a file input
// with `follow: true`, docs in conf/loghunt.yaml).
//
// - At the end of the file it waits for more, `poll_ms` at a time.
// - Rotation (the path now names another file: logrotate's rename and
//   create, auditd's own rotation): the rest of the old file is read, then
//   the new one from its start.
// - Truncation (logrotate's copytruncate: the file is shorter than what was
//   read, or its first bytes changed: truncated and written again past the
//   old size between two looks): the file is read again from its start.
// - A file that does not exist yet is waited for (and read from its start).
// - Several rotations between two looks: the files in between are not read
//   (as with tail -F).
// - Rotated while the daemon was stopped: the file of the saved position,
//   found by its inode under a rotated name in the same directory (the
//   path's name plus a suffix: audit.log.1), is read from the position to
//   its end first; one deleted or compressed since is lost (logged), and so
//   are files rotated in between when it rotated more than once (not
//   logged: they cannot be told from older rotations).
// - `position_file`: the device, inode and offset of the first byte not yet
//   handed on in a line, and a hash of the file's first bytes, written
//   atomically (fsync, rename) by SavePosition(). A malformed one is logged
//   and ignored. At
//   Open, a position of the same file (and within its size) is resumed; a
//   file replaced or truncated since is read from its start; without a
//   position, `from_start` chooses between the whole file and only what is
//   written from now on.
//
// Thread-safety: none (one thread reads, saves and asks the counters).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace loghunt {

struct FollowOptions {
  std::string path;
  std::string position_file;  // "" = position not kept across restarts
  bool from_start = false;
  int poll_ms = 250;
};

struct SavedPosition;  // a position file's content

class FileFollower {
 public:
  // Nullptr and *error when the file exists but cannot be read, or a position
  // file exists but cannot be read or is malformed.
  static std::unique_ptr<FileFollower> Open(const FollowOptions& options, std::string* error);
  ~FileFollower();
  FileFollower(const FileFollower&) = delete;
  FileFollower& operator=(const FileFollower&) = delete;

  // read(2) for LineReader: the file's bytes, across rotations and
  // truncations (between two files, or before a truncated file is read
  // again, a '\n' ends a last line that had none). At the end of the data it
  // calls `idle` every poll_ms: true ends the input (returns 0). -1 (errno
  // set) on a read error.
  ssize_t Read(char* buf, size_t size, const std::function<bool()>& idle);

  // Saves the position of the first byte not yet handed on in a line:
  // `buffered` is what the reader holds unreturned (LineReader::buffered());
  // `oldest_held` (>= 0) the start of the oldest line a parser still holds
  // (an auditd event waiting for its end), saved instead when earlier. Also
  // saves a hash of the file's first bytes, so a file rewritten in place
  // while stopped is read from its start. Does nothing without a position
  // file or when unchanged; false (logged once) when it cannot be written.
  bool SavePosition(size_t buffered, int64_t oldest_held = -1);

  // Where a line just returned by the reader ends in its file: the current
  // file's inode and the offset past the line (for alert ids that stay the
  // same when a restart reads the line again). A line cut short by a switch
  // to another file ends at offset 0 of the new one.
  uint64_t inode() const { return static_cast<uint64_t>(ino_); }
  // The current file's birth time (ns since the epoch; 0 when the file
  // system does not keep it): an inode number is reused once a file is
  // deleted, and the next file under it is another file.
  int64_t birth_ns() const { return birth_ns_; }
  int64_t EndOffset(size_t buffered) const {
    return offset_ >= buffered ? static_cast<int64_t>(offset_ - buffered) : 0;
  }

  uint64_t rotations() const { return rotations_; }
  // Also counts a file found rewritten in place (its first bytes changed).
  uint64_t truncations() const { return truncations_; }

 private:
  explicit FileFollower(FollowOptions options) : options_(std::move(options)) {}
  static constexpr size_t kHeadBytes = 64;
  bool OpenFile(const std::string& path, bool report_missing);  // opens `path` from its start
  // The file of `saved` under another name (rotated while stopped), opened at
  // the saved offset: true. Then Read() goes on to options_.path.
  bool ResumeRotated(const SavedPosition& saved);
  void CaptureHead();  // head_ = the file's first bytes (at most kHeadBytes)
  std::string HeadHash(uint64_t offset) const;
  void Restart(const char* why, uint64_t size);  // reads the file again from its start
  // Truncated, or rewritten in place (first bytes changed): then Restart().
  bool Rewritten(bool* newline);
  // At the end of the data: true when reading goes on (in another file, or
  // from the start again), with the '\n' owed to the previous one in *newline.
  bool Switched(bool* newline);

  FollowOptions options_;
  int fd_ = -1;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  int64_t birth_ns_ = 0;
  uint64_t offset_ = 0;  // bytes of the current file read
  bool last_was_newline_ = true;
  bool missing_logged_ = false;
  bool unreadable_logged_ = false;
  std::string head_;            // the current file's first bytes as read (to see it rewritten)
  bool rotation_seen_ = false;  // the path names another file; the old one is read once more
  bool save_failing_ = false;   // a failure to save is logged once, until it works again
  uint64_t rotations_ = 0;
  uint64_t truncations_ = 0;
  std::string saved_;  // the last position written
};

}  // namespace loghunt
