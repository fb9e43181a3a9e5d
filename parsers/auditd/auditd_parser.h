// AuditdParser: Linux audit records -> one normalized Event per audit event.
//
// Each message is one record (audit.log line, audisp plugin line, Kafka
// record) or several '\n'-separated ones, either raw or wrapped in a JSON object
// whose "message" field holds the record text (filebeat, rsyslog omkafka);
// the form is detected per message. Records are grouped by AuditdAssembler
// (libauparse feed mode) and normalized by AuditdNormalizer, so an Event may be
// delivered during a later Parse() than the one that brought its first record,
// or during Flush(). Its position is that of the event's last record.
//
// Errors, reported per record with the record text: kEmpty, kBadFrame,
// kMissingField, kBadTimestamp (header), kBadEncoding (NUL byte), kBadJson /
// kMissingField / kWrongType (JSON wrapper), kTooManyOpen (the oldest open
// event was completed early to stay within audit_max_open_events).
//
// Thread-safety: none; one parser per worker (see AuditdAssembler for the
// process-wide libauparse lock).
#pragma once

#include <simdjson.h>

#include <string>

#include "core/arena.h"
#include "parsers/auditd/auditd_assembler.h"
#include "parsers/auditd/auditd_normalizer.h"
#include "parsers/parser.h"

namespace loghunt {

class AuditdParser : public StreamParser, private AssembledAuditEventSink {
 public:
  explicit AuditdParser(const ParserOptions& options);
  Stream stream() const override { return Stream::kAuditd; }
  void Parse(std::string_view message, const SourcePosition& position, EventHandler& out) override;
  void Flush(EventHandler& out) override;
  // The first offset of the oldest event still open (its records are not yet
  // in any delivered Event), or -1.
  int64_t OldestBufferedOffset() const override { return assembler_.OldestOpenOffset(); }

  // Events still waiting for more records (for tests and metrics).
  size_t open_events() const { return assembler_.open_events(); }

 private:
  void OnAssembled(const AssembledAuditEvent& event) override;
  void ParseRecords(std::string_view text, std::string_view message,
                    const SourcePosition& position);

  ParserOptions options_;
  AuditdAssembler assembler_;
  AuditdNormalizer normalizer_;
  Arena arena_;
  Event event_;
  EventHandler* out_ = nullptr;  // set for the duration of Parse()/Flush()
  simdjson::ondemand::parser json_;
  std::string json_buffer_;  // the message plus simdjson's padding
};

}  // namespace loghunt
