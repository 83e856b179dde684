// JSON -> slim struct conversions for the kinds fedns reads.
#include "sync/typed_objects.hpp"

#include <simdjson.h>

#include <optional>

namespace fedns::sync {
namespace {

namespace dom = simdjson::dom;
// An element that may be absent: a missing member, or a member of something that is not an object.
using Element = std::optional<dom::element>;

Element member(const Element& object, std::string_view key) {
  dom::object o;
  dom::element e;
  if (!object || object->get_object().get(o) || o[key].get(e)) return std::nullopt;
  return e;
}

std::string text(const Element& object, std::string_view key) {
  const Element v = member(object, key);
  std::string_view s;
  if (!v || v->get_string().get(s)) return {};
  return std::string(s);
}

std::vector<std::string> strings(const Element& value) {
  std::vector<std::string> out;
  dom::array array;
  if (!value || value->get_array().get(array)) return out;
  for (dom::element e : array) {
    std::string_view s;
    if (!e.get_string().get(s)) out.emplace_back(s);
  }
  return out;
}

// A missing boolean condition takes its documented default.
bool flag(const Element& object, std::string_view key, bool default_value) {
  const Element v = member(object, key);
  bool b = false;
  if (!v || v->get_bool().get(b)) return default_value;
  return b;
}

std::int64_t integer(const Element& object, std::string_view key) {
  const Element v = member(object, key);
  std::int64_t n = 0;
  if (!v || v->get_int64().get(n)) return 0;
  return n;
}

bool is_object(const Element& e) {
  return e && e->is_object();
}

// Each element of an array member (none when absent or not an array).
std::vector<dom::element> elements(const Element& value) {
  std::vector<dom::element> out;
  dom::array array;
  if (!value || value->get_array().get(array)) return out;
  for (dom::element e : array)
    out.push_back(e);
  return out;
}

std::string where(const KubeObject& object, const char* kind) {
  return std::string(kind) + " " + object.meta().key();
}

// The object's root, parsed by simdjson's DOM parser (valid until this thread parses the next object).
Result<dom::element> root_of(const KubeObject& object, const char* kind) {
  thread_local dom::parser parser;
  const std::string& text = object.text();
  dom::element root;
  if (auto e = parser.parse(text.data(), text.size(), false).get(root); e) {
    return Error{where(object, kind) + ": " + simdjson::error_message(e)};
  }
  return root;
}

Result<std::vector<ServicePort>> ports_of(const Element& list, const std::string& kind) {
  std::vector<ServicePort> out;
  for (const dom::element p : elements(list)) {
    ServicePort port;
    port.name = text(p, "name");
    if (const std::string protocol = text(p, "protocol"); !protocol.empty()) port.protocol = protocol;
    port.app_protocol = text(p, "appProtocol");
    const Element number = member(p, "port");
    std::int64_t n = 0;
    if (!number || number->get_int64().get(n) || n < 1 || n > 65535) {
      return Error{kind + " port \"" + port.name + "\" has no valid port number"};
    }
    port.port = static_cast<std::uint16_t>(n);
    out.push_back(std::move(port));
  }
  return out;
}

}  // namespace

Result<Service> to_service(const KubeObject& object) {
  const auto root = root_of(object, "Service");
  if (!root) return root.error();
  const Element spec = member(*root, "spec");
  if (!is_object(spec)) return Error{where(object, "Service") + ": no spec"};
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
  for (const dom::element i : elements(member(member(member(*root, "status"), "loadBalancer"), "ingress"))) {
    if (const std::string ip = text(i, "ip"); !ip.empty()) s.load_balancer_ips.push_back(ip);
    if (const std::string host = text(i, "hostname"); !host.empty())
      s.load_balancer_hostnames.push_back(host);
  }
  dom::object annotations;
  const Element annotations_element = member(member(*root, "metadata"), "annotations");
  if (annotations_element && !annotations_element->get_object().get(annotations)) {
    for (const auto field : annotations) {
      std::string_view value;
      if (field.key.starts_with("fedns.io/") && !field.value.get_string().get(value)) {
        s.annotations.emplace(field.key, value);
      }
    }
  }
  auto ports = ports_of(member(spec, "ports"), "Service");
  if (!ports) return ports.error().wrap(where(object, "Service"));
  s.ports = std::move(*ports);
  return s;
}

Result<EndpointSlice> to_endpoint_slice(const KubeObject& object) {
  const auto root = root_of(object, "EndpointSlice");
  if (!root) return root.error();
  EndpointSlice e;
  e.meta = object.meta();
  const auto service = e.meta.labels.find("kubernetes.io/service-name");
  if (service == e.meta.labels.end()) {
    return Error{where(object, "EndpointSlice") + ": no kubernetes.io/service-name label"};
  }
  e.service_name = service->second;
  e.address_type = text(*root, "addressType");
  if (e.address_type != "IPv4" && e.address_type != "IPv6" && e.address_type != "FQDN") {
    return Error{where(object, "EndpointSlice") + ": addressType \"" + e.address_type +
                 "\" is not IPv4, IPv6 or FQDN"};
  }
  for (const dom::element item : elements(member(*root, "endpoints"))) {
    Endpoint ep;
    ep.addresses = strings(member(item, "addresses"));
    if (ep.addresses.empty()) continue;  // the API requires at least one; skip a malformed entry
    const Element c = member(item, "conditions");
    ep.conditions.ready = flag(c, "ready", true);
    ep.conditions.serving = flag(c, "serving", ep.conditions.ready);
    ep.conditions.terminating = flag(c, "terminating", false);
    ep.hostname = text(item, "hostname");
    ep.node_name = text(item, "nodeName");
    ep.zone = text(item, "zone");
    e.endpoints.push_back(std::move(ep));
  }
  auto ports = ports_of(member(*root, "ports"), "EndpointSlice");
  if (!ports) return ports.error().wrap(where(object, "EndpointSlice"));
  e.ports = std::move(*ports);
  return e;
}

Result<ServiceExport> to_service_export(const KubeObject& object) {
  const auto root = root_of(object, "ServiceExport");
  if (!root) return root.error();
  ServiceExport x;
  x.meta = object.meta();
  x.creation_timestamp = text(member(*root, "metadata"), "creationTimestamp");
  for (const dom::element c : elements(member(member(*root, "status"), "conditions"))) {
    x.conditions.push_back({text(c, "type"), text(c, "status"), text(c, "reason"), text(c, "message"),
                            text(c, "lastTransitionTime")});
  }
  return x;
}

Result<Node> to_node(const KubeObject& object) {
  const auto root = root_of(object, "Node");
  if (!root) return root.error();
  Node n;
  n.meta = object.meta();
  if (const auto z = n.meta.labels.find("topology.kubernetes.io/zone"); z != n.meta.labels.end())
    n.zone = z->second;
  if (const auto r = n.meta.labels.find("topology.kubernetes.io/region"); r != n.meta.labels.end()) {
    n.region = r->second;
  }
  const Element spec = member(*root, "spec");
  n.pod_cidrs = strings(member(spec, "podCIDRs"));
  if (n.pod_cidrs.empty()) {
    if (const std::string cidr = text(spec, "podCIDR"); !cidr.empty()) n.pod_cidrs.push_back(cidr);
  }
  for (const dom::element a : elements(member(member(*root, "status"), "addresses"))) {
    if (text(a, "type") == "InternalIP") n.internal_ips.push_back(text(a, "address"));
  }
  return n;
}

Result<ServiceImport> to_service_import(const KubeObject& object) {
  const auto root = root_of(object, "ServiceImport");
  if (!root) return root.error();
  const Element spec = member(*root, "spec");
  if (!is_object(spec)) return Error{where(object, "ServiceImport") + ": no spec"};
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
  for (const dom::element c : elements(member(member(*root, "status"), "clusters"))) {
    if (std::string name = text(c, "cluster"); !name.empty()) i.clusters.push_back(std::move(name));
  }
  return i;
}

Result<Namespace> to_namespace(const KubeObject& object) {
  const auto root = root_of(object, "Namespace");
  if (!root) return root.error();
  Namespace n;
  n.meta = object.meta();
  n.phase = text(member(*root, "status"), "phase");
  return n;
}

Result<Lease> to_lease(const KubeObject& object) {
  const auto root = root_of(object, "Lease");
  if (!root) return root.error();
  const Element spec = member(*root, "spec");
  if (!is_object(spec)) return Error{where(object, "Lease") + ": no spec"};
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
