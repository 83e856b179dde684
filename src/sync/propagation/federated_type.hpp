// A FederatedTypeConfig (deploy/crds): which kind federated objects may create in member clusters, where it
// lives in the API, and how it propagates.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

#include "common/result.hpp"

namespace fedns::sync::propagation {

struct FederatedType {
  std::string name;  // the FederatedTypeConfig's
  std::string group;
  std::string version;
  std::string kind;
  std::string resource;  // plural
  bool namespaced = true;
  bool enabled = true;
  bool collect_status = false;
  std::vector<std::string> retain_fields;

  // "v1" or "apps/v1", as objects' apiVersion says it.
  [[nodiscard]] std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  // "/api/v1" or "/apis/apps/v1".
  [[nodiscard]] std::string api_path() const {
    return group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  }
  // What federated objects are matched by: "apps/v1 Deployment".
  [[nodiscard]] std::string target() const { return api_version() + " " + kind; }
  // The path of one object of this kind.
  [[nodiscard]] std::string object_path(const std::string& object_namespace,
                                        const std::string& object_name) const {
    return api_path() + (namespaced ? "/namespaces/" + object_namespace : "") + "/" + resource + "/" +
           object_name;
  }
};

// Errors name the FederatedTypeConfig and the field.
Result<FederatedType> parse_federated_type(const nlohmann::json& object);

// A MemberCluster (deploy/crds) as the engine connects to it.
struct MemberClusterSpec {
  std::string name;
  std::string api_endpoint;
  std::string secret_namespace;  // empty: the engine's own namespace
  std::string secret_name;
  std::string region;
  std::string zone;
  std::vector<std::pair<std::string, std::string>> labels;
};

Result<MemberClusterSpec> parse_member_cluster(const nlohmann::json& object);

}  // namespace fedns::sync::propagation
