// Turns configured zones into the immutable zone set the data plane serves; text parsing is done by ldns.
#pragma once

#include <vector>

#include "common/result.hpp"
#include "dns/zone_source.hpp"
#include "model/zone_set.hpp"

namespace fedns::dns {

// Builds one zone. The error lists every problem found, one per line, each with its location.
Result<model::Zone> build_zone(const ZoneSource& source);

// Builds all zones; origins must be distinct.
Result<model::ZoneSet> build_zone_set(const std::vector<ZoneSource>& sources);

}  // namespace fedns::dns
