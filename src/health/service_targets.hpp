// Which health targets a service's records point at. Every record of the catalog gets one:
// - a health-checked service (a check in config, or the fedns.io/health-check annotation): one probed target
//   per address it publishes (per endpoint for a headless service);
// - a service an override names: one passive target per address (overrides match per target);
// - any other: its cluster's shared passive target (HealthMonitor::cluster_target), so that a cluster that is
//   down (its checks, or an override) takes it out of the answers.
// A catalog change that keeps an address keeps its target and its state; one that drops it removes the
// target. Runs on the control thread, between the catalog's merge and the rendering of names.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "health/health_monitor.hpp"
#include "model/catalog.hpp"

namespace fedns::health {

struct ServiceCheck {
  ProbeSpec probe;  // port 0: the service's first port
  model::HealthPolicy policy;
  std::vector<std::string> last_resort;  // addresses answered when nothing else is up

  bool operator==(const ServiceCheck&) const = default;
};

class ServiceTargets {
 public:
  using AnnotationParser = std::function<Result<ServiceCheck>(const std::string& text)>;

  ServiceTargets(HealthMonitor& monitor, AnnotationParser parse_annotation)
      : monitor_(monitor), parse_annotation_(std::move(parse_annotation)) {}
  ServiceTargets(const ServiceTargets&) = delete;
  ServiceTargets& operator=(const ServiceTargets&) = delete;

  // The checks from config (at start and on a reload). A service whose check changed or went loses its
  // targets; the others keep theirs, with their state. Re-render every service afterwards (assign()).
  void configure(std::map<model::ServiceKey, ServiceCheck> checks);
  // Where this replica runs, and where each cluster is: the tiers of the hierarchy fallback (the cluster's
  // records are kTierZone in the same zone, kTierRegion in the same region, else kTierGlobal).
  struct Locality {
    std::string region;
    std::string zone;
    bool operator==(const Locality&) const = default;
  };
  void set_localities(Locality here, std::map<std::string, Locality> clusters) {
    here_ = std::move(here);
    localities_ = std::move(clusters);
  }
  // The services the overrides name ("namespace/name"). Returns those whose targets must change (they now
  // need, or no longer need, a target per address): render them again.
  std::vector<model::ServiceKey> set_named_services(std::set<std::string> named);

  // Sets the health targets of `service` (ServiceShard::address_targets, EndpointRecord::health_target) and
  // its fallback policy, adding the targets it gains and removing those it lost. A check that cannot run (no
  // port, an annotation that does not parse) goes to `dropped` and the service answers unchecked.
  void assign(model::MergedService& service, std::vector<std::string>& dropped);
  // The service is gone: its targets go.
  void release(const model::ServiceKey& key);

  // Targets of their own (probed or passive), not counting the clusters' shared ones.
  [[nodiscard]] std::size_t target_count() const;
  // Health-checked services none of whose targets is up now (for the "no healthy target" alert; a count, so
  // that the metric's labels stay bounded).
  [[nodiscard]] std::size_t services_without_healthy_targets() const;

 private:
  using Place = std::pair<std::string, std::string>;  // cluster, address
  struct Assigned {
    std::optional<ServiceCheck> check;  // nullopt: passive targets (named by an override)
    std::map<Place, TargetId> targets;
  };
  std::optional<ServiceCheck> check_for(const model::MergedService& service,
                                        std::vector<std::string>& dropped);
  void assign_cluster_targets(model::MergedService& service);

  HealthMonitor& monitor_;
  AnnotationParser parse_annotation_;
  std::map<model::ServiceKey, ServiceCheck> checks_;
  std::set<std::string> named_;
  Locality here_;
  std::map<std::string, Locality> localities_;
  std::map<model::ServiceKey, Assigned> assigned_;
};

}  // namespace fedns::health
