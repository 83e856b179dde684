// One cluster's shard of a service: the address policy per Service type and annotation, endpoint merging
// across slices, and a member cluster's nonsense dropped with a reason.
#include "sync/shard_builder.hpp"

#include <gtest/gtest.h>

namespace fedns::sync {
namespace {

Service service(const std::string& type = "ClusterIP") {
  Service s;
  s.meta.namespace_ = "shop";
  s.meta.name = "web";
  s.type = type;
  s.cluster_ips = {"10.96.0.10", "fd00::a"};
  s.ports = {{"http", "TCP", 80, ""}};
  return s;
}

Endpoint endpoint(const std::string& address, bool ready = true, const std::string& hostname = "") {
  Endpoint e;
  e.addresses = {address};
  e.conditions.ready = ready;
  e.conditions.serving = ready;
  e.hostname = hostname;
  return e;
}

EndpointSlice slice(std::vector<Endpoint> endpoints, const std::string& type = "IPv4") {
  EndpointSlice s;
  s.meta.namespace_ = "shop";
  s.meta.name = "web-abc";
  s.service_name = "web";
  s.address_type = type;
  s.endpoints = std::move(endpoints);
  return s;
}

// As the catalog calls it: with what it keeps of the Service and its slices.
Result<ShardResult> build(const Service& svc, const std::vector<const EndpointSlice*>& slices = {},
                          const ServiceExport* exported = nullptr) {
  const ServiceSource source = to_service_source(svc);
  EndpointPlaces places;
  std::vector<SliceSource> kept;
  kept.reserve(slices.size());
  for (const auto* slice : slices)
    kept.push_back(to_slice_source(*slice, places));
  std::vector<const SliceSource*> pointers;
  pointers.reserve(kept.size());
  for (const auto& slice : kept)
    pointers.push_back(&slice);
  return build_shard(
      {"east", {svc.meta.namespace_, svc.meta.name}, &source, pointers, exported, AddressSource::kAuto});
}

TEST(ShardBuilder, ClusterIpServicePublishesItsClusterIps) {
  ServiceExport exported;
  exported.creation_timestamp = "2026-11-26T10:00:00Z";
  const auto r = build(service(), {}, &exported);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->shard.kind, model::ServiceKind::kClusterSetIp);
  EXPECT_EQ(r->shard.addresses, (std::vector<std::string>{"10.96.0.10", "fd00::a"}));
  EXPECT_EQ(r->shard.exported_at, "2026-11-26T10:00:00Z");
  EXPECT_EQ(r->shard.cluster, "east");
  EXPECT_TRUE(r->dropped.empty());
}

TEST(ShardBuilder, LoadBalancerPublishesIngressOnlyOnceAssigned) {
  auto lb = service("LoadBalancer");
  auto r = build(lb);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->shard.addresses.empty());  // pending: a ClusterIP would be unreachable from outside
  lb.load_balancer_ips = {"203.0.113.5"};
  r = build(lb);
  EXPECT_EQ(r->shard.addresses, std::vector<std::string>{"203.0.113.5"});
}

TEST(ShardBuilder, ExternalIpsWinOverClusterIpsByDefault) {
  auto s = service();
  s.external_ips = {"198.51.100.7"};
  EXPECT_EQ(build(s)->shard.addresses, std::vector<std::string>{"198.51.100.7"});
}

TEST(ShardBuilder, AnnotationOverridesThePolicy) {
  auto s = service("LoadBalancer");
  s.load_balancer_ips = {"203.0.113.5"};
  s.annotations[kAddressAnnotation] = "cluster-ip";
  EXPECT_EQ(build(s)->shard.addresses, (std::vector<std::string>{"10.96.0.10", "fd00::a"}));
  s.annotations[kAddressAnnotation] = "endpoints";
  const auto ready = slice({endpoint("10.1.0.5"), endpoint("10.1.0.6", false)});
  EXPECT_EQ(build(s, {&ready})->shard.addresses, std::vector<std::string>{"10.1.0.5"});
  s.annotations[kAddressAnnotation] = "everything";
  const auto bad = build(s);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("fedns.io/publish-address"), std::string::npos) << bad.error().message;
}

TEST(ShardBuilder, HeadlessKeepsEveryEndpointWithItsConditions) {
  auto s = service();
  s.headless = true;
  s.cluster_ips.clear();
  const auto a = slice({endpoint("10.1.0.5", true, "db-0"), endpoint("10.1.0.6", false, "db-1")});
  const auto r = build(s, {&a});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->shard.kind, model::ServiceKind::kHeadless);
  ASSERT_EQ(r->shard.endpoints.size(), 2u);
  EXPECT_EQ(r->shard.endpoints[0].hostname, "db-0");
  EXPECT_TRUE(r->shard.endpoints[0].ready);
  EXPECT_FALSE(r->shard.endpoints[1].ready);
}

TEST(ShardBuilder, AnEndpointInTwoSlicesCountsOnceInItsBestState) {
  auto s = service();
  s.headless = true;
  const auto old_slice = slice({endpoint("10.1.0.5", false)});
  const auto new_slice = slice({endpoint("10.1.0.5", true), endpoint("fd00::0:5")}, "IPv6");
  const auto r = build(s, {&old_slice, &new_slice});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->shard.endpoints.size(), 2u);
  EXPECT_EQ(r->shard.endpoints[0].addresses, std::vector<std::string>{"10.1.0.5"});
  EXPECT_TRUE(r->shard.endpoints[0].ready);
  EXPECT_EQ(r->shard.endpoints[1].addresses, std::vector<std::string>{"fd00::5"});  // canonical form
  EXPECT_EQ(r->dropped.size(), 1u);
}

TEST(ShardBuilder, NonsenseIsDroppedWithAReason) {
  auto s = service();
  s.cluster_ips = {"10.96.0.10", "10.96.0.300", "not-an-ip", "10.96.0.10"};
  s.ports.push_back({"Not_A_Label", "TCP", 81, ""});
  auto liar = slice({endpoint("999.1.1.1"), endpoint("10.1.0.7", true, std::string(64, 'h'))});
  const auto r = build(s, {&liar});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->shard.addresses, std::vector<std::string>{"10.96.0.10"});
  EXPECT_EQ(r->shard.ports.size(), 1u);
  ASSERT_EQ(r->shard.endpoints.size(), 1u);
  EXPECT_TRUE(r->shard.endpoints[0].hostname.empty());
  EXPECT_EQ(r->dropped.size(), 5u) << testing::PrintToString(r->dropped);
}

TEST(ShardBuilder, TenThousandPortsRefuseTheService) {
  auto s = service();
  s.ports.clear();
  for (int i = 1; i <= 10000; ++i)
    s.ports.push_back({"p" + std::to_string(i), "TCP", static_cast<std::uint16_t>(i), ""});
  const auto r = build(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("10000 ports"), std::string::npos);
}

TEST(ShardBuilder, ExternalNameNeedsItsTarget) {
  auto s = service("ExternalName");
  s.external_name = "db.example.com";
  const auto r = build(s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->shard.kind, model::ServiceKind::kExternalName);
  EXPECT_EQ(r->shard.external_name, "db.example.com");
  s.external_name.clear();
  EXPECT_FALSE(build(s).ok());
}

TEST(ShardBuilder, NamesDnsCannotCarryAreRefused) {
  auto s = service();
  s.meta.name = std::string(64, 'x');
  EXPECT_FALSE(build(s).ok());
}

TEST(ShardBuilder, EndpointsKeepEveryAddressTheirPlaceAndNoForgedAddress) {
  // The catalog packs an endpoint's addresses into one string and shares node and zone between endpoints;
  // what a shard gets out must be what the slice said, and a separator-looking or overlong text must not
  // turn into addresses it never was.
  Endpoint two = endpoint("10.1.0.5");
  two.addresses.push_back("10.1.0.6");
  two.node_name = "ip-10-0-1-23.eu-west-1.compute.internal";
  two.zone = "eu-west-1a";
  Endpoint forged = endpoint("10.1.0.7 10.1.0.8");
  forged.addresses.push_back(std::string(300, '1') + "10.1.0.9");
  forged.node_name = two.node_name;
  forged.zone = two.zone;
  const auto s = slice({two, forged});
  const auto r = build(service("ClusterIP"), {&s});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->shard.endpoints.size(), 1u);
  const auto& e = r->shard.endpoints[0];
  EXPECT_EQ(e.addresses, (std::vector<std::string>{"10.1.0.5", "10.1.0.6"}));
  EXPECT_EQ(e.node_name, "ip-10-0-1-23.eu-west-1.compute.internal");
  EXPECT_EQ(e.zone, "eu-west-1a");
  EXPECT_EQ(r->dropped.size(), 2u) << testing::PrintToString(r->dropped);

  EndpointPlaces places;
  const auto kept = to_slice_source(s, places);
  EXPECT_EQ(kept.endpoints[0].place, kept.endpoints[1].place) << "one node, one shared place";
  EXPECT_EQ(places.size(), 1u);
}

}  // namespace
}  // namespace fedns::sync
