// Which health targets a service's records point at. For each health-checked service, every address it
// publishes (each endpoint's address for a headless service) becomes a monitor target, kept for as long as
// the service publishes that address in that cluster: a catalog change that keeps an address keeps its
// target and its state; one that drops it removes the target. Runs on the control thread, between the
// catalog's merge and the rendering of names.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "health/health_monitor.hpp"
#include "model/catalog.hpp"

namespace fedns::health {

struct ServiceCheck {
  ProbeSpec probe;  // port 0: the service's first port
  model::HealthPolicy policy;

  bool operator==(const ServiceCheck&) const = default;
};

class ServiceTargets {
 public:
  explicit ServiceTargets(HealthMonitor& monitor) : monitor_(monitor) {}
  ServiceTargets(const ServiceTargets&) = delete;
  ServiceTargets& operator=(const ServiceTargets&) = delete;

  // The checks to run (at start and on a reload). A service whose check changed or went loses its targets;
  // the others keep theirs, with their state. Re-render every service afterwards (assign()).
  void configure(std::map<model::ServiceKey, ServiceCheck> checks);
  [[nodiscard]] bool checked(const model::ServiceKey& key) const { return checks_.contains(key); }

  // Sets the health targets of `service` (ServiceShard::address_targets, EndpointRecord::health_target) and
  // its fallback policy, adding the targets it gains and removing those it lost. What cannot be probed (no
  // port) goes to `dropped`.
  void assign(model::MergedService& service, std::vector<std::string>& dropped);
  // The service is gone (or no longer checked): its targets go.
  void release(const model::ServiceKey& key);

  [[nodiscard]] std::size_t target_count() const;

 private:
  using Place = std::pair<std::string, std::string>;  // cluster, address
  HealthMonitor& monitor_;
  std::map<model::ServiceKey, ServiceCheck> checks_;
  std::map<model::ServiceKey, std::map<Place, TargetId>> assigned_;
};

}  // namespace fedns::health
