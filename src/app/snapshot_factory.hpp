// Builds serving snapshots: the configured zones once per config (ldns parses them, the costly part), and per
// catalog change a new snapshot that shares them and carries the catalog zone's updated generated names.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "common/result.hpp"
#include "dns/generated_names_builder.hpp"
#include "dns/reverse_names_builder.hpp"
#include "dns/serving_snapshot.hpp"
#include "health/service_targets.hpp"
#include "sync/catalog.hpp"

namespace fedns::app {

class SnapshotFactory {
 public:
  static Result<SnapshotFactory> create(const Config& config);

  // Renders every service of the catalog (after create(), e.g. on a reload).
  void load_catalog(const sync::Catalog& catalog, std::vector<std::string>& dropped);
  // Renders what one catalog flush changed.
  void apply(const sync::CatalogChanges& changes, std::vector<std::string>& dropped);
  // The configured zones with the catalog's names. `catalog_ready` false (member clusters still syncing): the
  // catalog zone answers SERVFAIL instead of negative answers that could be false.
  [[nodiscard]] std::shared_ptr<dns::ServingSnapshot> make(bool catalog_ready);

  // Health-checked services get their targets from `targets` before they are rendered (null: none).
  void set_health(health::ServiceTargets* targets) { targets_ = targets; }

  // What the last make() cost (shards copied); zero when it had nothing to render.
  [[nodiscard]] dns::PublishCost last_cost() const {
    return names_ ? names_->last_cost() : dns::PublishCost{};
  }

 private:
  SnapshotFactory() = default;
  void render(const model::ServiceKey& key, const model::MergedService* service,
              std::vector<std::string>& dropped);
  model::ZoneSet zones_;
  dns::AnswerOptions options_;
  std::string catalog_zone_;  // lower-case wire; empty: no catalog
  std::uint32_t ttl_ = 0;
  std::optional<dns::GeneratedNamesBuilder> names_;
  std::optional<dns::ReverseNamesBuilder> reverse_;  // PTR records in catalog.reverse_zones
  // The opt-in zones: one cluster's part of each service, and the federation zone.
  struct ExtraZone {
    std::string origin;  // lower-case wire
    dns::GeneratedNamesBuilder names;
  };
  std::vector<ExtraZone> extra_;
  health::ServiceTargets* targets_ = nullptr;
  std::shared_ptr<const dns::ClientLocator> locator_;
  std::map<std::string, std::pair<std::uint16_t, std::uint16_t>> localities_;  // cluster -> region, zone ids
  std::map<std::string, std::uint16_t> cluster_ids_;
  // Answer policies: from config by service, and from annotations by their text (parsed once per text; null
  // for one that is wrong, whose errors went to `dropped` when it was first seen).
  std::map<model::ServiceKey, std::shared_ptr<const model::AnswerPolicy>> policies_;
  std::map<std::string, std::shared_ptr<const model::AnswerPolicy>> annotated_policies_;
  std::vector<ClusterConfig> clusters_;
  GeoConfig geo_;
  [[nodiscard]] std::shared_ptr<const model::AnswerPolicy> policy_for(const model::MergedService& service,
                                                                      std::vector<std::string>& dropped);
};

// The catalog's part of a one-off snapshot: its merged services, and whether every member cluster has synced.
struct CatalogView {
  const sync::Catalog* catalog = nullptr;
  bool ready = true;
};

// The TSIG keys and transfer ACL the data plane reads (from transfer: in the config).
Result<std::shared_ptr<const dns::TransferPolicy>> make_transfer_policy(const TransferConfig& config);

// One snapshot in one call (check-config, tests). Names the catalog cannot publish go to `dropped` if given.
Result<std::shared_ptr<const dns::ServingSnapshot>> build_snapshot(
    const Config& config, CatalogView view = {}, std::vector<std::string>* dropped = nullptr);

}  // namespace fedns::app
