// The opt-in cluster-targeted view: one member cluster's own part of a service, for operators and clients
// that must reach one cluster on purpose (a migration, a cluster-local dependency), in a zone apart from the
// MCS zone:
//   <svc>.<ns>.<cluster>.<view-zone>                  A/AAAA of that cluster's shard (headless: its
//   endpoints),
//                                                     or CNAME (ExternalName)
//   <endpoint>.<svc>.<ns>.<cluster>.<view-zone>       A/AAAA of one headless endpoint
//   _<port>._<proto>.<svc>.<ns>.<cluster>.<view-zone> SRV per named port of that cluster's Service
// Every cluster serving the merged service has its name, records or not (NODATA).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "dns/service_records.hpp"
#include "model/catalog.hpp"

namespace fedns::dns {

void render_cluster_view_names(const model::MergedService& service, std::string_view zone_wire,
                               std::uint32_t ttl, RenderedNames& out, std::vector<std::string>& dropped);

}  // namespace fedns::dns
