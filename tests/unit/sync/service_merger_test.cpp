// MCS conflict resolution (KEP-1645 "Constraints and Conflict Resolution"): the oldest export wins, ports are
// merged as a union, disagreeing clusters are reported, and the result does not depend on input order.
#include "sync/service_merger.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace fedns::sync {
namespace {

using model::PortSpec;
using model::ServiceKind;
using model::ServiceShard;

ServiceShard shard(const std::string& cluster, const std::string& exported_at,
                   std::vector<PortSpec> ports = {{"http", "TCP", 80, ""}},
                   ServiceKind kind = ServiceKind::kClusterSetIp) {
  ServiceShard s;
  s.cluster = cluster;
  s.exported_at = exported_at;
  s.ports = std::move(ports);
  s.kind = kind;
  s.addresses = {"10.0.0." + std::to_string(cluster.size())};
  return s;
}

const model::ServiceKey kKey{"shop", "web"};

TEST(ServiceMerger, AgreeingClustersMergeWithoutConflict) {
  const auto m =
      merge_service(kKey, {shard("west", "2026-11-26T10:00:02Z"), shard("east", "2026-11-26T10:00:01Z")});
  EXPECT_EQ(m.kind, ServiceKind::kClusterSetIp);
  ASSERT_EQ(m.shards.size(), 2u);
  EXPECT_EQ(m.shards[0].cluster, "east");  // oldest export first
  EXPECT_EQ(m.ports, (std::vector<PortSpec>{{"http", "TCP", 80, ""}}));
  EXPECT_TRUE(m.conflicts.empty());
}

TEST(ServiceMerger, PortsAreTheUnionAndTheOldestWinsANameClash) {
  const auto m = merge_service(
      kKey, {shard("east", "2026-11-26T10:00:01Z", {{"http", "TCP", 80, ""}, {"metrics", "TCP", 9090, ""}}),
             shard("west", "2026-11-26T10:00:02Z", {{"http", "TCP", 8080, ""}, {"grpc", "TCP", 9000, ""}}),
             shard("north", "2026-11-26T10:00:03Z", {{"dns", "UDP", 53, ""}, {"http", "UDP", 80, ""}})});
  EXPECT_EQ(m.ports, (std::vector<PortSpec>{{"dns", "UDP", 53, ""},
                                            {"grpc", "TCP", 9000, ""},
                                            {"http", "TCP", 80, ""},
                                            {"metrics", "TCP", 9090, ""}}));
  ASSERT_EQ(m.conflicts.size(), 2u);
  EXPECT_EQ(m.conflicts[0].cluster, "west");
  EXPECT_EQ(m.conflicts[0].property, "port http");
  EXPECT_EQ(m.conflicts[0].message, "is 8080/TCP, but an older export has 80/TCP");
  EXPECT_EQ(m.conflicts[1].cluster, "north");
  EXPECT_EQ(m.conflicts[1].message, "is 80/UDP, but an older export has 80/TCP");
  EXPECT_EQ(m.shards.size(), 3u);  // a port conflict does not remove the cluster's addresses
}

TEST(ServiceMerger, ATypeConflictLeavesTheYoungerClusterOut) {
  const auto m = merge_service(kKey, {shard("west", "2026-11-26T10:00:02Z", {}, ServiceKind::kHeadless),
                                      shard("east", "2026-11-26T10:00:01Z")});
  EXPECT_EQ(m.kind, ServiceKind::kClusterSetIp);
  ASSERT_EQ(m.shards.size(), 1u);
  EXPECT_EQ(m.shards[0].cluster, "east");
  ASSERT_EQ(m.conflicts.size(), 1u);
  EXPECT_EQ(m.conflicts[0].property, "type");
  EXPECT_EQ(m.conflicts[0].message, "exported as Headless, but the oldest export (east) is ClusterSetIP");
}

TEST(ServiceMerger, TiesAreBrokenByClusterNameAndImplicitExportsComeLast) {
  const auto m = merge_service(kKey, {shard("b", "2026-11-26T10:00:01Z", {}, ServiceKind::kHeadless),
                                      shard("implicit", "", {}, ServiceKind::kExternalName),
                                      shard("a", "2026-11-26T10:00:01Z", {}, ServiceKind::kHeadless)});
  EXPECT_EQ(m.kind, ServiceKind::kHeadless);
  ASSERT_EQ(m.shards.size(), 2u);
  EXPECT_EQ(m.shards[0].cluster, "a");
  EXPECT_EQ(m.shards[1].cluster, "b");
  ASSERT_EQ(m.conflicts.size(), 1u);
  EXPECT_EQ(m.conflicts[0].cluster, "implicit");
}

TEST(ServiceMerger, ExternalNamesThatDisagreeAreReported) {
  auto a = shard("a", "2026-11-26T10:00:01Z", {}, ServiceKind::kExternalName);
  a.external_name = "db.example.com";
  auto b = shard("b", "2026-11-26T10:00:02Z", {}, ServiceKind::kExternalName);
  b.external_name = "db.example.org";
  const auto m = merge_service(kKey, {b, a});
  EXPECT_EQ(m.external_name, "db.example.com");
  ASSERT_EQ(m.conflicts.size(), 1u);
  EXPECT_EQ(m.conflicts[0].property, "externalName");
}

TEST(ServiceMerger, TheResultDoesNotDependOnInputOrder) {
  std::vector<ServiceShard> shards{
      shard("c", "2026-11-26T10:00:03Z", {{"http", "TCP", 81, ""}, {"b", "TCP", 2, ""}}),
      shard("a", "2026-11-26T10:00:01Z", {{"http", "TCP", 80, ""}}),
      shard("b", "2026-11-26T10:00:02Z", {{"a", "UDP", 1, ""}}, ServiceKind::kHeadless),
      shard("d", "", {{"z", "TCP", 9, ""}})};
  std::sort(shards.begin(), shards.end(), [](const auto& x, const auto& y) { return x.cluster < y.cluster; });
  const auto first = merge_service(kKey, shards);
  int permutations = 0;
  while (std::next_permutation(shards.begin(), shards.end(),
                               [](const auto& x, const auto& y) { return x.cluster < y.cluster; })) {
    const auto other = merge_service(kKey, shards);
    EXPECT_EQ(other.ports, first.ports);
    EXPECT_EQ(other.shards, first.shards);
    ASSERT_EQ(other.conflicts.size(), first.conflicts.size());
    for (std::size_t i = 0; i < other.conflicts.size(); ++i)
      EXPECT_EQ(other.conflicts[i].message, first.conflicts[i].message);
    ++permutations;
  }
  EXPECT_EQ(permutations, 23);
}

TEST(ServiceMerger, NoShardsNoService) {
  const auto m = merge_service(kKey, {});
  EXPECT_TRUE(m.shards.empty());
  EXPECT_TRUE(m.ports.empty());
}

}  // namespace
}  // namespace fedns::sync
