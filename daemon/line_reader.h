// LineReader: splits a byte stream (file, pipe, stdin) into lines with bounded
// memory. A line longer than `max_line` bytes is returned once, cut to its
// first max_line bytes, with too_long set; the rest of it is skipped. A final
// line without '\n' is returned too. The '\n' is not part of the line.
//
// Reads with read(2), so on a pipe or a live stdin (audisp plugin mode) each
// line is returned as soon as it arrives. A signal interrupting the wait
// (EINTR), and every second the input stays quiet, Next() asks
// `should_stop` (its caller's chance of periodic work: the watchdog,
// metrics, a SIGHUP): true ends the input, false waits on.
//
// The second constructor reads through `read` instead of a descriptor (a
// followed file: daemon/file_follower.h); `read` does its own waiting and
// returns 0 only when the input ends. With `partial_at_end` false an
// unterminated last line is not returned (it may still be being written).
//
// The view returned by Next() is valid until the next call.
// Thread-safety: none.
#pragma once

#include <sys/types.h>

#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/winevent/json_object_splitter.h"

namespace loghunt {

class LineReader {
 public:
  LineReader(FILE* file, size_t max_line, std::function<bool()> should_stop = nullptr);
  using ReadFn = std::function<ssize_t(char* buf, size_t size)>;  // read(2)'s contract
  LineReader(ReadFn read, size_t max_line, bool partial_at_end);
  // Returns false at end of input (or on a read error; see error()).
  bool Next(std::string_view* line, bool* too_long);
  bool error() const { return error_; }
  // Bytes read but not yet returned in a line (a line being read, or the
  // skipped tail of an overlong one).
  size_t buffered() const { return end_ - begin_; }

 private:
  bool Fill();
  bool ReadLine(std::string_view* line, bool* too_long);

  int fd_ = -1;
  ReadFn read_;
  std::function<bool()> should_stop_;
  size_t max_line_;
  std::vector<char> buf_;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  bool error_ = false;
  bool skipping_ = false;  // inside the tail of an overlong line
  bool first_line_ = true;
  bool partial_at_end_ = true;
};

// JsonObjectLines: turns the lines of a Windows event file into messages.
// A line holding a whole JSON object (NDJSON, the common case) is passed on
// as it is; a pretty-printed object (evtx_dump writes them so, one line
// "{" then its members) is joined from its lines into one message. A joined
// object longer than `max_bytes` is returned once, cut, with too_long set,
// and the rest of it skipped. The view returned is valid until the next call.
// Thread-safety: none.
class JsonObjectLines {
 public:
  explicit JsonObjectLines(size_t max_bytes) : max_bytes_(max_bytes) {}
  // Takes the next line; true when a message is ready in *message (with
  // *first_line, the number given with its first line).
  bool Add(std::string_view line, int64_t number, std::string_view* message, bool* too_long,
           int64_t* first_line);
  // At the end of the input: an object still open, as it is (the parser
  // reports it).
  bool Finish(std::string_view* message, int64_t* first_line);

 private:
  size_t max_bytes_;
  bool open_ = false;
  bool cut_ = false;  // the open object went over max_bytes: its rest is skipped
  int64_t first_line_ = 0;
  std::string buf_;
  JsonObjectEnd end_;
};

}  // namespace loghunt
