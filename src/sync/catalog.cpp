// Catalog bookkeeping and the incremental rebuild of dirty services.
#include "sync/catalog.hpp"

#include <algorithm>
#include <random>
#include <string_view>
#include <utility>

#include "sync/service_merger.hpp"

namespace fedns::sync {

namespace {

model::ServiceKey key_of(const ObjectMeta& meta) {
  return {meta.namespace_, meta.name};
}

// The catalog indexes by namespace/name only: labels, uid and resourceVersion would be memory for nothing.
void slim(ObjectMeta& meta) {
  meta.labels.clear();
  meta.uid.clear();
  meta.uid.shrink_to_fit();
  meta.resource_version.clear();
  meta.resource_version.shrink_to_fit();
}

// A digest of everything the names and the export conditions depend on: a rebuild with the same digest
// changed nothing (an event on a label, a status). FNV-1a over a length-prefixed serialization, seeded per
// process so a member cluster cannot aim for a collision.
class Digest {
 public:
  Digest() : hash_(kOffset ^ seed()) {}
  void add(std::string_view text) {
    add(static_cast<std::uint64_t>(text.size()));
    for (const char c : text)
      byte(static_cast<std::uint8_t>(c));
  }
  void add(std::uint64_t value) {
    for (int i = 0; i < 8; ++i)
      byte(static_cast<std::uint8_t>(value >> (8 * i)));
  }
  [[nodiscard]] std::uint64_t value() const { return hash_; }

 private:
  static constexpr std::uint64_t kOffset = 14695981039346656037ULL;
  static constexpr std::uint64_t kPrime = 1099511628211ULL;
  static std::uint64_t seed() {
    static const std::uint64_t value = std::random_device{}() * 0x9E3779B97F4A7C15ULL;
    return value;
  }
  void byte(std::uint8_t b) { hash_ = (hash_ ^ b) * kPrime; }
  std::uint64_t hash_;
};

std::uint64_t digest(const model::MergedService& service) {
  Digest d;
  auto ports = [&](const std::vector<model::PortSpec>& list) {
    d.add(list.size());
    for (const auto& p : list) {
      d.add(p.name);
      d.add(p.protocol);
      d.add(p.port);
      d.add(p.app_protocol);
    }
  };
  d.add(static_cast<std::uint64_t>(service.kind));
  d.add(service.external_name);
  d.add(service.health_check);
  d.add(service.answer_policy);
  ports(service.ports);
  d.add(service.shards.size());
  for (const auto& shard : service.shards) {
    d.add(shard.cluster);
    d.add(static_cast<std::uint64_t>(shard.kind));
    d.add(shard.addresses.size());
    for (const auto& a : shard.addresses)
      d.add(a);
    ports(shard.ports);
    d.add(shard.endpoints.size());
    for (const auto& e : shard.endpoints) {
      d.add(e.addresses.size());
      for (const auto& a : e.addresses)
        d.add(a);
      d.add((e.ready ? 1U : 0U) | (e.serving ? 2U : 0U) | (e.terminating ? 4U : 0U));
      d.add(e.hostname);
      d.add(e.node_name);
      d.add(e.zone);
    }
    d.add(shard.external_name);
    d.add(shard.publish_not_ready ? 1U : 0U);
    d.add(shard.exported_at);
    d.add(shard.health_check);
    d.add(shard.answer_policy);
  }
  d.add(service.conflicts.size());
  for (const auto& c : service.conflicts) {
    d.add(c.cluster);
    d.add(c.property);
    d.add(c.message);
  }
  return d.value();
}

// A condition reason must match ^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$ (the CRD's schema).
std::string conflict_reason(const std::vector<const model::ExportConflict*>& conflicts) {
  std::string reasons;
  auto add = [&](const char* reason) {
    if (reasons.find(reason) == std::string::npos)
      reasons += (reasons.empty() ? "" : ",") + std::string(reason);
  };
  for (const auto* c : conflicts)
    add(c->property.starts_with("port") ? "PortConflict"
        : c->property == "type"         ? "TypeConflict"
                                        : "Conflict");
  return reasons;
}

// The conditions `cluster`'s export of `key` should carry. `merged` is null when nothing is published;
// `shard_error` says why this cluster's shard could not be built (empty if it could).
std::vector<Condition> export_conditions(const std::string& cluster, const model::ServiceKey& key,
                                         bool has_service, const model::MergedService* merged,
                                         const std::string& shard_error) {
  std::vector<Condition> out;
  if (!has_service) {
    out.push_back({"Valid", "False", "NoService", "no Service " + key.text() + " in this cluster", ""});
    out.push_back({"Ready", "False", "Failed", "nothing to export", ""});
    out.push_back({"Conflict", "False", "NoConflicts", "", ""});
    return out;
  }
  out.push_back({"Valid", "True", "Valid", "", ""});
  std::vector<const model::ExportConflict*> mine;
  if (merged != nullptr) {
    for (const auto& c : merged->conflicts) {
      if (c.cluster == cluster) mine.push_back(&c);
    }
  }
  const bool published =
      merged != nullptr && std::any_of(merged->shards.begin(), merged->shards.end(),
                                       [&](const model::ServiceShard& s) { return s.cluster == cluster; });
  if (published) {
    out.push_back({"Ready", "True", "Exported", "published in the clusterset zone", ""});
  } else {
    out.push_back({"Ready", "False", "Failed",
                   !shard_error.empty() ? shard_error
                   : !mine.empty()      ? "left out: it conflicts with the oldest export"
                                        : "not published",
                   ""});
  }
  if (mine.empty()) {
    out.push_back({"Conflict", "False", "NoConflicts", "", ""});
  } else {
    std::string message;
    for (const auto* c : mine)
      message += (message.empty() ? "" : "; ") + c->property + " " + c->message;
    out.push_back({"Conflict", "True", conflict_reason(mine), message, ""});
  }
  return out;
}

bool carries(const std::vector<Condition>& observed, const std::vector<Condition>& wanted) {
  return std::all_of(wanted.begin(), wanted.end(), [&](const Condition& w) {
    return std::any_of(observed.begin(), observed.end(), [&](const Condition& o) {
      return o.type == w.type && o.status == w.status && o.reason == w.reason && o.message == w.message;
    });
  });
}

}  // namespace

const Catalog::ServiceEntry* Catalog::entry(const ClusterState& state, const model::ServiceKey& key) {
  const auto it = state.entries.find(key);
  return it == state.entries.end() ? nullptr : &it->second;
}

void Catalog::erase_if_empty(ClusterState& state, std::map<model::ServiceKey, ServiceEntry>::iterator it) {
  if (it != state.entries.end() && it->second.empty()) state.entries.erase(it);
}

void Catalog::upsert_service(const std::string& cluster, Service service) {
  auto key = key_of(service.meta);
  clusters_[cluster].entries[key].service = to_service_source(std::move(service));
  dirty_.insert(std::move(key));
}

void Catalog::remove_service(const std::string& cluster, const model::ServiceKey& key) {
  forget(cluster, key,
         [](ServiceEntry& entry) { return std::exchange(entry.service, std::nullopt).has_value(); });
}

void Catalog::upsert_slice(const std::string& cluster, EndpointSlice slice) {
  ClusterState& state = clusters_[cluster];
  model::ServiceKey owner{slice.meta.namespace_, slice.service_name};
  std::pair<std::string, std::string> id{slice.meta.namespace_, slice.meta.name};
  // A slice that changed owner (its service-name label was edited) leaves its old service.
  if (const auto previous = state.slice_owner.find(id);
      previous != state.slice_owner.end() && previous->second != owner.name) {
    model::ServiceKey old_owner{slice.meta.namespace_, previous->second};
    if (auto old = state.entries.find(old_owner); old != state.entries.end()) {
      std::erase_if(old->second.slices, [&](const NamedSlice& s) { return s.name == slice.meta.name; });
      erase_if_empty(state, old);
    }
    dirty_.insert(std::move(old_owner));
  }
  state.slice_owner.insert_or_assign(std::move(id), owner.name);
  // Kept in name order, so that a merge reads the slices in the same order however they arrived.
  auto& slices = state.entries[owner].slices;
  const auto at =
      std::lower_bound(slices.begin(), slices.end(), slice.meta.name,
                       [](const NamedSlice& s, const std::string& name) { return s.name < name; });
  std::string name = slice.meta.name;
  SliceSource source = to_slice_source(std::move(slice), places_);
  if (at != slices.end() && at->name == name) {
    at->source = std::move(source);
  } else {
    slices.insert(at, {std::move(name), std::move(source)});
    slices.shrink_to_fit();  // no spare capacity: the catalog holds one list per service and cluster
  }
  dirty_.insert(std::move(owner));
}

void Catalog::remove_slice(const std::string& cluster, const std::string& namespace_,
                           const std::string& name) {
  const auto it = clusters_.find(cluster);
  if (it == clusters_.end()) return;
  ClusterState& state = it->second;
  const auto owner = state.slice_owner.find({namespace_, name});
  if (owner == state.slice_owner.end()) return;
  model::ServiceKey key{namespace_, owner->second};
  if (auto entry = state.entries.find(key); entry != state.entries.end()) {
    std::erase_if(entry->second.slices, [&](const NamedSlice& s) { return s.name == name; });
    erase_if_empty(state, entry);
  }
  state.slice_owner.erase(owner);
  dirty_.insert(std::move(key));
}

void Catalog::upsert_export(const std::string& cluster, ServiceExport service_export) {
  slim(service_export.meta);
  auto key = key_of(service_export.meta);
  clusters_[cluster].entries[key].service_export = std::make_unique<ServiceExport>(std::move(service_export));
  dirty_.insert(std::move(key));
}

void Catalog::remove_export(const std::string& cluster, const model::ServiceKey& key) {
  forget(cluster, key,
         [](ServiceEntry& entry) { return std::exchange(entry.service_export, nullptr) != nullptr; });
}

void Catalog::forget(const std::string& cluster, const model::ServiceKey& key,
                     const std::function<bool(ServiceEntry&)>& drop) {
  const auto state = clusters_.find(cluster);
  if (state == clusters_.end()) return;
  const auto it = state->second.entries.find(key);
  if (it == state->second.entries.end() || !drop(it->second)) return;
  erase_if_empty(state->second, it);
  dirty_.insert(key);
}

void Catalog::set_options(CatalogOptions options) {
  if (options.default_source == options_.default_source &&
      options.export_all_namespaces == options_.export_all_namespaces)
    return;
  options_ = std::move(options);
  for (const auto& [cluster, state] : clusters_) {
    for (const auto& [key, entry] : state.entries) {
      if (entry.service) dirty_.insert(key);
    }
  }
}

void Catalog::set_excluded(const std::string& cluster, bool excluded) {
  if (excluded ? !excluded_.insert(cluster).second : excluded_.erase(cluster) == 0) return;
  const auto it = clusters_.find(cluster);
  if (it == clusters_.end()) return;
  for (const auto& [key, entry] : it->second.entries) {
    if (entry.service || entry.service_export) dirty_.insert(key);
  }
}

void Catalog::set_placement(const model::ServiceKey& key, std::optional<std::set<std::string>> clusters) {
  const auto it = placements_.find(key);
  if (!clusters) {
    if (it == placements_.end()) return;
    placements_.erase(it);
  } else if (it == placements_.end()) {
    placements_.emplace(key, std::move(*clusters));
  } else {
    if (it->second == *clusters) return;
    it->second = std::move(*clusters);
  }
  dirty_.insert(key);
}

bool Catalog::placed(const std::string& cluster, const model::ServiceKey& key) const {
  const auto it = placements_.find(key);
  return it == placements_.end() || it->second.contains(cluster);
}

std::string Catalog::why_not_published(const std::string& cluster, const model::ServiceKey& key) const {
  const auto state = clusters_.find(cluster);
  if (state == clusters_.end()) return "nothing read from the cluster yet";
  if (excluded_.contains(cluster)) return "the cluster's API failed for too long (stale)";
  if (!placed(cluster, key)) return "not in the federated service's placement";
  const ServiceEntry* found = entry(state->second, key);
  if (found == nullptr || !found->service) return "no Service there";
  if (!found->service_export && !options_.export_all_namespaces.contains(key.namespace_))
    return "no ServiceExport there";
  return {};
}

void Catalog::hold_export_status(bool hold) {
  if (hold == hold_export_status_) return;
  hold_export_status_ = hold;
  if (hold) return;
  for (const auto& [cluster, state] : clusters_) {
    for (const auto& [key, entry] : state.entries) {
      if (entry.service_export) dirty_.insert(key);
    }
  }
}

void Catalog::remove_cluster(const std::string& cluster) {
  const auto it = clusters_.find(cluster);
  if (it == clusters_.end()) return;
  for (const auto& [key, entry] : it->second.entries) {
    if (entry.service || entry.service_export) dirty_.insert(key);
  }
  clusters_.erase(it);
}

void Catalog::export_status(const model::ServiceKey& key, const model::MergedService* merged,
                            const std::map<std::string, std::string>& shard_errors,
                            CatalogChanges& changes) const {
  if (hold_export_status_) return;
  for (const auto& [cluster, state] : clusters_) {
    if (excluded_.contains(cluster)) continue;  // stale: nothing can be written there now anyway
    if (!placed(cluster, key)) continue;        // not answered from there by design: no verdict either
    const ServiceEntry* found = entry(state, key);
    if (found == nullptr || !found->service_export) continue;
    const auto error = shard_errors.find(cluster);
    auto wanted = export_conditions(cluster, key, found->service.has_value(), merged,
                                    error == shard_errors.end() ? std::string() : error->second);
    if (carries(found->service_export->conditions, wanted)) continue;
    changes.export_status.push_back({cluster, key, std::move(wanted), found->service_export->conditions});
  }
}

std::optional<model::MergedService> Catalog::merge(const model::ServiceKey& key,
                                                   std::map<std::string, std::string>& shard_errors,
                                                   std::vector<std::string>& dropped) const {
  std::vector<model::ServiceShard> shards;
  for (const auto& [cluster, state] : clusters_) {
    if (excluded_.contains(cluster)) continue;
    if (!placed(cluster, key)) continue;  // a federated service answers only where it is placed
    const ServiceEntry* found = entry(state, key);
    if (found == nullptr || !found->service) continue;
    const bool export_all = options_.export_all_namespaces.contains(key.namespace_);
    if (!found->service_export && !export_all) continue;  // MCS: not exported from this cluster
    ShardInput input;
    input.cluster = cluster;
    input.key = key;
    input.service = &*found->service;
    input.service_export = found->service_export.get();
    input.default_source = options_.default_source;
    for (const auto& slice : found->slices)
      input.slices.push_back(&slice.source);
    auto built = build_shard(input);
    if (!built) {
      dropped.push_back(built.error().message);
      shard_errors[cluster] = built.error().message;
      continue;
    }
    dropped.insert(dropped.end(), built->dropped.begin(), built->dropped.end());
    shards.push_back(std::move(built->shard));
  }
  if (shards.empty()) return std::nullopt;
  return merge_service(key, std::move(shards));
}

void Catalog::for_each_service(const std::function<void(const model::MergedService&)>& visit) const {
  for (const auto& [key, published] : published_) {
    if (const auto merged = service(key)) visit(*merged);
  }
}

std::optional<model::MergedService> Catalog::service(const model::ServiceKey& key) const {
  if (!published_.contains(key)) return std::nullopt;
  std::map<std::string, std::string> shard_errors;
  std::vector<std::string> dropped;
  return merge(key, shard_errors, dropped);
}

CatalogChanges Catalog::flush() {
  CatalogChanges changes;
  for (const auto& key : dirty_) {
    std::map<std::string, std::string> shard_errors;
    auto merged = merge(key, shard_errors, changes.dropped);
    const auto current = published_.find(key);
    static const std::vector<model::ExportConflict> kNone;
    const auto& before = current == published_.end() ? kNone : current->second.conflicts;
    auto report = [&](const std::vector<model::ExportConflict>& from,
                      const std::vector<model::ExportConflict>& to, std::vector<std::string>& out) {
      for (const auto& c : from) {
        if (std::find(to.begin(), to.end(), c) == to.end())
          out.push_back("service " + key.text() + ": conflict in cluster " + c.cluster + ": " + c.property +
                        " " + c.message);
      }
    };
    if (!merged) {
      report(before, kNone, changes.resolved);
      if (current != published_.end()) {
        conflict_count_ -= current->second.conflicts.size();
        published_.erase(current);
        changes.removed.push_back(key);
      }
      export_status(key, nullptr, shard_errors, changes);
      continue;
    }
    report(merged->conflicts, before, changes.conflicts);
    report(before, merged->conflicts, changes.resolved);
    export_status(key, &*merged, shard_errors, changes);
    const std::uint64_t now = digest(*merged);
    if (current != published_.end() && current->second.digest == now) {
      continue;  // an event that changed nothing the names depend on (a label, a status)
    }
    Published& entry = published_[key];
    conflict_count_ -= entry.conflicts.size();
    entry.digest = now;
    entry.conflicts = merged->conflicts;
    conflict_count_ += entry.conflicts.size();
    changes.updated.push_back(key);
    changes.updated_services.push_back(std::move(*merged));
  }
  dirty_.clear();
  return changes;
}

}  // namespace fedns::sync
