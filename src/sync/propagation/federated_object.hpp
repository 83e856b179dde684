// A FederatedObject / ClusterFederatedObject (deploy/crds) as the propagation engine reads it: the template
// and the rules that turn it into one object per member cluster. Parsed once per change of the host object;
// the template and patches stay JSON text (nlohmann types stay in .cpp files).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "sync/propagation/label_selector.hpp"

namespace fedns::sync::propagation {

inline constexpr const char* kGroup = "federation.fedns.io";
inline constexpr const char* kManagedLabel = "federation.fedns.io/managed";
inline constexpr const char* kOriginAnnotation = "federation.fedns.io/federated-object";

enum class DeletionPolicy { kDelete, kOrphan };

struct Placement {
  bool explicit_list = false;  // `clusters` given (even empty): it alone decides
  std::vector<std::string> clusters;
  std::optional<LabelSelector> selector;  // else this; neither places the object nowhere
};

struct Override {
  std::size_t index = 0;     // position in spec.overrides, for messages
  std::string cluster_name;  // one of these two
  std::optional<LabelSelector> selector;
  std::string patches;  // a JSON Patch (RFC 6902) array, only add / remove / replace
};

struct FederatedObject {
  bool cluster_scoped = false;  // a ClusterFederatedObject
  std::string namespace_;
  std::string name;
  std::string uid;
  std::int64_t generation = 0;
  bool deleting = false;  // metadata.deletionTimestamp set
  std::vector<std::string> finalizers;

  std::string api_version;  // the template's
  std::string kind;
  std::string template_text;
  // The member objects' name: spec.template.metadata.name, else the federated object's own name (so that a
  // Service and its ServiceExport, two federated objects, can both create "web"). The namespace is always the
  // federated object's.
  std::string target_name;
  Placement placement;
  std::vector<Override> overrides;
  bool adopt_existing = false;
  bool retain_replicas = false;
  // spec.scheduledReplicas: spec.replicas per cluster, written by the replica scheduler (a
  // ReplicaSchedulingPreference of the same name), applied after every override.
  std::map<std::string, std::int64_t> scheduled_replicas;
  DeletionPolicy deletion_policy = DeletionPolicy::kDelete;

  // "FederatedObject shop/web" or "ClusterFederatedObject admins", for messages.
  [[nodiscard]] std::string describe() const;
  // What the origin annotation on member objects says: "shop/web", or "admins" for a cluster-scoped one.
  [[nodiscard]] std::string origin() const { return cluster_scoped ? name : namespace_ + "/" + name; }
  [[nodiscard]] const std::string& member_name() const { return target_name.empty() ? name : target_name; }
  // The member objects' key: "shop/web" or "web".
  [[nodiscard]] std::string member_key() const {
    return cluster_scoped ? member_name() : namespace_ + "/" + member_name();
  }
};

// Reads a federated object. The apiserver validated it against the CRD's schema, but a stale schema or a
// hand-edited object may still get here: every problem is an error naming its field.
Result<FederatedObject> parse_federated_object(const nlohmann::json& object);

}  // namespace fedns::sync::propagation
