// Per-cluster decisions (see cluster_action.hpp).
#include "sync/propagation/cluster_action.hpp"

#include "sync/propagation/desired_object.hpp"

namespace fedns::sync::propagation {

const char* to_string(ClusterStatus status) {
  switch (status) {
    case ClusterStatus::kOK:
      return "OK";
    case ClusterStatus::kClusterNotFound:
      return "ClusterNotFound";
    case ClusterStatus::kClusterNotReady:
      return "ClusterNotReady";
    case ClusterStatus::kApplyOverridesFailed:
      return "ApplyOverridesFailed";
    case ClusterStatus::kAlreadyExists:
      return "AlreadyExists";
    case ClusterStatus::kCreationFailed:
      return "CreationFailed";
    case ClusterStatus::kUpdateFailed:
      return "UpdateFailed";
    case ClusterStatus::kDeletionFailed:
      return "DeletionFailed";
    case ClusterStatus::kWaitingForRemoval:
      return "WaitingForRemoval";
  }
  return "Unknown";
}

std::optional<ClusterStatus> cluster_status_from_string(std::string_view text) {
  for (const auto s :
       {ClusterStatus::kOK, ClusterStatus::kClusterNotFound, ClusterStatus::kClusterNotReady,
        ClusterStatus::kApplyOverridesFailed, ClusterStatus::kAlreadyExists, ClusterStatus::kCreationFailed,
        ClusterStatus::kUpdateFailed, ClusterStatus::kDeletionFailed, ClusterStatus::kWaitingForRemoval}) {
    if (text == to_string(s)) return s;
  }
  return std::nullopt;
}

ClusterAction decide(const FederatedObject& object, const ClusterInput& in) {
  using Kind = ClusterAction::Kind;
  const bool ours = in.member && in.member->origin == object.origin();
  if (!in.placed) {
    // Nothing of ours there (absent, or another owner's object that we must never touch): the entry goes.
    if (!ours) return {Kind::kNothing, ClusterStatus::kOK, ClusterStatus::kOK, {}, false};
    if (!in.cluster_known || !in.cluster_ready) {
      return {Kind::kReport, ClusterStatus::kWaitingForRemoval, ClusterStatus::kOK,
              "the cluster is not reachable; the object will be removed when it is", true};
    }
    if (object.deletion_policy == DeletionPolicy::kOrphan)
      return {Kind::kOrphan, ClusterStatus::kOK, ClusterStatus::kDeletionFailed, {}, false};
    if (in.member->deleting) {
      return {Kind::kReport, ClusterStatus::kWaitingForRemoval, ClusterStatus::kOK,
              "being deleted in the cluster", true};
    }
    return {Kind::kDelete, ClusterStatus::kWaitingForRemoval, ClusterStatus::kDeletionFailed, {}, true};
  }
  if (!in.cluster_known) {
    return {Kind::kReport, ClusterStatus::kClusterNotFound, ClusterStatus::kOK,
            "no member cluster of that name", true};
  }
  if (!in.cluster_ready)
    return {Kind::kReport, ClusterStatus::kClusterNotReady, ClusterStatus::kOK,
            "the cluster is not reachable", true};
  if (in.desired == nullptr || !in.desired->ok()) {
    return {Kind::kReport, ClusterStatus::kApplyOverridesFailed, ClusterStatus::kOK,
            in.desired != nullptr ? in.desired->error().message : "no desired object", true};
  }
  if (!in.member) return {Kind::kApply, ClusterStatus::kOK, ClusterStatus::kCreationFailed, {}, true};
  if (!ours && !object.adopt_existing) {
    return {Kind::kReport, ClusterStatus::kAlreadyExists, ClusterStatus::kOK,
            "an object of that name exists and is not ours (spec.adoptExisting adopts it)", true};
  }
  if (in.member->deleting) {
    return {Kind::kReport, ClusterStatus::kWaitingForRemoval, ClusterStatus::kOK,
            "being deleted in the cluster; created again once gone", true};
  }
  // Written before, unchanged since on both sides: no request at all.
  if (ours && in.last && in.last->desired_hash == (*in.desired)->hash &&
      in.last->member_resource_version == in.member->resource_version) {
    return {Kind::kNothing, ClusterStatus::kOK, ClusterStatus::kOK, {}, true};
  }
  return {Kind::kApply, ClusterStatus::kOK, ClusterStatus::kUpdateFailed, {}, true};
}

}  // namespace fedns::sync::propagation
