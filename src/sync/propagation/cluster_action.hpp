// What the engine does about one federated object in one member cluster, decided from what it knows: whether
// the object is placed there, the cluster's state, the member object as the informer sees it, and what was
// last written (recorded in the federated object's status). A pure function, so every rule has a table test;
// the reconciler carries the action out and turns failures into the matching status.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sync/propagation/desired_object.hpp"
#include "sync/propagation/federated_object.hpp"

namespace fedns::sync::propagation {

// The per-cluster status reasons (KubeFed's, plus ClusterNotFound for a placement naming an unknown cluster).
enum class ClusterStatus {
  kOK,
  kClusterNotFound,
  kClusterNotReady,
  kApplyOverridesFailed,
  kAlreadyExists,  // an object of that name exists there and adoption was not asked for
  kCreationFailed,
  kUpdateFailed,
  kDeletionFailed,
  kWaitingForRemoval,  // leaving placement (or the federated object is deleted): the member object is going
};
const char* to_string(ClusterStatus status);
// The reverse, for statuses read back from an object; nothing for an unknown text.
std::optional<ClusterStatus> cluster_status_from_string(std::string_view text);

struct MemberObject {
  std::string resource_version;
  std::string origin;  // our origin annotation, empty when the object is not ours
  bool deleting = false;
};

struct LastWrite {  // status.clusters[] of the federated object
  std::string desired_hash;
  std::string member_resource_version;
};

struct ClusterInput {
  bool placed = false;  // in the placement, and the federated object is not being deleted
  bool cluster_known = true;
  bool cluster_ready = true;
  const Result<DesiredObject>* desired = nullptr;  // when placed
  std::optional<MemberObject> member;
  std::optional<LastWrite> last;
};

struct ClusterAction {
  enum class Kind {
    kNothing,  // up to date, or nothing of ours there
    kApply,    // server-side apply the desired body (create or update)
    kDelete,
    kOrphan,  // leave the object, remove our label and annotation
    kReport,  // cannot act now: the status says why
  };
  Kind kind = Kind::kNothing;
  ClusterStatus status = ClusterStatus::kOK;  // the status now, or on success of the action
  ClusterStatus on_failure = ClusterStatus::kOK;
  std::string message;
  bool keep_in_status = true;  // false: the cluster's entry leaves the status (nothing of ours is left there)
};

ClusterAction decide(const FederatedObject& object, const ClusterInput& input);

}  // namespace fedns::sync::propagation
