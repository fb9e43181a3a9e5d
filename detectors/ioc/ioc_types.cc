#include "detectors/ioc/ioc_types.h"

#include <cstring>

namespace loghunt {
namespace {

constexpr std::string_view kTypeNames[kIocTypeCount] = {
    "ipv4", "ipv6",   "dns",    "url",          "email",     "md5",
    "sha1", "sha256", "sha512", "windows_path", "linux_path"};
constexpr std::string_view kClassNames[kIpClassCount] = {
    "", "public", "private", "loopback", "link_local", "multicast", "reserved"};

}  // namespace

std::string_view IocTypeName(IocType type) { return kTypeNames[static_cast<int>(type)]; }

std::optional<IocType> ParseIocType(std::string_view name) {
  for (int i = 0; i < kIocTypeCount; ++i) {
    if (kTypeNames[i] == name) return static_cast<IocType>(i);
  }
  return std::nullopt;
}

int IocPriority(IocType type) {
  switch (type) {
    case IocType::kIpv4:
    case IocType::kIpv6:
    case IocType::kUrl:
      return 0;
    case IocType::kEmail:
    case IocType::kMd5:
    case IocType::kSha1:
    case IocType::kSha256:
    case IocType::kSha512:
      return 1;
    case IocType::kDns:
      return 2;
    case IocType::kWindowsPath:
      return 3;
    case IocType::kLinuxPath:
      return 4;
  }
  return 5;
}

std::string_view IpClassName(IpClass ip_class) { return kClassNames[static_cast<int>(ip_class)]; }

std::optional<IpClass> ParseIpClass(std::string_view name) {
  for (int i = 1; i < kIpClassCount; ++i) {
    if (kClassNames[i] == name) return static_cast<IpClass>(i);
  }
  return std::nullopt;
}

IpClass ClassifyIpv4(const uint8_t b[4]) {
  if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168)) {
    return IpClass::kPrivate;
  }
  if (b[0] == 127) return IpClass::kLoopback;
  if (b[0] == 169 && b[1] == 254) return IpClass::kLinkLocal;
  if ((b[0] & 0xf0) == 224) return IpClass::kMulticast;
  // RFC 6890 special-purpose blocks that are neither private nor routable.
  if (b[0] == 0 || b[0] >= 240 || (b[0] == 100 && (b[1] & 0xc0) == 64) ||
      (b[0] == 192 && b[1] == 0 && (b[2] == 0 || b[2] == 2)) ||
      (b[0] == 198 && (b[1] & 0xfe) == 18) || (b[0] == 198 && b[1] == 51 && b[2] == 100) ||
      (b[0] == 203 && b[1] == 0 && b[2] == 113)) {
    return IpClass::kReserved;
  }
  return IpClass::kPublic;
}

IpClass ClassifyIpv6(const uint8_t b[16]) {
  static const uint8_t kZero[16] = {};
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(b, kZero, 15) == 0) return b[15] == 1 ? IpClass::kLoopback : IpClass::kReserved;
  if (std::memcmp(b, kMapped, 12) == 0) return ClassifyIpv4(b + 12);
  // NAT64 (RFC 6052 64:ff9b::/96): the IPv4 host it stands for; the
  // local-use prefix 64:ff9b:1::/48 (RFC 8215) is not global.
  static const uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(b, kNat64, 12) == 0) return ClassifyIpv4(b + 12);
  if (std::memcmp(b, kNat64, 4) == 0 && b[4] == 0 && b[5] == 1) return IpClass::kPrivate;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return IpClass::kLinkLocal;
  if ((b[0] & 0xfe) == 0xfc) return IpClass::kPrivate;
  if (b[0] == 0xff) return IpClass::kMulticast;
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return IpClass::kReserved;
  if (b[0] == 0 || (b[0] == 0x01 && b[1] == 0)) return IpClass::kReserved;  // ::/8, 100::/64
  return IpClass::kPublic;
}

}  // namespace loghunt
