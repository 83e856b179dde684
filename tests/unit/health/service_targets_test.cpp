// Which target each record of a service points at: the cluster's shared target, a passive target per address
// when an override names the service, a probed one per address when the service has a check.
#include "health/service_targets.hpp"

#include <gtest/gtest.h>

namespace fedns::health {
namespace {

model::MergedService service_in(std::vector<std::pair<std::string, std::string>> placed) {
  model::MergedService s;
  s.key = {"shop", "web"};
  s.ports = {{"http", "TCP", 8080, ""}};
  for (auto& [cluster, address] : placed) {
    model::ServiceShard shard;
    shard.cluster = cluster;
    shard.addresses = {address};
    s.shards.push_back(shard);
  }
  return s;
}

class ServiceTargetsTest : public testing::Test {
 protected:
  boost::asio::io_context io_;  // never run: nothing here needs a probe to finish
  SnapshotPublisher<model::HealthTable> publisher_;
  HealthMonitor monitor_{io_, publisher_};
  std::string annotation_seen_;
  ServiceTargets targets_{monitor_, [this](const std::string& text) -> Result<ServiceCheck> {
                            annotation_seen_ = text;
                            if (text == "bad") return Error{"no such probe"};
                            ServiceCheck check;
                            check.policy.fallback = model::HealthFallback::kClosed;
                            return check;
                          }};
  std::vector<std::string> dropped_;
};

TEST_F(ServiceTargetsTest, UncheckedServicesShareTheirClustersTarget) {
  auto web = service_in({{"east", "10.0.0.1"}, {"west", "10.0.0.2"}});
  targets_.assign(web, dropped_);
  EXPECT_EQ(web.shards[0].address_targets, std::vector<TargetId>{monitor_.cluster_target("east")});
  EXPECT_EQ(web.shards[1].address_targets, std::vector<TargetId>{monitor_.cluster_target("west")});
  EXPECT_EQ(targets_.target_count(), 0u);
  EXPECT_EQ(web.health.fallback, model::HealthFallback::kOpen);
}

TEST_F(ServiceTargetsTest, AServiceAnOverrideNamesGetsATargetPerAddressAndGivesThemBack) {
  auto web = service_in({{"east", "10.0.0.1"}, {"west", "10.0.0.2"}});
  const auto rerender = targets_.set_named_services({"shop/web"});
  ASSERT_EQ(rerender.size(), 1u);
  EXPECT_EQ(rerender[0].text(), "shop/web");
  targets_.assign(web, dropped_);
  EXPECT_EQ(targets_.target_count(), 2u);
  const TargetId east = web.shards[0].address_targets.at(0);
  EXPECT_NE(east, monitor_.cluster_target("east"));
  ASSERT_NE(monitor_.target(east), nullptr);
  EXPECT_EQ(monitor_.target(east)->scope.service, "shop/web");
  EXPECT_EQ(monitor_.target(east)->scope.address, "10.0.0.1");
  EXPECT_EQ(monitor_.target(east)->spec.kind, ProbeKind::kNone) << "passive: named, not checked";

  auto again = service_in({{"east", "10.0.0.1"}, {"west", "10.0.0.2"}});
  targets_.assign(again, dropped_);
  EXPECT_EQ(again.shards[0].address_targets.at(0), east) << "a kept address keeps its target";

  EXPECT_EQ(targets_.set_named_services({}).size(), 1u);
  targets_.assign(again, dropped_);
  EXPECT_EQ(targets_.target_count(), 0u);
  EXPECT_EQ(monitor_.target(east), nullptr) << "the passive targets went";
}

TEST_F(ServiceTargetsTest, TheAnnotationsCheckAppliesAndOneThatDoesNotParseIsReported) {
  auto web = service_in({{"east", "10.0.0.1"}});
  web.health_check = "{probe: {type: tcp}}";
  targets_.assign(web, dropped_);
  EXPECT_EQ(annotation_seen_, web.health_check);
  EXPECT_EQ(web.health.fallback, model::HealthFallback::kClosed);
  ASSERT_EQ(targets_.target_count(), 1u);
  EXPECT_EQ(monitor_.target(web.shards[0].address_targets.at(0))->spec.port, 8080) << "the service's port";

  auto broken = service_in({{"east", "10.0.0.1"}});
  broken.health_check = "bad";
  targets_.assign(broken, dropped_);
  ASSERT_EQ(dropped_.size(), 1u);
  EXPECT_NE(dropped_[0].find("no such probe"), std::string::npos) << dropped_[0];
  EXPECT_EQ(targets_.target_count(), 0u) << "answered unchecked";
  EXPECT_EQ(broken.shards[0].address_targets.at(0), monitor_.cluster_target("east"));
  monitor_.stop();
}

}  // namespace
}  // namespace fedns::health
