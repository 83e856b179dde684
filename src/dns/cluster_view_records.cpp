// One cluster's part of each service, under the cluster's name.
#include "dns/cluster_view_records.hpp"

#include "dns/record_wire.hpp"

namespace fedns::dns {

void render_cluster_view_names(const model::MergedService& service, std::string_view zone_wire,
                               std::uint32_t ttl, RenderedNames& out, std::vector<std::string>& dropped) {
  for (const auto& shard : service.shards) {
    const std::string where = "service " + service.key.text() + " in the view of cluster " + shard.cluster;
    const std::string owner = make_name({service.key.name, service.key.namespace_, shard.cluster}, zone_wire);
    if (owner.empty()) {
      dropped.push_back(where + ": its name is longer than DNS allows");
      continue;
    }
    out.roots.push_back(owner);
    // The cluster's own truth: its Service's type and ports, even where the merge resolved a conflict.
    std::vector<std::string> ignored;  // a bad externalName is reported by the MCS names already
    render_records_at(
        {owner, shard.kind, shard.external_name, shard.ports, {&shard, 1}, false, service.health}, ttl, where,
        out.records, shard.kind == model::ServiceKind::kExternalName ? ignored : dropped);
  }
}

}  // namespace fedns::dns
