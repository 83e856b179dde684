// Zone building: records parsed by ldns, zone rules from RFC 1034 / 2181 / 2308 enforced with located errors.
#include "dns/zone_builder.hpp"

#include <gtest/gtest.h>

#include "dns/name.hpp"
#include "dns/protocol.hpp"

namespace fedns::dns {
namespace {

ZoneSource example_zone(std::string records) {
  ZoneSource z;
  z.origin = "example.";
  z.default_ttl = 300;
  z.soa = SoaFields{.serial = 42, .minimum = 60, .ttl = 3600};
  z.name_servers = {{"ns1.example.", {"192.0.2.53", "2001:db8::53"}}};
  z.records = std::move(records);
  z.records_location = "test.yaml";
  z.records_first_line = 10;
  return z;
}

const model::Node* node(const model::Zone& zone, const std::string& text) {
  return zone.find(*name_from_text(text));
}

TEST(ZoneBuilder, BuildsNodesSetsAndEmptyNonTerminals) {
  auto zone = build_zone(example_zone("www IN A 192.0.2.1\nwww IN A 192.0.2.2\na.b.c 60 IN TXT \"hi\"\n"));
  ASSERT_TRUE(zone.ok()) << zone.error().message;
  const auto* www = node(*zone, "www.example.");
  ASSERT_NE(www, nullptr);
  ASSERT_NE(www->find(type::kA), nullptr);
  EXPECT_EQ(www->find(type::kA)->rdatas.size(), 2u);
  EXPECT_EQ(www->find(type::kA)->ttl, 300u);
  // b.c.example. and c.example. exist with no data (RFC 4592 2.2.2).
  ASSERT_NE(node(*zone, "b.c.example."), nullptr);
  EXPECT_TRUE(node(*zone, "c.example.")->rrsets.empty());
  EXPECT_EQ(zone->negative_ttl, 60u);  // min(3600, 60), RFC 2308 5
}

TEST(ZoneBuilder, ApexHasSoaNsAndGlueWithAdditionalLinks) {
  auto zone = build_zone(example_zone(""));
  ASSERT_TRUE(zone.ok()) << zone.error().message;
  const auto& apex = zone->apex_node();
  ASSERT_NE(apex.find(type::kSOA), nullptr);
  ASSERT_NE(apex.find(type::kNS), nullptr);
  ASSERT_EQ(apex.find(type::kNS)->additional_nodes.size(), 1u);
  EXPECT_NE(node(*zone, "ns1.example.")->find(type::kAAAA), nullptr);
}

TEST(ZoneBuilder, DelegationAndWildcardAreIndexed) {
  auto zone = build_zone(example_zone("sub IN NS ns.sub\nns.sub IN A 192.0.2.9\n*.w IN A 192.0.2.7\n"));
  ASSERT_TRUE(zone.ok()) << zone.error().message;
  EXPECT_TRUE(zone->has_delegations);
  EXPECT_TRUE(node(*zone, "sub.example.")->delegation);
  EXPECT_NE(node(*zone, "w.example.")->wildcard_child, model::kNoNode);
}

TEST(ZoneBuilder, DuplicateRecordsCollapse) {  // RFC 2181 5
  auto zone = build_zone(example_zone("x IN A 192.0.2.1\nx IN A 192.0.2.1\n"));
  ASSERT_TRUE(zone.ok());
  EXPECT_EQ(node(*zone, "x.example.")->find(type::kA)->rdatas.size(), 1u);
}

TEST(ZoneBuilder, ReportsEveryErrorWithItsLine) {
  auto zone =
      build_zone(example_zone("ok IN A 192.0.2.1\n"
                              "bad IN A 999.1.1.1\n"
                              "c IN CNAME ok\n"
                              "c IN TXT \"x\"\n"
                              "outside.other. IN A 192.0.2.1\n"
                              "t 10 IN A 192.0.2.1\n"
                              "t 20 IN A 192.0.2.2\n"));
  ASSERT_FALSE(zone.ok());
  const std::string& e = zone.error().message;
  EXPECT_NE(e.find("test.yaml:11"), std::string::npos) << e;  // the bad address, second line
  EXPECT_NE(e.find("CNAME and other data"), std::string::npos) << e;
  EXPECT_NE(e.find("outside the zone"), std::string::npos) << e;
  EXPECT_NE(e.find("differs"), std::string::npos) << e;
}

TEST(ZoneBuilder, RequiresSoaAndNs) {
  ZoneSource z;
  z.origin = "example.";
  z.records = "www IN A 192.0.2.1\n";
  auto zone = build_zone(z);
  ASSERT_FALSE(zone.ok());
  EXPECT_NE(zone.error().message.find("no SOA"), std::string::npos);
}

TEST(ZoneBuilder, RejectsSecondDefinitionOfAZone) {
  auto set = build_zone_set({example_zone(""), example_zone("")});
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.error().message.find("defined twice"), std::string::npos);
}

}  // namespace
}  // namespace fedns::dns
