// MCS records of one merged service, in wire form.
#include "dns/service_records.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>

#include "dns/name.hpp"
#include "dns/protocol.hpp"

namespace fedns::dns {

namespace {

void append_label(std::string& wire, std::string_view label) {
  wire.push_back(static_cast<char>(label.size()));
  for (const char c : label)
    wire.push_back(static_cast<char>(fold_case(static_cast<std::uint8_t>(c))));
}

// `labels` (leftmost first) + suffix, or empty when the result would exceed 255 octets (RFC 1035 2.3.4).
std::string make_name(std::initializer_list<std::string_view> labels, std::string_view suffix) {
  std::string wire;
  for (const auto label : labels) {
    if (label.empty() || label.size() > 63) return {};
    append_label(wire, label);
  }
  wire.append(suffix);
  return wire.size() > kMaxNameLength ? std::string{} : wire;
}

void push_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xFF));
}

// A or AAAA from canonical address text (validated when the shard was built).
bool address_record(const std::string& text, WireRecord& rr) {
  std::array<unsigned char, 16> raw{};
  if (inet_pton(AF_INET, text.c_str(), raw.data()) == 1) {
    rr.type = type::kA;
    rr.rdata.assign(reinterpret_cast<const char*>(raw.data()), 4);
    return true;
  }
  if (inet_pton(AF_INET6, text.c_str(), raw.data()) == 1) {
    rr.type = type::kAAAA;
    rr.rdata.assign(reinterpret_cast<const char*>(raw.data()), 16);
    return true;
  }
  return false;
}

// The label an endpoint without a hostname gets: its address with '-' for '.' and ':' (as Kubernetes DNS
// names pods), so SRV targets are unique per endpoint.
std::string endpoint_label(const model::EndpointRecord& e) {
  if (!e.hostname.empty()) return e.hostname;
  std::string label = e.addresses.front();
  std::replace(label.begin(), label.end(), '.', '-');
  std::replace(label.begin(), label.end(), ':', '-');
  if (!label.empty() && label.front() == '-') label.insert(label.begin(), '0');
  if (!label.empty() && label.back() == '-') label.push_back('0');
  return label;
}

std::string protocol_label(const std::string& protocol) {
  std::string out = "_";
  for (const char c : protocol)
    out.push_back(static_cast<char>(fold_case(static_cast<std::uint8_t>(c))));
  return out;
}

std::string srv_rdata(std::uint16_t weight, std::uint16_t port, const std::string& target) {
  std::string rdata;
  push_u16(rdata, 0);  // priority: one tier; the answer policies order clusters, not SRV priorities
  push_u16(rdata, weight);
  push_u16(rdata, port);
  rdata.append(target);
  return rdata;
}

}  // namespace

void render_service(const model::MergedService& service, std::string_view zone_wire, std::uint32_t ttl,
                    std::vector<WireRecord>& out, std::vector<std::string>& dropped) {
  const std::string where = "service " + service.key.text();
  const std::string svc_suffix = make_name({"svc"}, zone_wire);
  const std::string owner = make_name({service.key.name, service.key.namespace_}, svc_suffix);
  if (svc_suffix.empty() || owner.empty()) {
    dropped.push_back(where + ": its name is longer than DNS allows");
    return;
  }
  auto add = [&](const std::string& name, std::uint16_t type, std::string rdata) {
    out.push_back({name, type, ttl, std::move(rdata), where});
  };
  auto add_address = [&](const std::string& name, const std::string& address) {
    WireRecord rr{name, 0, ttl, {}, where};
    if (address_record(address, rr)) out.push_back(std::move(rr));
  };

  if (service.kind == model::ServiceKind::kExternalName) {
    auto target = name_from_text(service.external_name + (service.external_name.ends_with('.') ? "" : "."));
    if (!target) {
      dropped.push_back(where + ": externalName \"" + service.external_name + "\" is not a domain name");
      return;
    }
    add(owner, type::kCNAME, *target);
    return;
  }

  if (service.kind == model::ServiceKind::kClusterSetIp) {
    std::vector<std::string> seen;
    for (const auto& shard : service.shards) {
      for (const auto& address : shard.addresses) {
        if (std::find(seen.begin(), seen.end(), address) != seen.end()) continue;
        seen.push_back(address);
        add_address(owner, address);
      }
    }
    for (const auto& port : service.ports) {
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

  // Headless: the endpoints themselves, each also under <hostname>.<clusterid>.<svc>.<ns>.svc.<zone>.
  std::vector<std::string> targets;
  for (const auto& shard : service.shards) {
    for (const auto& endpoint : shard.endpoints) {
      const bool published = endpoint.ready || (shard.publish_not_ready && !endpoint.terminating);
      if (!published) continue;
      const std::string target = make_name({endpoint_label(endpoint), shard.cluster}, owner);
      if (target.empty()) {
        dropped.push_back(where + ": endpoint name in cluster " + shard.cluster + " is too long");
        continue;
      }
      for (const auto& address : endpoint.addresses) {
        add_address(owner, address);
        add_address(target, address);
      }
      targets.push_back(target);
    }
  }
  for (const auto& port : service.ports) {
    if (port.name.empty()) continue;
    const std::string srv = make_name({"_" + port.name, protocol_label(port.protocol)}, owner);
    if (srv.empty()) {
      dropped.push_back(where + ": SRV name for port " + port.name + " is too long");
      continue;
    }
    for (const auto& target : targets)
      add(srv, type::kSRV, srv_rdata(1, port.port, target));
  }
}

}  // namespace fedns::dns
