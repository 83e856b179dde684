// Slim typed views of the Kubernetes objects fedns reads, converted at the edge from the informers' JSON so
// nothing past src/sync sees Kubernetes JSON. Unknown fields are ignored; an object that lacks what we need
// fails conversion with a reason (the informer then skips it and counts it).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "sync/kube_object.hpp"

namespace fedns::sync {

struct ServicePort {
  std::string name;
  std::string protocol = "TCP";
  std::uint16_t port = 0;
  std::string app_protocol;
};

struct Service {
  ObjectMeta meta;
  std::string type = "ClusterIP";  // ClusterIP, NodePort, LoadBalancer, ExternalName
  bool headless = false;           // clusterIP: None
  std::vector<std::string> cluster_ips;
  std::vector<std::string> ip_families;
  std::vector<std::string> external_ips;
  std::vector<std::string> load_balancer_ips;
  std::vector<std::string> load_balancer_hostnames;
  std::string external_name;
  bool publish_not_ready_addresses = false;
  std::vector<ServicePort> ports;
  std::map<std::string, std::string> annotations;  // only the fedns.io/ ones (others can be huge)
};

struct EndpointConditions {
  bool ready = true;         // nil means unknown, which consumers treat as ready (discovery/v1 API docs)
  bool serving = true;       // nil: as ready
  bool terminating = false;  // nil: false
};

struct Endpoint {
  std::vector<std::string> addresses;
  EndpointConditions conditions;
  std::string hostname;
  std::string node_name;
  std::string zone;
};

struct EndpointSlice {
  ObjectMeta meta;
  std::string service_name;  // label kubernetes.io/service-name
  std::string address_type;  // IPv4, IPv6, FQDN
  std::vector<Endpoint> endpoints;
  std::vector<ServicePort> ports;
};

struct Condition {
  std::string type;
  std::string status;  // "True", "False", "Unknown"
  std::string reason;
  std::string message;
  std::string last_transition_time;  // RFC 3339
};

struct ServiceExport {
  ObjectMeta meta;
  std::string creation_timestamp;  // RFC 3339; the oldest export wins MCS conflicts
  std::vector<Condition> conditions;
};

struct Node {
  ObjectMeta meta;
  std::string zone;    // label topology.kubernetes.io/zone
  std::string region;  // label topology.kubernetes.io/region
  std::vector<std::string> pod_cidrs;
  std::vector<std::string> internal_ips;
};

// multicluster.x-k8s.io ServiceImport: what a cluster set offers under one name.
struct ServiceImport {
  ObjectMeta meta;
  std::string type = "ClusterSetIP";  // ClusterSetIP or Headless
  std::vector<std::string> ips;
  std::vector<ServicePort> ports;
  std::string session_affinity;  // "None" or "ClientIP"
  std::vector<std::string> clusters;
};

struct Namespace {
  ObjectMeta meta;    // labels select namespaces for export-all
  std::string phase;  // Active, Terminating
};

// coordination.k8s.io/v1 Lease: leader election for the propagation engine.
struct Lease {
  ObjectMeta meta;
  std::string holder_identity;
  std::int64_t lease_duration_seconds = 0;
  std::string acquire_time;  // RFC 3339 with microseconds (MicroTime)
  std::string renew_time;
  std::int64_t lease_transitions = 0;
};

Result<Service> to_service(const KubeObject& object);
Result<EndpointSlice> to_endpoint_slice(const KubeObject& object);
Result<ServiceExport> to_service_export(const KubeObject& object);
Result<Node> to_node(const KubeObject& object);
Result<ServiceImport> to_service_import(const KubeObject& object);
Result<Namespace> to_namespace(const KubeObject& object);
Result<Lease> to_lease(const KubeObject& object);

}  // namespace fedns::sync
