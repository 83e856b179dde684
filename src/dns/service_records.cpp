// MCS records of one merged service, in wire form.
#include "dns/service_records.hpp"

#include <algorithm>

#include "dns/name.hpp"
#include "dns/protocol.hpp"
#include "dns/record_wire.hpp"

namespace fedns::dns {

std::string mcs_service_name(const model::ServiceKey& key, std::string_view zone_wire) {
  const std::string svc_suffix = make_name({"svc"}, zone_wire);
  return svc_suffix.empty() ? std::string{} : make_name({key.name, key.namespace_}, svc_suffix);
}

void render_service(const model::MergedService& service, std::string_view zone_wire, std::uint32_t ttl,
                    std::vector<WireRecord>& out, std::vector<std::string>& dropped) {
  const std::string where = "service " + service.key.text();
  const std::string owner = mcs_service_name(service.key, zone_wire);
  if (owner.empty()) {
    dropped.push_back(where + ": its name is longer than DNS allows");
    return;
  }
  render_records_at({owner, service.kind, service.external_name, service.ports, service.shards, true,
                     service.health, service.last_resort, service.policy},
                    ttl, where, out, dropped);
}

void render_mcs_names(const model::MergedService& service, std::string_view zone_wire, std::uint32_t ttl,
                      RenderedNames& out, std::vector<std::string>& dropped) {
  render_service(service, zone_wire, ttl, out.records, dropped);
  if (!out.records.empty()) out.roots.push_back(mcs_service_name(service.key, zone_wire));
}

void render_records_at(const ServiceRecordsAt& what, std::uint32_t ttl, const std::string& where,
                       std::vector<WireRecord>& out, std::vector<std::string>& dropped) {
  const std::string& owner = what.owner;
  auto add = [&](const std::string& name, std::uint16_t type, std::string rdata,
                 model::TargetId target = model::kNoTarget) {
    out.push_back({name, type, ttl, std::move(rdata), where, target, what.health});
  };
  auto add_address = [&](const std::string& name, const std::string& address, model::TargetId target,
                         std::uint8_t tier = model::kTierZone, const model::ServiceShard* shard = nullptr) {
    WireRecord rr{name,
                  0,
                  ttl,
                  {},
                  where,
                  target,
                  what.health,
                  tier,
                  shard != nullptr ? shard->region : model::kNoLocality,
                  shard != nullptr ? shard->zone : model::kNoLocality};
    if (shard != nullptr || tier == model::kLastResortTier) {  // the service's own name: its policy decides
      rr.cluster = shard != nullptr ? shard->cluster_id : model::kNoLocality;
      rr.policy = what.policy;
    }
    if (address_record(address, rr)) out.push_back(std::move(rr));
  };

  // Last-resort addresses stand in for the service's own of the same family: an AAAA set of last resorts
  // alone would be answered while every IPv4 address is up.
  auto add_last_resort = [&](const std::vector<std::string>& own) {
    const bool v6 =
        std::any_of(own.begin(), own.end(), [](const auto& a) { return a.find(':') != std::string::npos; });
    const bool v4 =
        std::any_of(own.begin(), own.end(), [](const auto& a) { return a.find(':') == std::string::npos; });
    for (const auto& address : what.last_resort) {
      if (address.find(':') != std::string::npos ? v6 : v4)
        add_address(owner, address, model::kNoTarget, model::kLastResortTier);
    }
  };

  if (what.kind == model::ServiceKind::kExternalName) {
    const std::string external_name(what.external_name);
    auto target = name_from_text(external_name + (external_name.ends_with('.') ? "" : "."));
    if (!target) {
      dropped.push_back(where + ": externalName \"" + external_name + "\" is not a domain name");
      return;
    }
    add(owner, type::kCNAME, *target);
    return;
  }

  if (what.kind == model::ServiceKind::kClusterSetIp) {
    std::vector<std::string> seen;
    for (const auto& shard : what.shards) {
      for (std::size_t i = 0; i < shard.addresses.size(); ++i) {
        const std::string& address = shard.addresses[i];
        if (std::find(seen.begin(), seen.end(), address) != seen.end()) continue;
        seen.push_back(address);
        add_address(owner, address,
                    i < shard.address_targets.size() ? shard.address_targets[i] : model::kNoTarget,
                    shard.tier, &shard);
      }
    }
    add_last_resort(seen);
    for (const auto& port : what.ports) {
      if (port.name.empty() || seen.empty()) continue;  // SRV needs a port name (MCS DNS spec)
      const std::string srv = make_name({"_" + port.name, protocol_label(port.protocol)}, owner);
      if (srv.empty()) {
        dropped.push_back(where + ": SRV name for port " + port.name + " is too long");
        continue;
      }
      add(srv, type::kSRV, srv_rdata(1, port.port, owner));
    }
    return;
  }

  // Headless: the endpoints themselves, each also under its own name.
  std::vector<std::pair<std::string, model::TargetId>> targets;  // endpoint names, with their health target
  for (const auto& shard : what.shards) {
    for (const auto& endpoint : shard.endpoints) {
      if (!published(shard, endpoint)) continue;
      const std::string target = what.endpoint_cluster_label
                                     ? make_name({endpoint_label(endpoint), shard.cluster}, owner)
                                     : make_name({endpoint_label(endpoint)}, owner);
      if (target.empty()) {
        dropped.push_back(where + ": endpoint name in cluster " + shard.cluster + " is too long");
        continue;
      }
      for (const auto& address : endpoint.addresses) {
        add_address(owner, address, endpoint.health_target, shard.tier, &shard);
        add_address(target, address, endpoint.health_target);
      }
      targets.emplace_back(target, endpoint.health_target);
    }
  }
  std::vector<std::string> published_addresses;
  for (const auto& shard : what.shards) {
    for (const auto& endpoint : shard.endpoints) {
      if (published(shard, endpoint))
        published_addresses.insert(published_addresses.end(), endpoint.addresses.begin(),
                                   endpoint.addresses.end());
    }
  }
  add_last_resort(published_addresses);
  for (const auto& port : what.ports) {
    if (port.name.empty()) continue;
    const std::string srv = make_name({"_" + port.name, protocol_label(port.protocol)}, owner);
    if (srv.empty()) {
      dropped.push_back(where + ": SRV name for port " + port.name + " is too long");
      continue;
    }
    for (const auto& [target, health_target] : targets)
      add(srv, type::kSRV, srv_rdata(1, port.port, target), health_target);
  }
}

}  // namespace fedns::dns
