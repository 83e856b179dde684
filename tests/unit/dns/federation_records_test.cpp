// The federation zone asked through the real query path and read back by ldns: global, region and zone names
// list the clusters with a live endpoint there; a locality without one falls back to the next wider one,
// in-line or as KubeFed's CNAME chain; nothing healthy anywhere is NODATA, unknown localities NXDOMAIN.
#include "dns/federation_records.hpp"

#include <gtest/gtest.h>

#include "dns/generated_names_builder.hpp"
#include "dns/name.hpp"
#include "dns/responder.hpp"
#include "dns/test_packets.hpp"
#include "dns/zone_builder.hpp"

namespace fedns::dns {
namespace {

// A ClusterIP-kind shard whose one endpoint is ready or not.
model::ServiceShard shard(const std::string& cluster, const std::string& address, bool ready) {
  model::ServiceShard s;
  s.cluster = cluster;
  s.addresses = {address};
  model::EndpointRecord e;
  e.addresses = {"192.0.2.1"};  // the pod: not what a ClusterIP-kind service publishes
  e.ready = ready;
  e.serving = ready;
  s.endpoints = {e};
  return s;
}

class FederationZone : public ::testing::Test {
 protected:
  // eu has two zones (eu-a: east, eu-b: north), us one (us-a: west); south has no locality.
  void build(bool cname_fallback, std::vector<model::ServiceShard> shards) {
    FederationLayout layout;
    layout.zone_wire = origin_;
    layout.federation = "fed";
    layout.cname_fallback = cname_fallback;
    layout.clusters = {
        {"east", {"eu", "eu-a"}}, {"north", {"eu", "eu-b"}}, {"west", {"us", "us-a"}}, {"south", {"", ""}}};
    model::MergedService web;
    web.key = {"shop", "web"};
    web.ports = {{"http", "TCP", 80, ""}};
    web.shards = std::move(shards);

    ZoneSource zone;
    zone.origin = "example.com.";
    zone.default_ttl = 30;
    zone.soa = SoaFields{.serial = 1, .minimum = 5};
    zone.name_servers = {{"ns1.example.com.", {"127.0.0.1"}}};
    snapshot_.zones = build_zone_set({zone}).value();
    model::ServedZone* served = snapshot_.zones.mutable_zone(origin_);
    GeneratedNamesBuilder names(
        origin_, served->base,
        [layout](const model::MergedService& s, RenderedNames& out, std::vector<std::string>& dropped) {
          render_federation_names(s, layout, 5, out, dropped);
        });
    std::vector<std::string> dropped;
    names.update(web.key, &web, dropped);
    EXPECT_TRUE(dropped.empty()) << testing::PrintToString(dropped);
    served->generated = names.publish();
  }

  test::Packet ask(const std::string& name) { return client_.ask(snapshot_, name, LDNS_RR_TYPE_A); }
  std::vector<std::string> answer(const std::string& name) {
    return client_.answer(snapshot_, name, LDNS_RR_TYPE_A);
  }

  const std::string origin_ = name_from_text("example.com.").value();
  ServingSnapshot snapshot_;
  model::HealthTable table_;
  test::SnapshotClient client_;
};

TEST_F(FederationZone, EachLocalityListsItsHealthyClusters) {
  build(false, {shard("east", "203.0.113.1", true), shard("north", "203.0.113.2", true),
                shard("west", "203.0.113.3", true), shard("south", "203.0.113.4", false)});
  EXPECT_EQ(answer("web.shop.fed.svc.example.com."),
            (std::vector<std::string>{"web.shop.fed.svc.example.com. 5 IN A 203.0.113.1",
                                      "web.shop.fed.svc.example.com. 5 IN A 203.0.113.2",
                                      "web.shop.fed.svc.example.com. 5 IN A 203.0.113.3"}));
  EXPECT_EQ(answer("web.shop.fed.svc.eu.example.com."),
            (std::vector<std::string>{"web.shop.fed.svc.eu.example.com. 5 IN A 203.0.113.1",
                                      "web.shop.fed.svc.eu.example.com. 5 IN A 203.0.113.2"}));
  EXPECT_EQ(answer("web.shop.fed.svc.eu-b.eu.example.com."),
            (std::vector<std::string>{"web.shop.fed.svc.eu-b.eu.example.com. 5 IN A 203.0.113.2"}));
  EXPECT_EQ(answer("web.shop.fed.svc.us-a.us.example.com."),
            (std::vector<std::string>{"web.shop.fed.svc.us-a.us.example.com. 5 IN A 203.0.113.3"}));
}

TEST_F(FederationZone, InlineFallbackGoesZoneToRegionToGlobal) {
  // eu-a is down: its zone name answers the region's (north); us is down entirely: us names answer global.
  build(false, {shard("east", "203.0.113.1", false), shard("north", "203.0.113.2", true),
                shard("west", "203.0.113.3", false)});
  EXPECT_EQ(answer("web.shop.fed.svc.eu-a.eu.example.com."),
            (std::vector<std::string>{"web.shop.fed.svc.eu-a.eu.example.com. 5 IN A 203.0.113.2"}));
  EXPECT_EQ(answer("web.shop.fed.svc.us-a.us.example.com."),
            (std::vector<std::string>{"web.shop.fed.svc.us-a.us.example.com. 5 IN A 203.0.113.2"}));
  EXPECT_EQ(answer("web.shop.fed.svc.us.example.com."),
            (std::vector<std::string>{"web.shop.fed.svc.us.example.com. 5 IN A 203.0.113.2"}));
  EXPECT_EQ(answer("web.shop.fed.svc.example.com."),
            (std::vector<std::string>{"web.shop.fed.svc.example.com. 5 IN A 203.0.113.2"}));
}

// In-line, health moves the answer to the next locality at query time: east (eu-a) is probed down, so eu-a's
// name answers north (eu-b); north down too, the other region's west; all three down, the service's fallback
// (open) answers every address.
TEST_F(FederationZone, InlineFallbackFollowsTheHealthTableAtQueryTime) {
  auto east = shard("east", "203.0.113.1", true);
  auto north = shard("north", "203.0.113.2", true);
  auto west = shard("west", "203.0.113.3", true);
  east.address_targets = {0};
  north.address_targets = {1};
  west.address_targets = {2};
  build(false, {east, north, west});
  const std::string name = "web.shop.fed.svc.eu-a.eu.example.com.";
  auto with_down = [&](std::initializer_list<model::TargetId> down) {
    std::vector<model::TargetStatus> statuses(3);
    for (const auto id : down)
      statuses[id].up = false;
    table_ = model::HealthTable(std::move(statuses), 1);
    client_.set_health(&table_);
    return answer(name);
  };
  EXPECT_EQ(with_down({}), std::vector<std::string>{name + " 5 IN A 203.0.113.1"});
  EXPECT_EQ(with_down({0}), std::vector<std::string>{name + " 5 IN A 203.0.113.2"});
  EXPECT_EQ(with_down({0, 1}), std::vector<std::string>{name + " 5 IN A 203.0.113.3"});
  EXPECT_EQ(with_down({0, 1, 2}).size(), 3u) << "nothing up anywhere: open, every tier's addresses";
  with_down({1});
  EXPECT_EQ(answer("web.shop.fed.svc.eu.example.com."),
            std::vector<std::string>{"web.shop.fed.svc.eu.example.com. 5 IN A 203.0.113.1"});
}

TEST_F(FederationZone, CnameFallbackIsKubeFedsChain) {
  build(true, {shard("east", "203.0.113.1", false), shard("north", "203.0.113.2", true),
               shard("west", "203.0.113.3", false)});
  // eu-a -> eu (which has north), in one answer: the CNAME and the target's addresses (RFC 1034 4.3.2).
  EXPECT_EQ(answer("web.shop.fed.svc.eu-a.eu.example.com."),
            (std::vector<std::string>{
                "web.shop.fed.svc.eu-a.eu.example.com. 5 IN CNAME web.shop.fed.svc.eu.example.com.",
                "web.shop.fed.svc.eu.example.com. 5 IN A 203.0.113.2"}));
  // us-a -> us -> global.
  EXPECT_EQ(answer("web.shop.fed.svc.us-a.us.example.com."),
            (std::vector<std::string>{
                "web.shop.fed.svc.example.com. 5 IN A 203.0.113.2",
                "web.shop.fed.svc.us-a.us.example.com. 5 IN CNAME web.shop.fed.svc.us.example.com.",
                "web.shop.fed.svc.us.example.com. 5 IN CNAME web.shop.fed.svc.example.com."}));
  // A healthy zone answers directly.
  EXPECT_EQ(answer("web.shop.fed.svc.eu-b.eu.example.com."),
            (std::vector<std::string>{"web.shop.fed.svc.eu-b.eu.example.com. 5 IN A 203.0.113.2"}));
}

TEST_F(FederationZone, NothingHealthyIsNodataAndUnknownLocalitiesAreNxdomain) {
  build(false, {shard("east", "203.0.113.1", false), shard("west", "203.0.113.3", false)});
  for (const char* name : {"web.shop.fed.svc.example.com.", "web.shop.fed.svc.eu.example.com.",
                           "web.shop.fed.svc.eu-a.eu.example.com."}) {
    auto p = ask(name);
    EXPECT_EQ(ldns_pkt_get_rcode(p.get()), LDNS_RCODE_NOERROR) << name;
    EXPECT_EQ(ldns_pkt_ancount(p.get()), 0) << name;
    EXPECT_EQ(ldns_pkt_nscount(p.get()), 1) << name;  // the SOA (RFC 2308)
  }
  for (const char* name : {"web.shop.fed.svc.ap.example.com.", "web.shop.fed.svc.us-a.eu.example.com.",
                           "db.shop.fed.svc.example.com.", "web.shop.other.svc.example.com."}) {
    EXPECT_EQ(ldns_pkt_get_rcode(ask(name).get()), LDNS_RCODE_NXDOMAIN) << name;
  }
  // The names above a service exist (empty non-terminals), as RFC 4592 2.2.2 wants.
  for (const char* name : {"shop.fed.svc.eu.example.com.", "svc.eu-a.eu.example.com.", "eu.example.com."}) {
    auto p = ask(name);
    EXPECT_EQ(ldns_pkt_get_rcode(p.get()), LDNS_RCODE_NOERROR) << name;
  }
}

TEST_F(FederationZone, HeadlessOffersTheLiveEndpointsAndExternalNameIsACnameEverywhere) {
  model::ServiceShard east;
  east.cluster = "east";
  east.kind = model::ServiceKind::kHeadless;
  model::EndpointRecord up;
  up.addresses = {"10.1.0.5"};
  model::EndpointRecord down = up;
  down.addresses = {"10.1.0.6"};
  down.ready = false;
  east.endpoints = {up, down};
  build(false, {east});
  EXPECT_EQ(answer("web.shop.fed.svc.eu-a.eu.example.com."),
            (std::vector<std::string>{"web.shop.fed.svc.eu-a.eu.example.com. 5 IN A 10.1.0.5"}));

  FederationLayout layout;
  layout.zone_wire = origin_;
  layout.federation = "fed";
  layout.clusters = {{"east", {"eu", "eu-a"}}};
  model::MergedService legacy;
  legacy.key = {"shop", "legacy"};
  legacy.kind = model::ServiceKind::kExternalName;
  legacy.external_name = "legacy.example.net";
  RenderedNames out;
  std::vector<std::string> dropped;
  render_federation_names(legacy, layout, 5, out, dropped);
  EXPECT_EQ(out.roots.size(), 3u);  // global, eu, eu-a
  ASSERT_EQ(out.records.size(), 3u);
  for (const auto& rr : out.records)
    EXPECT_EQ(rr.type, 5);  // CNAME
}

// A domain so long that a region's names cannot fit: those names are left out with the reason, and the global
// name (which fits) stays.
TEST(FederationNames, NamesTooLongForDnsAreDroppedWithAReason) {
  FederationLayout layout;
  std::string domain;
  for (int i = 0; i < 3; ++i)
    domain += std::string(60, static_cast<char>('a' + i)) + ".";
  layout.zone_wire = name_from_text(domain + "example.").value();  // 197 octets
  layout.federation = "fed";
  layout.clusters = {{"east", {std::string(63, 'r'), "z"}}};  // even <region>.<domain> is over 255
  model::MergedService web;
  web.key = {"shop", "web"};
  model::ServiceShard east;
  east.cluster = "east";
  east.addresses = {"203.0.113.1"};
  model::EndpointRecord up;
  up.addresses = {"10.0.0.1"};
  east.endpoints = {up};
  web.shards = {east};
  RenderedNames out;
  std::vector<std::string> dropped;
  render_federation_names(web, layout, 5, out, dropped);
  ASSERT_EQ(out.roots.size(), 1u);  // only the global name
  EXPECT_EQ(out.records.size(), 1u);
  ASSERT_EQ(dropped.size(), 2u) << testing::PrintToString(dropped);  // the region's name and the zone's
  EXPECT_NE(dropped[0].find("longer than DNS allows"), std::string::npos);
  for (const auto& rr : out.records)
    EXPECT_LE(rr.owner.size(), 255u);
}

}  // namespace
}  // namespace fedns::dns
