// A worker's memo of placed clients (dns/location_cache.hpp) must answer exactly as the locator does: for
// every address and prefix length, both families, through collisions and evictions, and for two locators
// sharing one memo (a snapshot's new locator never reads the last one's answers).
#include "dns/location_cache.hpp"

#include <gtest/gtest.h>

#include <random>

#include "allocation_counter.hpp"

namespace fedns::dns {
namespace {

ClientLocator build(const std::vector<ClientLocator::Config::Entry>& table) {
  ClientLocator::Config config;
  config.table = table;
  config.clusters = {{"east", "eu", "eu-1", {"10.244.0.0/16", "fd00:10::/48"}, {}}};
  auto built = ClientLocator::build(config);
  EXPECT_TRUE(built) << built.error().message;
  return std::move(built.value());
}

void expect_same(const Located& memo, const Located& direct, const std::string& what) {
  EXPECT_EQ(memo.source, direct.source) << what;
  EXPECT_EQ(memo.scope, direct.scope) << what;
  EXPECT_EQ(memo.location.region, direct.location.region) << what;
  EXPECT_EQ(memo.location.zone, direct.location.zone) << what;
  EXPECT_EQ(memo.location.cluster, direct.location.cluster) << what;
  EXPECT_EQ(memo.location.has_coordinates, direct.location.has_coordinates) << what;
  EXPECT_EQ(memo.location.latitude, direct.location.latitude) << what;
}

// Random clients in and around the tables' networks, with ECS-style prefixes (bits past the prefix zero).
std::vector<ClientAddress> clients(std::size_t count) {
  std::mt19937_64 random(42);
  std::vector<ClientAddress> out;
  for (std::size_t i = 0; i < count; ++i) {
    ClientAddress a;
    a.v6 = random() % 3 == 0;
    if (a.v6) {
      a.bytes = {0xfd, 0x00, 0x00, static_cast<std::uint8_t>(random() % 32)};
      for (std::size_t b = 4; b < 16; ++b)
        a.bytes[b] = static_cast<std::uint8_t>(random());
    } else {
      a.bytes = {10, static_cast<std::uint8_t>(random() % 8 == 0 ? 244 : random() % 4),
                 static_cast<std::uint8_t>(random()), static_cast<std::uint8_t>(random())};
    }
    const unsigned bits = a.v6 ? 128 : 32;
    a.prefix = static_cast<std::uint8_t>(random() % 2 == 0 ? bits : 8 + random() % (bits - 7));
    for (unsigned bit = a.prefix; bit < bits; ++bit)
      a.bytes[bit / 8] = static_cast<std::uint8_t>(a.bytes[bit / 8] & ~(0x80u >> (bit % 8)));
    out.push_back(a);
  }
  return out;
}

TEST(LocationCache, PlacesEveryClientAsTheLocatorDoes) {
  const ClientLocator locator = build({{"10.1.0.0/16", "eu", "eu-1"},
                                       {"10.1.2.0/24", "eu", "eu-2"},
                                       {"10.2.0.0/16", "us", "us-1"},
                                       {"fd00:1::/32", "eu", "eu-1"},
                                       {"fd00:1:2::/48", "us", "us-1"}});
  LocationCache memo;
  const auto all =
      clients(5 * LocationCache::kEntries);  // more clients than entries: evictions and collisions
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < all.size(); ++i)
      expect_same(memo.locate(locator, all[i]), locator.locate(all[i]), "client " + std::to_string(i));
  }
  // The same bits with another prefix length or family are another client.
  ClientAddress wide = ClientAddress::v4({10, 1, 2, 0}, 16);
  wide.bytes[2] = 0;
  const ClientAddress narrow = ClientAddress::v4({10, 1, 2, 0}, 24);
  EXPECT_EQ(locator.name(memo.locate(locator, narrow).location.zone), "eu-2");
  EXPECT_EQ(locator.name(memo.locate(locator, wide).location.zone), "eu-1");
  EXPECT_EQ(locator.name(memo.locate(locator, narrow).location.zone), "eu-2");
}

TEST(LocationCache, EachLocatorGetsItsOwnAnswersFromOneMemo) {
  const ClientLocator before = build({{"10.1.0.0/16", "eu", "eu-1"}});
  const ClientLocator after = build({{"10.1.0.0/16", "us", "us-1"}});
  ASSERT_NE(before.generation(), after.generation());
  ASSERT_NE(before.generation(), 0u);
  LocationCache memo;
  const ClientAddress client = ClientAddress::v4({10, 1, 7, 0}, 24);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(before.name(memo.locate(before, client).location.region), "eu");
    EXPECT_EQ(after.name(memo.locate(after, client).location.region), "us");
  }
  const ClientLocator copy = after;  // a copy answers alike, so it may share the memo's entries
  EXPECT_EQ(copy.generation(), after.generation());
  EXPECT_EQ(copy.name(memo.locate(copy, client).location.region), "us");
}

TEST(LocationCache, LookingUpAllocatesNothing) {
  const ClientLocator locator = build({{"10.1.0.0/16", "eu", "eu-1"}});
  LocationCache memo;
  const auto all = clients(64);
  EXPECT_EQ(test::allocations_after_warmup([&] {
              for (const auto& client : all)
                (void)memo.locate(locator, client);
            }),
            0);
}

}  // namespace
}  // namespace fedns::dns
