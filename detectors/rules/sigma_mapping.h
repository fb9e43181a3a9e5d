// SigmaFieldMapping: which events a Sigma logsource covers and where each
// Sigma field name is read from in a normalized Event (conf/sigma-mappings.yaml
// documents the format; that file is compiled in as the default).
//
// A mapping is plain data, built once when a rule set is loaded and then only
// read; const methods are safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"

namespace loghunt {

// Where one Sigma field's value comes from: a normalized slot or an extra.
struct EventFieldSource {
  enum class Slot : uint8_t {
    kExtra,
    kExecutable,
    kCommandLine,
    kCwd,
    kParentExecutable,
    kParentCommandLine,
    kUser,
    kLogonId,
    kHost,
    kProgram,
    kMessage,
    kRaw,
  };
  Slot slot = Slot::kExtra;
  std::string extra_key;  // kExtra only

  // Parses "process.executable", ... or any other name as an extra key.
  static EventFieldSource Parse(std::string_view name);
  // The value in `event`. Returns false when absent: an extra not in the event
  // or a normalized slot that is empty. The view lives as long as the event.
  bool Read(const Event& event, std::string_view* value) const;
};

struct SigmaLogsourceMapping {
  std::string name;
  // Sigma logsource keys (product, category, service) this entry serves.
  std::vector<std::pair<std::string, std::string>> match;
  struct EventSelector {
    Stream stream;
    EventKind kind;
  };
  std::vector<EventSelector> events;
  std::vector<std::pair<std::string, std::vector<EventFieldSource>>> fields;

  bool Covers(const Event& event) const;
  // Sources of a Sigma field: the listed ones, else the extra of that name.
  std::vector<EventFieldSource> SourcesOf(std::string_view sigma_field) const;
};

struct SigmaFieldMapping {
  std::vector<SigmaLogsourceMapping> logsources;

  // The entry serving a rule's logsource (keys absent in the rule are not
  // compared), or nullptr.
  const SigmaLogsourceMapping* Find(
      const std::vector<std::pair<std::string, std::string>>& rule_logsource) const;
};

// The mapping compiled from conf/sigma-mappings.yaml.
const std::string& DefaultSigmaMappingText();

// Reads mapping YAML `text` on top of `mapping` (entries of the same name are
// merged field by field). On a malformed document returns false with
// "NAME:LINE: key: problem" lines in `errors` and leaves `mapping` unchanged.
bool ReadSigmaMapping(const std::string& text, const std::string& name, SigmaFieldMapping* mapping,
                      std::vector<std::string>* errors);

// Default mapping plus, when `path` is not empty, the file at `path`.
bool LoadSigmaMapping(const std::string& path, SigmaFieldMapping* mapping,
                      std::vector<std::string>* errors);

}  // namespace loghunt
