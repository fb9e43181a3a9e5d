#include "core/alert.h"

#include "core/hash.h"
#include "core/serialize.h"
#include "core/time.h"

namespace loghunt {

std::string_view SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kInformational:
      return "informational";
    case Severity::kLow:
      return "low";
    case Severity::kMedium:
      return "medium";
    case Severity::kHigh:
      return "high";
    case Severity::kCritical:
      return "critical";
  }
  return "medium";
}

bool ParseSeverity(std::string_view name, Severity* severity) {
  for (Severity s : {Severity::kInformational, Severity::kLow, Severity::kMedium, Severity::kHigh,
                     Severity::kCritical}) {
    if (SeverityName(s) == name) {
      *severity = s;
      return true;
    }
  }
  return false;
}

std::string AlertId(const SourcePosition& position, std::string_view rule_id,
                    std::string_view key) {
  return StableId()
      .Add(position.topic)
      .Add(static_cast<int64_t>(position.partition))
      .Add(position.offset)
      .Add(rule_id)
      .Add(key)
      .Hex();
}

Alert MakeAlert(const Event& event, RuleRef rule, std::string_view key) {
  Alert alert;
  alert.id = AlertId(event.position, rule.id, key);
  alert.time_ns = event.timestamp_ns != 0 ? event.timestamp_ns : NowNanos();
  alert.rule = std::move(rule);
  alert.key = std::string(key);
  alert.host = std::string(event.host);
  alert.position = {std::string(event.position.topic), event.position.partition,
                    event.position.offset};
  alert.evidence_json = SerializeEvent(event);
  if (!event.host.empty()) {
    alert.entities.push_back({"Host", {{"HostName", std::string(event.host)}}});
  }
  return alert;
}

}  // namespace loghunt
