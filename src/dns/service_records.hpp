// The records of one merged service under the MCS DNS specification (KEP-1645 "DNS"):
//   <svc>.<ns>.svc.<zone>                           A/AAAA (ClusterSetIP: the clusters' published addresses;
//                                                   headless: the endpoints), or CNAME (ExternalName)
//   <hostname>.<clusterid>.<svc>.<ns>.svc.<zone>    A/AAAA of one headless endpoint
//   _<port>._<proto>.<svc>.<ns>.svc.<zone>          SRV per named port (headless: one per endpoint)
// rendered straight to wire form for the zone builder. No `<clusterid>.<svc>...` names besides the headless
// endpoint names: the MCS zone names services, not clusters.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dns/zone_source.hpp"
#include "model/catalog.hpp"

namespace fedns::dns {

// Appends the service's records to `out`; `zone_wire` is the zone origin in lower-case wire form. Records
// whose names would exceed 255 octets are left out and reported in `dropped`.
void render_service(const model::MergedService& service, std::string_view zone_wire, std::uint32_t ttl,
                    std::vector<WireRecord>& out, std::vector<std::string>& dropped);

}  // namespace fedns::dns
