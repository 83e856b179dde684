// ZoneSet::find_zone: the zone of a name is the one whose origin is its longest suffix, whether the set is
// small enough to be scanned or large enough to be hashed, and in copies and moves of the set.
#include "model/zone_set.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "dns/name.hpp"
#include "dns/zone_builder.hpp"

namespace fedns::model {
namespace {

std::string wire(const std::string& text) {
  return dns::name_from_text(text).value();
}

ZoneSet zones_with(const std::vector<std::string>& origins) {
  std::vector<dns::ZoneSource> sources;
  for (const auto& origin : origins) {
    dns::ZoneSource zone;
    zone.origin = origin;
    zone.soa = dns::SoaFields{.mname = "ns1." + origin, .rname = "admin." + origin, .serial = 1};
    zone.name_servers = {{"ns1." + origin, {"192.0.2.53"}}};
    sources.push_back(zone);
  }
  auto set = dns::build_zone_set(sources);
  EXPECT_TRUE(set.ok()) << set.error().message;
  return std::move(set.value());
}

std::string origin_of(const ZoneSet& set, const std::string& name) {
  const ServedZone* zone = set.find_zone(wire(name));
  return zone == nullptr ? "-" : dns::name_to_text(zone->base->origin);
}

void expect_longest_suffix(const ZoneSet& set) {
  EXPECT_EQ(origin_of(set, "example."), "example.");
  EXPECT_EQ(origin_of(set, "www.example."), "example.");
  EXPECT_EQ(origin_of(set, "sub.example."), "sub.example.");
  EXPECT_EQ(origin_of(set, "x.y.sub.example."), "sub.example.");
  EXPECT_EQ(origin_of(set, "a.sub.example."), "a.sub.example.");
  EXPECT_EQ(origin_of(set, "www.a.sub.example."), "a.sub.example.");
  EXPECT_EQ(origin_of(set, "example.org."), "-");
  EXPECT_EQ(origin_of(set, "sample."), "-");  // same length as "example.", another name
  EXPECT_EQ(origin_of(set, "."), "-");
}

TEST(ZoneSet, FindsTheLongestSuffixAmongFewZones) {
  auto set = std::make_optional(zones_with({"example.", "sub.example.", "a.sub.example."}));
  expect_longest_suffix(*set);
  const ZoneSet copy = *set;
  set.reset();  // the copy's index must point into its own zones (ASan would see it read freed ones)
  expect_longest_suffix(copy);
  ZoneSet moved = zones_with({"example.", "sub.example.", "a.sub.example."});
  const ZoneSet target = std::move(moved);
  expect_longest_suffix(target);
}

TEST(ZoneSet, FindsTheLongestSuffixAmongManyZones) {
  std::vector<std::string> origins = {"a.sub.example.", "example.", "sub.example."};
  for (int i = 0; i < 20; ++i)
    origins.push_back("zone" + std::to_string(i) + ".test.");
  auto set = std::make_optional(zones_with(origins));
  expect_longest_suffix(*set);
  EXPECT_EQ(origin_of(*set, "www.zone7.test."), "zone7.test.");
  EXPECT_EQ(origin_of(*set, "zone20.test."), "-");
  const ZoneSet copy = *set;
  set.reset();
  expect_longest_suffix(copy);
}

// Generated names differ in a few octets (a number, a namespace): their shards must still be spread as a
// random choice would spread them. 65,536 names over 65,536 shards: a random choice leaves ~36.8% of shards
// empty (e^-1) and puts at most ~8 names in any one.
TEST(GeneratedNames, ShardsOfSimilarNamesAreSpreadEvenly) {
  std::vector<int> per_shard(GeneratedNames::kShards, 0);
  for (int i = 0; i < 65536; ++i) {
    const std::string name =
        "svc" + std::to_string(i % 4096) + ".ns" + std::to_string(i / 4096) + ".svc.clusterset.local.";
    const std::size_t shard = GeneratedNames::shard_of(wire(name));
    ASSERT_LT(shard, GeneratedNames::kShards);
    ++per_shard[shard];
  }
  const auto empty = std::count(per_shard.begin(), per_shard.end(), 0);
  EXPECT_GT(empty, 65536 * 0.35);
  EXPECT_LT(empty, 65536 * 0.385);
  EXPECT_LE(*std::max_element(per_shard.begin(), per_shard.end()), 10);
  // The same name, folded the same way, always lands in the same shard.
  EXPECT_EQ(GeneratedNames::shard_of(wire("web.shop.svc.clusterset.local.")),
            GeneratedNames::shard_of(wire("web.shop.svc.clusterset.local.")));
}

}  // namespace
}  // namespace fedns::model
