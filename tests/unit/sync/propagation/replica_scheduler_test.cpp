// The replica scheduler against the federated ReplicaSet design's scenarios (the layouts KubeFed documents
// for ReplicaSchedulingPreference), and the cases they left open: a lowered total without rebalance, weights
// of zero, min above max, nothing available, how ties spread, and bounded rebalancing steps.
#include "sync/propagation/replica_scheduler.hpp"

#include <gtest/gtest.h>

#include <numeric>

namespace fedns::sync::propagation {
namespace {

using Replicas = std::map<std::string, std::int64_t>;
constexpr const char* kKey = "shop/web";

SchedulingCluster cluster(const std::string& name, std::int64_t weight, std::int64_t min = 0,
                          std::optional<std::int64_t> max = std::nullopt) {
  SchedulingCluster c;
  c.name = name;
  c.bounds = {weight, min, max};
  return c;
}

std::vector<SchedulingCluster> abc(std::int64_t weight, std::int64_t min = 0,
                                   std::optional<std::int64_t> max = std::nullopt) {
  return {cluster("A", weight, min, max), cluster("B", weight, min, max), cluster("C", weight, min, max)};
}

Replicas plan(std::int64_t total, const std::vector<SchedulingCluster>& clusters, bool rebalance = true) {
  return schedule_replicas(total, clusters, rebalance, kKey).replicas;
}

// Equal weights: the remainder goes by rank (weight, then the tie hash), so the expected layout names the
// ranked clusters rather than assuming an order.
Replicas by_rank(const std::vector<SchedulingCluster>& clusters, std::vector<std::int64_t> counts) {
  const auto rank = scheduling_rank(clusters, kKey);
  Replicas out;
  for (std::size_t i = 0; i < rank.size(); ++i)
    out[rank[i]] = counts[i];
  return out;
}

TEST(ReplicaScheduler, Scenario1SpreadEvenlyOverAvailableClusters) {
  auto clusters = abc(1);
  EXPECT_EQ(plan(50, clusters), by_rank(clusters, {17, 17, 16}));  // the design's A=16 B=17 C=17
  clusters[2].capacity = 6;
  EXPECT_EQ(plan(50, clusters), (Replicas{{"A", 22}, {"B", 22}, {"C", 6}}));
  clusters = abc(1);
  clusters[1].available = false;
  clusters[2].available = false;
  EXPECT_EQ(plan(50, clusters), (Replicas{{"A", 50}, {"B", 0}, {"C", 0}}));
}

TEST(ReplicaScheduler, Scenario2TwoInEachClusterThreeWays) {
  for (const auto& clusters : {abc(1, 0, 2), abc(0, 2), abc(0, 2, 2)}) {
    const ReplicaPlan p = schedule_replicas(50, clusters, true, kKey);
    EXPECT_EQ(p.replicas, (Replicas{{"A", 2}, {"B", 2}, {"C", 2}}));
    EXPECT_EQ(p.unplaced, 44);
    EXPECT_TRUE(p.mins_not_met.empty());
  }
}

TEST(ReplicaScheduler, Scenario3MinimumsAboveTheTotalGoByRank) {
  const auto clusters = abc(0, 20);
  const ReplicaPlan p = schedule_replicas(50, clusters, true, kKey);
  EXPECT_EQ(p.replicas, by_rank(clusters, {20, 20, 10}));
  EXPECT_EQ(p.mins_not_met, std::vector<std::string>{scheduling_rank(clusters, kKey)[2]});
  EXPECT_EQ(p.unplaced, 0);
}

TEST(ReplicaScheduler, Scenario4EqualButCappedInC) {
  auto clusters = abc(1);
  clusters[2].bounds.max_replicas = 20;
  const auto layout = plan(50, clusters);
  EXPECT_EQ(layout, by_rank(clusters, {17, 17, 16}));  // the design's A=16 B=17 C=17
  clusters[1].available = false;                       // KubeFed: "with B offline -> A 30 / C 20"
  EXPECT_EQ(plan(50, clusters), (Replicas{{"A", 30}, {"B", 0}, {"C", 20}}));
  clusters[0].available = false;
  const ReplicaPlan only_c = schedule_replicas(50, clusters, true, kKey);
  EXPECT_EQ(only_c.replicas, (Replicas{{"A", 0}, {"B", 0}, {"C", 20}}));
  EXPECT_EQ(only_c.unplaced, 30);
}

TEST(ReplicaScheduler, Scenario5PreferOneClusterOverflowToTheOthers) {
  std::vector<SchedulingCluster> clusters{cluster("A", 1000000), cluster("B", 1), cluster("C", 1)};
  EXPECT_EQ(plan(50, clusters), (Replicas{{"A", 50}, {"B", 0}, {"C", 0}}));
  clusters[0].capacity = 40;
  EXPECT_EQ(plan(50, clusters), (Replicas{{"A", 40}, {"B", 5}, {"C", 5}}));
}

TEST(ReplicaScheduler, Scenario6TwiceTheWeightTwiceTheReplicas) {
  const std::vector<SchedulingCluster> clusters{cluster("A", 2), cluster("B", 1), cluster("C", 1)};
  const auto layout = plan(50, clusters);
  EXPECT_EQ(layout.at("A"), 25);
  EXPECT_EQ(layout.at("B") + layout.at("C"), 25);
  EXPECT_EQ(std::abs(layout.at("B") - layout.at("C")), 1);
  EXPECT_EQ(plan(40, clusters), (Replicas{{"A", 20}, {"B", 10}, {"C", 10}}));
}

TEST(ReplicaScheduler, Scenario7WithoutRebalanceRunningReplicasStay) {
  auto clusters = abc(1);
  clusters[0].current = 20;
  EXPECT_EQ(plan(50, clusters, false), (Replicas{{"A", 20}, {"B", 15}, {"C", 15}}));
  clusters[2].capacity = 6;
  EXPECT_EQ(plan(50, clusters, false), (Replicas{{"A", 22}, {"B", 22}, {"C", 6}}));
  clusters[0].current = 30;
  EXPECT_EQ(plan(50, clusters, false), (Replicas{{"A", 30}, {"B", 14}, {"C", 6}}));
  // With rebalance the same inputs ignore what runs now.
  EXPECT_EQ(plan(50, clusters, true), (Replicas{{"A", 22}, {"B", 22}, {"C", 6}}));
}

TEST(ReplicaScheduler, AReturningClusterGetsNothingWithoutRebalance) {
  // B was offline (A 30 / C 20 took its share); it is back, but nothing moves to it.
  auto clusters = abc(1);
  clusters[2].bounds.max_replicas = 20;
  clusters[0].current = 30;
  clusters[2].current = 20;
  EXPECT_EQ(plan(50, clusters, false), (Replicas{{"A", 30}, {"B", 0}, {"C", 20}}));
  EXPECT_EQ(plan(50, clusters, true), by_rank(clusters, {17, 17, 16}));
}

TEST(ReplicaScheduler, ALoweredTotalShrinksEveryClusterByWeightWithoutMoving) {
  auto clusters = abc(1);
  for (auto& c : clusters)
    c.current = 20;
  EXPECT_EQ(plan(30, clusters, false), (Replicas{{"A", 10}, {"B", 10}, {"C", 10}}));
  clusters[1].current = 0;  // none grows: B stays empty though its share would be 10
  clusters[2].current = 0;
  EXPECT_EQ(plan(15, clusters, false), (Replicas{{"A", 15}, {"B", 0}, {"C", 0}}));
  clusters[0].bounds.min_replicas = 0;
  clusters[1].bounds.min_replicas = 3;  // a min is still granted
  EXPECT_EQ(plan(15, clusters, false), (Replicas{{"A", 12}, {"B", 3}, {"C", 0}}));
}

TEST(ReplicaScheduler, CasesTheScenariosLeftOpen) {
  // Nothing to place, nothing available, no weight anywhere.
  EXPECT_EQ(plan(0, abc(1)), (Replicas{{"A", 0}, {"B", 0}, {"C", 0}}));
  auto down = abc(1);
  for (auto& c : down)
    c.available = false;
  EXPECT_EQ(schedule_replicas(9, down, true, kKey).unplaced, 9);
  const ReplicaPlan weightless = schedule_replicas(9, abc(0), true, kKey);
  EXPECT_EQ(weightless.replicas, (Replicas{{"A", 0}, {"B", 0}, {"C", 0}}));
  EXPECT_EQ(weightless.unplaced, 9);
  // A min above the max: the max wins, and the status says the min was not met.
  std::vector<SchedulingCluster> odd{cluster("A", 1, 5, 3), cluster("B", 1)};
  const ReplicaPlan p = schedule_replicas(10, odd, true, kKey);
  EXPECT_EQ(p.replicas, (Replicas{{"A", 3}, {"B", 7}}));
  EXPECT_EQ(p.mins_not_met, std::vector<std::string>{"A"});
  // Capacity 0 and a negative total count as nothing.
  odd[1].capacity = 0;
  EXPECT_EQ(schedule_replicas(10, odd, true, kKey).unplaced, 7);
  EXPECT_EQ(plan(-4, abc(1)), (Replicas{{"A", 0}, {"B", 0}, {"C", 0}}));
  // Mins are floors under the weighted shares: 2:1:1 of 20 is above every min of 2.
  std::vector<SchedulingCluster> mixed{cluster("A", 2, 2), cluster("B", 1, 2), cluster("C", 1, 2)};
  EXPECT_EQ(plan(20, mixed), (Replicas{{"A", 10}, {"B", 5}, {"C", 5}}));
  // Big weights and totals stay exact.
  std::vector<SchedulingCluster> big{cluster("A", 999999), cluster("B", 1)};
  EXPECT_EQ(plan(1000000, big), (Replicas{{"A", 999999}, {"B", 1}}));
}

TEST(ReplicaScheduler, SumsAreAlwaysTheTotalOrTheRoom) {
  for (std::int64_t total = 0; total <= 40; ++total) {
    for (const bool rebalance : {true, false}) {
      std::vector<SchedulingCluster> clusters{cluster("A", 3, 1, 9), cluster("B", 1), cluster("C", 2, 0, 4)};
      clusters[1].current = total / 2;
      const ReplicaPlan p = schedule_replicas(total, clusters, rebalance, kKey);
      std::int64_t sum = 0;
      for (const auto& [name, n] : p.replicas) {
        EXPECT_GE(n, 0);
        sum += n;
      }
      EXPECT_EQ(sum + p.unplaced, total);
      EXPECT_EQ(p.unplaced, 0) << "B has no ceiling";
      EXPECT_LE(p.replicas.at("A"), 9);
      EXPECT_LE(p.replicas.at("C"), 4);
      EXPECT_EQ(p.replicas, schedule_replicas(total, clusters, rebalance, kKey).replicas) << "deterministic";
    }
  }
}

TEST(ReplicaScheduler, EqualWeightsRankClustersDifferentlyPerObject) {
  // A hundred one-replica workloads spread over three equal clusters instead of all landing on "A".
  std::map<std::string, int> first;
  for (int i = 0; i < 100; ++i) {
    const auto p = schedule_replicas(1, abc(1), true, "shop/web-" + std::to_string(i)).replicas;
    for (const auto& [name, n] : p)
      if (n == 1) ++first[name];
  }
  ASSERT_EQ(first.size(), 3U);
  for (const auto& [name, count] : first)
    EXPECT_GE(count, 15) << name;
}

TEST(ReplicaScheduler, StepsMoveAtMostTheBoundBetweenAvailableClusters) {
  // B fails: its replicas go to A and C at once.
  const Replicas before{{"A", 10}, {"B", 10}, {"C", 10}};
  EXPECT_EQ(step_towards(before, {{"A", 15}, {"B", 0}, {"C", 15}}, {"B"}, 3),
            (Replicas{{"A", 15}, {"B", 0}, {"C", 15}}));
  // B returns with rebalance: at most 3 replicas move per step, the sum stays 30, and it converges.
  Replicas now{{"A", 15}, {"B", 0}, {"C", 15}};
  const Replicas target{{"A", 10}, {"B", 10}, {"C", 10}};
  std::vector<Replicas> steps;
  while (now != target && steps.size() < 10) {
    Replicas next = step_towards(now, target, {}, 3);
    std::int64_t moved = 0;
    for (const auto& [name, n] : next)
      moved += std::max<std::int64_t>(0, n - now[name]);
    EXPECT_LE(moved, 3);
    EXPECT_EQ(next["A"] + next["B"] + next["C"], 30);
    now = next;
    steps.push_back(now);
  }
  ASSERT_EQ(steps.size(), 4U);  // 10 replicas, 3 at a time
  EXPECT_EQ(steps[0], (Replicas{{"A", 12}, {"B", 3}, {"C", 15}}));
  EXPECT_EQ(steps[1], (Replicas{{"A", 12}, {"B", 6}, {"C", 12}}));
  // A larger total is filled at once, a smaller one trimmed at once; a cluster that left the plan loses all.
  EXPECT_EQ(step_towards({{"A", 5}, {"B", 5}}, {{"A", 10}, {"B", 10}}, {}, 1),
            (Replicas{{"A", 10}, {"B", 10}}));
  EXPECT_EQ(step_towards({{"A", 10}, {"B", 10}}, {{"A", 5}, {"B", 5}}, {}, 1),
            (Replicas{{"A", 5}, {"B", 5}}));
  EXPECT_EQ(step_towards({{"A", 10}, {"Z", 10}}, {{"A", 20}}, {}, 1), (Replicas{{"A", 20}}));
  // A bound of 0 moves nothing (but still fills).
  EXPECT_EQ(step_towards({{"A", 20}, {"B", 0}}, {{"A", 10}, {"B", 10}}, {}, 0),
            (Replicas{{"A", 20}, {"B", 0}}));
}

}  // namespace
}  // namespace fedns::sync::propagation
