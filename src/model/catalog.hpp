// The federated service catalog: each member cluster's shard of each exported service, and the merged service
// that DNS names are built from. Plain data: src/sync fills it from Kubernetes objects, src/dns renders it.
#pragma once

#include <compare>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/answer_policy.hpp"
#include "model/health_table.hpp"

namespace fedns::model {

struct ServiceKey {
  std::string namespace_;
  std::string name;

  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=> (its literal-0 comparison)
  auto operator<=>(const ServiceKey&) const = default;
  [[nodiscard]] std::string text() const { return namespace_ + "/" + name; }
};

struct PortSpec {
  std::string name;
  std::string protocol = "TCP";  // TCP, UDP, SCTP
  std::uint16_t port = 0;
  std::string app_protocol;

  bool operator==(const PortSpec&) const = default;
};

struct EndpointRecord {
  std::vector<std::string> addresses;  // IPv4 or IPv6 text, validated at the edge
  bool ready = true;
  bool serving = true;
  bool terminating = false;
  std::string hostname;  // a DNS label, or empty
  std::string node_name;
  std::string zone;
  TargetId health_target = kNoTarget;  // set after the merge, when the service is health-checked

  bool operator==(const EndpointRecord&) const = default;
};

// How the MCS specification names a service's addresses: one set of addresses for the whole service, the
// individual endpoints (headless), or an alias (ExternalName).
enum class ServiceKind { kClusterSetIp, kHeadless, kExternalName };

// One member cluster's contribution to a service. (A new field here or in MergedService must also go into the
// catalog's digest, sync/catalog.cpp, which is how a rebuild tells a change from an event that changed
// nothing.)
struct ServiceShard {
  std::string cluster;
  ServiceKind kind = ServiceKind::kClusterSetIp;
  std::vector<std::string>
      addresses;  // published addresses (ClusterSetIP kind), chosen by the address policy
  std::vector<PortSpec> ports;
  std::vector<EndpointRecord> endpoints;  // headless kind: the endpoints' addresses become the records
  std::string external_name;              // ExternalName kind
  bool publish_not_ready = false;         // Service.spec.publishNotReadyAddresses
  // When the cluster exported the service (its ServiceExport's creationTimestamp, RFC 3339 UTC, so that text
  // order is time order); the oldest export wins MCS conflicts. Empty for services exported without one.
  std::string exported_at;
  std::string health_check;   // the Service's fedns.io/health-check annotation, if any
  std::string answer_policy;  // the Service's fedns.io/answer-policy annotation, if any
  // Health targets of `addresses`, index for index, set after the merge when the service is health-checked;
  // empty otherwise. (Not in the catalog's digest: the catalog never sees them.)
  std::vector<TargetId> address_targets;
  // The tier of this cluster's records for the hierarchy fallback (kTierZone ...), set after the merge.
  std::uint8_t tier = 0;
  std::uint16_t region = kNoLocality;  // the cluster's region and zone ids, set with the tier
  std::uint16_t zone = kNoLocality;
  std::uint16_t cluster_id = kNoLocality;  // the cluster's id for answer policies, set with the tier

  bool operator==(const ServiceShard&) const = default;
};

// Whether an endpoint's addresses are published (the names and the health targets agree on it): ready, or
// not terminating when the Service asks for not-ready addresses (publishNotReadyAddresses).
inline bool published(const ServiceShard& shard, const EndpointRecord& endpoint) {
  return endpoint.ready || (shard.publish_not_ready && !endpoint.terminating);
}

// A property on which a cluster's shard disagrees with the winning (oldest) export.
struct ExportConflict {
  std::string cluster;
  std::string property;  // "type", "port http"
  std::string message;

  bool operator==(const ExportConflict&) const = default;
};

struct MergedService {
  ServiceKey key;
  ServiceKind kind = ServiceKind::kClusterSetIp;
  std::string external_name;
  std::vector<PortSpec> ports;       // the union of the shards' ports, conflicts resolved
  std::vector<ServiceShard> shards;  // the clusters serving the name, oldest export first
  std::vector<ExportConflict> conflicts;
  HealthPolicy health;  // for health-checked services: what answers do when too little is up
  // The oldest export's fedns.io/health-check annotation (health/service_targets.hpp); empty: none.
  std::string health_check;
  // The oldest export's fedns.io/answer-policy annotation (app/policy_config.hpp); empty: none.
  std::string answer_policy;
  // The answer policy in force (config, else the annotation), set after the merge; null: none.
  std::shared_ptr<const AnswerPolicy> policy;
  // Addresses answered when nothing else is up (health.services[].last_resort), set after the merge.
  std::vector<std::string> last_resort;
};

}  // namespace fedns::model
