// The object written to a member cluster (see desired_object.hpp).
#include "sync/propagation/desired_object.hpp"

#include <cstdint>
#include <cstdio>
#include <exception>
#include <nlohmann/json.hpp>

namespace fedns::sync::propagation {
namespace {

// nlohmann's messages start "[json.exception.out_of_range.403] "; the rest is what a user needs.
std::string without_prefix(const char* what) {
  std::string text = what;
  if (const auto end = text.find("] "); !text.empty() && text[0] == '[' && end != std::string::npos)
    return text.substr(end + 2);
  return text;
}

void remove_pointer(nlohmann::json& body, const std::string& pointer) {
  const nlohmann::json::json_pointer at(pointer);
  if (!body.contains(at)) return;
  const auto parent = at.parent_pointer();
  auto& holder = body.at(parent);
  if (holder.is_object()) {
    holder.erase(at.back());
  } else if (holder.is_array()) {
    holder.erase(static_cast<std::size_t>(std::stoul(at.back())));
  }
}

// Fields under every element of an array: "/spec/ports/*/nodePort".
void remove_each(nlohmann::json& body, const std::string& array, const std::string& field) {
  const nlohmann::json::json_pointer at(array);
  if (!body.contains(at) || !body.at(at).is_array()) return;
  for (auto& element : body.at(at)) {
    if (element.is_object()) element.erase(field);
  }
}

std::string fnv1a_hex(const std::string& text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

}  // namespace

std::vector<std::string> built_in_retained_fields(const std::string& api_version, const std::string& kind) {
  std::vector<std::string> out = {"/status",
                                  "/metadata/uid",
                                  "/metadata/resourceVersion",
                                  "/metadata/generation",
                                  "/metadata/creationTimestamp",
                                  "/metadata/deletionTimestamp",
                                  "/metadata/deletionGracePeriodSeconds",
                                  "/metadata/managedFields",
                                  "/metadata/selfLink",
                                  "/metadata/ownerReferences",
                                  "/metadata/finalizers"};
  if (api_version == "v1" && kind == "Service") {
    out.insert(out.end(), {"/spec/clusterIP", "/spec/clusterIPs", "/spec/healthCheckNodePort"});
  } else if (api_version == "v1" && kind == "ServiceAccount") {
    out.emplace_back("/secrets");
  }
  return out;
}

Result<DesiredObject> desired_object(const FederatedObject& object, const MemberCluster& cluster,
                                     const std::vector<std::string>& retain_fields) {
  nlohmann::json body = nlohmann::json::parse(object.template_text, nullptr, false);
  if (!body.is_object()) return Error{object.describe() + ": spec.template is not an object"};
  // Retained fields first: an override may still set one for its cluster on purpose.
  try {
    for (const auto& pointer : built_in_retained_fields(object.api_version, object.kind))
      remove_pointer(body, pointer);
    if (object.api_version == "v1" && object.kind == "Service") remove_each(body, "/spec/ports", "nodePort");
    if (object.retain_replicas) remove_pointer(body, "/spec/replicas");
    for (const auto& pointer : retain_fields)
      remove_pointer(body, pointer);
  } catch (const std::exception& e) {  // a malformed pointer, or an array index that is not a number
    return Error{"retained fields of " + object.api_version + "/" + object.kind + ": " +
                 without_prefix(e.what())};
  }
  if (!body.contains("metadata") || !body["metadata"].is_object())
    body["metadata"] = nlohmann::json::object();
  auto& meta = body["metadata"];
  meta["name"] = object.member_name();
  if (!object.cluster_scoped) {
    meta["namespace"] = object.namespace_;
  } else {
    meta.erase("namespace");
  }
  // Overrides: selector ones in list order, then by-name ones (the most specific last, so it wins).
  for (const bool by_name : {false, true}) {
    for (const auto& o : object.overrides) {
      const bool applies =
          by_name ? o.cluster_name == cluster.name : (o.selector && o.selector->matches(cluster.labels));
      if (!applies || by_name == o.cluster_name.empty()) continue;
      try {
        body = body.patch(nlohmann::json::parse(o.patches));
      } catch (const nlohmann::json::exception& e) {
        const std::string which = by_name ? "clusterName " + o.cluster_name : "clusterSelector";
        return Error{"spec.overrides[" + std::to_string(o.index) + "] (" + which +
                     "): " + without_prefix(e.what())};
      }
    }
  }
  if (!body.is_object() || !body.contains("metadata") || !body["metadata"].is_object())
    return Error{"the overrides left no object metadata"};
  // The replica scheduler's count, last: it is the override of spec.replicas that wins (an autoscaler that
  // owns the member's replicas, retainReplicas, wins over it).
  if (const auto scheduled = object.scheduled_replicas.find(cluster.name);
      scheduled != object.scheduled_replicas.end() && !object.retain_replicas) {
    if (!body.contains("spec") || !body["spec"].is_object()) body["spec"] = nlohmann::json::object();
    body["spec"]["replicas"] = scheduled->second;
  }
  // The identity is the federated object's whatever an override did.
  body["metadata"]["name"] = object.member_name();
  if (!object.cluster_scoped) body["metadata"]["namespace"] = object.namespace_;
  auto& labels = body["metadata"]["labels"];
  if (!labels.is_object()) labels = nlohmann::json::object();
  labels[kManagedLabel] = "true";
  auto& annotations = body["metadata"]["annotations"];
  if (!annotations.is_object()) annotations = nlohmann::json::object();
  annotations[kOriginAnnotation] = object.origin();
  body["apiVersion"] = object.api_version;
  body["kind"] = object.kind;
  DesiredObject out;
  out.body = body.dump();
  out.hash = fnv1a_hex(out.body);
  return out;
}

}  // namespace fedns::sync::propagation
