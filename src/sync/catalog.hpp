// The federated service catalog (control thread): what every member cluster's informers report — Services,
// EndpointSlices, ServiceExports — kept per cluster, and the merged service per namespace/name. Changes mark
// their service dirty; flush() rebuilds only the dirty services, so a change costs in proportion to what it
// touches (its service's shards in each cluster), never to the size of the catalog.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/catalog.hpp"
#include "sync/shard_builder.hpp"
#include "sync/typed_objects.hpp"

namespace fedns::sync {

struct CatalogOptions {
  AddressSource default_source = AddressSource::kAuto;
  // The MCS rule: only Services with a ServiceExport are published. Services in these namespaces are
  // published without one (an explicit export still decides conflicts by its age).
  std::set<std::string> export_all_namespaces;
};

// The MCS conditions (Valid, Conflict, Ready) a cluster's ServiceExport should carry, when they differ from
// what it carries now (sigs.k8s.io/mcs-api v1alpha1 reasons: Valid/NoService, NoConflicts/TypeConflict/
// PortConflict, Exported/Failed). Timestamps are the writer's business.
struct ExportStatus {
  std::string cluster;
  model::ServiceKey key;
  std::vector<Condition> conditions;
  std::vector<Condition> observed;  // what the export carries now (for lastTransitionTime)
};

// What one flush() changed.
struct CatalogChanges {
  std::vector<model::ServiceKey> updated;              // merged service added or changed
  std::vector<model::MergedService> updated_services;  // those services, in the same order
  std::vector<model::ServiceKey> removed;              // no cluster publishes it any more
  std::vector<std::string> dropped;                    // objects (or parts) left out, with the reason
  std::vector<std::string> conflicts;                  // MCS export conflicts that began with this flush
  std::vector<std::string> resolved;                   // and those that ended
  std::vector<ExportStatus> export_status;             // ServiceExports whose conditions should change
};

class Catalog {
 public:
  explicit Catalog(CatalogOptions options) : options_(std::move(options)) {}

  void upsert_service(const std::string& cluster, Service service);
  void remove_service(const std::string& cluster, const model::ServiceKey& key);
  void upsert_slice(const std::string& cluster, EndpointSlice slice);
  void remove_slice(const std::string& cluster, const std::string& namespace_, const std::string& name);
  void upsert_export(const std::string& cluster, ServiceExport service_export);
  void remove_export(const std::string& cluster, const model::ServiceKey& key);
  // A cluster that left: everything it reported goes.
  void remove_cluster(const std::string& cluster);
  // A cluster that went stale is left out of the merge (its objects are kept, so it returns at once).
  void set_excluded(const std::string& cluster, bool excluded);

  // The clusters a federated service is placed in (the propagation engine): only these appear in its answers,
  // whatever other clusters export. nullopt: no federated object governs the service.
  void set_placement(const model::ServiceKey& key, std::optional<std::set<std::string>> clusters);
  // Why `cluster` does not contribute to the service's answers ("" when it does, as far as the catalog knows:
  // health may still leave it out), for operators (the federated object's status).
  [[nodiscard]] std::string why_not_published(const std::string& cluster, const model::ServiceKey& key) const;

  // While held, flush() computes no ServiceExport conditions: before every cluster has listed its objects,
  // "NoService" or "NoConflicts" may only mean "not read yet", and writing that would tell users a lie.
  // Releasing the hold makes every export's conditions checked at the next flush.
  void hold_export_status(bool hold);

  // New options (a reload): every service is merged again at the next flush.
  void set_options(CatalogOptions options);

  // Rebuilds the services touched since the last flush. The merged services go to the caller: the catalog
  // keeps only its sources and a digest of what it published (a merged service would be a second copy of
  // every endpoint; bench/catalog_memory_bench.cpp).
  CatalogChanges flush();

  // Every published service, merged again from the sources (a reload, a test): costs a full merge.
  void for_each_service(const std::function<void(const model::MergedService&)>& visit) const;
  // One published service, merged again; nullopt when it is not published.
  [[nodiscard]] std::optional<model::MergedService> service(const model::ServiceKey& key) const;
  [[nodiscard]] std::size_t service_count() const { return published_.size(); }
  [[nodiscard]] std::size_t conflict_count() const { return conflict_count_; }
  [[nodiscard]] std::size_t dirty_count() const { return dirty_.size(); }

 private:
  struct NamedSlice {
    std::string name;
    SliceSource source;
  };
  // Everything one cluster reported of one service, in one map node (three maps cost 250 bytes more per
  // service and cluster). Slices may come before their Service, and an export without either.
  struct ServiceEntry {
    std::optional<ServiceSource> service;
    std::vector<NamedSlice> slices;  // usually one; more above 100 endpoints
    std::unique_ptr<ServiceExport> service_export;

    [[nodiscard]] bool empty() const { return !service && slices.empty() && !service_export; }
  };
  struct ClusterState {
    std::map<model::ServiceKey, ServiceEntry> entries;
    std::map<std::pair<std::string, std::string>, std::string> slice_owner;  // (ns, slice) -> service name
  };
  // The entry, if the cluster has one; and erasing an entry that became empty.
  static const ServiceEntry* entry(const ClusterState& state, const model::ServiceKey& key);
  [[nodiscard]] bool placed(const std::string& cluster, const model::ServiceKey& key) const;
  static void erase_if_empty(ClusterState& state, std::map<model::ServiceKey, ServiceEntry>::iterator it);
  // Drops one part of a cluster's entry (`drop` says whether there was one) and marks the service dirty.
  void forget(const std::string& cluster, const model::ServiceKey& key,
              const std::function<bool(ServiceEntry&)>& drop);

  void export_status(const model::ServiceKey& key, const model::MergedService* merged,
                     const std::map<std::string, std::string>& shard_errors, CatalogChanges& changes) const;
  // The service merged from every included cluster's sources; nullopt when no cluster publishes it.
  // `shard_errors`: clusters whose shard could not be built, and why; `dropped`: what was left out.
  std::optional<model::MergedService> merge(const model::ServiceKey& key,
                                            std::map<std::string, std::string>& shard_errors,
                                            std::vector<std::string>& dropped) const;

  // What the catalog remembers of a published service: enough to tell whether a rebuild changed it, and its
  // conflicts, to log when they begin and end.
  struct Published {
    std::uint64_t digest = 0;
    std::vector<model::ExportConflict> conflicts;
  };

  CatalogOptions options_;
  EndpointPlaces places_;
  std::map<std::string, ClusterState> clusters_;
  std::set<std::string> excluded_;
  std::map<model::ServiceKey, std::set<std::string>> placements_;
  bool hold_export_status_ = false;
  std::set<model::ServiceKey> dirty_;
  std::map<model::ServiceKey, Published> published_;
  std::size_t conflict_count_ = 0;
};

}  // namespace fedns::sync
