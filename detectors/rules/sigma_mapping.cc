#include "detectors/rules/sigma_mapping.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

namespace loghunt {
namespace {

struct SlotName {
  std::string_view name;
  EventFieldSource::Slot slot;
};
constexpr SlotName kSlots[] = {
    {"process.executable", EventFieldSource::Slot::kExecutable},
    {"process.command_line", EventFieldSource::Slot::kCommandLine},
    {"process.cwd", EventFieldSource::Slot::kCwd},
    {"process.parent_executable", EventFieldSource::Slot::kParentExecutable},
    {"process.parent_command_line", EventFieldSource::Slot::kParentCommandLine},
    {"process.user", EventFieldSource::Slot::kUser},
    {"process.logon_id", EventFieldSource::Slot::kLogonId},
    {"host", EventFieldSource::Slot::kHost},
    {"program", EventFieldSource::Slot::kProgram},
    {"message", EventFieldSource::Slot::kMessage},
    {"raw", EventFieldSource::Slot::kRaw},
};

bool ParseKind(std::string_view name, EventKind* kind) {
  for (int i = 0; i < kEventKindCount; ++i) {
    if (EventKindName(static_cast<EventKind>(i)) == name) {
      *kind = static_cast<EventKind>(i);
      return true;
    }
  }
  return false;
}

int Line(const YAML::Node& n) { return n.Mark().line >= 0 ? n.Mark().line + 1 : 0; }

}  // namespace

EventFieldSource EventFieldSource::Parse(std::string_view name) {
  EventFieldSource source;
  for (const SlotName& s : kSlots) {
    if (s.name == name) {
      source.slot = s.slot;
      return source;
    }
  }
  source.extra_key = std::string(name);
  return source;
}

bool EventFieldSource::Read(const Event& event, std::string_view* value) const {
  std::string_view v;
  switch (slot) {
    case Slot::kExtra:
      // Sizes and first bytes differ for almost every key: cheaper than memcmp.
      for (const ExtraField& f : event.extras) {
        if (f.key.size() == extra_key.size() && (f.key.empty() || f.key[0] == extra_key[0]) &&
            f.key == extra_key) {
          *value = f.value;
          return true;
        }
      }
      return false;
    case Slot::kExecutable:
      v = event.process.executable;
      break;
    case Slot::kCommandLine:
      v = event.process.command_line;
      break;
    case Slot::kCwd:
      v = event.process.cwd;
      break;
    case Slot::kParentExecutable:
      v = event.process.parent_executable;
      break;
    case Slot::kParentCommandLine:
      v = event.process.parent_command_line;
      break;
    case Slot::kUser:
      v = event.process.user;
      break;
    case Slot::kLogonId:
      v = event.process.logon_id;
      break;
    case Slot::kHost:
      v = event.host;
      break;
    case Slot::kProgram:
      v = event.program;
      break;
    case Slot::kMessage:
      v = event.message;
      break;
    case Slot::kRaw:
      v = event.raw;
      break;
  }
  if (v.empty()) return false;
  *value = v;
  return true;
}

bool SigmaLogsourceMapping::Covers(const Event& event) const {
  for (const EventSelector& s : events) {
    if (s.stream == event.stream && s.kind == event.kind) return true;
  }
  return false;
}

std::vector<EventFieldSource> SigmaLogsourceMapping::SourcesOf(std::string_view sigma_field) const {
  for (const auto& [name, sources] : fields) {
    if (name == sigma_field) return sources;
  }
  return {EventFieldSource::Parse(sigma_field)};
}

const SigmaLogsourceMapping* SigmaFieldMapping::Find(
    const std::vector<std::pair<std::string, std::string>>& rule_logsource) const {
  for (const SigmaLogsourceMapping& m : logsources) {
    bool ok = !rule_logsource.empty();
    for (const auto& [key, value] : rule_logsource) {
      bool found = false;
      for (const auto& [mkey, mvalue] : m.match) found = found || (mkey == key && mvalue == value);
      ok = ok && found;
    }
    if (ok) return &m;
  }
  return nullptr;
}

bool ReadSigmaMapping(const std::string& text, const std::string& name, SigmaFieldMapping* mapping,
                      std::vector<std::string>* errors) {
  size_t errors_before = errors->size();
  auto error = [&](const YAML::Node& n, const std::string& path, const std::string& problem) {
    errors->push_back(name + ":" + std::to_string(Line(n)) + ": " + path + ": " + problem);
  };
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    errors->push_back(name + ":" + std::to_string(e.mark.line + 1) + ": (document): " + e.msg);
    return false;
  }
  SigmaFieldMapping result = *mapping;
  if (root.IsNull()) return true;
  YAML::Node sources = root.IsMap() ? root["logsources"] : YAML::Node();
  if (!root.IsMap() || !sources || !sources.IsMap()) {
    error(root, "logsources", "expected a map of logsource entries");
    return false;
  }
  for (const auto& kv : root) {
    if (kv.first.Scalar() != "logsources") error(kv.first, kv.first.Scalar(), "unknown key");
  }
  for (const auto& entry : sources) {
    std::string ls_name = entry.first.Scalar();
    std::string path = "logsources." + ls_name;
    const YAML::Node& body = entry.second;
    if (!body.IsMap()) {
      error(body, path, "expected a map with match, events, fields");
      continue;
    }
    SigmaLogsourceMapping* target = nullptr;
    for (auto& m : result.logsources) {
      if (m.name == ls_name) target = &m;
    }
    bool is_new = target == nullptr;
    SigmaLogsourceMapping fresh;
    fresh.name = ls_name;
    if (is_new) target = &fresh;
    for (const auto& kv : body) {
      std::string key = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      if (key == "match") {
        if (!v.IsMap() || v.size() == 0) {
          error(v, path + ".match", "expected a map of product/category/service");
          continue;
        }
        target->match.clear();
        for (const auto& m : v) {
          std::string mk = m.first.Scalar();
          if (mk != "product" && mk != "category" && mk != "service") {
            error(m.first, path + ".match." + mk,
                  "unknown key (expected product, category, service)");
          } else if (!m.second.IsScalar()) {
            error(m.second, path + ".match." + mk, "expected a string");
          } else {
            target->match.push_back({mk, m.second.Scalar()});
          }
        }
      } else if (key == "events") {
        if (!v.IsSequence()) {
          error(v, path + ".events", "expected a list of {stream, kind}");
          continue;
        }
        target->events.clear();
        for (size_t i = 0; i < v.size(); ++i) {
          std::string ep = path + ".events[" + std::to_string(i) + "]";
          const YAML::Node& e = v[i];
          SigmaLogsourceMapping::EventSelector sel{};
          if (!e.IsMap() || !e["stream"] || !e["kind"] || e.size() != 2) {
            error(e, ep, "expected {stream, kind}");
          } else if (!ParseStreamName(e["stream"].Scalar(), &sel.stream)) {
            error(e["stream"], ep + ".stream",
                  "unknown stream '" + e["stream"].Scalar() + "' (auditd, syslog or winevent)");
          } else if (!ParseKind(e["kind"].Scalar(), &sel.kind)) {
            error(e["kind"], ep + ".kind", "unknown event kind '" + e["kind"].Scalar() + "'");
          } else {
            target->events.push_back(sel);
          }
        }
      } else if (key == "fields") {
        if (!v.IsMap()) {
          error(v, path + ".fields", "expected a map of Sigma field -> list of sources");
          continue;
        }
        for (const auto& f : v) {
          std::string field = f.first.Scalar();
          std::vector<EventFieldSource> list;
          if (f.second.IsScalar() && !f.second.Scalar().empty()) {
            list.push_back(EventFieldSource::Parse(f.second.Scalar()));
          } else if (f.second.IsSequence() && f.second.size() > 0) {
            for (const auto& s : f.second) {
              if (!s.IsScalar() || s.Scalar().empty()) {
                error(s, path + ".fields." + field, "expected a source name");
              } else {
                list.push_back(EventFieldSource::Parse(s.Scalar()));
              }
            }
          } else {
            error(f.second, path + ".fields." + field, "expected a source name or a list of them");
            continue;
          }
          bool replaced = false;
          for (auto& [existing, sources_of] : target->fields) {
            if (existing == field) {
              sources_of = list;
              replaced = true;
            }
          }
          if (!replaced) target->fields.push_back({field, std::move(list)});
        }
      } else {
        error(kv.first, path + "." + key, "unknown key (expected match, events, fields)");
      }
    }
    if (is_new) {
      if (fresh.match.empty()) error(body, path + ".match", "required for a new logsource");
      if (fresh.events.empty()) error(body, path + ".events", "required for a new logsource");
      result.logsources.push_back(std::move(fresh));
    }
  }
  if (errors->size() != errors_before) return false;
  *mapping = std::move(result);
  return true;
}

bool LoadSigmaMapping(const std::string& path, SigmaFieldMapping* mapping,
                      std::vector<std::string>* errors) {
  SigmaFieldMapping result;
  if (!ReadSigmaMapping(DefaultSigmaMappingText(), "(built-in sigma-mappings.yaml)", &result,
                        errors)) {
    return false;
  }
  if (!path.empty()) {
    std::ifstream in(path);
    if (!in) {
      errors->push_back(path + ":0: (file): cannot be read");
      return false;
    }
    std::stringstream text;
    text << in.rdbuf();
    if (!ReadSigmaMapping(text.str(), path, &result, errors)) return false;
  }
  *mapping = std::move(result);
  return true;
}

}  // namespace loghunt
