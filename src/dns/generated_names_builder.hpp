// Keeps the catalog zone's generated names current, service by service (control thread). Each update renders
// one merged service (service_records) into nodes and records which shards they land in; publish() copies
// only those shards, so the cost of a change follows the size of the change, not of the catalog, and the
// shards no change touched are shared with the snapshots already published.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dns/generated_names_writer.hpp"
#include "dns/zone_source.hpp"
#include "model/catalog.hpp"
#include "model/zone_set.hpp"

namespace fedns::dns {

class GeneratedNamesBuilder {
 public:
  // `zone_wire`: the catalog zone's origin, lower-case wire form. `base`: the configured zone, whose own
  // names shadow generated ones (reported as dropped).
  GeneratedNamesBuilder(std::string zone_wire, std::uint32_t ttl, std::shared_ptr<const model::Zone> base);

  // Replaces what `key` publishes with `records`, the service's MCS records as render_service() makes them
  // (empty: removes them). Names that cannot be published are appended to `dropped` with the reason.
  void update(const model::ServiceKey& key, const std::vector<WireRecord>& records,
              std::vector<std::string>& dropped);
  // The same, rendering `service` (null: removes it) first.
  void update(const model::ServiceKey& key, const model::MergedService* service,
              std::vector<std::string>& dropped);
  // Everything updated so far, sharing untouched shards with the previous result.
  std::shared_ptr<const model::GeneratedNames> publish();

  [[nodiscard]] const PublishCost& last_cost() const { return writer_.last_cost(); }
  [[nodiscard]] std::size_t service_count() const { return owned_.size(); }

 private:
  void stage(const std::string& name, std::optional<model::Node> node);
  void retain_shared(const std::string& name);
  void release_shared(const std::string& name);

  std::string zone_wire_;
  std::string svc_wire_;  // svc.<zone>
  std::uint32_t ttl_;
  std::shared_ptr<const model::Zone> base_;
  std::map<model::ServiceKey, std::vector<std::string>> owned_;  // the names each service publishes
  // Empty non-terminals shared by services (svc.<zone>, <ns>.svc.<zone>): how many services are below each.
  std::map<std::string, std::uint32_t> shared_;
  GeneratedNamesWriter writer_;
};

}  // namespace fedns::dns
