// Reading ReplicaSchedulingPreferences: the "*" entry, defaults, and each kind of bad input named by field.
#include "sync/propagation/scheduling_preference.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace fedns::sync::propagation {
namespace {

nlohmann::json preference(const nlohmann::json& spec) {
  nlohmann::json o = nlohmann::json::object();
  o["apiVersion"] = "federation.fedns.io/v1alpha1";
  o["kind"] = "ReplicaSchedulingPreference";
  o["metadata"] = {{"name", "web"}, {"namespace", "shop"}, {"generation", 3}};
  o["spec"] = spec;
  return o;
}

TEST(SchedulingPreference, ReadsEntriesAndDefaults) {
  const auto parsed = parse_scheduling_preference(preference(
      {{"totalReplicas", 30},
       {"clusters",
        {{"*", {{"weight", 1}}}, {"east", {{"weight", 2}, {"minReplicas", 3}, {"maxReplicas", 20}}}}},
       {"rebalance", true}}));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->namespace_, "shop");
  EXPECT_EQ(parsed->name, "web");
  EXPECT_EQ(parsed->generation, 3);
  EXPECT_EQ(parsed->total_replicas, 30);
  EXPECT_TRUE(parsed->rebalance);
  const ReplicaBounds* east = parsed->bounds_for("east");
  ASSERT_NE(east, nullptr);
  EXPECT_EQ(east->weight, 2);
  EXPECT_EQ(east->min_replicas, 3);
  EXPECT_EQ(east->max_replicas, std::optional<std::int64_t>(20));
  const ReplicaBounds* other = parsed->bounds_for("west");  // "*"
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->weight, 1);
  EXPECT_FALSE(other->max_replicas);
  EXPECT_EQ(parsed->max_move(), 8);  // a quarter of 30, rounded up
  EXPECT_EQ(parsed->step_interval, std::chrono::seconds(30));

  const auto named_only =
      parse_scheduling_preference(preference({{"totalReplicas", 2},
                                              {"clusters", {{"east", {{"weight", 1}}}}},
                                              {"rebalanceStep", {{"replicas", 5}, {"intervalSeconds", 2}}}}));
  ASSERT_TRUE(named_only) << named_only.error().message;
  EXPECT_EQ(named_only->bounds_for("west"), nullptr);  // no "*": other clusters run nothing
  EXPECT_EQ(named_only->max_move(), 5);
  EXPECT_EQ(named_only->step_interval, std::chrono::seconds(2));
  EXPECT_FALSE(named_only->rebalance);
}

TEST(SchedulingPreference, BadInputIsNamedByField) {
  const struct {
    nlohmann::json spec;
    const char* message;
  } cases[] = {
      {{{"clusters", {{"*", {{"weight", 1}}}}}}, "spec.totalReplicas: missing"},
      {{{"totalReplicas", -1}, {"clusters", {{"*", {{"weight", 1}}}}}},
       "spec.totalReplicas: must be a whole number, 0 or more"},
      {{{"totalReplicas", 3}}, "spec.clusters: needs at least one entry"},
      {{{"totalReplicas", 3}, {"clusters", nlohmann::json::object()}},
       "spec.clusters: needs at least one entry"},
      {{{"totalReplicas", 3}, {"clusters", {{"east", 4}}}}, "spec.clusters.east: must be an object"},
      {{{"totalReplicas", 3}, {"clusters", {{"east", {{"weight", "heavy"}}}}}},
       "spec.clusters.east.weight: must be a whole number, 0 or more"},
      {{{"totalReplicas", 3},
        {"clusters", {{"east", {{"weight", 1}, {"minReplicas", 5}, {"maxReplicas", 2}}}}}},
       "spec.clusters.east: minReplicas 5 is above maxReplicas 2"},
      {{{"totalReplicas", 3}, {"clusters", {{"*", {{"weight", 0}}}, {"east", {{"weight", 0}}}}}},
       "spec.clusters: the weights sum to zero and no cluster has minReplicas"},
      {{{"totalReplicas", 3}, {"clusters", {{"east", {{"minReplicas", 2}}}, {"west", {{"minReplicas", 2}}}}}},
       "spec.clusters: the minReplicas of the named clusters add up to 4, above totalReplicas 3"},
      {{{"totalReplicas", 3}, {"clusters", {{"*", {{"weight", 1}}}}}, {"rebalance", "yes"}},
       "spec.rebalance: must be true or false"},
      {{{"totalReplicas", 3},
        {"clusters", {{"*", {{"weight", 1}}}}},
        {"rebalanceStep", {{"intervalSeconds", 0}}}},
       "spec.rebalanceStep.intervalSeconds: must be at least 1"},
  };
  for (const auto& c : cases) {
    const auto parsed = parse_scheduling_preference(preference(c.spec));
    ASSERT_FALSE(parsed) << c.spec.dump();
    EXPECT_NE(parsed.error().message.find(c.message), std::string::npos)
        << parsed.error().message << " / expected " << c.message;
  }
  // Weights of zero are fine when minimums place the replicas (two in each cluster, KubeFed's scenario 2).
  EXPECT_TRUE(parse_scheduling_preference(
      preference({{"totalReplicas", 50}, {"clusters", {{"*", {{"weight", 0}, {"minReplicas", 2}}}}}})));
  // And nothing to place needs no weight.
  EXPECT_TRUE(parse_scheduling_preference(
      preference({{"totalReplicas", 0}, {"clusters", {{"*", {{"weight", 0}}}}}})));
  EXPECT_FALSE(parse_scheduling_preference(nlohmann::json::array()));
}

}  // namespace
}  // namespace fedns::sync::propagation
