// MCS conflict resolution (KEP-1645, "Constraints and Conflict Resolution"): the clusters exporting one
// service are merged into the service that DNS answers for. The oldest export wins any property on which the
// clusters disagree; ports are the union of the clusters' ports; a cluster that disagrees is reported so its
// ServiceExport can carry a Conflict condition.
#pragma once

#include <vector>

#include "model/catalog.hpp"

namespace fedns::sync {

// Pure and deterministic: the result depends only on the shards, not on their order. Shards are ordered
// oldest export first (ties broken by cluster name). A shard whose kind differs from the winner's cannot be
// represented under the same name and is left out (and reported); a port whose name is taken with another
// number or protocol by an older export is dropped from the union (and reported). An ExternalName shard never
// merges with addresses: the oldest decides.
model::MergedService merge_service(model::ServiceKey key, std::vector<model::ServiceShard> shards);

}  // namespace fedns::sync
