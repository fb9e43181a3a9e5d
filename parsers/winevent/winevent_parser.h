// WineventParser: one Windows event as JSON (one object per message) -> Event.
//
// Shapes, detected per message from the keys present (key order never
// matters): NXLog / Security-Datasets flat JSON (EventID, Channel, Hostname
// and the event data at top level), Microsoft Sentinel SecurityEvent rows
// (flat too: Computer, TimeGenerated, Account), Winlogbeat / ECS (`winlog.
// event_id`, `winlog.channel`, `winlog.event_data.*`, `host.name`,
// `@timestamp`) and evtx_dump exports (`Event.System`, `Event.EventData` or
// `Event.UserData`). Field mapping and kinds are documented in docs/winevent.md.
//
// Every event data field is kept as an extra under its original Windows name
// (`CommandLine`, `OriginalFileName`, ...), whatever the shape, and the known
// ones also fill the normalized slots and ECS-style extras
// (`process.hash.sha256`, `winlog.event_id`, ...).
//
// Views: strings without JSON escapes are views into `message`; escaped strings
// are unescaped into the parser's arena. The message slot (`Message`,
// `message`) is validated while parsing but unescaped only when read (see
// core/lazy_text.h), since it is the longest and most escaped string and few
// consumers read it. The Event handed to the handler is valid until the
// handler returns (the arena is reset by the next Parse()).
//
// Errors (never fatal, one OnError per bad message, nothing else delivered):
// kEmpty, kTooLong (> kMaxMessageBytes), kBadJson (syntax, trailing content),
// kTruncated (input ends inside a string/object), kBadEncoding (an invalid
// escape; invalid UTF-8 and lone surrogates are replaced by U+FFFD), kUnsupported (valid JSON that
// is not an object), kMissingField (no event id), kWrongType (event id not a non-negative integer
// or integer string). Other fields of an unexpected type are skipped, not errors.
//
// Memory: simdjson reads up to 64 bytes past the end of its input. A message
// whose following bytes are readable (PaddingIsReadable) is parsed in place;
// others are copied into a padded buffer. That buffer, the simdjson parser and
// the arena grow to the largest message seen (at most kMaxMessageBytes) and
// are reused; in the steady state Parse() allocates nothing.
//
// Thread-safety: none; one parser per worker.
#pragma once

#include <simdjson.h>

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/arena.h"
#include "parsers/parser.h"
#include "parsers/winevent/winevent_fields.h"

namespace loghunt {

class WineventParser : public StreamParser {
 public:
  // Messages longer than this are rejected with kTooLong (keeps memory bounded).
  static constexpr size_t kMaxMessageBytes = 8 << 20;

  explicit WineventParser(const ParserOptions& options);
  Stream stream() const override { return Stream::kWinevent; }
  void Parse(std::string_view message, const SourcePosition& position, EventHandler& out) override;

  // True when the simdjson::SIMDJSON_PADDING bytes after non-empty `message`
  // can be read (they lie in its last memory page; never in sanitizer builds),
  // so simdjson can parse it in place; Parse() copies other messages.
  static bool PaddingIsReadable(std::string_view message);

 private:
  // Where a scalar came from decides what it may mean (see Walk*).
  enum class Context : uint8_t { kTop, kData, kSystem, kWinlog };

  // A scalar JSON value: `text` is the string (unescaped) or the raw token;
  // with `encoded`, the string body still escaped (see ReadScalarToken).
  struct Scalar {
    std::string_view text;
    bool is_string = false;
    bool encoded = false;
  };

  // The event id as found; parsed and validated once all keys are seen.
  struct IdCandidate {
    std::string_view text;
    bool present = false;
    bool wrong_type = false;  // object/array/bool/null where an id belongs
  };

  simdjson::error_code WalkTop(simdjson::ondemand::object object);
  simdjson::error_code WalkData(simdjson::ondemand::object object, int depth);
  // EventData's "Data" as an array of <Data> elements (see WalkDataElement).
  simdjson::error_code WalkDataArray(simdjson::ondemand::array items);
  // One <Data> element. Named, as XML-to-JSON converters write <Data
  // Name="X">v</Data>: {"@Name": "X", "#text": "v"} (or "Name", or
  // {"#attributes": {"Name": "X"}}; the value also as "Value"): event data X.
  // Unnamed: "v", {"#text": "v"}, or evtx_dump's {"#text": ["v1", "v2"]}:
  // see OnUnnamedData.
  simdjson::error_code WalkDataElement(simdjson::ondemand::value& element);
  // Keeps an unnamed <Data> value (at most kMaxUnnamedData) for AddUnnamedData.
  void OnUnnamedData(std::string_view value);
  void AddUnnamedData();
  simdjson::error_code WalkEvtxEvent(simdjson::ondemand::object object);
  simdjson::error_code WalkEvtxSystem(simdjson::ondemand::object object);
  simdjson::error_code WalkWinlog(simdjson::ondemand::object object);
  simdjson::error_code WalkHost(simdjson::ondemand::object object);
  simdjson::error_code WalkEcsEvent(simdjson::ondemand::object object);

  // Reads the key of `field` (a view into the message, or unescaped).
  // Also returns the value's raw token when `token` is not null.
  simdjson::error_code Key(simdjson::ondemand::field& field, std::string_view* key,
                           std::string_view* token = nullptr);
  // Calls fn(key, value) for each field of `object`, in order; the first
  // error (a malformed field, or one fn returns) ends the walk and is returned.
  template <typename Fn>
  simdjson::error_code ForEachField(simdjson::ondemand::object object, Fn&& fn);
  // Reads a scalar value; *is_scalar = false for objects and arrays (not consumed).
  simdjson::error_code ReadScalar(simdjson::ondemand::value& value, Scalar* scalar, bool* is_scalar,
                                  bool* is_null) {
    return ReadScalarToken(value.raw_json_token(), scalar, is_scalar, is_null);
  }
  // With `defer_unescaping`, a string whose only escapes are two-character ones
  // is validated but left escaped (scalar->encoded, text in json_text_), to be
  // decoded by DecodeDeferred when read; strings with \u are decoded now.
  simdjson::error_code ReadScalarToken(std::string_view token, Scalar* scalar, bool* is_scalar,
                                       bool* is_null, bool defer_unescaping = false);
  simdjson::error_code Unescape(const char* raw_after_quote, size_t escaped_len,
                                std::string_view* out);
  // LazyText::Decoder for deferred strings: unescapes into the parser's arena.
  static std::string_view DecodeDeferred(void* parser, std::string_view encoded);
  std::string_view InMessage(const char* p, size_t n) const;

  void OnEnvelope(WinField field, const Scalar& value);
  // `f` is LookupWinField(key).
  void OnData(std::string_view key, WinField f, const Scalar& value);
  // Adds `key` unless the event has it already; returns the value it keeps
  // under `key` (the first added wins).
  std::string_view AddExtra(std::string_view key, std::string_view value);
  // The event's extra `key`, or nullptr.
  const ExtraField* FindExtra(std::string_view key) const;

  std::string_view Data(WinField f) const {
    int i = static_cast<int>(f) - static_cast<int>(WinField::kFirstData);
    return (data_mask_ >> i) & 1 ? data_[static_cast<size_t>(i)] : std::string_view();
  }
  void Normalize(int64_t event_id);
  std::string_view JoinUser(std::string_view domain, std::string_view user);

  ParserOptions options_;
  simdjson::ondemand::parser json_;
  std::vector<char> padded_;         // message copy with simdjson's required padding
  std::string repaired_;             // the message, bad encoding replaced (RepairJsonText)
  bool repairing_ = false;           // parsing repaired_
  std::string_view message_;         // the message being parsed
  const char* json_text_ = nullptr;  // what simdjson parses: message_ itself or padded_
  Arena arena_;
  Event event_;

  // Per-message state, reset by Parse().
  std::array<std::string_view, kWinDataFieldCount> data_;
  uint64_t data_mask_ = 0;
  std::array<uint64_t, 4> key_bloom_{};  // keys already in extras (see AddExtra)
  IdCandidate id_;                       // flat / winlog / System
  IdCandidate id_fallback_;              // ECS event.code
  std::string_view channel_, provider_;
  // Computer / winlog.computer_name name the machine that logged the event;
  // Hostname / host.name may be the collector that shipped it (Windows Event
  // Forwarding): the event's host is computer_, else host_.
  std::string_view host_, computer_;
  LazyText message_text_;
  static constexpr size_t kMaxUnnamedData = 32;
  std::array<std::string_view, kMaxUnnamedData> unnamed_;
  size_t unnamed_count_ = 0;
  std::string_view time_[5];  // candidates by priority, see kTime* in the .cc
};

}  // namespace loghunt
