// MCS names (KEP-1645 "DNS") rendered from merged services into a zone, asked through the real query path and
// read back by ldns: ClusterSetIP A/AAAA across clusters, headless endpoints and their per-cluster hostnames,
// SRV with targets and additional addresses, ExternalName CNAME, empty non-terminals, NXDOMAIN for the rest.
#include "dns/service_records.hpp"

#include <gtest/gtest.h>

#include <algorithm>

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

model::ServiceShard shard(const std::string& cluster, std::vector<std::string> addresses) {
  model::ServiceShard s;
  s.cluster = cluster;
  s.addresses = std::move(addresses);
  return s;
}

model::EndpointRecord endpoint(const std::string& address, const std::string& hostname = "",
                               bool ready = true) {
  model::EndpointRecord e;
  e.addresses = {address};
  e.hostname = hostname;
  e.ready = ready;
  e.serving = ready;
  return e;
}

class ServiceRecordsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model::MergedService web;
    web.key = {"shop", "web"};
    web.ports = {{"http", "TCP", 80, ""}, {"", "TCP", 81, ""}};
    web.shards = {shard("east", {"10.96.0.10", "fd00::a"}), shard("west", {"10.97.0.10", "10.96.0.10"})};

    model::MergedService db;
    db.key = {"shop", "db"};
    db.kind = model::ServiceKind::kHeadless;
    db.ports = {{"pg", "TCP", 5432, ""}};
    model::ServiceShard east;
    east.cluster = "east";
    east.kind = model::ServiceKind::kHeadless;
    east.endpoints = {endpoint("10.1.0.5", "db-0"), endpoint("10.1.0.6", "db-1", false), endpoint("fd00::7")};
    db.shards = {east};

    model::MergedService legacy;
    legacy.key = {"shop", "legacy"};
    legacy.kind = model::ServiceKind::kExternalName;
    legacy.external_name = "legacy.example.com";

    ZoneSource zone;
    zone.origin = "clusterset.local.";
    zone.default_ttl = 5;
    zone.soa = SoaFields{.serial = 1, .minimum = 5};
    zone.name_servers = {{"ns1.clusterset.local.", {"127.0.0.1"}}};
    zone.records = "dns-version IN TXT \"1.0.0\"\n";
    auto zones = build_zone_set({zone});
    ASSERT_TRUE(zones.ok()) << zones.error().message;
    snapshot_.zones = std::move(zones.value());
    // The production path: the configured zone, with the services' names generated beside it.
    model::ServedZone* served = snapshot_.zones.mutable_zone(origin_);
    GeneratedNamesBuilder names(origin_, 5, served->base);
    std::vector<std::string> dropped;
    for (const auto* s : {&web, &db, &legacy})
      names.update(s->key, s, dropped);
    EXPECT_TRUE(dropped.empty()) << testing::PrintToString(dropped);
    served->generated = names.publish();
  }

  test::Packet ask(const std::string& name, std::uint16_t qtype) {
    const std::size_t size =
        respond(make_query(name, {.qtype = qtype}), out_, {Transport::kUdp}, snapshot_, counters_);
    return test::parse_with_ldns(out_.data(), size);
  }

  const std::string origin_ = name_from_text("clusterset.local.").value();
  ServingSnapshot snapshot_;
  WorkerCounters counters_;
  std::vector<std::uint8_t> out_ = std::vector<std::uint8_t>(65535);
};

TEST_F(ServiceRecordsTest, ClusterSetIpAnswersEveryClustersAddressOnce) {
  auto a = ask("web.shop.svc.clusterset.local.", LDNS_RR_TYPE_A);
  EXPECT_EQ(sorted(section_text(ldns_pkt_answer(a.get()))),
            (std::vector<std::string>{"web.shop.svc.clusterset.local. 5 IN A 10.96.0.10",
                                      "web.shop.svc.clusterset.local. 5 IN A 10.97.0.10"}));
  auto aaaa = ask("web.shop.svc.clusterset.local.", LDNS_RR_TYPE_AAAA);  // dual-stack: AAAA is not empty
  EXPECT_EQ(section_text(ldns_pkt_answer(aaaa.get())),
            std::vector<std::string>{"web.shop.svc.clusterset.local. 5 IN AAAA fd00::a"});
}

TEST_F(ServiceRecordsTest, SrvPerNamedPortWithAddressesInAdditional) {
  auto r = ask("_http._tcp.web.shop.svc.clusterset.local.", LDNS_RR_TYPE_SRV);
  EXPECT_EQ(section_text(ldns_pkt_answer(r.get())),
            std::vector<std::string>{
                "_http._tcp.web.shop.svc.clusterset.local. 5 IN SRV 0 1 80 web.shop.svc.clusterset.local."});
  EXPECT_EQ(ldns_pkt_arcount(r.get()), 3);  // two A and one AAAA of the target
  // The unnamed port has no SRV name.
  EXPECT_EQ(ldns_pkt_get_rcode(ask("_81._tcp.web.shop.svc.clusterset.local.", LDNS_RR_TYPE_SRV).get()),
            LDNS_RCODE_NXDOMAIN);
}

TEST_F(ServiceRecordsTest, HeadlessAnswersReadyEndpointsAndTheirClusterNames) {
  auto a = ask("db.shop.svc.clusterset.local.", LDNS_RR_TYPE_A);
  EXPECT_EQ(section_text(ldns_pkt_answer(a.get())),
            std::vector<std::string>{"db.shop.svc.clusterset.local. 5 IN A 10.1.0.5"});  // db-1 is not ready
  auto host = ask("db-0.east.db.shop.svc.clusterset.local.", LDNS_RR_TYPE_A);
  EXPECT_EQ(section_text(ldns_pkt_answer(host.get())),
            std::vector<std::string>{"db-0.east.db.shop.svc.clusterset.local. 5 IN A 10.1.0.5"});
  EXPECT_EQ(ldns_pkt_get_rcode(ask("db-1.east.db.shop.svc.clusterset.local.", LDNS_RR_TYPE_A).get()),
            LDNS_RCODE_NXDOMAIN);
  auto srv = ask("_pg._tcp.db.shop.svc.clusterset.local.", LDNS_RR_TYPE_SRV);
  EXPECT_EQ(
      sorted(section_text(ldns_pkt_answer(srv.get()))),
      (std::vector<std::string>{
          "_pg._tcp.db.shop.svc.clusterset.local. 5 IN SRV 0 1 5432 db-0.east.db.shop.svc.clusterset.local.",
          "_pg._tcp.db.shop.svc.clusterset.local. 5 IN SRV 0 1 5432 "
          "fd00--7.east.db.shop.svc.clusterset.local."}));
  EXPECT_EQ(ldns_pkt_arcount(srv.get()), 2);
}

TEST_F(ServiceRecordsTest, ExternalNameIsACname) {
  auto r = ask("legacy.shop.svc.clusterset.local.", LDNS_RR_TYPE_A);
  EXPECT_EQ(section_text(ldns_pkt_answer(r.get())),
            std::vector<std::string>{"legacy.shop.svc.clusterset.local. 5 IN CNAME legacy.example.com."});
}

TEST_F(ServiceRecordsTest, NamespacesAreEmptyNonTerminalsAndTheRestIsNxdomain) {
  auto ns = ask("shop.svc.clusterset.local.", LDNS_RR_TYPE_A);
  EXPECT_EQ(ldns_pkt_get_rcode(ns.get()), LDNS_RCODE_NOERROR);  // RFC 8020: it exists, without data
  EXPECT_EQ(ldns_pkt_ancount(ns.get()), 0);
  EXPECT_EQ(ldns_pkt_get_rcode(ask("nope.shop.svc.clusterset.local.", LDNS_RR_TYPE_A).get()),
            LDNS_RCODE_NXDOMAIN);
  // No <clusterid>.<svc> names for a ClusterSetIP service.
  EXPECT_EQ(ldns_pkt_get_rcode(ask("east.web.shop.svc.clusterset.local.", LDNS_RR_TYPE_A).get()),
            LDNS_RCODE_NXDOMAIN);
  auto version = ask("dns-version.clusterset.local.", LDNS_RR_TYPE_TXT);
  EXPECT_EQ(section_text(ldns_pkt_answer(version.get())),
            std::vector<std::string>{"dns-version.clusterset.local. 5 IN TXT \"1.0.0\""});
}

TEST_F(ServiceRecordsTest, WhileClustersSyncNegativeAnswersAreServfail) {
  // The same zone flagged as still receiving its data: no NXDOMAIN/NODATA that could be false and cached.
  snapshot_.zones.mutable_zone(origin_)->unsure_negatives = true;
  EXPECT_EQ(ldns_pkt_get_rcode(ask("nope.shop.svc.clusterset.local.", LDNS_RR_TYPE_A).get()),
            LDNS_RCODE_SERVFAIL);
  EXPECT_EQ(ldns_pkt_get_rcode(ask("web.shop.svc.clusterset.local.", LDNS_RR_TYPE_TXT).get()),
            LDNS_RCODE_SERVFAIL);
  EXPECT_EQ(ldns_pkt_ancount(ask("web.shop.svc.clusterset.local.", LDNS_RR_TYPE_A).get()), 2);
  EXPECT_EQ(ldns_pkt_get_rcode(ask("dns-version.clusterset.local.", LDNS_RR_TYPE_A).get()),
            LDNS_RCODE_SERVFAIL);
  auto known = ask("dns-version.clusterset.local.", LDNS_RR_TYPE_TXT);
  EXPECT_EQ(ldns_pkt_get_rcode(known.get()), LDNS_RCODE_NOERROR);  // what is known is still answered
  EXPECT_EQ(ldns_pkt_ancount(known.get()), 1);
}

TEST(ServiceRecords, NamesLongerThanDnsAllowsAreDroppedWithAReason) {
  model::MergedService s;
  s.key = {std::string(63, 'n'), std::string(63, 's')};
  s.shards = {shard("east", {"10.0.0.1"})};
  std::vector<WireRecord> out;
  std::vector<std::string> dropped;
  std::string zone = name_from_text(std::string(63, 'z') + "." + std::string(60, 'y') + ".").value();
  render_service(s, zone, 5, out, dropped);
  EXPECT_TRUE(out.empty());
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_NE(dropped[0].find("longer than DNS allows"), std::string::npos);
}

}  // namespace
}  // namespace fedns::dns
