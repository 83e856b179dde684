// Builds the serving snapshot (zones + answer options) from a validated config.
#pragma once

#include <memory>

#include "app/config.hpp"
#include "common/result.hpp"
#include "dns/serving_snapshot.hpp"

namespace fedns::app {

Result<std::shared_ptr<const dns::ServingSnapshot>> build_snapshot(const Config& config);

}  // namespace fedns::app
