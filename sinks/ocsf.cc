#include "sinks/ocsf.h"

#include "core/json_out.h"
#include "core/serialize.h"
#include "core/time.h"

namespace loghunt {
namespace {

using json::Int;
using json::Key;
using json::Str;
using json::StringOut;
using json::Writer;

// OCSF severity_id: 1 Informational .. 5 Critical.
int SeverityId(Severity s) {
  switch (s) {
    case Severity::kInformational:
      return 1;
    case Severity::kLow:
      return 2;
    case Severity::kMedium:
      return 3;
    case Severity::kHigh:
      return 4;
    case Severity::kCritical:
      return 5;
  }
  return 0;
}

std::string_view SeverityLabel(Severity s) {
  switch (s) {
    case Severity::kInformational:
      return "Informational";
    case Severity::kLow:
      return "Low";
    case Severity::kMedium:
      return "Medium";
    case Severity::kHigh:
      return "High";
    case Severity::kCritical:
      return "Critical";
  }
  return "Unknown";
}

// OCSF observable type_id and name for our observable types (99 = Other).
std::pair<int, std::string_view> ObservableType(std::string_view type) {
  if (type == "ipv4" || type == "ipv6") return {2, "IP Address"};
  if (type == "dns") return {1, "Hostname"};
  if (type == "url") return {6, "URL String"};
  if (type == "email") return {5, "Email Address"};
  if (type == "md5" || type == "sha1" || type == "sha256" || type == "sha512") return {8, "Hash"};
  if (type == "windows_path" || type == "linux_path") return {7, "File Name"};
  return {99, "Other"};
}

// Entity properties that map onto OCSF observables; the rest stay in unmapped.
std::pair<int, std::string_view> EntityPropertyType(std::string_view entity,
                                                    std::string_view property) {
  if (entity == "Account" && property == "Name") return {4, "User Name"};
  if (entity == "Host" && property == "HostName") return {1, "Hostname"};
  if (entity == "IpAddress" && property == "Address") return {2, "IP Address"};
  if (entity == "Process" && property == "CommandLine") return {13, "Command Line"};
  if (entity == "Process" && property == "ProcessId") return {15, "Process ID"};
  if (entity == "Url" && property == "Url") return {6, "URL String"};
  if (entity == "Dns" && property == "DomainName") return {1, "Hostname"};
  if (entity == "File" && property == "Name") return {7, "File Name"};
  if (entity == "FileHash" && property == "Value") return {8, "Hash"};
  return {0, ""};
}

void WriteObservable(Writer& w, std::string_view name, std::pair<int, std::string_view> type,
                     std::string_view value) {
  w.StartObject();
  Str(w, "name", name);
  Int(w, "type_id", type.first);
  Str(w, "type", type.second);
  Str(w, "value", value);
  w.EndObject();
}

}  // namespace

void AppendAlertOcsf(const Alert& a, std::string* out) {
  StringOut os(out);
  Writer w(os);
  const int64_t time_ms = a.time_ns / 1'000'000;
  w.StartObject();
  // Detection Finding, activity 1 (Create): type_uid = class_uid * 100 + activity_id.
  Int(w, "class_uid", 2004);
  Str(w, "class_name", "Detection Finding");
  Int(w, "category_uid", 2);
  Str(w, "category_name", "Findings");
  Int(w, "activity_id", 1);
  Str(w, "activity_name", "Create");
  Int(w, "type_uid", 200401);
  Str(w, "type_name", "Detection Finding: Create");
  Int(w, "time", time_ms);
  Int(w, "severity_id", SeverityId(a.rule.severity));
  Str(w, "severity", SeverityLabel(a.rule.severity));
  Int(w, "status_id", 1);
  Str(w, "status", "New");
  Str(w, "message", a.summary.empty() ? a.rule.title : a.summary);

  Key(w, "metadata");
  w.StartObject();
  Str(w, "version", "1.1.0");
  Str(w, "uid", a.id);
  Key(w, "product");
  w.StartObject();
  Str(w, "name", "loghunt");
  Str(w, "vendor_name", "loghunt");
  w.EndObject();
  w.EndObject();

  Key(w, "finding_info");
  w.StartObject();
  Str(w, "uid", a.id);
  Str(w, "title", a.rule.title.empty() ? a.rule.id : a.rule.title);
  Str(w, "desc", a.summary);
  Int(w, "created_time", time_ms);
  if (!a.rule.tags.empty()) {
    Key(w, "types");
    w.StartArray();
    for (const auto& t : a.rule.tags) json::String(w, t);
    w.EndArray();
  }
  Key(w, "analytic");
  w.StartObject();
  Str(w, "uid", a.rule.id);
  Str(w, "name", a.rule.title);
  Int(w, "type_id", 1);
  Str(w, "type", "Rule");
  w.EndObject();
  w.EndObject();

  if (!a.host.empty()) {
    Key(w, "device");
    w.StartObject();
    Str(w, "hostname", a.host);
    Int(w, "type_id", 0);
    w.EndObject();
  }

  bool any = !a.host.empty() || !a.observables.empty();
  for (const auto& e : a.entities) {
    for (const auto& [k, v] : e.properties) any = any || EntityPropertyType(e.type, k).first != 0;
  }
  if (any) {
    Key(w, "observables");
    w.StartArray();
    if (!a.host.empty()) WriteObservable(w, "device.hostname", {1, "Hostname"}, a.host);
    for (const auto& o : a.observables) WriteObservable(w, o.type, ObservableType(o.type), o.value);
    for (const auto& e : a.entities) {
      for (const auto& [k, v] : e.properties) {
        auto type = EntityPropertyType(e.type, k);
        if (type.first == 0 || v.empty()) continue;
        if (e.type == "Host" && k == "HostName" && v == a.host) continue;  // device.hostname
        WriteObservable(w, e.type + "." + k, type, v);
      }
    }
    w.EndArray();
  }

  if (!a.evidence_json.empty()) Str(w, "raw_data", a.evidence_json);

  // loghunt fields OCSF has no attribute for, so nothing is lost: entity
  // properties that are no observable were dropped until 2026-11-29.
  Key(w, "unmapped");
  w.StartObject();
  Str(w, "loghunt.key", a.key);
  Str(w, "loghunt.position.topic", a.position.topic);
  if (a.position.partition >= 0) Int(w, "loghunt.position.partition", a.position.partition);
  if (a.position.offset >= 0) Int(w, "loghunt.position.offset", a.position.offset);
  // Entity properties that are no observable (threat-intel provider and
  // confidence, suppression counts, GeoIP places, rule provenance, ...).
  bool rest = false;
  for (const auto& e : a.entities) {
    for (const auto& [k, v] : e.properties) rest = rest || EntityPropertyType(e.type, k).first == 0;
  }
  if (rest) {
    Key(w, "loghunt.entities");
    w.StartArray();
    for (const auto& e : a.entities) {
      w.StartObject();
      Str(w, "type", e.type);
      for (const auto& [k, v] : e.properties) {
        if (EntityPropertyType(e.type, k).first == 0) Str(w, k, v);
      }
      w.EndObject();
    }
    w.EndArray();
  }
  bool decoded = false;
  for (const auto& o : a.observables) decoded = decoded || !o.decode_chain.empty();
  if (decoded) {
    Key(w, "loghunt.decode_chains");
    w.StartArray();
    for (const auto& o : a.observables) {
      w.StartObject();
      Str(w, "value", o.value);
      Str(w, "decode_chain", o.decode_chain);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  w.EndObject();
}

void AppendAlertFormatted(const Alert& alert, AlertFormat format, std::string* out) {
  switch (format) {
    case AlertFormat::kJson:
      AppendAlertJson(alert, out);
      return;
    case AlertFormat::kText:
      AppendAlertText(alert, out);
      return;
    case AlertFormat::kOcsf:
      AppendAlertOcsf(alert, out);
      return;
  }
}

}  // namespace loghunt
