// The status the engine writes into a federated object: one entry per cluster it is placed in (or still
// cleaning up), each with KubeFed's reason and what was last written there, and the Propagated condition that
// sums them up for `kubectl get`. Pure, so the summary rules have table tests; the reconciler writes the
// result only when it differs from what the object already says (a status write is a write too).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sync/propagation/cluster_action.hpp"

namespace fedns::sync::propagation {

struct ClusterEntry {
  std::string name;
  ClusterStatus status = ClusterStatus::kOK;
  std::string message;
  std::optional<LastWrite> last;
  std::string remote_status;  // the member object's .status as JSON text; empty: not collected
  std::string dns;            // federated Services: whether DNS answers from this cluster, and why not
};

struct PropagatedCondition {
  bool propagated = false;
  std::string reason;  // OK, NoClustersSelected, ClusterPropagationFailed, Deleting, InvalidObject, ...
  std::string message;
};

// The condition for these entries (sorted by name). `deleting`: the federated object is being deleted.
PropagatedCondition summarise(const std::vector<ClusterEntry>& entries, bool deleting);

// What status.clusters says was last written, by cluster name (entries without a hash are left out).
std::map<std::string, LastWrite> last_writes(const nlohmann::json& status);

// The new status as a JSON merge patch body ({"status": ...}), or nothing when `current` (the object's
// status, null when it has none) already says all of it. The condition's lastTransitionTime stays as it was
// while its status does not change; `now` is an RFC 3339 time.
std::optional<std::string> status_patch(const nlohmann::json& current, std::int64_t generation,
                                        const PropagatedCondition& condition,
                                        const std::vector<ClusterEntry>& entries, const std::string& now);

// The current time as RFC 3339 UTC with seconds (what metav1.Time serialises to).
std::string rfc3339_now();

}  // namespace fedns::sync::propagation
