// JournaldSource: the host agent's journal input (sd-journal). Each entry is
// turned into an RFC 5424 line ("<PRI>1 TIME HOST IDENT PID - - MESSAGE", from
// PRIORITY, SYSLOG_FACILITY, __REALTIME_TIMESTAMP, _HOSTNAME,
// SYSLOG_IDENTIFIER, _PID, MESSAGE) for the syslog parser. The line is always
// a valid frame: a facility outside 0..23 is user, a PRIORITY other than one
// digit 0..7 (or none) is info, as journalctl reads it, header fields are cut to
// RFC 5424's lengths and their non-printable characters and spaces become '_'.
//
// Position: the journal cursor of an entry whose alerts are all delivered
// (or given up), with every entry before it, is written to cursor_file
// (atomically: temp file + rename) every save_every entries, when the
// journal is quiet and by SavePosition(), so a restart resumes after it
// (at-least-once: entries since that one are read again). Entries are
// told by the offset of their position (below); `oldest_unfinished` tells
// the oldest one not finished (an alert a sink still holds, an event the
// parser still assembles). Cursors of earlier entries are kept as
// checkpoints, at most kMaxCheckpoints of them, spaced further apart as a
// backlog grows, so the saved one may be some entries before the oldest
// unfinished one. The file is written only when the cursor to save changed.
// Without a saved cursor, reading starts at the end of the
// journal (only new entries) unless from_start is set.
//
// Thread-safety: none; one thread calls Run().
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/event.h"

struct sd_journal;

namespace loghunt {

struct JournaldOptions {
  std::string cursor_file;  // "" = do not persist the position
  // Journal files, or directories of them (journalctl --file / --directory),
  // to read instead of the local system journal.
  std::vector<std::string> files;
  bool from_start = false;
  int save_every = 1000;
  // The offset of the oldest entry handed over whose alerts are not all
  // delivered yet, -1 when there is none; null: each is done when the
  // handler returns. Until 2026-11-30 a save waited instead for the sinks
  // to deliver everything (up to 5 s, the input stopped meanwhile) and was
  // skipped when they did not: through a slow endpoint's backlog the cursor
  // stood still, and a quiet journal stopped for 5 s every quarter second.
  std::function<int64_t()> oldest_unfinished;
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
  // Saves the position before it returns.
  //
  // The entry's position: topic "journald#SEQNUM_ID" and offset its
  // sequence number (journald numbers the entries of a machine's journal
  // files in one sequence), so an entry read again after a restart has the
  // same alert ids, and another entry never has them. An entry whose
  // number is not above the one before it (several sequences merged, a
  // cursor that cannot be read) takes the number after it: offsets always
  // increase, which `oldest_unfinished` relies on. The topic stays valid
  // while the source lives.
  using EntryHandler = std::function<void(std::string_view line, const SourcePosition& position)>;
  uint64_t Run(const std::atomic<bool>& stop, bool follow, const EntryHandler& handler,
               const std::function<void()>& idle = nullptr);
  // Writes the cursor of the last entry before the oldest unfinished one
  // (of the last entry handed over when none is unfinished), unless it is
  // the one saved already. False when the file cannot be written.
  bool SavePosition();

  static constexpr size_t kMaxCheckpoints = 4096;

 private:
  JournaldSource() = default;
  // The position of the current entry, from its cursor.
  SourcePosition PositionOf(std::string_view cursor);
  void AddCheckpoint(int64_t offset, std::string cursor);

  JournaldOptions options_;
  sd_journal* journal_ = nullptr;
  std::set<std::string, std::less<>> topics_;  // one per sequence id met
  int64_t last_offset_ = 0;
  // The last entry handed over (offset, cursor), and earlier ones as
  // checkpoints (a node-based map: a spacing_th entry each); those before
  // the saved one are dropped.
  std::pair<int64_t, std::string> last_;
  std::map<int64_t, std::string> checkpoints_;
  uint64_t spacing_ = 1;
  uint64_t since_checkpoint_ = 0;
  std::string saved_;  // the cursor in cursor_file
};

}  // namespace loghunt
