// Catalog services -> generated names, incrementally.
#include "dns/generated_names_builder.hpp"

#include <algorithm>
#include <set>

#include "dns/name.hpp"
#include "dns/protocol.hpp"
#include "dns/zone_builder.hpp"

namespace fedns::dns {

GeneratedNamesBuilder::GeneratedNamesBuilder(std::string zone_wire, std::shared_ptr<const model::Zone> base,
                                             NamesRenderer render)
    : zone_wire_(std::move(zone_wire)), base_(std::move(base)), render_(std::move(render)) {}

GeneratedNamesBuilder::GeneratedNamesBuilder(const std::string& zone_wire, std::uint32_t ttl,
                                             std::shared_ptr<const model::Zone> base)
    : GeneratedNamesBuilder(zone_wire, std::move(base),
                            [zone_wire, ttl](const model::MergedService& service, RenderedNames& out,
                                             std::vector<std::string>& dropped) {
                              render_mcs_names(service, zone_wire, ttl, out, dropped);
                            }) {}

void GeneratedNamesBuilder::retain_ancestors(const std::string& root) {
  for (std::string_view parent = parent_name(root); parent.size() > zone_wire_.size();
       parent = parent_name(parent)) {
    const auto [it, inserted] = shared_.try_emplace(std::string(parent), 0);
    if (it->second++ == 0) {
      model::Node node;
      node.name = it->first;
      writer_.stage(it->first, std::move(node));
    }
  }
}

void GeneratedNamesBuilder::release_ancestors(const std::string& root) {
  for (std::string_view parent = parent_name(root); parent.size() > zone_wire_.size();
       parent = parent_name(parent)) {
    const auto it = shared_.find(std::string(parent));
    if (it == shared_.end()) continue;
    if (--it->second == 0) {
      writer_.stage(it->first, std::nullopt);
      shared_.erase(it);
    }
  }
}

void GeneratedNamesBuilder::update(const model::ServiceKey& key, const model::MergedService* service,
                                   std::vector<std::string>& dropped) {
  RenderedNames names;
  if (service != nullptr) render_(*service, names, dropped);
  update(key, names, dropped);
}

void GeneratedNamesBuilder::update(const model::ServiceKey& key, const RenderedNames& rendered,
                                   std::vector<std::string>& dropped) {
  if (const auto old = owned_.find(key); old != owned_.end()) {
    for (const auto& name : old->second.names)
      writer_.stage(name, std::nullopt);
    for (std::size_t i = 0; i < old->second.roots; ++i)
      release_ancestors(old->second.names[i]);
    owned_.erase(old);
  }
  std::set<std::string_view> roots;
  for (const auto& root : rendered.roots) {
    if (!root.empty() && root.size() > zone_wire_.size() && root.ends_with(zone_wire_)) roots.insert(root);
  }
  if (roots.empty()) return;

  std::map<std::string, std::map<std::uint16_t, model::RRset>> nodes;
  for (const auto& rr : rendered.records) {
    if (const model::Node* fixed = base_->find(rr.owner); fixed != nullptr && !fixed->rrsets.empty()) {
      dropped.push_back(rr.where + ": " + name_to_text(rr.owner) +
                        " is shadowed by records configured in the zone");
      continue;
    }
    // The owner must be one of the roots or below one; the names in between are the service's own empty
    // non-terminals (RFC 4592 2.2.2), e.g. _tcp.<svc>.
    std::vector<std::string_view> between;
    std::string_view at = rr.owner;
    while (!roots.contains(at) && at.size() > zone_wire_.size()) {
      if (at != rr.owner) between.push_back(at);
      at = parent_name(at);
    }
    if (!roots.contains(at)) {
      dropped.push_back(rr.where + ": " + name_to_text(rr.owner) + " is outside the service's names");
      continue;
    }
    for (const auto ent : between)
      nodes.try_emplace(std::string(ent));
    model::RRset& set = nodes[rr.owner][rr.type];
    set.type = rr.type;
    set.ttl = rr.ttl;
    set.additional_by_name = rr.type == type::kSRV || rr.type == type::kMX || rr.type == type::kNS;
    const bool duplicate = std::any_of(set.rdatas.begin(), set.rdatas.end(),
                                       [&](const model::RData& r) { return r.wire == rr.rdata; });
    if (duplicate) continue;  // RFC 2181 5: an RRset holds no duplicates
    model::RData rdata;
    rdata.wire = rr.rdata;
    mark_compressible_names(rr.type, rdata);
    rdata.cluster = rr.cluster;
    if (rr.policy != nullptr) set.policy = rr.policy;
    if (rr.health_target != model::kNoTarget || rr.tier != 0) {
      rdata.health_target = rr.health_target;
      rdata.tier = rr.tier;
      rdata.region = rr.region;
      rdata.zone = rr.zone;
      set.health_checked = true;
      set.health = rr.health;
    }
    set.rdatas.push_back(std::move(rdata));
  }

  Owned& owned = owned_[key];
  owned.roots = roots.size();
  owned.names.reserve(roots.size() + nodes.size());
  for (const auto root : roots)
    owned.names.emplace_back(root);
  for (std::size_t i = 0; i < owned.roots; ++i) {
    const std::string& root = owned.names[i];
    model::Node node;
    node.name = root;
    if (const auto it = nodes.find(root); it != nodes.end()) {
      for (auto& [type, set] : it->second)
        node.rrsets.push_back(std::move(set));
      nodes.erase(it);
    }
    writer_.stage(root, std::move(node));
    retain_ancestors(root);
  }
  for (auto& [name, sets] : nodes) {
    model::Node node;
    node.name = name;
    for (auto& [type, set] : sets)
      node.rrsets.push_back(std::move(set));
    owned.names.push_back(name);
    writer_.stage(name, std::move(node));
  }
}

std::shared_ptr<const model::GeneratedNames> GeneratedNamesBuilder::publish() {
  return writer_.publish();
}

}  // namespace fedns::dns
