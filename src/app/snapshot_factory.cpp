// Serving snapshot construction from config.
#include "app/snapshot_factory.hpp"

#include "dns/zone_builder.hpp"

namespace fedns::app {

Result<std::shared_ptr<const dns::ServingSnapshot>> build_snapshot(const Config& config) {
  auto zones = dns::build_zone_set(config.zones);
  if (!zones) return zones.error();
  auto snapshot = std::make_shared<dns::ServingSnapshot>();
  snapshot->zones = std::move(zones.value());
  snapshot->options.edns_udp_payload = config.server.edns_udp_payload;
  snapshot->options.nsid = config.server.nsid;
  snapshot->options.identity = config.server.identity;
  snapshot->options.version = config.server.version;
  snapshot->built_at = std::chrono::system_clock::now();
  return std::shared_ptr<const dns::ServingSnapshot>(std::move(snapshot));
}

}  // namespace fedns::app
