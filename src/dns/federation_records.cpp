// Federation-zone names with locality fallback.
#include "dns/federation_records.hpp"

#include <algorithm>
#include <set>

#include "dns/name.hpp"
#include "dns/protocol.hpp"
#include "dns/record_wire.hpp"

namespace fedns::dns {

namespace {

// An address a cluster offers, with the health target it carries.
struct Address {
  const std::string* text;
  model::TargetId target;
};

// The addresses one cluster offers for the service, and whether any of them is backed by a live endpoint.
struct Targets {
  std::vector<Address> addresses;
  bool healthy = false;
};

Targets targets_of(const model::ServiceShard& shard) {
  Targets t;
  for (const auto& endpoint : shard.endpoints) {
    if (!published(shard, endpoint)) continue;
    t.healthy = true;
    if (shard.kind == model::ServiceKind::kHeadless) {
      for (const auto& address : endpoint.addresses)
        t.addresses.push_back({&address, endpoint.health_target});
    }
  }
  if (shard.kind == model::ServiceKind::kClusterSetIp) {
    for (std::size_t i = 0; i < shard.addresses.size(); ++i) {
      t.addresses.push_back({&shard.addresses[i],
                             i < shard.address_targets.size() ? shard.address_targets[i] : model::kNoTarget});
    }
  }
  if (t.addresses.empty()) t.healthy = false;
  return t;
}

}  // namespace

void render_federation_names(const model::MergedService& service, const FederationLayout& layout,
                             std::uint32_t ttl, RenderedNames& out, std::vector<std::string>& dropped) {
  const std::string where = "service " + service.key.text() + " in the federation zone";
  const std::string global =
      make_name({service.key.name, service.key.namespace_, layout.federation, "svc"}, layout.zone_wire);
  if (global.empty()) {
    dropped.push_back(where + ": its name is longer than DNS allows");
    return;
  }
  // The localities, widest first: every configured region, then every configured zone.
  struct Level {
    std::string owner;
    std::string region;
    std::string zone;
  };
  std::vector<Level> regions;
  std::vector<Level> zones;
  {
    std::set<std::string> seen_regions;
    std::set<std::pair<std::string, std::string>> seen_zones;
    for (const auto& [cluster, at] : layout.clusters) {
      if (at.region.empty()) continue;
      const std::string region_suffix = make_name({at.region}, layout.zone_wire);
      if (seen_regions.insert(at.region).second) {
        regions.push_back(
            {make_name({service.key.name, service.key.namespace_, layout.federation, "svc"}, region_suffix),
             at.region, ""});
      }
      if (!at.zone.empty() && seen_zones.emplace(at.region, at.zone).second) {
        zones.push_back(
            {make_name({service.key.name, service.key.namespace_, layout.federation, "svc", at.zone},
                       region_suffix),
             at.region, at.zone});
      }
    }
  }
  auto add = [&](const std::string& owner, std::uint16_t type, std::string rdata) {
    out.records.push_back({owner, type, ttl, std::move(rdata), where});
  };
  auto for_each_locality = [&](const auto& each) {
    for (const auto* list : {&regions, &zones}) {
      for (const auto& level : *list) {
        if (level.owner.empty()) {
          dropped.push_back(where + ": a name in " +
                            (level.zone.empty() ? "region " + level.region : "zone " + level.zone) +
                            " is longer than DNS allows");
          continue;
        }
        each(level);
      }
    }
  };

  out.roots.push_back(global);
  if (service.kind == model::ServiceKind::kExternalName) {
    auto target = name_from_text(service.external_name + (service.external_name.ends_with('.') ? "" : "."));
    if (!target) return;  // reported with the MCS names
    add(global, type::kCNAME, *target);
    for_each_locality([&](const Level& level) {
      out.roots.push_back(level.owner);
      add(level.owner, type::kCNAME, *target);
    });
    return;
  }

  // Addresses per locality from the healthy clusters, each address once.
  auto collect = [&](const std::string& region, const std::string& zone) {
    std::vector<Address> addresses;
    for (const auto& shard : service.shards) {
      const auto at = layout.clusters.find(shard.cluster);
      if (!region.empty() && (at == layout.clusters.end() || at->second.region != region ||
                              (!zone.empty() && at->second.zone != zone)))
        continue;
      const Targets t = targets_of(shard);
      if (!t.healthy) continue;
      for (const auto& address : t.addresses) {
        const bool seen = std::any_of(addresses.begin(), addresses.end(),
                                      [&](const Address& a) { return *a.text == *address.text; });
        if (!seen) addresses.push_back(address);
      }
    }
    return addresses;
  };
  // Each address carries its health target; `tier` orders the in-line fallback at query time (the nearest
  // tier with a target up is answered; the builder keeps an address at its first, nearest, tier).
  auto publish = [&](const std::string& owner, const std::vector<Address>& addresses,
                     std::uint8_t tier = model::kTierZone) {
    for (const auto& address : addresses) {
      WireRecord rr{owner, 0, ttl, {}, where, address.target, service.health, tier};
      if (address_record(*address.text, rr)) out.records.push_back(std::move(rr));
    }
  };

  const auto everywhere = collect("", "");
  publish(global, everywhere);
  std::map<std::string, std::vector<Address>> by_region;
  std::map<std::string, std::string> region_owner;
  for_each_locality([&](const Level& level) {
    out.roots.push_back(level.owner);
    if (level.zone.empty()) {
      auto here = collect(level.region, "");
      region_owner[level.region] = level.owner;
      if (layout.cname_fallback) {
        if (here.empty()) {
          add(level.owner, type::kCNAME, global);
        } else {
          publish(level.owner, here);
        }
      } else {
        publish(level.owner, here, model::kTierRegion);
        publish(level.owner, everywhere, model::kTierGlobal);
      }
      by_region[level.region] = std::move(here);
      return;
    }
    const auto here = collect(level.region, level.zone);
    if (layout.cname_fallback) {
      if (!here.empty()) {
        publish(level.owner, here);
        return;
      }
      const auto owner = region_owner.find(level.region);
      add(level.owner, type::kCNAME, owner != region_owner.end() ? owner->second : global);
      return;
    }
    publish(level.owner, here, model::kTierZone);
    publish(level.owner, by_region[level.region], model::kTierRegion);
    publish(level.owner, everywhere, model::kTierGlobal);
  });
}

}  // namespace fedns::dns
