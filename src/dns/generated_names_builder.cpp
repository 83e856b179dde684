// Catalog services -> generated names, incrementally.
#include "dns/generated_names_builder.hpp"

#include <algorithm>

#include "dns/name.hpp"
#include "dns/protocol.hpp"
#include "dns/service_records.hpp"
#include "dns/zone_builder.hpp"

namespace fedns::dns {

GeneratedNamesBuilder::GeneratedNamesBuilder(std::string zone_wire, std::uint32_t ttl,
                                             std::shared_ptr<const model::Zone> base)
    : zone_wire_(std::move(zone_wire)),
      svc_wire_(std::string("\x03svc") + zone_wire_),
      ttl_(ttl),
      base_(std::move(base)) {}

void GeneratedNamesBuilder::stage(const std::string& name, std::optional<model::Node> node) {
  writer_.stage(name, std::move(node));
}

void GeneratedNamesBuilder::retain_shared(const std::string& name) {
  if (shared_[name]++ == 0) {
    model::Node node;
    node.name = name;
    stage(name, std::move(node));
  }
}

void GeneratedNamesBuilder::release_shared(const std::string& name) {
  const auto it = shared_.find(name);
  if (it == shared_.end()) return;
  if (--it->second == 0) {
    shared_.erase(it);
    stage(name, std::nullopt);
  }
}

void GeneratedNamesBuilder::update(const model::ServiceKey& key, const model::MergedService* service,
                                   std::vector<std::string>& dropped) {
  std::vector<WireRecord> records;
  if (service != nullptr) render_service(*service, zone_wire_, ttl_, records, dropped);
  update(key, records, dropped);
}

void GeneratedNamesBuilder::update(const model::ServiceKey& key, const std::vector<WireRecord>& records,
                                   std::vector<std::string>& dropped) {
  // The service's names are namespaced under <ns>.svc.<zone>, which it shares with its namespace's other
  // services; everything deeper is its own.
  std::string namespace_wire;
  namespace_wire.push_back(static_cast<char>(std::min<std::size_t>(key.namespace_.size(), 63)));
  namespace_wire.append(key.namespace_, 0, 63);
  namespace_wire.append(svc_wire_);
  fold_case(namespace_wire);

  if (const auto old = owned_.find(key); old != owned_.end()) {
    for (const auto& name : old->second)
      stage(name, std::nullopt);
    owned_.erase(old);
    release_shared(namespace_wire);
    release_shared(svc_wire_);
  }
  if (records.empty()) return;

  std::map<std::string, std::map<std::uint16_t, model::RRset>> nodes;
  for (const auto& rr : records) {
    if (const model::Node* fixed = base_->find(rr.owner); fixed != nullptr && !fixed->rrsets.empty()) {
      dropped.push_back(rr.where + ": " + name_to_text(rr.owner) +
                        " is shadowed by records configured in the zone");
      continue;
    }
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
    set.rdatas.push_back(std::move(rdata));
  }
  if (nodes.empty()) return;
  // Empty non-terminals between the service's names and <ns>.svc.<zone> (RFC 4592 2.2.2), e.g. _tcp.<svc>.
  std::vector<std::string> names;
  names.reserve(nodes.size());
  for (const auto& [name, sets] : nodes)
    names.push_back(name);
  for (const auto& name : names) {
    for (std::string_view parent = parent_name(name); parent.size() > namespace_wire.size();
         parent = parent_name(parent))
      nodes.try_emplace(std::string(parent));
  }

  std::vector<std::string>& owned = owned_[key];
  for (auto& [name, sets] : nodes) {
    model::Node node;
    node.name = name;
    for (auto& [type, set] : sets)
      node.rrsets.push_back(std::move(set));
    owned.push_back(name);
    stage(name, std::move(node));
  }
  retain_shared(svc_wire_);
  retain_shared(namespace_wire);
}

std::shared_ptr<const model::GeneratedNames> GeneratedNamesBuilder::publish() {
  return writer_.publish();
}

}  // namespace fedns::dns
