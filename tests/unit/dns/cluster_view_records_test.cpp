// The cluster-targeted view: each cluster's own part of a service under its name, apart from the MCS zone.
#include "dns/cluster_view_records.hpp"

#include <gtest/gtest.h>

#include "dns/generated_names_builder.hpp"
#include "dns/name.hpp"
#include "dns/responder.hpp"
#include "dns/test_packets.hpp"
#include "dns/zone_builder.hpp"

namespace fedns::dns {
namespace {

class ClusterView : public ::testing::Test {
 protected:
  void SetUp() override {
    model::MergedService web;
    web.key = {"shop", "web"};
    web.ports = {{"http", "TCP", 80, ""}};
    model::ServiceShard east;
    east.cluster = "east";
    east.addresses = {"10.96.0.10", "fd00::a"};
    east.ports = {{"http", "TCP", 80, ""}};
    model::ServiceShard west;
    west.cluster = "west";
    west.addresses = {"10.97.0.10"};
    west.ports = {{"http", "TCP", 8080, ""}};  // the cluster's own port, even if the merge chose another
    web.shards = {east, west};

    model::MergedService db;
    db.key = {"shop", "db"};
    db.kind = model::ServiceKind::kHeadless;
    db.ports = {{"pg", "TCP", 5432, ""}};
    model::ServiceShard db_east;
    db_east.cluster = "east";
    db_east.kind = model::ServiceKind::kHeadless;
    db_east.ports = db.ports;
    model::EndpointRecord e;
    e.addresses = {"10.1.0.5"};
    e.hostname = "db-0";
    db_east.endpoints = {e};
    model::ServiceShard db_west = db_east;
    db_west.cluster = "west";
    db_west.endpoints[0].ready = false;  // nothing to publish: the name still says the service is there
    db.shards = {db_east, db_west};

    ZoneSource zone;
    zone.origin = "clusters.example.";
    zone.soa = SoaFields{.serial = 1, .minimum = 5};
    zone.name_servers = {{"ns1.clusters.example.", {"127.0.0.1"}}};
    snapshot_.zones = build_zone_set({zone}).value();
    model::ServedZone* served = snapshot_.zones.mutable_zone(origin_);
    const std::string origin = origin_;
    GeneratedNamesBuilder names(
        origin_, served->base,
        [origin](const model::MergedService& s, RenderedNames& out, std::vector<std::string>& dropped) {
          render_cluster_view_names(s, origin, 5, out, dropped);
        });
    std::vector<std::string> dropped;
    names.update(web.key, &web, dropped);
    names.update(db.key, &db, dropped);
    EXPECT_TRUE(dropped.empty()) << testing::PrintToString(dropped);
    served->generated = names.publish();
  }

  test::Packet ask(const std::string& name, std::uint16_t qtype) {
    return client_.ask(snapshot_, name, qtype);
  }
  std::vector<std::string> answer(const std::string& name, std::uint16_t qtype = LDNS_RR_TYPE_A) {
    return client_.answer(snapshot_, name, qtype);
  }

  const std::string origin_ = name_from_text("clusters.example.").value();
  ServingSnapshot snapshot_;
  test::SnapshotClient client_;
};

TEST_F(ClusterView, EachClusterAnswersOnlyItsOwnAddresses) {
  EXPECT_EQ(answer("web.shop.east.clusters.example."),
            std::vector<std::string>{"web.shop.east.clusters.example. 5 IN A 10.96.0.10"});
  EXPECT_EQ(answer("web.shop.east.clusters.example.", LDNS_RR_TYPE_AAAA),
            std::vector<std::string>{"web.shop.east.clusters.example. 5 IN AAAA fd00::a"});
  EXPECT_EQ(answer("web.shop.west.clusters.example."),
            std::vector<std::string>{"web.shop.west.clusters.example. 5 IN A 10.97.0.10"});
  EXPECT_EQ(
      answer("_http._tcp.web.shop.west.clusters.example.", LDNS_RR_TYPE_SRV),
      std::vector<std::string>{
          "_http._tcp.web.shop.west.clusters.example. 5 IN SRV 0 1 8080 web.shop.west.clusters.example."});
}

TEST_F(ClusterView, HeadlessEndpointsAreNamedWithoutAClusterLabel) {
  EXPECT_EQ(answer("db.shop.east.clusters.example."),
            std::vector<std::string>{"db.shop.east.clusters.example. 5 IN A 10.1.0.5"});
  EXPECT_EQ(answer("db-0.db.shop.east.clusters.example."),
            std::vector<std::string>{"db-0.db.shop.east.clusters.example. 5 IN A 10.1.0.5"});
  // west has db but nothing ready: NODATA, not NXDOMAIN.
  auto west = ask("db.shop.west.clusters.example.", LDNS_RR_TYPE_A);
  EXPECT_EQ(ldns_pkt_get_rcode(west.get()), LDNS_RCODE_NOERROR);
  EXPECT_EQ(ldns_pkt_ancount(west.get()), 0);
  EXPECT_EQ(ldns_pkt_get_rcode(ask("db-0.db.shop.west.clusters.example.", LDNS_RR_TYPE_A).get()),
            LDNS_RCODE_NXDOMAIN);
  EXPECT_EQ(ldns_pkt_get_rcode(ask("web.shop.north.clusters.example.", LDNS_RR_TYPE_A).get()),
            LDNS_RCODE_NXDOMAIN);
  EXPECT_EQ(ldns_pkt_get_rcode(ask("shop.east.clusters.example.", LDNS_RR_TYPE_A).get()),
            LDNS_RCODE_NOERROR);  // an empty non-terminal
}

}  // namespace
}  // namespace fedns::dns
