// What the engine writes into one member cluster for a federated object, in the order: the template,
// less the fields member clusters own (retained), then the overrides for that cluster, then the replica
// scheduler's spec.replicas for it, then the managed label. The result is a server-side-apply body: fields
// left out (a Service's clusterIP, replicas an autoscaler owns) stay the member's, and applying the same body
// twice changes nothing.
#pragma once

#include <string>
#include <vector>

#include "common/result.hpp"
#include "sync/propagation/federated_object.hpp"
#include "sync/propagation/placement.hpp"

namespace fedns::sync::propagation {

struct DesiredObject {
  std::string body;  // JSON, keys sorted: the same inputs give the same text
  std::string
      hash;  // of `body` (16 hex digits), recorded in the status: an unchanged object is not rewritten
};

// `retain_fields`: the type's extra member-owned fields (FederatedTypeConfig spec.retainFields, JSON
// pointers). Errors (an override that does not apply: a path that does not exist, a value of the wrong
// shape) name the override and patch; the engine reports them as ApplyOverridesFailed for that cluster only.
Result<DesiredObject> desired_object(const FederatedObject& object, const MemberCluster& cluster,
                                     const std::vector<std::string>& retain_fields);

// Fields every member object keeps as its own whatever the kind (metadata the API server sets, status), and
// per kind (Service: clusterIP(s), nodePorts, healthCheckNodePort; ServiceAccount: secrets).
std::vector<std::string> built_in_retained_fields(const std::string& api_version, const std::string& kind);

}  // namespace fedns::sync::propagation
