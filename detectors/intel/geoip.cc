#include "detectors/intel/geoip.h"

#include <maxminddb.h>

#include <cstdio>

#include "detectors/intel/indicator_store.h"
#include "detectors/ioc/ioc_types.h"

namespace loghunt {

namespace {

bool OpenOne(const std::string& path, MMDB_s** out, std::string* error) {
  if (path.empty()) return true;
  auto* db = new MMDB_s;
  int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, db);
  if (status != MMDB_SUCCESS) {
    *error = path + ": " + MMDB_strerror(status);
    delete db;
    return false;
  }
  *out = db;
  return true;
}

std::string String(MMDB_entry_s* entry, const char* const* path) {
  MMDB_entry_data_s d;
  if (MMDB_aget_value(entry, &d, path) != MMDB_SUCCESS || !d.has_data ||
      d.type != MMDB_DATA_TYPE_UTF8_STRING) {
    return "";
  }
  return std::string(d.utf8_string, d.data_size);
}

std::optional<double> Double(MMDB_entry_s* entry, const char* const* path) {
  MMDB_entry_data_s d;
  if (MMDB_aget_value(entry, &d, path) != MMDB_SUCCESS || !d.has_data) return std::nullopt;
  if (d.type == MMDB_DATA_TYPE_DOUBLE) return d.double_value;
  if (d.type == MMDB_DATA_TYPE_FLOAT) return d.float_value;
  return std::nullopt;
}

bool Find(MMDB_s* db, const std::string& ip, MMDB_entry_s* entry) {
  if (db == nullptr) return false;
  int gai = 0, err = 0;
  MMDB_lookup_result_s r = MMDB_lookup_string(db, ip.c_str(), &gai, &err);
  if (gai != 0 || err != MMDB_SUCCESS || !r.found_entry) return false;
  *entry = r.entry;
  return true;
}

std::string FormatDouble(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4f", v);
  return buf;
}

}  // namespace

std::shared_ptr<const GeoIpDatabases> GeoIpDatabases::Open(const std::string& city_path,
                                                           const std::string& asn_path,
                                                           std::string* error) {
  std::shared_ptr<GeoIpDatabases> db(new GeoIpDatabases);
  if (!OpenOne(city_path, &db->city_, error) || !OpenOne(asn_path, &db->asn_, error))
    return nullptr;
  return db;
}

GeoIpDatabases::~GeoIpDatabases() {
  for (MMDB_s* db : {city_, asn_}) {
    if (db != nullptr) {
      MMDB_close(db);
      delete db;
    }
  }
}

GeoInfo GeoIpDatabases::Lookup(const std::string& ip) const {
  GeoInfo g;
  MMDB_entry_s e;
  if (Find(city_, ip, &e)) {
    static const char* const kCode[] = {"country", "iso_code", nullptr};
    static const char* const kCountry[] = {"country", "names", "en", nullptr};
    static const char* const kCity[] = {"city", "names", "en", nullptr};
    static const char* const kLat[] = {"location", "latitude", nullptr};
    static const char* const kLon[] = {"location", "longitude", nullptr};
    g.country_code = String(&e, kCode);
    g.country_name = String(&e, kCountry);
    g.city = String(&e, kCity);
    g.latitude = Double(&e, kLat);
    g.longitude = Double(&e, kLon);
  }
  if (Find(asn_, ip, &e)) {
    static const char* const kAsn[] = {"autonomous_system_number", nullptr};
    static const char* const kOrg[] = {"autonomous_system_organization", nullptr};
    MMDB_entry_data_s d;
    if (MMDB_aget_value(&e, &d, kAsn) == MMDB_SUCCESS && d.has_data &&
        d.type == MMDB_DATA_TYPE_UINT32) {
      g.asn = d.uint32;
    }
    g.as_org = String(&e, kOrg);
  }
  return g;
}

void GeoIpEnricher::Enrich(Entity* entity) const {
  if (db_ == nullptr || entity->type != "IpAddress") return;
  std::string address;
  for (const auto& [k, v] : entity->properties) {
    if (k == "Address") address = v;
    if (k == "CountryCode" || k == "Asn") return;  // done already
  }
  auto bytes = ParseIpBytes(address);
  if (!bytes) return;
  const bool v4 = address.find(':') == std::string::npos;
  IpClass cls = v4 ? ClassifyIpv4(bytes->data() + 12) : ClassifyIpv6(bytes->data());
  if (cls != IpClass::kPublic) return;
  GeoInfo g = db_->Lookup(address);
  auto add = [&](const char* key, const std::string& value) {
    if (!value.empty()) entity->properties.emplace_back(key, value);
  };
  add("CountryCode", g.country_code);
  add("CountryName", g.country_name);
  add("City", g.city);
  if (g.latitude) add("Latitude", FormatDouble(*g.latitude));
  if (g.longitude) add("Longitude", FormatDouble(*g.longitude));
  if (g.asn) add("Asn", std::to_string(*g.asn));
  add("AsOrg", g.as_org);
}

void GeoIpEnricher::Inspect(const Event& event, std::vector<Alert>& alerts) {
  for (Alert& alert : alerts) {
    if (alert.position.offset != event.position.offset ||
        alert.position.topic != event.position.topic) {
      continue;
    }
    for (Entity& e : alert.entities) Enrich(&e);
  }
}

}  // namespace loghunt
