// The federated object's status: the Propagated condition's summary rules, the merge patch (written only when
// something changed, lastTransitionTime kept while the condition's status holds), and reading back what was
// last written.
#include "sync/propagation/propagation_status.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace fedns::sync::propagation {
namespace {

ClusterEntry entry(const std::string& name, ClusterStatus status) {
  return {name, status, {}, LastWrite{"abc", "7"}, {}};
}

TEST(PropagationStatus, SummarisesTheClustersIntoOneCondition) {
  struct Case {
    std::vector<ClusterEntry> entries;
    bool deleting;
    bool propagated;
    std::string reason;
    std::string message;
  };
  const Case cases[] = {
      {{entry("a", ClusterStatus::kOK), entry("b", ClusterStatus::kOK)},
       false,
       true,
       "OK",
       "propagated to 2 clusters"},
      {{entry("a", ClusterStatus::kOK)}, false, true, "OK", "propagated to 1 cluster"},
      {{}, false, false, "NoClustersSelected", "the placement selects no member cluster"},
      {{entry("a", ClusterStatus::kOK), entry("b", ClusterStatus::kClusterNotReady)},
       false,
       false,
       "ClusterPropagationFailed",
       "b: ClusterNotReady"},
      {{entry("a", ClusterStatus::kUpdateFailed), entry("b", ClusterStatus::kAlreadyExists),
        entry("c", ClusterStatus::kCreationFailed), entry("d", ClusterStatus::kDeletionFailed),
        entry("e", ClusterStatus::kClusterNotFound)},
       false,
       false,
       "ClusterPropagationFailed",
       "a: UpdateFailed; b: AlreadyExists; c: CreationFailed; and 2 more"},
      {{entry("a", ClusterStatus::kWaitingForRemoval)},
       true,
       false,
       "Deleting",
       "waiting for removal from a"},
      {{}, true, true, "Deleted", "removed from every member cluster"},
  };
  for (const auto& c : cases) {
    const auto got = summarise(c.entries, c.deleting);
    EXPECT_EQ(got.propagated, c.propagated) << c.message;
    EXPECT_EQ(got.reason, c.reason) << c.message;
    EXPECT_EQ(got.message, c.message);
  }
}

TEST(PropagationStatus, WritesOnlyWhatChangedAndKeepsTheTransitionTime) {
  const std::vector<ClusterEntry> entries = {entry("east", ClusterStatus::kOK)};
  const PropagatedCondition ok{true, "OK", "propagated to 1 cluster"};
  const auto first = status_patch(nullptr, 3, ok, entries, "2026-11-27T10:00:00Z");
  ASSERT_TRUE(first);
  const auto written = nlohmann::json::parse(*first)["status"];
  EXPECT_EQ(written["observedGeneration"], 3);
  EXPECT_EQ(written["clusters"][0]["desiredHash"], "abc");
  EXPECT_EQ(written["clusters"][0]["memberResourceVersion"], "7");
  EXPECT_EQ(written["conditions"][0]["lastTransitionTime"], "2026-11-27T10:00:00Z");

  // The same again, later: nothing to write (a status write would be a needless write).
  EXPECT_FALSE(status_patch(written, 3, ok, entries, "2026-11-27T11:00:00Z"));

  // A new generation: written, the condition's time kept (its status did not change).
  const auto next = status_patch(written, 4, ok, entries, "2026-11-27T11:00:00Z");
  ASSERT_TRUE(next);
  EXPECT_EQ(nlohmann::json::parse(*next)["status"]["conditions"][0]["lastTransitionTime"],
            "2026-11-27T10:00:00Z");

  // The condition turns False: a new time; a field the new status lacks is removed (null in a merge patch).
  auto with_extra = written;
  with_extra["stray"] = 1;
  const auto failed = status_patch(with_extra, 3, {false, "ClusterPropagationFailed", "east: UpdateFailed"},
                                   {entry("east", ClusterStatus::kUpdateFailed)}, "2026-11-27T12:00:00Z");
  ASSERT_TRUE(failed);
  const auto patch = nlohmann::json::parse(*failed)["status"];
  EXPECT_EQ(patch["conditions"][0]["lastTransitionTime"], "2026-11-27T12:00:00Z");
  EXPECT_TRUE(patch["stray"].is_null());
  EXPECT_EQ(patch["clusters"][0]["status"], "UpdateFailed");
}

TEST(PropagationStatus, ReadsBackTheLastWritesAndIgnoresWhatIsNotOne) {
  const auto status = nlohmann::json::parse(R"({"clusters": [
      {"name": "east", "status": "OK", "desiredHash": "h1", "memberResourceVersion": "10"},
      {"name": "west", "status": "ClusterNotFound"},
      {"name": 5, "desiredHash": "x"},
      "junk",
      {"name": "north", "desiredHash": "h2"}]})");
  const auto last = last_writes(status);
  ASSERT_EQ(last.size(), 2u);
  EXPECT_EQ(last.at("east").desired_hash, "h1");
  EXPECT_EQ(last.at("east").member_resource_version, "10");
  EXPECT_EQ(last.at("north").member_resource_version, "");
  EXPECT_TRUE(last_writes(nlohmann::json::parse(R"({"clusters": 3})")).empty());
  EXPECT_TRUE(last_writes(nullptr).empty());
}

TEST(PropagationStatus, ReadsStatusNamesBack) {
  for (const auto s : {ClusterStatus::kOK, ClusterStatus::kClusterNotReady, ClusterStatus::kWaitingForRemoval,
                       ClusterStatus::kApplyOverridesFailed})
    EXPECT_EQ(cluster_status_from_string(to_string(s)), s);
  EXPECT_FALSE(cluster_status_from_string("Bogus"));
}

}  // namespace
}  // namespace fedns::sync::propagation
