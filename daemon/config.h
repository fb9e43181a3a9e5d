// Config: the daemon's settings, read from YAML (conf/loghunt.yaml documents
// every key with its default).
//
// LoadConfig() validates as it reads: an unknown key, a value of the wrong
// type or out of range, a missing required key each give one line
// "FILE:LINE: key.path: problem" in `errors`. A config with errors is never
// used (`loghuntd check-config` prints them and exits 2).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/event.h"
#include "parsers/parser.h"
#include "sinks/sink.h"

namespace loghunt {

// A file (or "-" for stdin) that `loghuntd run` reads as one stream. A
// relative path is resolved against the config file's folder.
struct InputConfig {
  Stream stream = Stream::kSyslog;
  std::string path;
};

struct SinkConfig {
  std::string type;  // stdout | file
  std::string path;  // file only
  AlertFormat format = AlertFormat::kJson;
  bool fsync = false;  // file only
};

struct Config {
  std::string source;  // file the config came from ("" for the built-in default)
  ParserOptions parser;
  size_t max_message_bytes = 1 << 20;
  std::vector<InputConfig> inputs;
  bool risky_command_enabled = true;
  std::vector<SinkConfig> sinks;  // empty -> one stdout JSON sink
};

// Reads and validates `path`. Returns true when `errors` stayed empty.
bool LoadConfig(const std::string& path, Config* config, std::vector<std::string>* errors);
// Same, from YAML text; `name` is used in error lines.
bool LoadConfigText(const std::string& text, const std::string& name, Config* config,
                    std::vector<std::string>* errors);

}  // namespace loghunt
