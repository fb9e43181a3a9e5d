#include "parsers/winevent/winevent_fields.h"

#include <array>
#include <cstring>

namespace loghunt {
namespace {

struct Name {
  std::string_view key;
  WinField field;
};

constexpr Name kNames[] = {
    {"EventID", WinField::kEventId},
    {"Channel", WinField::kChannel},
    {"Hostname", WinField::kHostname},
    {"Computer", WinField::kComputer},
    {"@timestamp", WinField::kAtTimestamp},
    {"TimeGenerated", WinField::kTimeGenerated},
    {"TimeCreated", WinField::kTimeCreated},
    {"EventTime", WinField::kEventTime},
    {"Message", WinField::kMessage},
    {"message", WinField::kMessage},
    {"SourceName", WinField::kProviderName},
    {"ProviderName", WinField::kProviderName},
    {"EventSourceName", WinField::kProviderName},
    {"Image", WinField::kImage},
    {"NewProcessName", WinField::kNewProcessName},
    {"ProcessName", WinField::kProcessName},
    {"CommandLine", WinField::kCommandLine},
    {"ParentImage", WinField::kParentImage},
    {"ParentProcessName", WinField::kParentProcessName},
    {"ParentCommandLine", WinField::kParentCommandLine},
    {"User", WinField::kUser},
    {"Account", WinField::kAccount},
    {"SubjectUserName", WinField::kSubjectUserName},
    {"SubjectDomainName", WinField::kSubjectDomainName},
    {"SubjectLogonId", WinField::kSubjectLogonId},
    {"TargetUserName", WinField::kTargetUserName},
    {"TargetDomainName", WinField::kTargetDomainName},
    {"TargetLogonId", WinField::kTargetLogonId},
    {"LogonId", WinField::kLogonId},
    {"ProcessId", WinField::kProcessId},
    {"NewProcessId", WinField::kNewProcessId},
    {"ParentProcessId", WinField::kParentProcessId},
    {"IntegrityLevel", WinField::kIntegrityLevel},
    {"MandatoryLabel", WinField::kMandatoryLabel},
    {"Hashes", WinField::kHashes},
    {"CurrentDirectory", WinField::kCurrentDirectory},
    {"LogonType", WinField::kLogonType},
    {"IpAddress", WinField::kIpAddress},
    {"IpPort", WinField::kIpPort},
    {"WorkstationName", WinField::kWorkstationName},
    {"SourceIp", WinField::kSourceIp},
    {"SourcePort", WinField::kSourcePort},
    {"DestinationIp", WinField::kDestinationIp},
    {"DestinationPort", WinField::kDestinationPort},
    {"Protocol", WinField::kProtocol},
    {"QueryName", WinField::kQueryName},
    {"ServiceName", WinField::kServiceName},
    {"ImagePath", WinField::kImagePath},
    {"ServiceFileName", WinField::kServiceFileName},
    {"MemberName", WinField::kMemberName},
    {"MemberSid", WinField::kMemberSid},
    {"UtcTime", WinField::kUtcTime},
};

// Open addressing over a small power-of-two table; the hash reads the length
// and three bytes, enough to spread the ~50 names with few probes, and cheap
// enough for the ~50 keys of every event.
constexpr size_t kTableSize = 256;

constexpr size_t Hash(std::string_view k) {
  size_t n = k.size();
  auto b = [&](size_t i) { return static_cast<size_t>(static_cast<unsigned char>(k[i])); };
  return (n * 131 + b(0) * 31 + b(n - 1) * 7 + b(n / 2) * 17) & (kTableSize - 1);
}

struct Table {
  std::array<const Name*, kTableSize> slots{};
};

// Built at compile time, so lookups work during static initialization too.
constexpr Table MakeTable() {
  Table t;
  for (const Name& name : kNames) {
    size_t h = Hash(name.key);
    while (t.slots[h] != nullptr) h = (h + 1) & (kTableSize - 1);
    t.slots[h] = &name;
  }
  return t;
}

constexpr Table kTable = MakeTable();

}  // namespace

WinField LookupWinField(std::string_view key) {
  if (key.empty()) return WinField::kUnknown;
  size_t h = Hash(key);
  while (const Name* name = kTable.slots[h]) {
    if (name->key.size() == key.size() &&
        std::memcmp(name->key.data(), key.data(), key.size()) == 0) {
      return name->field;
    }
    h = (h + 1) & (kTableSize - 1);
  }
  return WinField::kUnknown;
}

}  // namespace loghunt
