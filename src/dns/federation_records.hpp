// The federation zone, for delegation from a public parent zone (the names KubeFed's DNS controller made):
//   <svc>.<ns>.<federation>.svc.<domain>                  every cluster with a healthy target
//   <svc>.<ns>.<federation>.svc.<region>.<domain>         the region's clusters with a healthy target
//   <svc>.<ns>.<federation>.svc.<zone>.<region>.<domain>  the zone's clusters with a healthy target
// A locality with no healthy target falls back to the next wider one: answered in-line (the wider locality's
// addresses, one round trip) or, selectable, as a CNAME to the wider name (zone -> region -> global, as
// KubeFed did, so a client's cache sees the hop). A cluster's target is healthy while the cluster has a
// published endpoint (ready, or not terminating with publishNotReadyAddresses); with none anywhere the global
// name exists without addresses (NODATA): a dead address is not offered. In-line, each locality's name holds
// its own addresses and the wider ones' as tiers, every address with its health target, so probes, cluster
// health and overrides move the answer to the next tier at query time; the CNAME form decides when rendering
// (from endpoints only) and leaves out what the health table says is down. Regions and zones come from the
// clusters' configuration; only configured localities have names.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dns/service_records.hpp"
#include "model/catalog.hpp"

namespace fedns::dns {

struct FederationLayout {
  std::string zone_wire;   // <domain>, lower-case wire
  std::string federation;  // a DNS label
  bool cname_fallback = false;
  struct Locality {
    std::string region;  // a DNS label, or empty: the cluster is only in the global name
    std::string zone;    // a DNS label within the region, or empty
  };
  std::map<std::string, Locality> clusters;  // by cluster name
};

void render_federation_names(const model::MergedService& service, const FederationLayout& layout,
                             std::uint32_t ttl, RenderedNames& out, std::vector<std::string>& dropped);

}  // namespace fedns::dns
