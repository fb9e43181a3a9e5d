// AuditdParser: Linux audit records -> Events.
//
// Foundation version: one Event (kind other) per record, with the record type
// as program and the msg=audit(SECONDS.MILLIS:SERIAL) time. Assembly of the
// records of one audit event and normalization come with the auditd issue.
#pragma once

#include "parsers/parser.h"

namespace loghunt {

class AuditdParser : public StreamParser {
 public:
  explicit AuditdParser(const ParserOptions& options);
  Stream stream() const override { return Stream::kAuditd; }
  void Parse(std::string_view message, const SourcePosition& position,
             EventHandler& out) override;

 private:
  ParserOptions options_;
  Event event_;
};

}  // namespace loghunt
