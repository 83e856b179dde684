// The geo config: its structure is checked with the rest of the config, the networks and databases when the
// snapshot is built (check-config and reloads report both; a reload with either wrong keeps the old config).
#include <gtest/gtest.h>

#include "app/config.hpp"
#include "app/snapshot_factory.hpp"

namespace fedns::app {
namespace {

const std::string kZones =
    "zones:\n  - origin: clusterset.local.\n    soa: {serial: 1}\n    ns: [ns1.clusterset.local.]\n";

TEST(ConfigGeo, StructureErrorsAreNamed) {
  const auto config =
      parse_config(kZones +
                       "geo:\n"
                       "  locations: [{cidr: 10.0.0.0/8}, {region: eu}, {cidr: 10.1.0.0/16, region: eu, "
                       "planet: earth}]\n"
                       "  geoip: /not/a/list.mmdb\n",
                   "test.yaml");
  ASSERT_FALSE(config);
  for (const char* expected : {"geo.locations[0].region is required", "geo.locations[1].cidr is required",
                               "unknown key \"planet\" in geo.locations[2]", "geo.geoip must be a list"}) {
    EXPECT_NE(config.error().message.find(expected), std::string::npos) << expected << "\n"
                                                                        << config.error().message;
  }
}

TEST(ConfigGeo, BadNetworksAndMissingDatabasesFailTheSnapshotNamingThem) {
  auto config = parse_config(kZones + "geo:\n  locations: [{cidr: 10.1.2.3/8, region: eu}]\n", "test.yaml");
  ASSERT_TRUE(config) << config.error().message;
  auto built = build_snapshot(*config);
  ASSERT_FALSE(built);
  EXPECT_NE(
      built.error().message.find("geo: locations[0]: \"10.1.2.3/8\" has bits set past its prefix length"),
      std::string::npos)
      << built.error().message;

  config = parse_config(kZones + "geo:\n  geoip: [/nonexistent/city.mmdb]\n", "test.yaml");
  ASSERT_TRUE(config) << config.error().message;
  built = build_snapshot(*config);
  ASSERT_FALSE(built);
  EXPECT_NE(built.error().message.find("/nonexistent/city.mmdb"), std::string::npos) << built.error().message;

  config =
      parse_config(kZones + "geo:\n  locations: [{cidr: 10.0.0.0/8, region: eu, zone: eu-1}]\n", "test.yaml");
  ASSERT_TRUE(config) << config.error().message;
  built = build_snapshot(*config);
  ASSERT_TRUE(built) << built.error().message;
  ASSERT_NE(built.value()->locator, nullptr);
  EXPECT_EQ(built.value()->locator->name(
                built.value()->locator->locate(*dns::ClientAddress::parse("10.9.9.9")).location.zone),
            "eu-1");
}

}  // namespace
}  // namespace fedns::app
