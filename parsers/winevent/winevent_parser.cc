#include "parsers/winevent/winevent_parser.h"

#include "core/text.h"
#include "core/time.h"

namespace loghunt {

WineventParser::WineventParser(const ParserOptions& options) : options_(options) {}

void WineventParser::Parse(std::string_view message, const SourcePosition& position,
                           EventHandler& out) {
  if (Trim(message).empty()) {
    out.OnError(ParseError::kEmpty, message, position);
    return;
  }
  padded_.assign(message);
  padded_.append(simdjson::SIMDJSON_PADDING, '\0');
  arena_.Reset();
  event_.Clear();
  event_.stream = Stream::kWinevent;
  event_.raw = message;
  event_.position = position;

  simdjson::ondemand::document doc;
  if (json_.iterate(padded_.data(), message.size(), padded_.size()).get(doc)) {
    out.OnError(ParseError::kBadJson, message, position);
    return;
  }
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj)) {
    out.OnError(ParseError::kBadJson, message, position);
    return;
  }
  int64_t event_id = -1;
  std::string_view channel;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) {
      out.OnError(ParseError::kBadJson, message, position);
      return;
    }
    key = arena_.Copy(key);
    simdjson::ondemand::value value;
    if (field.value().get(value)) {
      out.OnError(ParseError::kBadJson, message, position);
      return;
    }
    std::string_view text;
    auto type = value.type();
    if (type.error()) {
      out.OnError(ParseError::kBadJson, message, position);
      return;
    }
    if (type.value_unsafe() == simdjson::ondemand::json_type::string) {
      if (value.get_string().get(text)) {
        out.OnError(ParseError::kBadEncoding, message, position);
        return;
      }
      text = arena_.Copy(text);
    } else if (type.value_unsafe() == simdjson::ondemand::json_type::number) {
      text = arena_.Copy(Trim(value.raw_json_token()));
    } else {
      continue;  // nested objects and arrays: the Windows issue maps the other shapes
    }
    if (key == "EventID") {
      auto id = ParseInt(text);
      if (!id) {
        out.OnError(ParseError::kWrongType, message, position);
        return;
      }
      event_id = *id;
    } else if (key == "Hostname" || key == "Computer") {
      event_.host = text;
    } else if (key == "Channel") {
      channel = text;
    } else if (key == "@timestamp") {
      if (auto ns = ParseRfc3339(text)) event_.timestamp_ns = *ns;
    } else if (key == "CommandLine") {
      event_.process.command_line = text;
    } else if (key == "Image" || key == "NewProcessName") {
      event_.process.executable = text;
    } else if (key == "ParentImage" || key == "ParentProcessName") {
      event_.process.parent_executable = text;
    } else if (key == "ParentCommandLine") {
      event_.process.parent_command_line = text;
    } else if (key == "User" || key == "SubjectUserName") {
      event_.process.user = text;
    } else {
      event_.extras.push_back({key, text});
    }
  }
  if (event_id < 0) {
    out.OnError(ParseError::kMissingField, message, position);
    return;
  }
  event_.program = channel;
  bool sysmon = channel.find("Sysmon") != std::string_view::npos;
  if (event_id == 4688 || (sysmon && event_id == 1)) event_.kind = EventKind::kProcessStart;
  char* buf = arena_.Allocate(24);
  int n = std::snprintf(buf, 24, "%lld", static_cast<long long>(event_id));
  event_.extras.push_back({"winlog.event_id", std::string_view(buf, static_cast<size_t>(n))});
  out.OnEvent(event_);
}

}  // namespace loghunt
