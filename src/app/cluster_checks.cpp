// Cluster checks as monitor targets (see cluster_checks.hpp).
#include "app/cluster_checks.hpp"

#include <set>

#include "sync/reflector.hpp"

namespace fedns::app {

namespace asio = boost::asio;

void ClusterChecks::configure(const std::vector<ClusterConfig>& clusters) {
  std::set<std::string> configured;
  for (const auto& cluster : clusters) {
    configured.insert(cluster.name);
    auto it = clusters_.find(cluster.name);
    if (it != clusters_.end() && it->second.config == cluster.health) continue;
    if (it != clusters_.end()) {
      for (const auto id : it->second.ids)
        monitor_.remove(id);
    }
    clusters_[cluster.name] = {cluster.health, add_checks(cluster)};
  }
  for (auto it = clusters_.begin(); it != clusters_.end();) {
    if (configured.contains(it->first)) {
      ++it;
      continue;
    }
    for (const auto id : it->second.ids)
      monitor_.remove(id);
    it = clusters_.erase(it);
  }
}

std::vector<health::TargetId> ClusterChecks::add_checks(const ClusterConfig& cluster) {
  std::vector<health::TargetId> ids;
  const health::TargetScope scope{cluster.name, "", "", health::TargetRole::kClusterCheck};
  CatalogSync* sync = &sync_;
  const std::string name = cluster.name;
  if (cluster.health.api) {
    health::Target api;
    api.name = "cluster " + name + " API";
    api.spec = cluster.health.api_check;
    api.spec.kind = health::ProbeKind::kCustom;
    api.scope = scope;
    api.custom = [sync, name](std::chrono::milliseconds timeout) -> asio::awaitable<health::ProbeResult> {
      sync::ClusterSource* source = sync->find(name);
      if (source == nullptr) co_return health::ProbeResult{true, {}, {}};  // leaving: nothing to judge
      const auto start = std::chrono::steady_clock::now();
      std::string error = co_await source->check_api(timeout);
      co_return health::ProbeResult{
          error.empty(),
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start),
          std::move(error)};
    };
    ids.push_back(monitor_.add(std::move(api)));
  }
  if (cluster.health.watch_max_age.count() > 0) {
    health::Target watch;
    watch.name = "cluster " + name + " watch";
    // Checked every tenth of the allowed age; down at the first look past it, up at the first look within.
    watch.spec.kind = health::ProbeKind::kCustom;
    watch.spec.interval =
        std::max<std::chrono::milliseconds>(cluster.health.watch_max_age / 10, std::chrono::seconds(1));
    watch.spec.timeout = watch.spec.interval;
    watch.spec.thresholds = {1, 1, 1};
    watch.scope = scope;
    watch.custom = [sync, name, max_age = cluster.health.watch_max_age](
                       std::chrono::milliseconds) -> asio::awaitable<health::ProbeResult> {
      sync::ClusterSource* source = sync->find(name);
      if (source == nullptr) co_return health::ProbeResult{true, {}, {}};
      const auto now = std::chrono::steady_clock::now();
      for (const auto& [resource, reflector] : source->informers()) {
        const auto last = reflector->stats().last_contact;
        if (last == std::chrono::steady_clock::time_point{}) continue;  // not listed yet: startup's business
        if (now - last > max_age) {
          co_return health::ProbeResult{
              false,
              {},
              resource + " watch silent for " +
                  std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - last).count()) +
                  " s"};
        }
      }
      co_return health::ProbeResult{true, {}, {}};
    };
    ids.push_back(monitor_.add(std::move(watch)));
  }
  if (cluster.health.gateway) {
    health::Target gateway;
    gateway.name = "cluster " + name + " gateway " + cluster.health.gateway_address;
    gateway.address = asio::ip::make_address(cluster.health.gateway_address);  // validated with the config
    gateway.spec = *cluster.health.gateway;
    gateway.scope = scope;
    ids.push_back(monitor_.add(std::move(gateway)));
  }
  return ids;
}

}  // namespace fedns::app
