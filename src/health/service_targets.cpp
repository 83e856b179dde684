// Health targets per service: added as addresses appear, removed as they go.
#include "health/service_targets.hpp"

namespace fedns::health {

void ServiceTargets::configure(std::map<model::ServiceKey, ServiceCheck> checks) {
  for (const auto& [key, check] : checks_) {
    const auto next = checks.find(key);
    if (next == checks.end() || !(next->second == check)) release(key);
  }
  checks_ = std::move(checks);
}

void ServiceTargets::assign(model::MergedService& service, std::vector<std::string>& dropped) {
  const auto check = checks_.find(service.key);
  if (check == checks_.end()) {
    release(service.key);
    return;
  }
  ProbeSpec spec = check->second.probe;
  if (spec.port == 0 && !service.ports.empty()) spec.port = service.ports.front().port;
  if (spec.port == 0) {
    dropped.push_back("service " + service.key.text() + ": health check without a port, and none to take");
    release(service.key);
    return;
  }
  service.health = check->second.policy;
  auto& before = assigned_[service.key];
  std::map<Place, TargetId> now;
  auto target_for = [&](const std::string& cluster, const std::string& address) -> model::TargetId {
    Place place{cluster, address};
    if (const auto kept = now.find(place); kept != now.end()) return kept->second;
    if (const auto had = before.find(place); had != before.end()) {
      const TargetId id = had->second;
      before.erase(had);
      now.emplace(std::move(place), id);
      return id;
    }
    boost::system::error_code ec;
    const auto ip = boost::asio::ip::make_address(address, ec);
    if (ec) return model::kNoTarget;  // validated by the catalog; never probe what is not an address
    const TargetId id = monitor_.add({"service " + service.key.text() + " in " + cluster + ": " + address +
                                          ":" + std::to_string(spec.port),
                                      ip, spec});
    now.emplace(std::move(place), id);
    return id;
  };
  for (auto& shard : service.shards) {
    if (service.kind == model::ServiceKind::kHeadless) {
      for (auto& endpoint : shard.endpoints) {
        // Only what the names publish (MCS: ready endpoints, or not terminating with
        // publishNotReadyAddresses).
        const bool published = endpoint.ready || (shard.publish_not_ready && !endpoint.terminating);
        if (published && !endpoint.addresses.empty())
          endpoint.health_target = target_for(shard.cluster, endpoint.addresses.front());
      }
      continue;
    }
    shard.address_targets.clear();
    for (const auto& address : shard.addresses)
      shard.address_targets.push_back(target_for(shard.cluster, address));
  }
  for (const auto& [place, id] : before)  // what the service no longer publishes
    monitor_.remove(id);
  before = std::move(now);
}

void ServiceTargets::release(const model::ServiceKey& key) {
  const auto it = assigned_.find(key);
  if (it == assigned_.end()) return;
  for (const auto& [place, id] : it->second)
    monitor_.remove(id);
  assigned_.erase(it);
}

std::size_t ServiceTargets::target_count() const {
  std::size_t n = 0;
  for (const auto& [key, targets] : assigned_)
    n += targets.size();
  return n;
}

}  // namespace fedns::health
