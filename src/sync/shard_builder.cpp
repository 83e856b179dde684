// Service + EndpointSlices + ServiceExport -> one cluster's shard, with the address policy and input hygiene.
#include "sync/shard_builder.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <map>
#include <optional>

namespace fedns::sync {

namespace {

// The canonical text of an IP address (so "::0:1" and "::1" are one address), or nothing when it is not one.
std::optional<std::string> canonical_ip(const std::string& text) {
  std::array<unsigned char, 16> raw{};
  std::array<char, INET6_ADDRSTRLEN> out{};
  const int family = text.find(':') == std::string::npos ? AF_INET : AF_INET6;
  if (inet_pton(family, text.c_str(), raw.data()) != 1) return std::nullopt;
  if (inet_ntop(family, raw.data(), out.data(), out.size()) == nullptr) return std::nullopt;
  return std::string(out.data());
}

// Valid, canonical, de-duplicated addresses; what was refused goes to `dropped`.
std::vector<std::string> clean_addresses(const std::vector<std::string>& in, const std::string& what,
                                         std::vector<std::string>& dropped) {
  std::vector<std::string> out;
  for (const auto& text : in) {
    auto ip = canonical_ip(text);
    if (!ip) {
      dropped.push_back(what + ": \"" + text + "\" is not an IP address");
      continue;
    }
    if (std::find(out.begin(), out.end(), *ip) == out.end()) out.push_back(std::move(*ip));
  }
  return out;
}

// Ready beats serving beats neither, so a duplicate keeps its best state.
int rank(const model::EndpointRecord& e) {
  return e.ready ? 2 : (e.serving ? 1 : 0);
}

}  // namespace

bool is_dns_label(const std::string& label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

Result<AddressSource> parse_address_source(const std::string& text) {
  static const std::map<std::string, AddressSource> kNames{{"auto", AddressSource::kAuto},
                                                           {"cluster-ip", AddressSource::kClusterIp},
                                                           {"load-balancer", AddressSource::kLoadBalancer},
                                                           {"external-ips", AddressSource::kExternalIps},
                                                           {"endpoints", AddressSource::kEndpoints}};
  const auto it = kNames.find(text);
  if (it == kNames.end()) {
    return Error{"\"" + text + "\" is not one of auto, cluster-ip, load-balancer, external-ips, endpoints"};
  }
  return it->second;
}

ServiceSource to_service_source(Service service) {
  ServiceSource source;
  if (service.type == "LoadBalancer") {
    source.type = ServiceType::kLoadBalancer;
  } else if (service.type == "ExternalName") {
    source.type = ServiceType::kExternalName;
  }
  source.headless = service.headless;
  source.publish_not_ready_addresses = service.publish_not_ready_addresses;
  source.cluster_ips = std::move(service.cluster_ips);
  source.external_ips = std::move(service.external_ips);
  source.load_balancer_ips = std::move(service.load_balancer_ips);
  source.external_name = std::move(service.external_name);
  source.ports = std::move(service.ports);
  if (const auto it = service.annotations.find(kAddressAnnotation); it != service.annotations.end())
    source.address_annotation = it->second;
  if (const auto it = service.annotations.find(kHealthCheckAnnotation); it != service.annotations.end())
    source.health_check = it->second;
  if (const auto it = service.annotations.find(kAnswerPolicyAnnotation); it != service.annotations.end())
    source.answer_policy = it->second;
  // No spare capacity: the catalog holds one of these per service and cluster.
  for (auto* list : {&source.cluster_ips, &source.external_ips, &source.load_balancer_ips})
    list->shrink_to_fit();
  source.ports.shrink_to_fit();
  return source;
}

std::vector<std::string> EndpointSource::addresses() const {
  std::vector<std::string> out;
  for (std::size_t at = 0; at < packed_addresses.size();) {
    const std::size_t length = static_cast<unsigned char>(packed_addresses[at]);
    out.push_back(packed_addresses.substr(at + 1, length));
    at += 1 + length;
  }
  return out;
}

SliceSource to_slice_source(EndpointSlice slice, EndpointPlaces& places) {
  SliceSource source;
  source.fqdn = slice.address_type == "FQDN";
  source.endpoints.reserve(slice.endpoints.size());  // exact: kept as long as the slice is
  for (auto& e : slice.endpoints) {
    EndpointSource& out = source.endpoints.emplace_back();
    std::size_t packed = 0;
    for (const auto& address : e.addresses)
      packed += 1 + std::min<std::size_t>(address.size(), 255);
    out.packed_addresses.reserve(packed);
    for (const auto& address : e.addresses) {
      const std::size_t length = std::min<std::size_t>(address.size(), 255);
      out.packed_addresses.push_back(static_cast<char>(length));
      out.packed_addresses.append(address, 0, length);
    }
    out.hostname = std::move(e.hostname);
    if (!e.node_name.empty() || !e.zone.empty())
      out.place = places.intern({std::move(e.node_name), std::move(e.zone)});
    out.conditions = e.conditions;
  }
  return source;
}

Result<ShardResult> build_shard(const ShardInput& input) {
  const ServiceSource& service = *input.service;
  const std::string where = "cluster " + input.cluster + ": service " + input.key.text();
  if (!is_dns_label(input.key.name) || !is_dns_label(input.key.namespace_)) {
    return Error{where + ": name or namespace is not a DNS label"};
  }
  if (service.ports.size() > kMaxPorts) {
    return Error{where + ": " + std::to_string(service.ports.size()) + " ports (at most " +
                 std::to_string(kMaxPorts) + " are published)"};
  }
  AddressSource source = input.default_source;
  if (service.address_annotation) {
    auto parsed = parse_address_source(*service.address_annotation);
    if (!parsed) return parsed.error().wrap(where + ": annotation " + kAddressAnnotation);
    source = *parsed;
  }

  ShardResult result;
  model::ServiceShard& shard = result.shard;
  shard.cluster = input.cluster;
  shard.publish_not_ready = service.publish_not_ready_addresses;
  shard.health_check = service.health_check;
  shard.answer_policy = service.answer_policy;
  if (input.service_export != nullptr) shard.exported_at = input.service_export->creation_timestamp;
  shard.ports.reserve(service.ports.size());
  for (const auto& p : service.ports) {
    if (!p.name.empty() && !is_dns_label(p.name)) {
      result.dropped.push_back(where + ": port name \"" + p.name + "\" is not a DNS label");
      continue;
    }
    shard.ports.push_back({p.name, p.protocol, p.port, p.app_protocol});
  }

  // Endpoints of every slice, de-duplicated by address (an endpoint moving between slices appears in both
  // for a moment).
  std::map<std::string, model::EndpointRecord> by_address;
  for (const SliceSource* slice : input.slices) {
    if (slice->fqdn) continue;  // deprecated by Kubernetes; nothing to publish as A/AAAA
    for (const auto& e : slice->endpoints) {
      model::EndpointRecord record;
      record.addresses = clean_addresses(e.addresses(), where + ": endpoint", result.dropped);
      if (record.addresses.empty()) continue;
      record.ready = e.conditions.ready;
      record.serving = e.conditions.serving;
      record.terminating = e.conditions.terminating;
      if (e.place) {
        record.node_name = e.place->node_name;
        record.zone = e.place->zone;
      }
      if (!e.hostname.empty()) {
        if (is_dns_label(e.hostname)) {
          record.hostname = e.hostname;
        } else {
          result.dropped.push_back(where + ": endpoint hostname \"" + e.hostname + "\" is not a DNS label");
        }
      }
      const std::string address = record.addresses.front();
      const auto [it, inserted] = by_address.try_emplace(address, record);
      if (!inserted) {
        if (rank(record) > rank(it->second)) it->second = std::move(record);
        result.dropped.push_back(where + ": endpoint " + address + " listed twice");
      }
    }
  }
  shard.endpoints.reserve(by_address.size());  // exact: the shard lives as long as the service does
  for (auto& [address, record] : by_address)
    shard.endpoints.push_back(std::move(record));

  if (service.type == ServiceType::kExternalName) {
    shard.kind = model::ServiceKind::kExternalName;
    shard.external_name = service.external_name;
    if (shard.external_name.empty()) return Error{where + ": ExternalName service without externalName"};
    return result;
  }
  if (service.headless) {
    shard.kind = model::ServiceKind::kHeadless;
    return result;
  }
  shard.kind = model::ServiceKind::kClusterSetIp;
  const std::vector<std::string>* chosen = &service.cluster_ips;
  std::vector<std::string> endpoint_addresses;
  switch (source) {
    case AddressSource::kAuto:
      if (service.type == ServiceType::kLoadBalancer) {
        chosen = &service.load_balancer_ips;
      } else if (!service.external_ips.empty()) {
        chosen = &service.external_ips;
      }
      break;
    case AddressSource::kClusterIp:
      break;
    case AddressSource::kLoadBalancer:
      chosen = &service.load_balancer_ips;
      break;
    case AddressSource::kExternalIps:
      chosen = &service.external_ips;
      break;
    case AddressSource::kEndpoints:
      for (const auto& e : shard.endpoints) {
        if (e.ready || (shard.publish_not_ready && !e.terminating)) {
          endpoint_addresses.insert(endpoint_addresses.end(), e.addresses.begin(), e.addresses.end());
        }
      }
      chosen = &endpoint_addresses;
      break;
  }
  shard.addresses = clean_addresses(*chosen, where + ": address", result.dropped);
  return result;
}

}  // namespace fedns::sync
