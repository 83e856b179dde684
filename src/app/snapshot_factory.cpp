// Serving snapshot construction from config.
#include "app/snapshot_factory.hpp"

#include "dns/name.hpp"
#include "dns/protocol.hpp"
#include "dns/service_records.hpp"
#include "dns/zone_builder.hpp"

namespace fedns::app {

Result<std::shared_ptr<const dns::ServingSnapshot>> build_snapshot(const Config& config, CatalogView view,
                                                                   std::vector<std::string>* dropped) {
  std::vector<dns::ZoneSource> sources = config.zones;
  if (const sync::Catalog* catalog = view.catalog; catalog != nullptr) {
    auto wanted = dns::name_from_text(config.catalog.zone);
    if (!wanted) return wanted.error().wrap("catalog.zone");
    dns::fold_case(*wanted);
    for (auto& source : sources) {
      auto origin = dns::name_from_text(source.origin);
      if (!origin) continue;
      dns::fold_case(*origin);
      if (*origin != *wanted) continue;
      source.unsure_negatives = !view.ready;
      std::vector<std::string> ignored;
      std::vector<std::string>& out = dropped != nullptr ? *dropped : ignored;
      // MCS DNS specification: dns-version.<zone> TXT "1.0.0" (RFC 1035 TXT wire: a length-prefixed string),
      // unless the zone's own records already say it.
      if (source.records.find("dns-version") == std::string::npos)
        source.generated.push_back({std::string("\x0b") + "dns-version" + *wanted, dns::type::kTXT,
                                    config.catalog.ttl, std::string("\x05") + "1.0.0", "catalog"});
      for (const auto& [key, service] : catalog->services())
        dns::render_service(service, *wanted, config.catalog.ttl, source.generated, out);
    }
  }
  auto zones = dns::build_zone_set(sources);
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
