// WineventParser: Windows events as JSON (one object per message) -> Events.
//
// Foundation version: flat JSON (NXLog / Security-Datasets style) read with
// simdjson On-Demand; EventID 4688 and Sysmon 1 become process_start. The
// Winlogbeat and Sentinel shapes and the other kinds come with the Windows
// event stream issue.
#pragma once

#include <simdjson.h>

#include <string>

#include "core/arena.h"
#include "parsers/parser.h"

namespace loghunt {

class WineventParser : public StreamParser {
 public:
  explicit WineventParser(const ParserOptions& options);
  Stream stream() const override { return Stream::kWinevent; }
  void Parse(std::string_view message, const SourcePosition& position,
             EventHandler& out) override;

 private:
  ParserOptions options_;
  simdjson::ondemand::parser json_;
  std::string padded_;  // message copy with simdjson's required padding
  Arena arena_;
  Event event_;
};

}  // namespace loghunt
