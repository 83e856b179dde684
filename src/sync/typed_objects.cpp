// JSON -> slim struct conversions for the kinds fedns reads.
#include "sync/typed_objects.hpp"

#include <nlohmann/json.hpp>

namespace fedns::sync {
namespace {

using nlohmann::json;

const json& member(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  const auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::string text(const json& object, const char* key) {
  const json& v = member(object, key);
  return v.is_string() ? v.get<std::string>() : std::string{};
}

std::vector<std::string> strings(const json& value) {
  std::vector<std::string> out;
  if (value.is_array()) {
    for (const auto& v : value) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

// A missing boolean condition takes its documented default.
bool flag(const json& object, const char* key, bool default_value) {
  const json& v = member(object, key);
  return v.is_boolean() ? v.get<bool>() : default_value;
}

Result<std::vector<ServicePort>> ports_of(const json& list, const std::string& kind) {
  std::vector<ServicePort> out;
  if (!list.is_array()) return out;
  for (const auto& p : list) {
    ServicePort port;
    port.name = text(p, "name");
    if (const std::string protocol = text(p, "protocol"); !protocol.empty()) port.protocol = protocol;
    port.app_protocol = text(p, "appProtocol");
    const json& number = member(p, "port");
    if (!number.is_number_integer() || number.get<long>() < 1 || number.get<long>() > 65535) {
      return Error{kind + " port \"" + port.name + "\" has no valid port number"};
    }
    port.port = static_cast<std::uint16_t>(number.get<long>());
    out.push_back(std::move(port));
  }
  return out;
}

std::int64_t integer(const json& object, const char* key) {
  const json& v = member(object, key);
  return v.is_number_integer() ? v.get<std::int64_t>() : 0;
}

std::string where(const KubeObject& object, const char* kind) {
  return std::string(kind) + " " + object.meta().key();
}

}  // namespace

Result<Service> to_service(const KubeObject& object) {
  const json& spec = member(object.json(), "spec");
  if (!spec.is_object()) return Error{where(object, "Service") + ": no spec"};
  Service s;
  s.meta = object.meta();
  if (const std::string type = text(spec, "type"); !type.empty()) s.type = type;
  const std::string cluster_ip = text(spec, "clusterIP");
  s.headless = cluster_ip == "None";
  s.cluster_ips = strings(member(spec, "clusterIPs"));
  if (s.cluster_ips.empty() && !cluster_ip.empty()) s.cluster_ips.push_back(cluster_ip);
  if (s.headless) s.cluster_ips.clear();
  s.ip_families = strings(member(spec, "ipFamilies"));
  s.external_ips = strings(member(spec, "externalIPs"));
  s.external_name = text(spec, "externalName");
  s.publish_not_ready_addresses = flag(spec, "publishNotReadyAddresses", false);
  const json& ingress = member(member(member(object.json(), "status"), "loadBalancer"), "ingress");
  if (ingress.is_array()) {
    for (const auto& i : ingress) {
      if (const std::string ip = text(i, "ip"); !ip.empty()) s.load_balancer_ips.push_back(ip);
      if (const std::string host = text(i, "hostname"); !host.empty())
        s.load_balancer_hostnames.push_back(host);
    }
  }
  const json& annotations = member(member(object.json(), "metadata"), "annotations");
  if (annotations.is_object()) {
    for (const auto& [name, value] : annotations.items()) {
      if (name.rfind("fedns.io/", 0) == 0 && value.is_string())
        s.annotations.emplace(name, value.get<std::string>());
    }
  }
  auto ports = ports_of(member(spec, "ports"), "Service");
  if (!ports) return ports.error().wrap(where(object, "Service"));
  s.ports = std::move(*ports);
  return s;
}

Result<EndpointSlice> to_endpoint_slice(const KubeObject& object) {
  EndpointSlice e;
  e.meta = object.meta();
  const auto service = e.meta.labels.find("kubernetes.io/service-name");
  if (service == e.meta.labels.end()) {
    return Error{where(object, "EndpointSlice") + ": no kubernetes.io/service-name label"};
  }
  e.service_name = service->second;
  e.address_type = text(object.json(), "addressType");
  if (e.address_type != "IPv4" && e.address_type != "IPv6" && e.address_type != "FQDN") {
    return Error{where(object, "EndpointSlice") + ": addressType \"" + e.address_type +
                 "\" is not IPv4, IPv6 or FQDN"};
  }
  const json& endpoints = member(object.json(), "endpoints");
  if (endpoints.is_array()) {
    for (const auto& item : endpoints) {
      Endpoint ep;
      ep.addresses = strings(member(item, "addresses"));
      if (ep.addresses.empty()) continue;  // the API requires at least one; skip a malformed entry
      const json& c = member(item, "conditions");
      ep.conditions.ready = flag(c, "ready", true);
      ep.conditions.serving = flag(c, "serving", ep.conditions.ready);
      ep.conditions.terminating = flag(c, "terminating", false);
      ep.hostname = text(item, "hostname");
      ep.node_name = text(item, "nodeName");
      ep.zone = text(item, "zone");
      e.endpoints.push_back(std::move(ep));
    }
  }
  auto ports = ports_of(member(object.json(), "ports"), "EndpointSlice");
  if (!ports) return ports.error().wrap(where(object, "EndpointSlice"));
  e.ports = std::move(*ports);
  return e;
}

Result<ServiceExport> to_service_export(const KubeObject& object) {
  ServiceExport x;
  x.meta = object.meta();
  x.creation_timestamp = text(member(object.json(), "metadata"), "creationTimestamp");
  const json& conditions = member(member(object.json(), "status"), "conditions");
  if (conditions.is_array()) {
    for (const auto& c : conditions) {
      x.conditions.push_back({text(c, "type"), text(c, "status"), text(c, "reason"), text(c, "message")});
    }
  }
  return x;
}

Result<Node> to_node(const KubeObject& object) {
  Node n;
  n.meta = object.meta();
  if (const auto z = n.meta.labels.find("topology.kubernetes.io/zone"); z != n.meta.labels.end())
    n.zone = z->second;
  if (const auto r = n.meta.labels.find("topology.kubernetes.io/region"); r != n.meta.labels.end()) {
    n.region = r->second;
  }
  const json& spec = member(object.json(), "spec");
  n.pod_cidrs = strings(member(spec, "podCIDRs"));
  if (n.pod_cidrs.empty()) {
    if (const std::string cidr = text(spec, "podCIDR"); !cidr.empty()) n.pod_cidrs.push_back(cidr);
  }
  const json& addresses = member(member(object.json(), "status"), "addresses");
  if (addresses.is_array()) {
    for (const auto& a : addresses) {
      if (text(a, "type") == "InternalIP") n.internal_ips.push_back(text(a, "address"));
    }
  }
  return n;
}

Result<ServiceImport> to_service_import(const KubeObject& object) {
  const json& spec = member(object.json(), "spec");
  if (!spec.is_object()) return Error{where(object, "ServiceImport") + ": no spec"};
  ServiceImport i;
  i.meta = object.meta();
  if (const std::string type = text(spec, "type"); !type.empty()) i.type = type;
  if (i.type != "ClusterSetIP" && i.type != "Headless") {
    return Error{where(object, "ServiceImport") + ": type \"" + i.type +
                 "\" is not ClusterSetIP or Headless"};
  }
  i.ips = strings(member(spec, "ips"));
  i.session_affinity = text(spec, "sessionAffinity");
  auto ports = ports_of(member(spec, "ports"), "ServiceImport");
  if (!ports) return ports.error().wrap(where(object, "ServiceImport"));
  i.ports = std::move(*ports);
  const json& clusters = member(member(object.json(), "status"), "clusters");
  if (clusters.is_array()) {
    for (const auto& c : clusters) {
      if (std::string name = text(c, "cluster"); !name.empty()) i.clusters.push_back(std::move(name));
    }
  }
  return i;
}

Result<Namespace> to_namespace(const KubeObject& object) {
  Namespace n;
  n.meta = object.meta();
  n.phase = text(member(object.json(), "status"), "phase");
  return n;
}

Result<Lease> to_lease(const KubeObject& object) {
  const json& spec = member(object.json(), "spec");
  if (!spec.is_object()) return Error{where(object, "Lease") + ": no spec"};
  Lease l;
  l.meta = object.meta();
  l.holder_identity = text(spec, "holderIdentity");
  l.lease_duration_seconds = integer(spec, "leaseDurationSeconds");
  l.acquire_time = text(spec, "acquireTime");
  l.renew_time = text(spec, "renewTime");
  l.lease_transitions = integer(spec, "leaseTransitions");
  return l;
}

}  // namespace fedns::sync
