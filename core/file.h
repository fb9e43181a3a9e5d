// Whole-file reads for inputs loaded at once (intel feeds, cluster snapshots),
// and atomic writes of state files (positions, cursors, snapshots).
//
// Thread-safety: functions without shared state.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace loghunt {

// Reads the whole file at `path`, of at most `max_bytes`, into *out. false
// with "path: reason" in *error when it cannot be opened, is larger, or a
// read fails (a directory opens but cannot be read: "Is a directory").
bool ReadWholeFile(const std::string& path, size_t max_bytes, std::string* out, std::string* error);

// Writes `bytes` to `path` atomically: PATH.tmp is written, synced and
// renamed over PATH, so a crash or power cut leaves the old file or the new
// one. PATH.tmp is created anew (what was there is removed first, O_EXCL),
// and a symbolic link at it is never followed: in a state directory another
// user can write to, a link planted there made the daemon (root in the
// audisp plugin) overwrite the file it pointed to. false with "path: reason"
// in *error.
bool WriteFileAtomically(const std::string& path, std::string_view bytes, std::string* error);

}  // namespace loghunt
