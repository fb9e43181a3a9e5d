#include "daemon/line_reader.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace loghunt {

LineReader::LineReader(FILE* file, size_t max_line, std::function<bool()> should_stop)
    : fd_(fileno(file)),
      should_stop_(std::move(should_stop)),
      max_line_(max_line),
      buf_(max_line + (256 << 10)) {}

LineReader::LineReader(ReadFn read, size_t max_line, bool partial_at_end)
    : read_(std::move(read)),
      max_line_(max_line),
      buf_(max_line + (256 << 10)),
      partial_at_end_(partial_at_end) {}

bool LineReader::Fill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (read_) {
    const ssize_t n = read_(buf_.data() + end_, buf_.size() - end_);
    if (n > 0) {
      end_ += static_cast<size_t>(n);
      return true;
    }
    eof_ = true;
    error_ = n < 0;
    return false;
  }
  for (;;) {
    // A quiet pipe: ask should_stop about once a second. (A regular file is
    // always readable.)
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, 1000);
    if (ready == 0 || (ready < 0 && errno == EINTR)) {
      if (should_stop_ && should_stop_()) {
        eof_ = true;
        return false;
      }
      continue;
    }
    ssize_t n = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
    if (n > 0) {
      end_ += static_cast<size_t>(n);
      return true;
    }
    if (n < 0 && errno == EINTR && !(should_stop_ && should_stop_())) continue;
    eof_ = true;
    error_ = n < 0 && errno != EINTR;
    return false;
  }
}

bool LineReader::Next(std::string_view* line, bool* too_long) {
  if (!ReadLine(line, too_long)) return false;
  // A UTF-8 byte-order mark (Windows tools write one) is not part of the
  // first message: left there, it made that message unparsable.
  if (first_line_) {
    first_line_ = false;
    if (line->starts_with("\xEF\xBB\xBF")) line->remove_prefix(3);
  }
  return true;
}

bool LineReader::ReadLine(std::string_view* line, bool* too_long) {
  *too_long = false;
  size_t scanned = begin_;  // where the newline search resumes
  for (;;) {
    const char* start = buf_.data() + begin_;
    const char* from = buf_.data() + scanned;
    const char* nl = static_cast<const char*>(std::memchr(from, '\n', end_ - scanned));
    if (nl != nullptr) {
      size_t len = static_cast<size_t>(nl - start);
      begin_ += len + 1;
      if (skipping_) {
        skipping_ = false;
        scanned = begin_;
        continue;
      }
      if (len > 0 && start[len - 1] == '\r') --len;  // CRLF files
      if (len > max_line_) {  // whole in the buffer, yet too long all the same
        *line = std::string_view(start, max_line_);
        *too_long = true;
        return true;
      }
      *line = std::string_view(start, len);
      return true;
    }
    if (end_ - begin_ >= max_line_) {
      bool report = !skipping_;
      *line = std::string_view(start, max_line_);
      skipping_ = true;
      begin_ = end_ = 0;
      if (report) {
        *too_long = true;
        return true;
      }
      scanned = 0;
      if (!Fill()) return false;
      continue;
    }
    scanned = end_;
    size_t before = begin_;
    if (!Fill()) {
      if (end_ > begin_ && !skipping_ && partial_at_end_) {
        *line = std::string_view(buf_.data() + begin_, end_ - begin_);
        begin_ = end_;
        return true;
      }
      return false;
    }
    scanned -= before;  // Fill() moved the data to the front
  }
}

bool JsonObjectLines::Add(std::string_view line, int64_t number, std::string_view* message,
                          bool* too_long, int64_t* first_line) {
  *too_long = false;
  if (!open_) {
    size_t first = line.find_first_not_of(" \t");
    size_t last = line.find_last_not_of(" \t");
    // Not an object's first line, or a whole one: as it is (the fast path).
    if (first == std::string_view::npos || line[first] != '{' || line[last] == '}') {
      *message = line;
      *first_line = number;
      return true;
    }
    end_ = JsonObjectEnd();
    if (end_.Scan(line.substr(first)) != std::string_view::npos) {  // "{...} trailing"
      *message = line;
      *first_line = number;
      return true;
    }
    open_ = true;
    cut_ = false;
    first_line_ = number;
    buf_.assign(line);
    return false;
  }
  end_.Scan("\n");  // the line break joined in (it cannot close the object)
  const size_t end = end_.Scan(line);
  const bool closed = end != std::string_view::npos;
  if (!cut_) {
    buf_.push_back('\n');
    buf_.append(closed ? line.substr(0, end) : line);
    if (buf_.size() > max_bytes_) {
      buf_.resize(max_bytes_);
      cut_ = true;
      *message = buf_;
      *too_long = true;
      *first_line = first_line_;
      open_ = !closed;
      return true;
    }
  }
  if (!closed) return false;
  open_ = false;
  if (cut_) return false;  // reported when it was cut
  *message = buf_;
  *first_line = first_line_;
  return true;
}

bool JsonObjectLines::Finish(std::string_view* message, int64_t* first_line) {
  if (!open_ || cut_) return false;
  open_ = false;
  *message = buf_;
  *first_line = first_line_;
  return true;
}

}  // namespace loghunt
