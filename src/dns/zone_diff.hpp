// What changed between two versions of a zone's generated names, as records deleted and added (the body of an
// incremental zone transfer, RFC 1995). Versions share the shards that did not change, so only shards whose
// pointers differ are read: the cost follows the change, not the zone.
#pragma once

#include <cstdint>
#include <vector>

#include "model/zone_set.hpp"

namespace fedns::dns {

// One record, by reference into a snapshot's zone data.
struct RecordRef {
  const model::Node* node = nullptr;
  const model::RRset* set = nullptr;
  std::uint16_t index = 0;
};

struct ZoneDiff {
  std::vector<RecordRef> deleted;  // in `before`, not in `after`
  std::vector<RecordRef> added;    // in `after`, not in `before`
};

// The difference from `before` to `after` (either may be null: no names), both generated for `base`, whose
// configured names shadow generated ones alike in both. A record is the same when owner, type, TTL and RDATA
// are; a changed TTL deletes the set's old records and adds the new ones. Last-resort records are no zone
// data and are left out, as in full transfers.
ZoneDiff diff_generated(const model::Zone& base, const model::GeneratedNames* before,
                        const model::GeneratedNames* after);

}  // namespace fedns::dns
