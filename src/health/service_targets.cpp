// Health targets per service: added as addresses appear, removed as they go.
#include "health/service_targets.hpp"

#include <algorithm>

namespace fedns::health {

namespace {

// A headless endpoint the names publish, with an address to point a target at.
bool targetable(const model::ServiceShard& shard, const model::EndpointRecord& endpoint) {
  return model::published(shard, endpoint) && !endpoint.addresses.empty();
}

}  // namespace

void ServiceTargets::configure(std::map<model::ServiceKey, ServiceCheck> checks) {
  for (const auto& [key, check] : checks_) {
    const auto next = checks.find(key);
    if (next == checks.end() || !(next->second == check)) release(key);
  }
  checks_ = std::move(checks);
}

std::vector<model::ServiceKey> ServiceTargets::set_named_services(std::set<std::string> named) {
  std::vector<std::string> changed;
  std::set_symmetric_difference(named.begin(), named.end(), named_.begin(), named_.end(),
                                std::back_inserter(changed));
  named_ = std::move(named);
  std::vector<model::ServiceKey> out;
  for (const auto& text : changed) {
    const auto slash = text.find('/');
    out.push_back({text.substr(0, slash), text.substr(slash + 1)});
  }
  return out;
}

std::optional<ServiceCheck> ServiceTargets::check_for(const model::MergedService& service,
                                                      std::vector<std::string>& dropped) {
  if (const auto check = checks_.find(service.key); check != checks_.end()) return check->second;
  if (service.health_check.empty() || !parse_annotation_) return std::nullopt;
  auto parsed = parse_annotation_(service.health_check);
  if (!parsed) {
    dropped.push_back("service " + service.key.text() + ": annotation fedns.io/health-check: " +
                      parsed.error().message + "; answered without a health check");
    return std::nullopt;
  }
  return parsed.value();
}

void ServiceTargets::assign_cluster_targets(model::MergedService& service) {
  for (auto& shard : service.shards) {
    const TargetId id = monitor_.cluster_target(shard.cluster);
    if (service.kind == model::ServiceKind::kHeadless) {
      for (auto& endpoint : shard.endpoints) {
        if (targetable(shard, endpoint)) endpoint.health_target = id;
      }
      continue;
    }
    shard.address_targets.assign(shard.addresses.size(), id);
  }
}

void ServiceTargets::assign(model::MergedService& service, std::vector<std::string>& dropped) {
  std::optional<ServiceCheck> check = check_for(service, dropped);
  ProbeSpec spec;
  if (check) {
    spec = check->probe;
    if (spec.port == 0 && !service.ports.empty()) spec.port = service.ports.front().port;
    if (spec.port == 0) {
      dropped.push_back("service " + service.key.text() + ": health check without a port, and none to take");
      check.reset();
    }
  }
  if (!check && !named_.contains(service.key.text())) {
    release(service.key);
    assign_cluster_targets(service);
    return;
  }
  if (check) {
    service.health = check->policy;
    service.last_resort = check->last_resort;
    if (check->policy.fallback == model::HealthFallback::kHierarchy) {
      for (auto& shard : service.shards) {
        const auto it = localities_.find(shard.cluster);
        const Locality there = it == localities_.end() ? Locality{} : it->second;
        const bool same_region = !here_.region.empty() && there.region == here_.region;
        shard.tier = same_region && !here_.zone.empty() && there.zone == here_.zone ? model::kTierZone
                     : same_region                                                  ? model::kTierRegion
                                                                                    : model::kTierGlobal;
      }
    }
  } else {
    spec.kind = ProbeKind::kNone;  // named by an override: passive, one per address
  }
  if (const auto it = assigned_.find(service.key); it != assigned_.end() && it->second.check != check)
    release(service.key);
  auto& assigned = assigned_[service.key];
  assigned.check = check;
  auto& before = assigned.targets;
  std::map<Place, TargetId> now;
  const std::string service_text = service.key.text();
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
    Target target;
    target.name = "service " + service_text + " in " + cluster + ": " + address +
                  (spec.kind == ProbeKind::kNone ? "" : ":" + std::to_string(spec.port));
    target.address = ip;
    target.spec = spec;
    target.scope = {cluster, service_text, ip.to_string(), TargetRole::kEndpoint};
    const TargetId id = monitor_.add(std::move(target));
    now.emplace(std::move(place), id);
    return id;
  };
  for (auto& shard : service.shards) {
    if (service.kind == model::ServiceKind::kHeadless) {
      for (auto& endpoint : shard.endpoints) {
        if (targetable(shard, endpoint))
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
  for (const auto& [place, id] : it->second.targets)
    monitor_.remove(id);
  assigned_.erase(it);
}

std::size_t ServiceTargets::services_without_healthy_targets() const {
  std::size_t out = 0;
  for (const auto& [key, assigned] : assigned_) {
    if (!assigned.check || assigned.targets.empty()) continue;
    const bool any_up = std::any_of(assigned.targets.begin(), assigned.targets.end(),
                                    [this](const auto& t) { return monitor_.effective_up(t.second); });
    if (!any_up) ++out;
  }
  return out;
}

std::size_t ServiceTargets::target_count() const {
  std::size_t n = 0;
  for (const auto& [key, assigned] : assigned_)
    n += assigned.targets.size();
  return n;
}

}  // namespace fedns::health
