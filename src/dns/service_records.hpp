// The records of one merged service under the MCS DNS specification (KEP-1645 "DNS"):
//   <svc>.<ns>.svc.<zone>                           A/AAAA (ClusterSetIP: the clusters' published addresses;
//                                                   headless: the endpoints), or CNAME (ExternalName)
//   <hostname>.<clusterid>.<svc>.<ns>.svc.<zone>    A/AAAA of one headless endpoint
//   _<port>._<proto>.<svc>.<ns>.svc.<zone>          SRV per named port (headless: one per endpoint)
// rendered straight to wire form for the zone builder. No `<clusterid>.<svc>...` names besides the headless
// endpoint names: the MCS zone names services, not clusters.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dns/zone_source.hpp"
#include "model/catalog.hpp"

namespace fedns::dns {

// One service's generated names for one zone: its records, and the names it owns. Each root (such as
// <svc>.<ns>.svc.<zone>) and everything below it belong to the service and exist while it is published, with
// records or without (NODATA); the names between a root and the zone origin are empty non-terminals shared
// with the zone's other services.
struct RenderedNames {
  std::vector<std::string> roots;  // lower-case wire
  std::vector<WireRecord> records;
};

// <svc>.<ns>.svc.<zone> in lower-case wire form (`zone_wire` lower-case wire); empty when too long for DNS.
std::string mcs_service_name(const model::ServiceKey& key, std::string_view zone_wire);

// Appends the service's records to `out`; `zone_wire` is the zone origin in lower-case wire form. Records
// whose names would exceed 255 octets are left out and reported in `dropped`.
void render_service(const model::MergedService& service, std::string_view zone_wire, std::uint32_t ttl,
                    std::vector<WireRecord>& out, std::vector<std::string>& dropped);

// The same as RenderedNames: the service name is the root, and only exists when it has records (a service
// with nothing to publish has no name in the MCS zone).
void render_mcs_names(const model::MergedService& service, std::string_view zone_wire, std::uint32_t ttl,
                      RenderedNames& out, std::vector<std::string>& dropped);

// What the MCS names and the cluster view have in common: the records of `shards` (all of `kind`) answered at
// `owner` — their addresses (or a CNAME), SRV per named port, and for headless services one name per
// endpoint, <endpoint>.<cluster>.<owner>, or <endpoint>.<owner> when `endpoint_cluster_label` is false (one
// cluster's view).
struct ServiceRecordsAt {
  std::string owner;
  model::ServiceKind kind = model::ServiceKind::kClusterSetIp;
  std::string_view external_name;
  std::span<const model::PortSpec> ports;
  std::span<const model::ServiceShard> shards;
  bool endpoint_cluster_label = true;
  model::HealthPolicy health;  // for the records that carry health targets
  // Answered at `owner` when nothing else is up (only with addresses of its own to stand in for).
  std::span<const std::string> last_resort;
  // The answer policy of the A/AAAA sets at `owner` (null: none).
  std::shared_ptr<const model::AnswerPolicy> policy;
};
void render_records_at(const ServiceRecordsAt& what, std::uint32_t ttl, const std::string& where,
                       std::vector<WireRecord>& out, std::vector<std::string>& dropped);

}  // namespace fedns::dns
