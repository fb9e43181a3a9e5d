// GeoIP and ASN for alerts: libmaxminddb lookups over GeoLite2/GeoIP2 City
// (or Country) and ASN databases given in config (none is shipped).
//
// GeoIpDatabases opens the files once (mmap) and is then immutable and
// shared read-only by any number of threads (libmaxminddb lookups on an
// opened MMDB_s are thread-safe). GeoIpEnricher is a Detector that raises
// nothing: for the alerts the detectors before it raised on the same event,
// it adds to every IpAddress entity whose address is public: CountryCode,
// CountryName, City, Latitude, Longitude (City database) and Asn, AsOrg
// (ASN database). Private, loopback, ... addresses are left alone.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "detectors/detector.h"

struct MMDB_s;

namespace loghunt {

struct GeoInfo {
  std::string country_code, country_name, city;
  std::optional<double> latitude, longitude;
  std::optional<uint32_t> asn;
  std::string as_org;
  bool empty() const {
    return country_code.empty() && city.empty() && !latitude && !asn && as_org.empty();
  }
};

class GeoIpDatabases {
 public:
  // Opens either or both ("" = none). Returns nullptr and sets `error`
  // ("PATH: reason") when a given file cannot be opened as a MaxMind DB.
  static std::shared_ptr<const GeoIpDatabases> Open(const std::string& city_path,
                                                    const std::string& asn_path,
                                                    std::string* error);
  ~GeoIpDatabases();
  GeoIpDatabases(const GeoIpDatabases&) = delete;
  GeoIpDatabases& operator=(const GeoIpDatabases&) = delete;

  // What the databases know of `ip` (an IPv4/IPv6 literal); empty when
  // nothing or when `ip` is not an address.
  GeoInfo Lookup(const std::string& ip) const;

 private:
  GeoIpDatabases() = default;
  MMDB_s* city_ = nullptr;
  MMDB_s* asn_ = nullptr;
};

class GeoIpEnricher : public Detector {
 public:
  explicit GeoIpEnricher(std::shared_ptr<const GeoIpDatabases> db) : db_(std::move(db)) {}
  std::string_view name() const override { return "geoip"; }
  void Inspect(const Event& event, std::vector<Alert>& alerts) override;
  // Adds the location properties to one IpAddress entity (public addresses only).
  void Enrich(Entity* ip_entity) const;

 private:
  std::shared_ptr<const GeoIpDatabases> db_;
};

}  // namespace loghunt
