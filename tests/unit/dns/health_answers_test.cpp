// Health at query time (issue 5): records whose target the health table says is down are left out, the
// service's fallback decides when too little is up (fail-open, fail-closed, threshold), health-derived TTLs
// shorten the answer, and none of it allocates. Rendered by the production path, read back by ldns.
#include <gtest/gtest.h>

#include <utility>

#include "allocation_counter.hpp"
#include "dns/cluster_view_records.hpp"
#include "dns/generated_names_builder.hpp"
#include "dns/name.hpp"
#include "dns/responder.hpp"
#include "dns/test_packets.hpp"
#include "dns/zone_builder.hpp"

namespace fedns::dns {
namespace {

using test::make_query;
using test::section_text;
using test::sorted;

// A ClusterSetIP service with three addresses, targets first..first+2, answering with `policy`.
model::MergedService three_addresses(const std::string& name, model::TargetId first,
                                     model::HealthPolicy policy) {
  model::MergedService s;
  s.key = {"shop", name};
  s.health = policy;
  model::ServiceShard shard;
  shard.cluster = "east";
  shard.addresses = {"10.0.0.1", "10.0.0.2", "10.0.0.3"};
  shard.address_targets = {first, first + 1, first + 2};
  s.shards = {shard};
  return s;
}

class HealthAnswersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ZoneSource zone;
    zone.origin = "clusterset.local.";
    zone.default_ttl = 30;
    zone.soa = SoaFields{.serial = 1, .minimum = 5};
    zone.name_servers = {{"ns1.clusterset.local.", {"127.0.0.1"}}};
    ZoneSource view = zone;  // the cluster view keeps the service's fallback too
    view.origin = "clusters.example.";
    view.name_servers = {{"ns1.clusters.example.", {"127.0.0.1"}}};
    auto zones = build_zone_set({zone, view});
    ASSERT_TRUE(zones.ok()) << zones.error().message;
    snapshot_.zones = std::move(zones.value());
    model::ServedZone* served = snapshot_.zones.mutable_zone(origin_);
    GeneratedNamesBuilder names(origin_, 30, served->base);
    const auto open = three_addresses("open", 0, {model::HealthFallback::kOpen, 0});
    const auto closed = three_addresses("closed", 3, {model::HealthFallback::kClosed, 0});
    const auto threshold = three_addresses("half", 6, {model::HealthFallback::kThreshold, 50});
    // Headless: each endpoint its own target (9, 10), also behind SRV and in the additional section.
    model::MergedService db_service;
    model::MergedService& db = db_service;
    db.key = {"shop", "db"};
    db.kind = model::ServiceKind::kHeadless;
    db.ports = {{"pg", "TCP", 5432, ""}};
    db.health = {model::HealthFallback::kClosed, 0};
    model::ServiceShard east;
    east.cluster = "east";
    east.kind = model::ServiceKind::kHeadless;
    for (const auto& [address, host, target] :
         {std::tuple{"10.1.0.5", "db-0", 9u}, std::tuple{"10.1.0.6", "db-1", 10u}}) {
      model::EndpointRecord e;
      e.addresses = {address};
      e.hostname = host;
      e.health_target = target;
      east.endpoints.push_back(e);
    }
    db.shards = {east};
    // Hierarchy: one cluster per tier (targets 11, 12, 13), and a last-resort address.
    model::MergedService tiers;
    tiers.key = {"shop", "tiers"};
    tiers.health = {model::HealthFallback::kHierarchy, 0};
    tiers.last_resort = {"192.0.2.1"};
    for (const auto& [cluster, address, target, tier] :
         {std::tuple{"near", "10.2.0.1", 11u, model::kTierZone},
          std::tuple{"region", "10.2.0.2", 12u, model::kTierRegion},
          std::tuple{"far", "10.2.0.3", 13u, model::kTierGlobal}}) {
      model::ServiceShard shard;
      shard.cluster = cluster;
      shard.addresses = {address};
      shard.address_targets = {target};
      shard.tier = tier;
      tiers.shards.push_back(shard);
    }
    // A last resort for a fail-closed service without tiers (targets 14, 15).
    auto sorry = three_addresses("sorry", 14, {model::HealthFallback::kClosed, 0});
    sorry.shards[0].addresses.pop_back();
    sorry.shards[0].address_targets.pop_back();
    sorry.last_resort = {"192.0.2.9", "2001:db8::9"};
    std::vector<std::string> dropped;
    for (const model::MergedService* s :
         {&open, &closed, &threshold, &std::as_const(db), &std::as_const(tiers), &std::as_const(sorry)})
      names.update(s->key, s, dropped);
    ASSERT_TRUE(dropped.empty()) << testing::PrintToString(dropped);
    served->generated = names.publish();
    model::ServedZone* view_zone = snapshot_.zones.mutable_zone(view_origin_);
    const std::string view_origin = view_origin_;
    GeneratedNamesBuilder view_names(
        view_origin_, view_zone->base,
        [view_origin](const model::MergedService& s, RenderedNames& out, std::vector<std::string>& lost) {
          render_cluster_view_names(s, view_origin, 30, out, lost);
        });
    view_names.update(closed.key, &closed, dropped);
    ASSERT_TRUE(dropped.empty()) << testing::PrintToString(dropped);
    view_zone->generated = view_names.publish();
  }

  // Targets listed in `down` are down; the rest up, with a health-derived TTL of `ttl` (0: none).
  void health(std::initializer_list<model::TargetId> down, std::uint32_t ttl = 0) {
    std::vector<model::TargetStatus> statuses(16, model::TargetStatus{true, ttl});
    for (const auto id : down)
      statuses[id].up = false;
    table_ = model::HealthTable(std::move(statuses), ++generation_);
  }

  test::Packet ask(const std::string& name, std::uint16_t qtype) {
    const std::size_t size =
        respond(make_query(name, {.qtype = qtype}), out_, {Transport::kUdp, &table_}, snapshot_, counters_);
    return test::parse_with_ldns(out_.data(), size);
  }
  std::vector<std::string> answer(const std::string& name, std::uint16_t qtype = LDNS_RR_TYPE_A) {
    const auto packet = ask(name, qtype);
    return sorted(section_text(ldns_pkt_answer(packet.get())));
  }

  const std::string origin_ = name_from_text("clusterset.local.").value();
  const std::string view_origin_ = name_from_text("clusters.example.").value();
  ServingSnapshot snapshot_;
  model::HealthTable table_;
  std::uint64_t generation_ = 0;
  WorkerCounters counters_;
  std::vector<std::uint8_t> out_ = std::vector<std::uint8_t>(65535);
};

TEST_F(HealthAnswersTest, ATargetThatIsDownIsLeftOut) {
  health({});
  EXPECT_EQ(answer("open.shop.svc.clusterset.local.").size(), 3u);
  health({1});
  EXPECT_EQ(answer("open.shop.svc.clusterset.local."),
            (std::vector<std::string>{"open.shop.svc.clusterset.local. 30 IN A 10.0.0.1",
                                      "open.shop.svc.clusterset.local. 30 IN A 10.0.0.3"}));
  const auto packet = ask("open.shop.svc.clusterset.local.", LDNS_RR_TYPE_A);
  EXPECT_EQ(ldns_pkt_ancount(packet.get()), 2) << "the header counts what was written";
}

TEST_F(HealthAnswersTest, NothingUpFailsOpenOrClosedAsTheServiceSays) {
  health({0, 1, 2, 3, 4, 5});
  EXPECT_EQ(answer("open.shop.svc.clusterset.local.").size(), 3u) << "fail-open: every address";
  const auto closed = ask("closed.shop.svc.clusterset.local.", LDNS_RR_TYPE_A);
  EXPECT_EQ(ldns_pkt_get_rcode(closed.get()), LDNS_RCODE_NOERROR);
  EXPECT_EQ(ldns_pkt_ancount(closed.get()), 0) << "fail-closed: NODATA";
  EXPECT_EQ(section_text(ldns_pkt_authority(closed.get())).size(), 1u) << "with the SOA (RFC 2308)";
}

TEST_F(HealthAnswersTest, AnyForANameWithNothingUpIsNodataWithTheSoa) {
  health({3, 4, 5});  // every target of the fail-closed service is down
  const auto any = ask("closed.shop.svc.clusterset.local.", LDNS_RR_TYPE_ANY);
  EXPECT_EQ(ldns_pkt_get_rcode(any.get()), LDNS_RCODE_NOERROR);
  EXPECT_EQ(ldns_pkt_ancount(any.get()), 0);
  EXPECT_EQ(section_text(ldns_pkt_authority(any.get())).size(), 1u) << "NODATA carries the SOA (RFC 2308)";
  health({3});
  EXPECT_EQ(ldns_pkt_ancount(ask("closed.shop.svc.clusterset.local.", LDNS_RR_TYPE_ANY).get()), 2);
}

TEST_F(HealthAnswersTest, TheClusterViewKeepsTheServicesFallback) {
  health({3, 4, 5});
  const auto view = ask("closed.shop.east.clusters.example.", LDNS_RR_TYPE_A);
  EXPECT_EQ(ldns_pkt_get_rcode(view.get()), LDNS_RCODE_NOERROR);
  EXPECT_EQ(ldns_pkt_ancount(view.get()), 0) << "fail-closed in the cluster view as in the MCS zone";
  health({3});
  EXPECT_EQ(answer("closed.shop.east.clusters.example.").size(), 2u);
}

TEST_F(HealthAnswersTest, UnderTheThresholdEveryTargetIsAnswered) {
  health({6, 7});  // one of three up: 33% < 50%, so all three (gdnsd's up_thresh)
  EXPECT_EQ(answer("half.shop.svc.clusterset.local.").size(), 3u);
  health({6});  // two of three up: 67% >= 50%, so the two
  EXPECT_EQ(answer("half.shop.svc.clusterset.local."),
            (std::vector<std::string>{"half.shop.svc.clusterset.local. 30 IN A 10.0.0.2",
                                      "half.shop.svc.clusterset.local. 30 IN A 10.0.0.3"}));
}

TEST_F(HealthAnswersTest, HealthDerivedTtlShortensTheAnswer) {
  health({2}, 12);
  EXPECT_EQ(answer("open.shop.svc.clusterset.local."),
            (std::vector<std::string>{"open.shop.svc.clusterset.local. 12 IN A 10.0.0.1",
                                      "open.shop.svc.clusterset.local. 12 IN A 10.0.0.2"}));
}

TEST_F(HealthAnswersTest, HeadlessEndpointsLeaveTheAddressesTheSrvAndTheAdditionalSection) {
  health({10});
  EXPECT_EQ(answer("db.shop.svc.clusterset.local."),
            std::vector<std::string>{"db.shop.svc.clusterset.local. 30 IN A 10.1.0.5"});
  const auto srv = ask("_pg._tcp.db.shop.svc.clusterset.local.", LDNS_RR_TYPE_SRV);
  EXPECT_EQ(section_text(ldns_pkt_answer(srv.get())),
            std::vector<std::string>{"_pg._tcp.db.shop.svc.clusterset.local. 30 IN SRV 0 1 5432 "
                                     "db-0.east.db.shop.svc.clusterset.local."});
  EXPECT_EQ(section_text(ldns_pkt_additional(srv.get())),
            std::vector<std::string>{"db-0.east.db.shop.svc.clusterset.local. 30 IN A 10.1.0.5"});
  // Its own name fails closed too.
  EXPECT_EQ(ldns_pkt_ancount(ask("db-1.east.db.shop.svc.clusterset.local.", LDNS_RR_TYPE_A).get()), 0);
}

TEST_F(HealthAnswersTest, HierarchyAnswersTheNearestTierWithSomethingUpThenTheLastResort) {
  const std::string name = "tiers.shop.svc.clusterset.local.";
  health({});
  EXPECT_EQ(answer(name), std::vector<std::string>{name + " 30 IN A 10.2.0.1"}) << "the zone's tier only";
  health({11});
  EXPECT_EQ(answer(name), std::vector<std::string>{name + " 30 IN A 10.2.0.2"}) << "then the region's";
  health({11, 12});
  EXPECT_EQ(answer(name), std::vector<std::string>{name + " 30 IN A 10.2.0.3"}) << "then everywhere";
  health({11, 12, 13});
  EXPECT_EQ(answer(name), std::vector<std::string>{name + " 30 IN A 192.0.2.1"}) << "then the last resort";
  health({12});
  EXPECT_EQ(answer(name), std::vector<std::string>{name + " 30 IN A 10.2.0.1"}) << "back to the nearest";
  const auto any = ask(name, LDNS_RR_TYPE_ANY);
  EXPECT_EQ(ldns_pkt_ancount(any.get()), 1) << "ANY answers what A answers";
}

TEST_F(HealthAnswersTest, ALastResortStandsInWhenNothingIsUpWhateverTheFallback) {
  const std::string name = "sorry.shop.svc.clusterset.local.";
  health({});
  EXPECT_EQ(answer(name), (std::vector<std::string>{name + " 30 IN A 10.0.0.1", name + " 30 IN A 10.0.0.2"}))
      << "never while a target is up";
  health({14, 15});
  EXPECT_EQ(answer(name), std::vector<std::string>{name + " 30 IN A 192.0.2.9"});
  EXPECT_TRUE(answer(name, LDNS_RR_TYPE_AAAA).empty())
      << "a last resort stands in for the service's own family only (it has no IPv6 address)";
}

TEST_F(HealthAnswersTest, AnsweringWithHealthAllocatesNothing) {
  health({1}, 12);
  const auto query = make_query("open.shop.svc.clusterset.local.", {.qtype = LDNS_RR_TYPE_A});
  std::size_t size = 0;
  EXPECT_EQ(test::allocations_after_warmup([&] {
              size = respond(query, out_, {Transport::kUdp, &table_}, snapshot_, counters_);
            }),
            0)
      << "allocations while answering";
  EXPECT_GT(size, 0u);
}

}  // namespace
}  // namespace fedns::dns
