// Catalog addresses -> PTR records in reverse zones, incrementally.
#include "dns/reverse_names_builder.hpp"

#include <arpa/inet.h>

#include <array>

#include "dns/name.hpp"
#include "dns/protocol.hpp"
#include "dns/service_records.hpp"
#include "dns/zone_builder.hpp"

namespace fedns::dns {

std::string reverse_name(const std::string& address) {
  std::array<unsigned char, 16> raw{};
  std::string wire;
  auto label = [&](const std::string& text) {
    wire.push_back(static_cast<char>(text.size()));
    wire.append(text);
  };
  if (inet_pton(AF_INET, address.c_str(), raw.data()) == 1) {
    for (int i = 3; i >= 0; --i)
      label(std::to_string(raw[static_cast<std::size_t>(i)]));
    label("in-addr");
  } else if (inet_pton(AF_INET6, address.c_str(), raw.data()) == 1) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; --i) {
      label(std::string(1, kHex[raw[static_cast<std::size_t>(i)] & 0xF]));
      label(std::string(1, kHex[raw[static_cast<std::size_t>(i)] >> 4]));
    }
    label("ip6");
  } else {
    return {};
  }
  label("arpa");
  wire.push_back('\0');
  return wire;
}

ReverseNamesBuilder::ReverseNamesBuilder(std::vector<ZoneInput> zones, std::string catalog_zone_wire,
                                         std::uint32_t ttl)
    : catalog_zone_(std::move(catalog_zone_wire)), ttl_(ttl) {
  for (auto& z : zones) {
    ZoneState state;
    state.origin = std::move(z.origin);
    state.base = std::move(z.base);
    zones_.push_back(std::move(state));
  }
}

// Rebuilds the PTR node of `owner` from every service's contribution; keeps the empty non-terminals between
// it and the zone origin counted.
void ReverseNamesBuilder::restage(std::size_t zone, const std::string& owner, bool existed) {
  ZoneState& z = zones_[zone];
  const auto it = contributions_.find(owner);
  const bool exists = it != contributions_.end() && !it->second.empty();
  if (exists) {
    std::set<std::string> targets;
    for (const auto& [key, mine] : it->second)
      targets.insert(mine.begin(), mine.end());
    model::RRset set;
    set.type = type::kPTR;
    set.ttl = ttl_;
    for (const auto& target : targets) {
      model::RData rdata;
      rdata.wire = target;
      mark_compressible_names(type::kPTR, rdata);
      set.rdatas.push_back(std::move(rdata));
    }
    model::Node node;
    node.name = owner;
    node.rrsets.push_back(std::move(set));
    z.writer.stage(owner, std::move(node));
  } else {
    if (it != contributions_.end()) contributions_.erase(it);
    z.writer.stage(owner, std::nullopt);
  }
  if (exists == existed) return;
  for (std::string_view parent = parent_name(owner); parent.size() > z.origin.size();
       parent = parent_name(parent)) {
    const std::string name(parent);
    if (exists) {
      if (z.ents[name]++ == 0) {
        // A configured node there already answers for the name; only a missing one needs the generated ENT.
        if (z.base->find(name) == nullptr) {
          model::Node ent;
          ent.name = name;
          z.writer.stage(name, std::move(ent));
        }
      }
    } else if (const auto e = z.ents.find(name); e != z.ents.end() && --e->second == 0) {
      z.ents.erase(e);
      z.writer.stage(name, std::nullopt);
    }
  }
}

void ReverseNamesBuilder::update(const model::ServiceKey& key, const model::MergedService* service,
                                 std::vector<std::string>& dropped) {
  std::vector<WireRecord> records;
  std::vector<std::string> ignored;  // the MCS builder reports the same problems
  if (service != nullptr) render_service(*service, catalog_zone_, ttl_, records, ignored);
  update(key, records, dropped);
}

void ReverseNamesBuilder::update(const model::ServiceKey& key, const std::vector<WireRecord>& records,
                                 std::vector<std::string>& dropped) {
  // The owners this service contributed to: withdraw, then add what it publishes now, then re-render each
  // touched owner once.
  std::map<std::string, std::pair<std::size_t, bool>> touched;  // owner -> (zone, existed before)
  if (const auto old = owned_.find(key); old != owned_.end()) {
    for (const auto& entry : old->second) {
      auto& by_service = contributions_[entry.owner];
      touched.try_emplace(entry.owner, entry.zone, !by_service.empty());
      by_service.erase(key);
    }
    owned_.erase(old);
  }
  if (!records.empty()) {
    // Each address points at the most specific name carrying it: a headless endpoint's own name over the
    // service name (the longer owner).
    std::map<std::string, std::string> best;  // address text -> owner
    for (const auto& rr : records) {
      if (rr.type != type::kA && rr.type != type::kAAAA) continue;
      char text[INET6_ADDRSTRLEN] = {};
      if (inet_ntop(rr.type == type::kA ? AF_INET : AF_INET6, rr.rdata.data(), text, sizeof text) == nullptr)
        continue;
      auto [it, fresh] = best.try_emplace(text, rr.owner);
      if (!fresh && rr.owner.size() > it->second.size()) it->second = rr.owner;
    }
    std::vector<Entry>& mine = owned_[key];
    for (const auto& [address, target] : best) {
      const std::string owner = reverse_name(address);
      for (std::size_t zone = 0; zone < zones_.size(); ++zone) {
        if (!is_subdomain(owner, zones_[zone].origin)) continue;
        if (const model::Node* fixed = zones_[zone].base->find(owner);
            fixed != nullptr && !fixed->rrsets.empty()) {
          dropped.push_back("service " + key.text() + ": PTR " + name_to_text(owner) +
                            " is shadowed by records configured in the zone");
          break;
        }
        auto& by_service = contributions_[owner];
        touched.try_emplace(owner, zone, !by_service.empty());
        by_service[key].insert(target);
        mine.push_back({zone, owner});
        break;
      }
    }
    if (mine.empty()) owned_.erase(key);
  }
  for (const auto& [owner, state] : touched)
    restage(state.first, owner, state.second);
}

std::shared_ptr<const model::GeneratedNames> ReverseNamesBuilder::publish(std::size_t zone) {
  return zones_[zone].writer.publish();
}

}  // namespace fedns::dns
