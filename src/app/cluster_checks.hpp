// Each member cluster's own health checks as health monitor targets (role kClusterCheck): its API's /readyz,
// the freshness of its watches, and an optional gateway probe (config clusters[].health). While any is down
// the monitor counts the cluster as down, and every record of the cluster leaves the answers within its
// service's fallback policy. Wiring between the catalog's sources (src/sync) and the monitor (src/health),
// which do not know each other.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "app/catalog_sync.hpp"
#include "app/config.hpp"
#include "health/health_monitor.hpp"

namespace fedns::app {

class ClusterChecks {
 public:
  ClusterChecks(health::HealthMonitor& monitor, CatalogSync& sync) : monitor_(monitor), sync_(sync) {}
  ClusterChecks(const ClusterChecks&) = delete;
  ClusterChecks& operator=(const ClusterChecks&) = delete;

  // The clusters to check (at start and on a reload): a cluster whose settings stay keeps its checks and
  // their state; the others' are made again, and removed clusters' go.
  void configure(const std::vector<ClusterConfig>& clusters);

 private:
  struct Checks {
    ClusterHealthConfig config;
    std::vector<health::TargetId> ids;
  };
  std::vector<health::TargetId> add_checks(const ClusterConfig& cluster);

  health::HealthMonitor& monitor_;
  CatalogSync& sync_;
  std::map<std::string, Checks> clusters_;
};

}  // namespace fedns::app
