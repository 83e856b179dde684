// Builds the serving snapshot (zones + answer options) from a validated config.
#pragma once

#include <memory>

#include "app/config.hpp"
#include "common/result.hpp"
#include "dns/serving_snapshot.hpp"
#include "sync/catalog.hpp"

namespace fedns::app {

// The catalog's part of a snapshot: its merged services, and whether every member cluster has synced (until
// then, negative answers in the catalog zone are SERVFAIL, never a false NXDOMAIN).
struct CatalogView {
  const sync::Catalog* catalog = nullptr;
  bool ready = true;
};

// `view.catalog` (may be null) adds the merged services' MCS records to the zone named by
// config.catalog.zone. Names the catalog cannot publish are appended to `dropped` when it is given.
Result<std::shared_ptr<const dns::ServingSnapshot>> build_snapshot(
    const Config& config, CatalogView view = {}, std::vector<std::string>* dropped = nullptr);

}  // namespace fedns::app
