// FederatedTypeConfig and MemberCluster parsing (see federated_type.hpp).
#include "sync/propagation/federated_type.hpp"

#include <nlohmann/json.hpp>

namespace fedns::sync::propagation {
namespace {

std::string text(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

}  // namespace

Result<FederatedType> parse_federated_type(const nlohmann::json& object) {
  FederatedType out;
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object())
    return Error{"FederatedTypeConfig: no metadata"};
  out.name = text(object["metadata"], "name");
  const std::string where = "FederatedTypeConfig " + out.name;
  const auto spec = object.find("spec");
  if (spec == object.end() || !spec->is_object()) return Error{where + ": no spec"};
  const auto target = spec->find("target");
  if (target == spec->end() || !target->is_object()) return Error{where + ": spec.target is required"};
  out.group = text(*target, "group");
  out.version = text(*target, "version");
  out.kind = text(*target, "kind");
  out.resource = text(*target, "resource");
  for (const auto* field : {"version", "kind", "resource"}) {
    if (text(*target, field).empty()) return Error{where + ": spec.target." + field + " is required"};
  }
  const std::string scope = text(*target, "scope");
  if (scope != "Namespaced" && scope != "Cluster")
    return Error{where + ": spec.target.scope must be Namespaced or Cluster, not \"" + scope + "\""};
  out.namespaced = scope == "Namespaced";
  out.enabled = text(*spec, "propagation") != "Disabled";
  out.collect_status = text(*spec, "statusCollection") == "Enabled";
  if (const auto retain = spec->find("retainFields"); retain != spec->end() && retain->is_array()) {
    for (const auto& r : *retain) {
      if (!r.is_string() || r.get<std::string>().empty() || r.get<std::string>()[0] != '/')
        return Error{where + ": spec.retainFields holds " + r.dump() + ", not a JSON pointer"};
      out.retain_fields.push_back(r.get<std::string>());
    }
  }
  return out;
}

Result<MemberClusterSpec> parse_member_cluster(const nlohmann::json& object) {
  MemberClusterSpec out;
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object())
    return Error{"MemberCluster: no metadata"};
  const auto& meta = object["metadata"];
  out.name = text(meta, "name");
  const std::string where = "MemberCluster " + out.name;
  if (const auto labels = meta.find("labels"); labels != meta.end() && labels->is_object()) {
    for (const auto& [key, value] : labels->items()) {
      if (value.is_string()) out.labels.emplace_back(key, value.get<std::string>());
    }
  }
  const auto spec = object.find("spec");
  if (spec == object.end() || !spec->is_object()) return Error{where + ": no spec"};
  out.api_endpoint = text(*spec, "apiEndpoint");
  while (!out.api_endpoint.empty() && out.api_endpoint.back() == '/')
    out.api_endpoint.pop_back();
  if (out.api_endpoint.rfind("https://", 0) != 0)
    return Error{where + ": spec.apiEndpoint must be an https:// URL"};
  const auto secret = spec->find("secretRef");
  if (secret == spec->end() || !secret->is_object() || text(*secret, "name").empty())
    return Error{where + ": spec.secretRef.name is required"};
  out.secret_name = text(*secret, "name");
  out.secret_namespace = text(*secret, "namespace");
  out.region = text(*spec, "region");
  out.zone = text(*spec, "zone");
  return out;
}

}  // namespace fedns::sync::propagation
