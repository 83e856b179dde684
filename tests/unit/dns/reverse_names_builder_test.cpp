// PTR records for the catalog's addresses, asked through the real query path and read back by ldns.
#include "dns/reverse_names_builder.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "dns/name.hpp"
#include "dns/responder.hpp"
#include "dns/test_packets.hpp"
#include "dns/zone_builder.hpp"

namespace fedns::dns {
namespace {

ZoneSource zone(const std::string& origin) {
  ZoneSource z;
  z.origin = origin;
  z.soa = SoaFields{.serial = 1, .minimum = 5};
  z.name_servers = {{"ns1.clusterset.local.", {}}};
  return z;
}

model::MergedService cluster_ip(const std::string& name, std::vector<std::string> addresses) {
  model::MergedService s;
  s.key = {"shop", name};
  model::ServiceShard shard;
  shard.cluster = "east";
  shard.addresses = std::move(addresses);
  s.shards = {shard};
  return s;
}

class ReverseNamesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    snapshot_.zones =
        build_zone_set({zone("clusterset.local."), zone("10.in-addr.arpa."), zone("ip6.arpa.")}).value();
    std::vector<ReverseNamesBuilder::ZoneInput> zones;
    for (const char* text : {"10.in-addr.arpa.", "ip6.arpa."}) {
      const std::string origin = name_from_text(text).value();
      zones.push_back({origin, snapshot_.zones.mutable_zone(origin)->base});
    }
    builder_.emplace(std::move(zones), name_from_text("clusterset.local.").value(), 5);
  }
  void publish() {
    for (std::size_t i = 0; i < builder_->zone_count(); ++i)
      snapshot_.zones.mutable_zone(builder_->origin(i))->generated = builder_->publish(i);
  }
  std::vector<std::string> ptr(const std::string& name, int* rcode = nullptr) {
    const std::size_t size =
        respond(test::make_query(name, {.qtype = 12}), out_, {Transport::kUdp}, snapshot_, counters_);
    auto packet = test::parse_with_ldns(out_.data(), size);
    if (rcode != nullptr) *rcode = ldns_pkt_get_rcode(packet.get());
    auto lines = test::section_text(ldns_pkt_answer(packet.get()));
    std::sort(lines.begin(), lines.end());
    return lines;
  }

  ServingSnapshot snapshot_;
  std::optional<ReverseNamesBuilder> builder_;
  std::vector<std::string> dropped_;
  WorkerCounters counters_;
  std::vector<std::uint8_t> out_ = std::vector<std::uint8_t>(65535);
};

TEST_F(ReverseNamesTest, AddressesPointBackToTheirNames) {
  const auto web = cluster_ip("web", {"10.96.0.10", "fd00::a", "192.0.2.1"});
  builder_->update(web.key, &web, dropped_);
  model::MergedService db;
  db.key = {"shop", "db"};
  db.kind = model::ServiceKind::kHeadless;
  model::ServiceShard shard;
  shard.cluster = "east";
  shard.kind = model::ServiceKind::kHeadless;
  model::EndpointRecord e;
  e.addresses = {"10.1.0.5"};
  e.hostname = "db-0";
  shard.endpoints = {e};
  db.shards = {shard};
  builder_->update(db.key, &db, dropped_);
  publish();
  EXPECT_EQ(ptr("10.0.96.10.in-addr.arpa."),
            std::vector<std::string>{"10.0.96.10.in-addr.arpa. 5 IN PTR web.shop.svc.clusterset.local."});
  EXPECT_EQ(
      ptr("a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa."),
      std::vector<std::string>{"a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa. 5 "
                               "IN PTR web.shop.svc.clusterset.local."});
  // A headless endpoint's address points at its own name.
  EXPECT_EQ(
      ptr("5.0.1.10.in-addr.arpa."),
      std::vector<std::string>{"5.0.1.10.in-addr.arpa. 5 IN PTR db-0.east.db.shop.svc.clusterset.local."});
  int rcode = 0;
  EXPECT_TRUE(ptr("0.96.10.in-addr.arpa.", &rcode).empty());
  EXPECT_EQ(rcode, LDNS_RCODE_NOERROR);  // an empty non-terminal
  EXPECT_TRUE(ptr("11.0.96.10.in-addr.arpa.", &rcode).empty());
  EXPECT_EQ(rcode, LDNS_RCODE_NXDOMAIN);
  EXPECT_TRUE(dropped_.empty());  // 192.0.2.1 is in no reverse zone: left out without a word
}

TEST_F(ReverseNamesTest, AnAddressSharedByTwoServicesHasBothTargetsUntilOneGoes) {
  const auto web = cluster_ip("web", {"10.96.0.10"});
  const auto api = cluster_ip("api", {"10.96.0.10"});
  builder_->update(web.key, &web, dropped_);
  builder_->update(api.key, &api, dropped_);
  publish();
  EXPECT_EQ(ptr("10.0.96.10.in-addr.arpa."),
            (std::vector<std::string>{"10.0.96.10.in-addr.arpa. 5 IN PTR api.shop.svc.clusterset.local.",
                                      "10.0.96.10.in-addr.arpa. 5 IN PTR web.shop.svc.clusterset.local."}));
  builder_->update(api.key, nullptr, dropped_);
  publish();
  EXPECT_EQ(ptr("10.0.96.10.in-addr.arpa."),
            std::vector<std::string>{"10.0.96.10.in-addr.arpa. 5 IN PTR web.shop.svc.clusterset.local."});
  // web moves to another address: the old name goes, with its empty non-terminals.
  const auto moved = cluster_ip("web", {"10.97.1.1"});
  builder_->update(web.key, &moved, dropped_);
  publish();
  int rcode = 0;
  EXPECT_TRUE(ptr("10.0.96.10.in-addr.arpa.", &rcode).empty());
  EXPECT_EQ(rcode, LDNS_RCODE_NXDOMAIN);
  EXPECT_TRUE(ptr("96.10.in-addr.arpa.", &rcode).empty());
  EXPECT_EQ(rcode, LDNS_RCODE_NXDOMAIN);
  EXPECT_EQ(ptr("1.1.97.10.in-addr.arpa.").size(), 1u);
}

}  // namespace
}  // namespace fedns::dns
