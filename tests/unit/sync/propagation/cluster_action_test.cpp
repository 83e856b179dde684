// Every per-cluster rule of the propagation engine, as a table: create, no write when nothing changed (on
// either side), drift and template changes rewritten, another owner's object left alone unless adoption is
// asked for, unknown and unreachable clusters, overrides that fail, removal by deletion or orphaning.
#include "sync/propagation/cluster_action.hpp"

#include <gtest/gtest.h>

namespace fedns::sync::propagation {
namespace {

using Kind = ClusterAction::Kind;

TEST(ClusterAction, EveryRuleAsATable) {
  FederatedObject object;
  object.namespace_ = "shop";
  object.name = "web";
  const Result<DesiredObject> desired = DesiredObject{"{}", "hash-1"};
  const Result<DesiredObject> failed = Error{"spec.overrides[0] (clusterName east): path not found"};
  const MemberObject ours{"41", "shop/web", false};
  const MemberObject foreign{"41", "", false};
  const MemberObject terminating{"41", "shop/web", true};
  const LastWrite same{"hash-1", "41"};
  const LastWrite old_template{"hash-0", "41"};
  const LastWrite drifted{"hash-1", "40"};

  struct Case {
    const char* what;
    ClusterInput in;
    bool adopt = false;
    DeletionPolicy deletion = DeletionPolicy::kDelete;
    Kind kind;
    ClusterStatus status;
    ClusterStatus on_failure;
    bool keep = true;
  };
  const Case cases[] = {
      {"create",
       {true, true, true, &desired, std::nullopt, std::nullopt},
       false,
       DeletionPolicy::kDelete,
       Kind::kApply,
       ClusterStatus::kOK,
       ClusterStatus::kCreationFailed},
      {"unchanged: no write",
       {true, true, true, &desired, ours, same},
       false,
       DeletionPolicy::kDelete,
       Kind::kNothing,
       ClusterStatus::kOK,
       ClusterStatus::kOK},
      {"template or overrides changed",
       {true, true, true, &desired, ours, old_template},
       false,
       DeletionPolicy::kDelete,
       Kind::kApply,
       ClusterStatus::kOK,
       ClusterStatus::kUpdateFailed},
      {"drift: edited in the member",
       {true, true, true, &desired, ours, drifted},
       false,
       DeletionPolicy::kDelete,
       Kind::kApply,
       ClusterStatus::kOK,
       ClusterStatus::kUpdateFailed},
      {"ours but no record (a status lost)",
       {true, true, true, &desired, ours, std::nullopt},
       false,
       DeletionPolicy::kDelete,
       Kind::kApply,
       ClusterStatus::kOK,
       ClusterStatus::kUpdateFailed},
      {"another owner's object",
       {true, true, true, &desired, foreign, std::nullopt},
       false,
       DeletionPolicy::kDelete,
       Kind::kReport,
       ClusterStatus::kAlreadyExists,
       ClusterStatus::kOK},
      {"adopted when asked",
       {true, true, true, &desired, foreign, std::nullopt},
       true,
       DeletionPolicy::kDelete,
       Kind::kApply,
       ClusterStatus::kOK,
       ClusterStatus::kUpdateFailed},
      {"unknown cluster",
       {true, false, false, &desired, std::nullopt, std::nullopt},
       false,
       DeletionPolicy::kDelete,
       Kind::kReport,
       ClusterStatus::kClusterNotFound,
       ClusterStatus::kOK},
      {"unreachable cluster",
       {true, true, false, &desired, ours, same},
       false,
       DeletionPolicy::kDelete,
       Kind::kReport,
       ClusterStatus::kClusterNotReady,
       ClusterStatus::kOK},
      {"overrides do not apply",
       {true, true, true, &failed, ours, same},
       false,
       DeletionPolicy::kDelete,
       Kind::kReport,
       ClusterStatus::kApplyOverridesFailed,
       ClusterStatus::kOK},
      {"terminating in the member",
       {true, true, true, &desired, terminating, same},
       false,
       DeletionPolicy::kDelete,
       Kind::kReport,
       ClusterStatus::kWaitingForRemoval,
       ClusterStatus::kOK},
      {"left placement: delete",
       {false, true, true, nullptr, ours, same},
       false,
       DeletionPolicy::kDelete,
       Kind::kDelete,
       ClusterStatus::kWaitingForRemoval,
       ClusterStatus::kDeletionFailed},
      {"left placement: orphan",
       {false, true, true, nullptr, ours, same},
       false,
       DeletionPolicy::kOrphan,
       Kind::kOrphan,
       ClusterStatus::kOK,
       ClusterStatus::kDeletionFailed,
       false},
      {"left placement while unreachable",
       {false, true, false, nullptr, ours, same},
       false,
       DeletionPolicy::kDelete,
       Kind::kReport,
       ClusterStatus::kWaitingForRemoval,
       ClusterStatus::kOK},
      {"left placement, being deleted",
       {false, true, true, nullptr, terminating, same},
       false,
       DeletionPolicy::kDelete,
       Kind::kReport,
       ClusterStatus::kWaitingForRemoval,
       ClusterStatus::kOK},
      {"left placement, gone: entry leaves",
       {false, true, true, nullptr, std::nullopt, same},
       false,
       DeletionPolicy::kDelete,
       Kind::kNothing,
       ClusterStatus::kOK,
       ClusterStatus::kOK,
       false},
      {"never ours: never touched",
       {false, true, true, nullptr, foreign, std::nullopt},
       false,
       DeletionPolicy::kDelete,
       Kind::kNothing,
       ClusterStatus::kOK,
       ClusterStatus::kOK,
       false},
  };
  for (const auto& c : cases) {
    object.adopt_existing = c.adopt;
    object.deletion_policy = c.deletion;
    const auto action = decide(object, c.in);
    EXPECT_EQ(action.kind, c.kind) << c.what;
    EXPECT_STREQ(to_string(action.status), to_string(c.status)) << c.what;
    EXPECT_STREQ(to_string(action.on_failure), to_string(c.on_failure)) << c.what;
    EXPECT_EQ(action.keep_in_status, c.keep) << c.what;
  }
  const auto overrides = decide(object, {true, true, true, &failed, ours, same});
  EXPECT_EQ(overrides.message, "spec.overrides[0] (clusterName east): path not found");
}

}  // namespace
}  // namespace fedns::sync::propagation
