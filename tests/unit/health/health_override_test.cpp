// Override matching (the documented precedence) and parsing of the file and the endpoint's JSON.
#include "health/health_override.hpp"

#include <gtest/gtest.h>

#include "common/duration.hpp"

namespace fedns::health {
namespace {

using namespace std::chrono_literals;

HealthOverride make(OverrideSource source, std::string cluster, std::string service, std::string address,
                    bool up) {
  return {"", source, std::move(cluster), std::move(service), std::move(address), up, {}, ""};
}

TEST(OverrideSet, TheMostSpecificOverrideWinsThenTheEndpointsThenDown) {
  const auto file = OverrideSource::kFile;
  const auto api = OverrideSource::kApi;
  const OverrideSet set({
      make(file, "east", "", "", false),                 // cluster east down
      make(file, "", "shop/web", "", true),              // web up everywhere
      make(file, "west", "shop/web", "", false),         // web down in west
      make(file, "west", "", "10.0.0.1", true),          // one address up in west
      make(file, "west", "shop/web", "10.0.0.2", true),  // one endpoint of web up
      make(api, "west", "shop/web", "10.0.0.2", false),  // ... and the endpoint says down: api wins
      make(file, "north", "shop/db", "", true),          // equal specificity, same source:
      make(file, "north", "shop/db", "", false),         // down wins
  });
  EXPECT_EQ(set.for_cluster("east"), false);
  EXPECT_EQ(set.for_cluster("west"), std::nullopt) << "service and address overrides are not cluster ones";
  EXPECT_EQ(set.for_target("east", "shop/web", "10.9.9.9"), true) << "a service override beats the cluster's";
  EXPECT_EQ(set.for_target("east", "shop/api", "10.9.9.9"), std::nullopt)
      << "the cluster's own health decides";
  EXPECT_EQ(set.for_target("west", "shop/web", "10.9.9.9"), false) << "service in a cluster beats service";
  EXPECT_EQ(set.for_target("west", "shop/web", "10.0.0.1"), true) << "an address beats a service";
  EXPECT_EQ(set.for_target("west", "shop/api", "10.0.0.1"), true) << "an address without service: any";
  EXPECT_EQ(set.for_target("west", "shop/web", "10.0.0.2"), false) << "the endpoint's beats the file's";
  EXPECT_EQ(set.for_target("north", "shop/db", "10.0.0.3"), false) << "a tie goes to DOWN";
  EXPECT_EQ(set.named_services(), (std::set<std::string>{"shop/db", "shop/web"}));
}

TEST(OverrideFile, ParsesEntriesWithExpiryAndRejectsTheWholeFileOnAnyError) {
  const auto now = std::chrono::system_clock::from_time_t(1800000000);  // 2027-01-15T08:00:00Z
  auto parsed = parse_override_file(
      "overrides:\n"
      "  - {cluster: east, state: down, reason: maintenance, for: 2h}\n"
      "  - {service: shop/web, cluster: west, address: '::ffff:10.0.0.1', state: UP, until: "
      "2027-01-15T09:30:00Z}\n",
      now);
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].id, "file:0");
  EXPECT_FALSE((*parsed)[0].up);
  EXPECT_EQ((*parsed)[0].expires, now + 2h);
  EXPECT_EQ((*parsed)[0].describe(), "cluster east DOWN until 2027-01-15T10:00:00Z (maintenance)");
  EXPECT_TRUE((*parsed)[1].up);
  EXPECT_EQ((*parsed)[1].expires, now + 90min);
  EXPECT_EQ((*parsed)[1].address, "::ffff:10.0.0.1") << "addresses are kept in canonical form";

  EXPECT_TRUE(parse_override_file("", now)) << "an empty file is no overrides";
  EXPECT_TRUE(parse_override_file("overrides: []\n", now));
  const auto bad = parse_override_file(
      "overrides:\n"
      "  - {cluster: east, state: down}\n"
      "  - {cluster: east, state: sideways}\n"
      "  - {address: 10.0.0.1, state: down}\n"
      "  - {service: web, state: down}\n"
      "  - {cluster: east, state: down, for: 2h, until: 2027-01-15T09:30:00Z}\n"
      "  - {cluster: east, state: down, colour: red}\n"
      "  - {state: down}\n"
      "  - {cluster: east, state: down, for: 3d}\n",
      now);
  ASSERT_FALSE(bad);
  for (const char* expected :
       {"overrides[1] (line 3): state must be up or down",
        "overrides[2] (line 4): an address override needs its cluster",
        "overrides[3] (line 5): service \"web\" must be namespace/name",
        "overrides[4] (line 6): give for or until, not both", "overrides[5] (line 7): unknown key \"colour\"",
        "overrides[6] (line 8): name a cluster, a service or an address",
        "overrides[7] (line 9): for must be a duration"}) {
    EXPECT_NE(bad.error().message.find(expected), std::string::npos) << expected << "\n"
                                                                     << bad.error().message;
  }
  EXPECT_EQ(bad.error().message.find("overrides[0]"), std::string::npos) << bad.error().message;
  EXPECT_FALSE(parse_override_file("overrides: {cluster: east}\n", now));
  EXPECT_FALSE(parse_override_file("overrides: [\n", now));
}

TEST(OverrideJson, TheEndpointsBodyIsAnObjectOfStrings) {
  const auto now = std::chrono::system_clock::from_time_t(1800000000);
  auto o = parse_override_json(R"({"service": "shop/web", "state": "down", "for": "30m"})", now);
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->source, OverrideSource::kApi);
  EXPECT_EQ(o->expires, now + 30min);
  EXPECT_FALSE(parse_override_json("[]", now));
  EXPECT_FALSE(parse_override_json("{", now));
  EXPECT_FALSE(parse_override_json(R"({"cluster": "east", "state": true})", now));
  const auto past =
      parse_override_json(R"({"cluster": "east", "state": "down", "until": "2020-01-01T00:00:00Z"})", now);
  ASSERT_FALSE(past);
  EXPECT_NE(past.error().message.find("in the past"), std::string::npos);
}

TEST(Duration, AcceptsTheDocumentedFormsUpToADay) {
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("10s"), 10s);
  EXPECT_EQ(parse_duration("7"), 7s);
  EXPECT_EQ(parse_duration("2m"), 2min);
  EXPECT_EQ(parse_duration("24h"), 24h);
  for (const char* bad : {"", "s", "-1s", "1.5s", "25h", "1d", "10 s", "99999999999999999999"})
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
}

}  // namespace
}  // namespace fedns::health
