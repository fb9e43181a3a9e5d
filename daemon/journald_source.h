// JournaldSource: the host agent's journal input (sd-journal). Each entry is
// turned into an RFC 5424 line ("<PRI>1 TIME HOST IDENT PID - - MESSAGE", from
// PRIORITY, SYSLOG_FACILITY, __REALTIME_TIMESTAMP, _HOSTNAME,
// SYSLOG_IDENTIFIER, _PID, MESSAGE) for the syslog parser. The line is always
// a valid frame: a facility outside 0..23 is user, header fields are cut to
// RFC 5424's lengths and their non-printable characters and spaces become '_'.
//
// Position: the journal cursor of the last entry handed over is written to
// cursor_file (atomically: temp file + rename) every save_every entries and
// when Run() returns, always after the handler returned for that entry, so a
// restart resumes after it (at-least-once: entries since the last save are
// read again). Without a saved cursor, reading starts at the end of the
// journal (only new entries) unless from_start is set.
//
// Thread-safety: none; one thread calls Run().
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct sd_journal;

namespace loghunt {

struct JournaldOptions {
  std::string cursor_file;         // "" = do not persist the position
  std::vector<std::string> files;  // journal files to read instead of the system journal
  bool from_start = false;
  int save_every = 1000;
  // Called before the cursor is saved (the daemon flushes its sinks): false
  // skips this save (alerts of the entries read are not delivered yet).
  std::function<bool()> before_save;
};

class JournaldSource {
 public:
  // nullptr + *error when the journal cannot be opened.
  static std::unique_ptr<JournaldSource> Open(const JournaldOptions& options, std::string* error);
  ~JournaldSource();

  // Hands every entry after the position to `handler` (the line is valid for
  // the call) until `stop` is set or, with follow false, the journal's end.
  // Returns the number of entries read. `idle` (optional) is called each
  // time a followed journal has had nothing new for a quarter second.
  uint64_t Run(const std::atomic<bool>& stop, bool follow,
               const std::function<void(std::string_view line)>& handler,
               const std::function<void()>& idle = nullptr);
  // The cursor last handed over ("" before the first entry).
  const std::string& cursor() const { return cursor_; }

 private:
  JournaldSource() = default;
  bool SaveCursor();

  JournaldOptions options_;
  sd_journal* journal_ = nullptr;
  std::string cursor_;
};

}  // namespace loghunt
