// Whole-file reads for inputs loaded at once (intel feeds, cluster snapshots).
//
// Thread-safety: functions without shared state.
#pragma once

#include <cstddef>
#include <string>

namespace loghunt {

// Reads the whole file at `path`, of at most `max_bytes`, into *out. false
// with "path: reason" in *error when it cannot be opened, is larger, or a
// read fails (a directory opens but cannot be read: "Is a directory").
bool ReadWholeFile(const std::string& path, size_t max_bytes, std::string* out, std::string* error);

}  // namespace loghunt
