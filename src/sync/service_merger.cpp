// MCS merge of one service's shards.
#include "sync/service_merger.hpp"

#include <algorithm>
#include <tuple>

namespace fedns::sync {

namespace {

const char* kind_name(model::ServiceKind kind) {
  switch (kind) {
    case model::ServiceKind::kClusterSetIp:
      return "ClusterSetIP";
    case model::ServiceKind::kHeadless:
      return "Headless";
    case model::ServiceKind::kExternalName:
      return "ExternalName";
  }
  return "?";
}

std::string describe(const model::PortSpec& p) {
  return std::to_string(p.port) + "/" + p.protocol;
}

}  // namespace

model::MergedService merge_service(model::ServiceKey key, std::vector<model::ServiceShard> shards) {
  // Oldest export first. An empty timestamp (exported without a ServiceExport) counts as the newest, so an
  // explicit export is never overruled by an implicit one.
  std::sort(shards.begin(), shards.end(), [](const model::ServiceShard& a, const model::ServiceShard& b) {
    if (a.exported_at.empty() != b.exported_at.empty()) return b.exported_at.empty();
    if (a.exported_at != b.exported_at) return a.exported_at < b.exported_at;
    return a.cluster < b.cluster;
  });
  model::MergedService merged;
  merged.key = std::move(key);
  if (shards.empty()) return merged;
  const std::string winner = shards.front().cluster;  // a copy: the shards are moved into the result
  merged.kind = shards.front().kind;
  merged.external_name = shards.front().external_name;
  merged.health_check = shards.front().health_check;
  merged.answer_policy = shards.front().answer_policy;
  for (auto& shard : shards) {
    if (shard.kind != merged.kind) {
      merged.conflicts.push_back({shard.cluster, "type",
                                  std::string("exported as ") + kind_name(shard.kind) +
                                      ", but the oldest export (" + winner + ") is " +
                                      kind_name(merged.kind)});
      continue;
    }
    if (merged.kind == model::ServiceKind::kExternalName && shard.external_name != merged.external_name) {
      merged.conflicts.push_back({shard.cluster, "externalName",
                                  "points to " + shard.external_name + ", but the oldest export (" + winner +
                                      ") points to " + merged.external_name});
    }
    for (const auto& port : shard.ports) {
      const auto same_name = std::find_if(merged.ports.begin(), merged.ports.end(),
                                          [&](const model::PortSpec& p) { return p.name == port.name; });
      if (same_name == merged.ports.end()) {
        merged.ports.push_back(port);
      } else if (same_name->port != port.port || same_name->protocol != port.protocol) {
        merged.conflicts.push_back(
            {shard.cluster, "port " + (port.name.empty() ? "(unnamed)" : port.name),
             "is " + describe(port) + ", but an older export has " + describe(*same_name)});
      }
    }
    merged.shards.push_back(std::move(shard));
  }
  // Ports in a stable order (by name, then number) so equal inputs render equal records.
  std::sort(merged.ports.begin(), merged.ports.end(), [](const model::PortSpec& a, const model::PortSpec& b) {
    return std::tie(a.name, a.port, a.protocol) < std::tie(b.name, b.port, b.protocol);
  });
  return merged;
}

}  // namespace fedns::sync
