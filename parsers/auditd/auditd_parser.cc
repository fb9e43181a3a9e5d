#include "parsers/auditd/auditd_parser.h"

#include "core/text.h"

namespace loghunt {
namespace {

// libauparse 3.0.9 leaks the first value when a CWD record has two cwd fields
// (it keeps the event's cwd as a strdup and overwrites it). The kernel never
// writes that, so such a record is refused before it reaches auparse.
bool HasRepeatedCwd(const AuditRecordHeader& header) {
  if (header.type != "CWD") return false;
  int count = 0;
  std::string_view rest = header.fields;
  while (!rest.empty()) {
    if (rest.starts_with("cwd=") && ++count > 1) return true;
    size_t sp = rest.find(' ');
    rest.remove_prefix(sp == std::string_view::npos ? rest.size() : sp + 1);
  }
  return false;
}

}  // namespace

AuditdParser::AuditdParser(const ParserOptions& options)
    : options_(options),
      assembler_(options.audit_event_timeout_ms, options.audit_max_open_events) {}

void AuditdParser::Parse(std::string_view message, const SourcePosition& position,
                         EventHandler& out) {
  out_ = &out;
  std::string_view text = Trim(message);
  if (text.empty()) {
    out.OnError(ParseError::kEmpty, message, position);
    return;
  }
  if (text.front() != '{') {
    ParseRecords(text, message, position);
    return;
  }
  // JSON wrapper: simdjson needs padding after the input, hence the copy.
  json_buffer_.assign(text);
  json_buffer_.append(simdjson::SIMDJSON_PADDING, '\0');
  simdjson::ondemand::document doc;
  if (json_.iterate(json_buffer_.data(), text.size(), json_buffer_.size()).get(doc) !=
      simdjson::SUCCESS) {
    out.OnError(ParseError::kBadJson, message, position);
    return;
  }
  simdjson::ondemand::object object;
  if (doc.get_object().get(object) != simdjson::SUCCESS) {
    out.OnError(ParseError::kBadJson, message, position);
    return;
  }
  simdjson::ondemand::value value;
  auto error = object.find_field_unordered("message").get(value);
  if (error == simdjson::NO_SUCH_FIELD) {
    out.OnError(ParseError::kMissingField, message, position);
    return;
  }
  std::string_view inner;
  if (error != simdjson::SUCCESS) {
    out.OnError(ParseError::kBadJson, message, position);
    return;
  }
  error = value.get_string().get(inner);
  if (error != simdjson::SUCCESS) {
    out.OnError(error == simdjson::INCORRECT_TYPE ? ParseError::kWrongType : ParseError::kBadJson,
                message, position);
    return;
  }
  inner = Trim(inner);
  if (inner.empty()) {
    out.OnError(ParseError::kEmpty, message, position);
    return;
  }
  // `inner` lives in the simdjson parser until the next iterate(): long enough,
  // since the assembler copies every record it keeps.
  ParseRecords(inner, message, position);
}

void AuditdParser::ParseRecords(std::string_view text, std::string_view message,
                                const SourcePosition& position) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = TrimRight(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty()) continue;
    if (line.find('\0') != std::string_view::npos) {
      out_->OnError(ParseError::kBadEncoding, message, position);
      continue;
    }
    AuditRecordHeader header;
    ParseError error = ParseAuditRecordHeader(line, &header);
    if (error == ParseError::kNone && HasRepeatedCwd(header)) error = ParseError::kBadFrame;
    if (error != ParseError::kNone) {
      out_->OnError(error, message, position);
      continue;
    }
    assembler_.Add(line, header, position, *this, *out_);
  }
}

void AuditdParser::Flush(EventHandler& out) {
  out_ = &out;
  assembler_.Flush(*this);
}

void AuditdParser::OnAssembled(const AssembledAuditEvent& event) {
  arena_.Reset();
  normalizer_.Normalize(event, arena_, &event_);
  out_->OnEvent(event_);
}

}  // namespace loghunt
