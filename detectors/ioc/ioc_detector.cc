#include "detectors/ioc/ioc_detector.h"

#include <algorithm>

namespace loghunt {

const RuleRef& IocDetector::Rule() {
  static const RuleRef kRule{"loghunt.ioc.encoded_command",
                             "Encoded command with indicators",
                             Severity::kHigh,
                             {"ioc", "decode", "attack.defense_evasion", "attack.t1027"}};
  return kRule;
}

IocDetector::IocDetector(IocDetectorOptions options, std::shared_ptr<const IocPatterns> patterns)
    : options_(options), decoder_(options.decoder), extractor_(std::move(patterns)) {
  iocs_.reserve(64);
  layer_of_.reserve(64);
}

namespace {

Entity EntityFor(const Ioc& ioc) {
  std::string value(ioc.value);
  switch (ioc.type) {
    case IocType::kIpv4:
    case IocType::kIpv6:
      return {"IpAddress", {{"Address", value}}};
    case IocType::kUrl:
      return {"Url", {{"Url", value}}};
    case IocType::kDns:
      return {"Dns", {{"DomainName", value}}};
    case IocType::kEmail:
      return {"Mailbox", {{"MailboxPrimaryAddress", value}}};
    case IocType::kMd5:
      return {"FileHash", {{"Algorithm", "MD5"}, {"Value", value}}};
    case IocType::kSha1:
      return {"FileHash", {{"Algorithm", "SHA1"}, {"Value", value}}};
    case IocType::kSha256:
      return {"FileHash", {{"Algorithm", "SHA256"}, {"Value", value}}};
    case IocType::kSha512:
      return {"FileHash", {{"Algorithm", "SHA512"}, {"Value", value}}};
    case IocType::kWindowsPath:
    case IocType::kLinuxPath: {
      char sep = ioc.type == IocType::kWindowsPath ? '\\' : '/';
      size_t slash = ioc.value.rfind(sep);
      std::string name = slash == std::string_view::npos ? value : value.substr(slash + 1);
      return {"File", {{"FullPath", value}, {"Name", name}}};
    }
  }
  return {"Unknown", {{"Value", value}}};
}

}  // namespace

void IocDetector::Inspect(const Event& event, std::vector<Alert>& alerts) {
  if (event.kind != EventKind::kProcessStart && event.kind != EventKind::kUserCommand) return;
  std::string_view command = event.process.command_line;
  if (command.size() < 16) return;  // shorter than any encoded fragment we decode
  const std::vector<DecodedLayer>& layers = decoder_.Decode(command);
  if (layers.empty()) return;
  arena_.Reset();
  iocs_.clear();
  layer_of_.clear();
  for (size_t li = 0; li < layers.size(); ++li) {
    extractor_.Extract(layers[li].text, arena_, &iocs_);
    layer_of_.resize(iocs_.size(), static_cast<int>(li));
  }
  // Drop configured IP classes and repeats of one indicator across layers.
  distinct_.Reset(iocs_.size());
  size_t kept = 0;
  for (size_t i = 0; i < iocs_.size(); ++i) {
    const Ioc& ioc = iocs_[i];
    if (ioc.ip_class != IpClass::kNone &&
        (options_.drop_ip_classes & (1u << static_cast<unsigned>(ioc.ip_class))) != 0) {
      continue;
    }
    if (!distinct_.Insert(ioc)) continue;
    layer_of_[kept] = layer_of_[i];
    iocs_[kept++] = ioc;
  }
  iocs_.resize(kept);
  if (iocs_.empty()) return;

  Alert alert = MakeAlert(event, Rule(), "");
  alert.summary = "Encoded command with indicators:";
  Entity process{"Process", {{"CommandLine", std::string(command)}}};
  if (!event.process.executable.empty()) {
    process.properties.push_back({"ImageFile", std::string(event.process.executable)});
  }
  if (event.process.pid >= 0) {
    process.properties.push_back({"ProcessId", std::to_string(event.process.pid)});
  }
  alert.entities.push_back(std::move(process));
  if (!event.process.user.empty()) {
    alert.entities.push_back({"Account", {{"Name", std::string(event.process.user)}}});
  }
  const size_t shown = std::min(iocs_.size(), options_.max_observables);
  for (size_t i = 0; i < shown; ++i) {
    const Ioc& ioc = iocs_[i];
    const DecodedLayer& layer = layers[static_cast<size_t>(layer_of_[i])];
    Observable o;
    o.type = std::string(IocTypeName(ioc.type));
    o.value = std::string(ioc.value);
    o.decode_chain = std::string(layer.chain);
    o.defanged = ioc.defanged;
    o.ip_class = std::string(IpClassName(ioc.ip_class));
    if (i < 5) alert.summary += " " + o.type + " " + o.value;
    alert.observables.push_back(std::move(o));
    alert.entities.push_back(EntityFor(ioc));
  }
  if (iocs_.size() > 5) alert.summary += " (+" + std::to_string(iocs_.size() - 5) + " more)";
  if (shown < iocs_.size()) {
    alert.entities.push_back({"ObservableLimit",
                              {{"Found", std::to_string(iocs_.size())},
                               {"Reported", std::to_string(shown)},
                               {"Omitted", std::to_string(iocs_.size() - shown)}}});
  }
  alerts.push_back(std::move(alert));
}

}  // namespace loghunt
