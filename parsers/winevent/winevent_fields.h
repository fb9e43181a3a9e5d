// WinField: the Windows event field names the normalizer gives a meaning to.
//
// Every shipper (NXLog/flat, Winlogbeat `winlog.event_data`, Sentinel
// SecurityEvent, evtx_dump `Event.EventData`) uses the names Windows itself
// gives its event data, so one table serves all shapes. LookupWinField() maps a
// key to its WinField in O(1) (one hash, one compare); unknown keys give
// kUnknown and are only kept as extras.
//
// Envelope fields (event id, channel, host, time, message) fill Event slots and
// are not kept as extras; data fields fill slots and are also kept as extras
// under their original name, so rule engines can address them by that name.
//
// Thread-safety: the lookup table is immutable after static initialization.
#pragma once

#include <cstdint>
#include <string_view>

namespace loghunt {

enum class WinField : uint8_t {
  kUnknown,
  // Envelope (flat top level and evtx System): never kept as extras.
  kEventId,
  kChannel,
  kHostname,
  kComputer,
  kAtTimestamp,    // @timestamp
  kTimeGenerated,  // Sentinel
  kTimeCreated,
  kEventTime,     // NXLog, local time without zone
  kMessage,       // NXLog "Message", Winlogbeat "message"
  kProviderName,  // NXLog "SourceName", "ProviderName", Sentinel "EventSourceName"
  kFirstData,     // marker: the data fields follow
  // Data fields: kept as extras, and used by the normalizer.
  kImage = kFirstData,
  kNewProcessName,
  kProcessName,
  kCommandLine,
  kParentImage,
  kParentProcessName,
  kParentCommandLine,
  kUser,
  kAccount,  // Sentinel "DOMAIN\user"
  kSubjectUserName,
  kSubjectDomainName,
  kSubjectLogonId,
  kTargetUserName,
  kTargetDomainName,
  kTargetLogonId,
  kLogonId,
  kProcessId,
  kNewProcessId,
  kParentProcessId,
  kIntegrityLevel,
  kMandatoryLabel,
  kHashes,
  kCurrentDirectory,
  kLogonType,
  kIpAddress,
  kIpPort,
  kWorkstationName,
  kSourceIp,
  kSourcePort,
  kDestinationIp,
  kDestinationPort,
  kProtocol,
  kQueryName,
  kServiceName,
  kImagePath,
  kServiceFileName,
  kMemberName,
  kMemberSid,
  kUtcTime,
  kCount,
};

constexpr int kWinFieldCount = static_cast<int>(WinField::kCount);
constexpr int kWinDataFieldCount = kWinFieldCount - static_cast<int>(WinField::kFirstData);
static_assert(kWinDataFieldCount <= 64, "data fields are tracked in a 64-bit mask");

inline bool IsEnvelope(WinField f) {
  return f != WinField::kUnknown && static_cast<int>(f) < static_cast<int>(WinField::kFirstData);
}

// Returns the field `key` names (exact, case-sensitive match), or kUnknown.
WinField LookupWinField(std::string_view key);

}  // namespace loghunt
