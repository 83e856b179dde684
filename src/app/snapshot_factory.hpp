// Builds the serving snapshot (zones + answer options) from a validated config.
#pragma once

#include <memory>

#include "app/config.hpp"
#include "common/result.hpp"
#include "dns/serving_snapshot.hpp"
#include "sync/catalog.hpp"

namespace fedns::app {

// `catalog` (may be null) adds the merged services' MCS records to the zone named by config.catalog.zone.
// Names the catalog cannot publish are appended to `dropped` when it is given.
Result<std::shared_ptr<const dns::ServingSnapshot>> build_snapshot(
    const Config& config, const sync::Catalog* catalog = nullptr,
    std::vector<std::string>* dropped = nullptr);

}  // namespace fedns::app
