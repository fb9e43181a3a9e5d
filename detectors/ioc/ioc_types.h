// IocType and IpClass: the indicator kinds the extractor reports and the
// address classes an IP observable is put in (so config can drop, e.g., all
// private addresses). Names are the stable strings used in JSON output,
// config and Observable::type / Observable::ip_class.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace loghunt {

enum class IocType : uint8_t {
  kIpv4,
  kIpv6,
  kDns,
  kUrl,
  kEmail,
  kMd5,
  kSha1,
  kSha256,
  kSha512,
  kWindowsPath,
  kLinuxPath,
};
constexpr int kIocTypeCount = 11;

// "ipv4", "ipv6", "dns", "url", "email", "md5", "sha1", "sha256", "sha512",
// "windows_path", "linux_path".
std::string_view IocTypeName(IocType type);
std::optional<IocType> ParseIocType(std::string_view name);

// msticpy's priority (0 = strongest) used when one exact text is found as
// several types (msticpy.md §1.3-1.4).
int IocPriority(IocType type);

enum class IpClass : uint8_t {
  kNone,
  kPublic,
  kPrivate,
  kLoopback,
  kLinkLocal,
  kMulticast,
  kReserved
};
constexpr int kIpClassCount = 7;

// "" for kNone, else "public", "private", "loopback", "link_local",
// "multicast", "reserved".
std::string_view IpClassName(IpClass ip_class);
std::optional<IpClass> ParseIpClass(std::string_view name);

// Classify a validated address. `bytes` are the 4 or 16 network-order bytes.
IpClass ClassifyIpv4(const uint8_t bytes[4]);
IpClass ClassifyIpv6(const uint8_t bytes[16]);

}  // namespace loghunt
