// GeoIP/ASN enrichment over MaxMind DB files written by the test (a minimal
// MMDB v2 writer: IPv4 search tree, 24-bit records, the data types the City
// and ASN layouts use), so the expected values are those the test put in the
// database, read back through libmaxminddb. The addresses are attacker IPs
// of the Loghub OpenSSH sample, picked by the test.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <variant>

#include "detectors/intel/geoip.h"
#include "tests/parsers/syslog_test_util.h"

namespace loghunt {
namespace {

// MMDB data values: string, double, uint32, map (ordered pairs).
struct Value;
// A struct, not std::pair: the pair of an incomplete Value does not compile
// with clang and libstdc++; a vector of an incomplete struct does.
struct Entry;
using Map = std::vector<Entry>;
struct Value {
  std::variant<std::string, double, uint32_t, uint16_t, uint64_t, Map, std::vector<Value>> v;
};
struct Entry {
  std::string key;
  Value value;
};

void Encode(const Value& value, std::string* out) {
  // Sizes 29..284 take one extra byte (all these tests need).
  auto ctrl = [&](int type, size_t size) {
    const int field = size < 29 ? static_cast<int>(size) : 29;
    if (type <= 7) {
      out->push_back(static_cast<char>((type << 5) | field));
    } else {
      out->push_back(static_cast<char>(field));
      out->push_back(static_cast<char>(type - 7));
    }
    if (size >= 29) out->push_back(static_cast<char>(size - 29));
  };
  auto uint = [&](int type, uint64_t x, size_t max_bytes) {
    size_t n = 0;
    while (n < max_bytes && (x >> (8 * n)) != 0) ++n;
    ctrl(type, n);
    for (size_t i = n; i-- > 0;) out->push_back(static_cast<char>((x >> (8 * i)) & 0xFF));
  };
  if (auto* s = std::get_if<std::string>(&value.v)) {
    ctrl(2, s->size());
    *out += *s;
  } else if (auto* d = std::get_if<double>(&value.v)) {
    ctrl(3, 8);
    uint64_t bits;
    std::memcpy(&bits, d, 8);
    for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
  } else if (auto* u = std::get_if<uint32_t>(&value.v)) {
    uint(6, *u, 4);
  } else if (auto* u16 = std::get_if<uint16_t>(&value.v)) {
    uint(5, *u16, 2);
  } else if (auto* u64 = std::get_if<uint64_t>(&value.v)) {
    uint(9, *u64, 8);
  } else if (auto* a = std::get_if<std::vector<Value>>(&value.v)) {
    ctrl(11, a->size());
    for (const Value& item : *a) Encode(item, out);
  } else {
    const Map& m = std::get<Map>(value.v);
    ctrl(7, m.size());
    for (const Entry& e : m) {
      Encode(Value{e.key}, out);
      Encode(e.value, out);
    }
  }
}

// Writes an IPv4 MMDB mapping each "a.b.c.d/len" to its record.
void WriteMmdb(const std::string& path, const std::string& type,
               const std::vector<std::pair<std::string, Value>>& networks) {
  std::string data;
  std::vector<uint32_t> offsets;
  for (const auto& n : networks) {
    offsets.push_back(static_cast<uint32_t>(data.size()));
    Encode(n.second, &data);
  }
  // Trie: node i has two children; -1 empty, -2 - k = record k.
  std::vector<std::array<int64_t, 2>> nodes{{-1, -1}};
  for (size_t k = 0; k < networks.size(); ++k) {
    const std::string& cidr = networks[k].first;
    size_t slash = cidr.find('/');
    unsigned a, b, c, d;
    ASSERT_EQ(std::sscanf(cidr.substr(0, slash).c_str(), "%u.%u.%u.%u", &a, &b, &c, &d), 4);
    uint32_t ip = a << 24 | b << 16 | c << 8 | d;
    int len = std::stoi(cidr.substr(slash + 1));
    size_t node = 0;
    for (int bit = 0; bit < len; ++bit) {
      int side = (ip >> (31 - bit)) & 1;
      if (bit == len - 1) {
        nodes[node][static_cast<size_t>(side)] = -2 - static_cast<int64_t>(k);
      } else {
        if (nodes[node][static_cast<size_t>(side)] < 0) {
          nodes[node][static_cast<size_t>(side)] = static_cast<int64_t>(nodes.size());
          nodes.push_back({-1, -1});
        }
        node = static_cast<size_t>(nodes[node][static_cast<size_t>(side)]);
      }
    }
  }
  const uint32_t count = static_cast<uint32_t>(nodes.size());
  std::string out;
  for (const auto& n : nodes) {
    for (int64_t r : n) {
      uint32_t v = r == -1  ? count
                   : r >= 0 ? static_cast<uint32_t>(r)
                            : count + 16 + offsets[static_cast<size_t>(-2 - r)];
      out.push_back(static_cast<char>((v >> 16) & 0xFF));
      out.push_back(static_cast<char>((v >> 8) & 0xFF));
      out.push_back(static_cast<char>(v & 0xFF));
    }
  }
  out += std::string(16, '\0');
  out += data;
  out += "\xAB\xCD\xEFMaxMind.com";
  Map meta{{"binary_format_major_version", Value{uint16_t{2}}},
           {"binary_format_minor_version", Value{uint16_t{0}}},
           {"build_epoch", Value{uint64_t{1700000000}}},
           {"database_type", Value{type}},
           {"description", Value{Map{{"en", Value{std::string("loghunt test")}}}}},
           {"languages", Value{std::vector<Value>{Value{std::string("en")}}}},
           {"ip_version", Value{uint16_t{4}}},
           {"node_count", Value{count}},
           {"record_size", Value{uint16_t{24}}}};
  Encode(Value{meta}, &out);
  std::ofstream(path, std::ios::binary) << out;
}

Value City(const std::string& code, const std::string& country, const std::string& city, double lat,
           double lon) {
  return Value{Map{{"city", Value{Map{{"names", Value{Map{{"en", Value{city}}}}}}}},
                   {"country", Value{Map{{"iso_code", Value{code}},
                                         {"names", Value{Map{{"en", Value{country}}}}}}}},
                   {"location", Value{Map{{"latitude", Value{lat}}, {"longitude", Value{lon}}}}}}};
}

std::string Prop(const Entity& e, const std::string& key) {
  for (const auto& [k, v] : e.properties) {
    if (k == key) return v;
  }
  return "";
}

TEST(GeoIp, PublicAttackerIpsGetCountryCityAndAsnPrivateOnesNothing) {
  // Two attacker IPs of the OpenSSH sample.
  std::vector<std::string> ips;
  for (const auto& l : testing::ReadLines("syslog/loghub/OpenSSH/OpenSSH_2k.log")) {
    size_t p = l.find("Failed password for root from ");
    if (p == std::string::npos) continue;
    std::string ip = l.substr(p + 30, l.find(' ', p + 30) - p - 30);
    if (std::find(ips.begin(), ips.end(), ip) == ips.end()) ips.push_back(ip);
    if (ips.size() == 2) break;
  }
  ASSERT_EQ(ips.size(), 2u);
  auto slash24 = [](const std::string& ip) { return ip.substr(0, ip.rfind('.')) + ".0/24"; };
  auto dir = std::filesystem::temp_directory_path() / ("geoip_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string city = (dir / "city.mmdb").string(), asn = (dir / "asn.mmdb").string();
  WriteMmdb(city, "GeoLite2-City",
            {{slash24(ips[0]), City("CN", "China", "Guangzhou", 23.1167, 113.25)},
             {"10.0.0.0/8", City("ZZ", "Nowhere", "Private", 0, 0)}});
  WriteMmdb(asn, "GeoLite2-ASN",
            {{ips[0] + "/32",
              Value{Map{{"autonomous_system_number", Value{uint32_t{4134}}},
                        {"autonomous_system_organization", Value{std::string("Chinanet")}}}}}});
  std::string error;
  auto db = GeoIpDatabases::Open(city, asn, &error);
  ASSERT_NE(db, nullptr) << error;

  GeoInfo g = db->Lookup(ips[0]);
  EXPECT_EQ(g.country_code, "CN");
  EXPECT_EQ(g.country_name, "China");
  EXPECT_EQ(g.city, "Guangzhou");
  ASSERT_TRUE(g.latitude && g.longitude);
  EXPECT_DOUBLE_EQ(*g.latitude, 23.1167);
  EXPECT_DOUBLE_EQ(*g.longitude, 113.25);
  ASSERT_TRUE(g.asn.has_value());
  EXPECT_EQ(*g.asn, 4134u);
  EXPECT_EQ(g.as_org, "Chinanet");
  EXPECT_TRUE(db->Lookup(ips[1]).empty() || slash24(ips[1]) == slash24(ips[0]));

  GeoIpEnricher enricher(db);
  Entity pub{"IpAddress", {{"Address", ips[0]}}};
  enricher.Enrich(&pub);
  EXPECT_EQ(Prop(pub, "CountryCode"), "CN");
  EXPECT_EQ(Prop(pub, "City"), "Guangzhou");
  EXPECT_EQ(Prop(pub, "Latitude"), "23.1167");
  EXPECT_EQ(Prop(pub, "Asn"), "4134");
  EXPECT_EQ(Prop(pub, "AsOrg"), "Chinanet");
  Entity priv{"IpAddress", {{"Address", "10.1.2.3"}}};  // in the database, but private
  enricher.Enrich(&priv);
  EXPECT_EQ(priv.properties.size(), 1u);

  EXPECT_EQ(GeoIpDatabases::Open((dir / "missing.mmdb").string(), "", &error), nullptr);
  EXPECT_NE(error.find("missing.mmdb"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace loghunt
