// StreamParser: bytes of one stream (auditd, syslog, winevent) -> Events.
//
// The pipeline hands every message (a Kafka record, or a line of a replayed
// file) to Parse(). A parser delivers zero or more Events to the handler,
// either during that call or, for assemblers that join several messages into
// one event (auditd), during a later Parse() or Flush(). Events handed to the
// handler are valid only until the handler returns.
//
// Parsers do no I/O, never throw on bad input and never crash: a message that
// cannot be parsed is reported with OnError(reason) and parsing continues with
// the next one. Memory a parser keeps between calls is bounded by its options.
//
// Thread-safety: none; each worker owns its parsers.
#pragma once

#include <memory>
#include <string_view>

#include "core/event.h"
#include "core/parse_error.h"

namespace loghunt {

class EventHandler {
 public:
  virtual ~EventHandler() = default;
  virtual void OnEvent(const Event& event) = 0;
  // `message` is the offending input (possibly empty); valid until return.
  virtual void OnError(ParseError reason, std::string_view message,
                       const SourcePosition& position) = 0;
};

// Settings shared by the parsers, from the `parsers:` section of the config.
struct ParserOptions {
  // Offset east of UTC, in seconds, for timestamps that carry no zone.
  int32_t default_utc_offset_seconds = 0;
  // Year for timestamps without one (RFC 3164); 0 = the year of the receipt time.
  int32_t default_year = 0;
  // auditd: how long an event without EOE may stay open, in the stream's own time.
  int64_t audit_event_timeout_ms = 2000;
  // auditd: open events kept at most; the oldest is flushed beyond this.
  size_t audit_max_open_events = 4096;
};

class StreamParser {
 public:
  virtual ~StreamParser() = default;
  virtual Stream stream() const = 0;
  virtual void Parse(std::string_view message, const SourcePosition& position,
                     EventHandler& out) = 0;
  // Delivers every event still buffered (end of input, shutdown).
  virtual void Flush(EventHandler& out) { (void)out; }
  // The smallest position.offset among messages that are buffered but not yet
  // delivered in an event (assemblers), or -1 when nothing is buffered. The
  // source must not commit past it, or a crash would lose those messages.
  virtual int64_t OldestBufferedOffset() const { return -1; }
};

std::unique_ptr<StreamParser> MakeParser(Stream stream, const ParserOptions& options);

}  // namespace loghunt
