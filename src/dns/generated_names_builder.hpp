// Keeps one zone's generated names current, service by service (control thread). Each update renders one
// merged service into nodes and records which shards they land in; publish() copies only those shards, so the
// cost of a change follows the size of the change, not of the catalog, and the shards no change touched are
// shared with the snapshots already published. What a service's names are is the renderer's business: the MCS
// names (service_records), the cluster view (cluster_view_records), the federation zone (federation_records).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dns/generated_names_writer.hpp"
#include "dns/service_records.hpp"
#include "dns/zone_source.hpp"
#include "model/catalog.hpp"
#include "model/zone_set.hpp"

namespace fedns::dns {

// Renders a service's names for the zone; problems go to `dropped`.
using NamesRenderer =
    std::function<void(const model::MergedService&, RenderedNames&, std::vector<std::string>& dropped)>;

class GeneratedNamesBuilder {
 public:
  // `zone_wire`: the zone's origin, lower-case wire form. `base`: the configured zone, whose own names shadow
  // generated ones (reported as dropped).
  GeneratedNamesBuilder(std::string zone_wire, std::shared_ptr<const model::Zone> base, NamesRenderer render);
  // The MCS names of the catalog zone (render_mcs_names).
  GeneratedNamesBuilder(const std::string& zone_wire, std::uint32_t ttl,
                        std::shared_ptr<const model::Zone> base);

  // Replaces what `key` publishes with `names` (no roots: removes them). Names that cannot be published are
  // appended to `dropped` with the reason.
  void update(const model::ServiceKey& key, const RenderedNames& names, std::vector<std::string>& dropped);
  // The same, rendering `service` (null: removes it) first.
  void update(const model::ServiceKey& key, const model::MergedService* service,
              std::vector<std::string>& dropped);
  // Everything updated so far, sharing untouched shards with the previous result.
  std::shared_ptr<const model::GeneratedNames> publish();

  [[nodiscard]] const PublishCost& last_cost() const { return writer_.last_cost(); }
  [[nodiscard]] std::size_t service_count() const { return owned_.size(); }

 private:
  struct Owned {
    std::vector<std::string> names;  // the first `roots` are the roots
    std::size_t roots = 0;
  };
  void retain_ancestors(const std::string& root);
  void release_ancestors(const std::string& root);

  std::string zone_wire_;
  std::shared_ptr<const model::Zone> base_;
  NamesRenderer render_;
  std::map<model::ServiceKey, Owned> owned_;
  // Empty non-terminals shared by services (e.g. svc.<zone>, <ns>.svc.<zone>): how many roots are below each.
  std::map<std::string, std::uint32_t> shared_;
  GeneratedNamesWriter writer_;
};

}  // namespace fedns::dns
