// LineReader: splits a byte stream (file, pipe, stdin) into lines with bounded
// memory. A line longer than `max_line` bytes is returned once, cut to its
// first max_line bytes, with too_long set; the rest of it is skipped. A final
// line without '\n' is returned too. The '\n' is not part of the line.
//
// The view returned by Next() is valid until the next call.
// Thread-safety: none.
#pragma once

#include <cstdio>
#include <string_view>
#include <vector>

namespace loghunt {

class LineReader {
 public:
  LineReader(FILE* file, size_t max_line);
  // Returns false at end of input (or on a read error; see error()).
  bool Next(std::string_view* line, bool* too_long);
  bool error() const { return error_; }

 private:
  bool Fill();

  FILE* file_;
  size_t max_line_;
  std::vector<char> buf_;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  bool error_ = false;
  bool skipping_ = false;  // inside the tail of an overlong line
};

}  // namespace loghunt
