// One member cluster's shard of one exported service, built from its Service, EndpointSlices and
// ServiceExport: which addresses are published (the address policy), which endpoints count, and what is
// nonsense. A member cluster is not trusted: invalid addresses, duplicate endpoints, labels DNS cannot carry
// and absurd port lists are dropped with a reason instead of reaching the zone.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "model/catalog.hpp"
#include "sync/shared_values.hpp"
#include "sync/typed_objects.hpp"

namespace fedns::sync {

// Which of a Service's addresses a ClusterSetIP-kind name publishes. kAuto: LoadBalancer ingress IPs for a
// LoadBalancer Service (none until the cloud assigns them), else the ClusterIPs; externalIPs when set on a
// non-LoadBalancer Service. Headless Services always publish their endpoints; kEndpoints publishes the ready
// endpoints of any Service (pod IPs, for flat multi-cluster networks).
enum class AddressSource { kAuto, kClusterIp, kLoadBalancer, kExternalIps, kEndpoints };

// The annotation that overrides the policy per Service: "cluster-ip", "load-balancer", "external-ips",
// "endpoints", "auto".
inline constexpr const char* kAddressAnnotation = "fedns.io/publish-address";
// The Service's own health check (health/service_targets.hpp reads it; parsed by the app as a
// health.services entry without `service`).
inline constexpr const char* kHealthCheckAnnotation = "fedns.io/health-check";
// A service's answer policy (docs/configuration.md "policies"): a YAML or JSON mapping like a policies entry
// without `service`.
inline constexpr const char* kAnswerPolicyAnnotation = "fedns.io/answer-policy";

// A Service with more ports than this is refused: every port is an SRV owner name and a line in each answer.
inline constexpr std::size_t kMaxPorts = 100;

Result<AddressSource> parse_address_source(const std::string& text);

// An RFC 1123 label as Kubernetes requires of names and hostnames (1-63 of a-z, 0-9, '-'; no '-' at either
// end): what a DNS name built from it can carry. Cluster names in the config follow the same rule.
bool is_dns_label(const std::string& label);

// The spec.type values that change what is published (NodePort publishes as ClusterIP does).
enum class ServiceType : std::uint8_t { kClusterIp, kLoadBalancer, kExternalName };

// What build_shard reads of a Service. The catalog keeps this rather than the Service: one per service and
// cluster, and the metadata, IP families and other annotations would be memory for nothing.
struct ServiceSource {
  ServiceType type = ServiceType::kClusterIp;
  bool headless = false;
  bool publish_not_ready_addresses = false;
  std::vector<std::string> cluster_ips;
  std::vector<std::string> external_ips;
  std::vector<std::string> load_balancer_ips;
  std::string external_name;
  std::vector<ServicePort> ports;
  std::optional<std::string> address_annotation;  // the value of kAddressAnnotation, if set
  std::string health_check;                       // the value of kHealthCheckAnnotation, if set
  std::string answer_policy;                      // the value of kAnswerPolicyAnnotation, if set
};
ServiceSource to_service_source(Service service);

// Where an endpoint runs; shared by the endpoints on one node (SharedValues).
struct EndpointPlace {
  std::string node_name;
  std::string zone;

  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=> (its literal-0 comparison)
  auto operator<=>(const EndpointPlace&) const = default;
};
using EndpointPlaces = SharedValues<EndpointPlace>;

// What build_shard reads of an endpoint, in 88 bytes instead of the decoded Endpoint's 176: the catalog holds
// one per endpoint of every cluster.
struct EndpointSource {
  // The addresses, each preceded by its length in one byte (no separator a lying server could forge; an
  // address is at most 45 characters, and a longer text, cut at 255, stays invalid). One IPv4 address fits in
  // the string itself, without a heap block.
  std::string packed_addresses;
  std::string hostname;
  std::shared_ptr<const EndpointPlace> place;  // null when neither node nor zone is known
  EndpointConditions conditions;

  [[nodiscard]] std::vector<std::string> addresses() const;
};

// What build_shard reads of an EndpointSlice (its owner and name are the catalog's index).
struct SliceSource {
  bool fqdn = false;  // addressType FQDN: deprecated, nothing to publish as A/AAAA
  std::vector<EndpointSource> endpoints;
};
SliceSource to_slice_source(EndpointSlice slice, EndpointPlaces& places);

struct ShardInput {
  std::string cluster;
  model::ServiceKey key;
  const ServiceSource* service = nullptr;
  std::vector<const SliceSource*> slices;         // the Service's slices (label kubernetes.io/service-name)
  const ServiceExport* service_export = nullptr;  // null when exported without one (export-all namespaces)
  AddressSource default_source = AddressSource::kAuto;
};

struct ShardResult {
  model::ServiceShard shard;
  std::vector<std::string> dropped;  // what was left out and why, for logs and metrics
};

// Fails (with the reason) when nothing sensible can be published: too many ports, a bad annotation, a name
// DNS cannot carry. Partial nonsense (one invalid address, a duplicate endpoint) is dropped and reported.
Result<ShardResult> build_shard(const ShardInput& input);

}  // namespace fedns::sync
