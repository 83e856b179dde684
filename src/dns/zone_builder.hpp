// Turns configured zones into the immutable zone set the data plane serves; text parsing is done by ldns.
#pragma once

#include <cstdint>
#include <vector>

#include "common/result.hpp"
#include "dns/zone_source.hpp"
#include "model/zone_set.hpp"

namespace fedns::dns {

// Marks the names inside RDATA that may be compressed (RFC 3597 4: only the types of RFC 1035).
void mark_compressible_names(std::uint16_t type, model::RData& rdata);

// Builds one zone. The error lists every problem found, one per line, each with its location.
Result<model::Zone> build_zone(const ZoneSource& source);

// Builds all zones; origins must be distinct.
Result<model::ZoneSet> build_zone_set(const std::vector<ZoneSource>& sources);

}  // namespace fedns::dns
