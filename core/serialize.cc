#include "core/serialize.h"

#include "core/hash.h"
#include "core/json_out.h"
#include "core/text.h"
#include "core/time.h"

namespace loghunt {
namespace {

using json::Str;
using json::Writer;

// Counts and ids: negative means unknown, left out.
void IntIfKnown(Writer& w, std::string_view key, int64_t value) {
  if (value < 0) return;
  json::Int(w, key, value);
}

void Time(Writer& w, std::string_view key, int64_t ns, std::string* scratch) {
  if (ns == 0) return;
  scratch->clear();
  AppendRfc3339(ns, scratch);
  Str(w, key, *scratch);
}

void WriteEventFields(Writer& w, const Event& e) {
  std::string scratch;
  Time(w, "@timestamp", e.timestamp_ns, &scratch);
  Str(w, "event.kind", "event");
  Str(w, "event.type", EventKindName(e.kind));
  Str(w, "event.module", StreamName(e.stream));
  Str(w, "event.provider", e.program);
  Str(w, "host.name", e.host);
  std::string_view user = !e.logon.user.empty() ? e.logon.user : e.process.user;
  Str(w, "user.name", user);
  IntIfKnown(w, "process.pid", e.process.pid);
  IntIfKnown(w, "process.parent.pid", e.process.ppid);
  Str(w, "process.executable", e.process.executable);
  Str(w, "process.command_line", e.process.command_line);
  Str(w, "process.working_directory", e.process.cwd);
  Str(w, "process.parent.executable", e.process.parent_executable);
  Str(w, "process.parent.command_line", e.process.parent_command_line);
  Str(w, "process.user.name", e.process.user);
  Str(w, "process.logon_id", e.process.logon_id);
  std::string_view source_ip =
      !e.network.source_ip.empty() ? e.network.source_ip : e.logon.source_ip;
  Str(w, "source.ip", source_ip);
  IntIfKnown(w, "source.port", e.network.source_port);
  Str(w, "destination.ip", e.network.destination_ip);
  IntIfKnown(w, "destination.port", e.network.destination_port);
  Str(w, "network.transport", e.network.protocol);
  if (e.logon.result != LogonResult::kUnknown) {
    Str(w, "event.outcome", LogonResultName(e.logon.result));
  }
  Str(w, "logon.user.name", e.logon.user);
  Str(w, "logon.method", e.logon.method);
  Str(w, "message", e.message);
  Str(w, "loghunt.position.topic", e.position.topic);
  if (e.position.partition >= 0) IntIfKnown(w, "loghunt.position.partition", e.position.partition);
  IntIfKnown(w, "loghunt.position.offset", e.position.offset);
  if (!e.extras.empty()) {
    w.Key("extra");
    w.StartObject();
    for (const auto& f : e.extras) {
      json::Key(w, f.key);
      json::String(w, f.value);
    }
    w.EndObject();
  }
  Str(w, "event.original", e.raw);
}

}  // namespace

void AppendEventJson(const Event& event, std::string* out) {
  json::StringOut os(out);
  Writer w(os);
  w.StartObject();
  WriteEventFields(w, event);
  w.EndObject();
}

std::string EntityId(const Entity& entity, std::string_view host) {
  struct Identity {
    std::string_view type;
    bool per_host;
    bool fold_case;
    std::string_view keys[3];
  };
  static constexpr Identity kIdentities[] = {
      {"IpAddress", false, false, {"Address"}},
      {"Dns", false, true, {"DomainName"}},
      {"Host", false, true, {"HostName"}},
      {"Url", false, false, {"Url"}},
      {"FileHash", false, true, {"Algorithm", "Value"}},
      {"Mailbox", false, true, {"MailboxPrimaryAddress"}},
      {"ThreatIntelligence", false, false, {"Provider", "Indicator", "Observable"}},
      {"Account", true, false, {"Name"}},
      {"File", true, false, {"FullPath"}},
      {"Process", true, false, {"ProcessId", "ImageFile", "CommandLine"}},
  };
  StableId id;
  id.Add(entity.type);
  const Identity* identity = nullptr;
  for (const Identity& i : kIdentities) {
    if (i.type == entity.type) identity = &i;
  }
  if (identity == nullptr) {
    for (const auto& [k, v] : entity.properties) id.Add(k).Add(v);
    return id.Hex();
  }
  if (identity->per_host) id.Add(host);
  for (std::string_view key : identity->keys) {
    if (key.empty()) break;
    std::string value;
    for (const auto& [k, v] : entity.properties) {
      if (k == key) value = v;
    }
    if (identity->fold_case) {
      for (char& c : value) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    id.Add(key).Add(value);
  }
  return id.Hex();
}

void AppendAlertJson(const Alert& a, std::string* out) {
  json::StringOut os(out);
  Writer w(os);
  std::string scratch;
  w.StartObject();
  Str(w, "id", a.id);
  Time(w, "@timestamp", a.time_ns, &scratch);
  Str(w, "event.kind", "alert");
  Str(w, "rule.id", a.rule.id);
  Str(w, "rule.name", a.rule.title);
  Str(w, "event.severity_name", SeverityName(a.rule.severity));
  if (!a.rule.tags.empty()) {
    w.Key("tags");
    w.StartArray();
    for (const auto& t : a.rule.tags) json::String(w, t);
    w.EndArray();
  }
  Str(w, "host.name", a.host);
  Str(w, "message", a.summary);
  Str(w, "loghunt.key", a.key);
  if (!a.entities.empty()) {
    w.Key("entities");
    w.StartArray();
    for (const auto& ent : a.entities) {
      w.StartObject();
      Str(w, "Type", ent.type);
      Str(w, "Id", EntityId(ent, a.host));
      for (const auto& [k, v] : ent.properties) Str(w, k, v);
      w.EndObject();
    }
    w.EndArray();
  }
  if (!a.observables.empty()) {
    w.Key("observables");
    w.StartArray();
    for (const auto& o : a.observables) {
      w.StartObject();
      Str(w, "type", o.type);
      Str(w, "value", o.value);
      Str(w, "decode_chain", o.decode_chain);
      if (o.defanged) {
        w.Key("defanged");
        w.Bool(true);
      }
      Str(w, "ip_class", o.ip_class);
      w.EndObject();
    }
    w.EndArray();
  }
  Str(w, "loghunt.position.topic", a.position.topic);
  if (a.position.partition >= 0) IntIfKnown(w, "loghunt.position.partition", a.position.partition);
  IntIfKnown(w, "loghunt.position.offset", a.position.offset);
  if (!a.evidence_json.empty()) {
    w.Key("evidence");
    w.RawValue(a.evidence_json.data(), a.evidence_json.size(), rapidjson::kObjectType);
  }
  w.EndObject();
}

std::string SerializeEvent(const Event& event) {
  std::string s;
  AppendEventJson(event, &s);
  return s;
}

std::string SerializeAlert(const Alert& alert) {
  std::string s;
  AppendAlertJson(alert, &s);
  return s;
}

namespace {

void AppendEscapedByte(std::string_view prefix, unsigned char byte, std::string* out) {
  constexpr char kHex[] = "0123456789abcdef";
  out->append(prefix);
  out->push_back(kHex[byte >> 4]);
  out->push_back(kHex[byte & 15]);
}

}  // namespace

void AppendPrintable(std::string_view text, std::string* out) {
  std::string valid;
  if (!IsValidUtf8(text)) {
    valid = ReplaceInvalidUtf8(text);
    text = valid;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '\r') {
      out->append("\\r");
    } else if (c == '\t') {
      out->append("\\t");
    } else if (u < 0x20 || u == 0x7f) {
      AppendEscapedByte("\\x", u, out);
    } else if (u == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0xa0) {
      // A C1 control (U+0080-U+009F: CSI moves a terminal's cursor too).
      AppendEscapedByte("\\u00", static_cast<unsigned char>(text[++i]), out);
    } else {
      out->push_back(c);
    }
  }
}

std::string Printable(std::string_view text) {
  std::string out;
  AppendPrintable(text, &out);
  return out;
}

void AppendAlertText(const Alert& a, std::string* out) {
  AppendRfc3339(a.time_ns, out);
  out->push_back(' ');
  out->append(SeverityName(a.rule.severity));
  out->push_back(' ');
  AppendPrintable(a.host.empty() ? "-" : a.host, out);
  out->append(" \"");
  AppendPrintable(a.rule.title, out);
  out->append("\" ");
  AppendPrintable(a.summary, out);
  out->append(" [");
  out->append(a.id);
  out->push_back(']');
}

}  // namespace loghunt
