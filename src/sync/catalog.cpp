// Catalog bookkeeping and the incremental rebuild of dirty services.
#include "sync/catalog.hpp"

#include <algorithm>

#include "sync/service_merger.hpp"

namespace fedns::sync {

namespace {

model::ServiceKey key_of(const ObjectMeta& meta) {
  return {meta.namespace_, meta.name};
}

bool same_service(const model::MergedService& a, const model::MergedService& b) {
  return a.kind == b.kind && a.external_name == b.external_name && a.ports == b.ports && a.shards == b.shards;
}

}  // namespace

void Catalog::upsert_service(const std::string& cluster, Service service) {
  auto key = key_of(service.meta);
  clusters_[cluster].services.insert_or_assign(key, std::move(service));
  dirty_.insert(std::move(key));
}

void Catalog::remove_service(const std::string& cluster, const model::ServiceKey& key) {
  if (auto it = clusters_.find(cluster); it != clusters_.end() && it->second.services.erase(key) > 0) {
    dirty_.insert(key);
  }
}

void Catalog::upsert_slice(const std::string& cluster, EndpointSlice slice) {
  ClusterState& state = clusters_[cluster];
  model::ServiceKey owner{slice.meta.namespace_, slice.service_name};
  const std::pair<std::string, std::string> id{slice.meta.namespace_, slice.meta.name};
  // A slice that changed owner (its service-name label was edited) leaves its old service.
  if (const auto previous = state.slice_owner.find(id);
      previous != state.slice_owner.end() && previous->second != owner) {
    if (auto old = state.slices.find(previous->second); old != state.slices.end()) {
      old->second.erase(slice.meta.name);
      if (old->second.empty()) state.slices.erase(old);
    }
    dirty_.insert(previous->second);
  }
  state.slice_owner.insert_or_assign(id, owner);
  std::string name = slice.meta.name;
  state.slices[owner].insert_or_assign(std::move(name), std::move(slice));
  dirty_.insert(std::move(owner));
}

void Catalog::remove_slice(const std::string& cluster, const std::string& namespace_,
                           const std::string& name) {
  const auto it = clusters_.find(cluster);
  if (it == clusters_.end()) return;
  ClusterState& state = it->second;
  const auto owner = state.slice_owner.find({namespace_, name});
  if (owner == state.slice_owner.end()) return;
  if (auto slices = state.slices.find(owner->second); slices != state.slices.end()) {
    slices->second.erase(name);
    if (slices->second.empty()) state.slices.erase(slices);
  }
  dirty_.insert(owner->second);
  state.slice_owner.erase(owner);
}

void Catalog::upsert_export(const std::string& cluster, ServiceExport service_export) {
  auto key = key_of(service_export.meta);
  clusters_[cluster].exports.insert_or_assign(key, std::move(service_export));
  dirty_.insert(std::move(key));
}

void Catalog::remove_export(const std::string& cluster, const model::ServiceKey& key) {
  if (auto it = clusters_.find(cluster); it != clusters_.end() && it->second.exports.erase(key) > 0) {
    dirty_.insert(key);
  }
}

void Catalog::remove_cluster(const std::string& cluster) {
  const auto it = clusters_.find(cluster);
  if (it == clusters_.end()) return;
  for (const auto& [key, service] : it->second.services)
    dirty_.insert(key);
  clusters_.erase(it);
}

CatalogChanges Catalog::flush() {
  CatalogChanges changes;
  for (const auto& key : dirty_) {
    std::vector<model::ServiceShard> shards;
    for (const auto& [cluster, state] : clusters_) {
      const auto service = state.services.find(key);
      if (service == state.services.end()) continue;
      const auto exported = state.exports.find(key);
      const bool export_all = options_.export_all_namespaces.contains(key.namespace_);
      if (exported == state.exports.end() && !export_all) continue;  // MCS: not exported from this cluster
      ShardInput input;
      input.cluster = cluster;
      input.service = &service->second;
      input.service_export = exported == state.exports.end() ? nullptr : &exported->second;
      input.default_source = options_.default_source;
      if (const auto slices = state.slices.find(key); slices != state.slices.end()) {
        for (const auto& [name, slice] : slices->second)
          input.slices.push_back(&slice);
      }
      auto built = build_shard(input);
      if (!built) {
        changes.dropped.push_back(built.error().message);
        continue;
      }
      changes.dropped.insert(changes.dropped.end(), built->dropped.begin(), built->dropped.end());
      shards.push_back(std::move(built->shard));
    }
    const auto current = merged_.find(key);
    static const std::vector<model::ExportConflict> kNone;
    const auto& before = current == merged_.end() ? kNone : current->second.conflicts;
    auto report = [&](const std::vector<model::ExportConflict>& from,
                      const std::vector<model::ExportConflict>& to, std::vector<std::string>& out) {
      for (const auto& c : from) {
        if (std::find(to.begin(), to.end(), c) == to.end())
          out.push_back("service " + key.text() + ": conflict in cluster " + c.cluster + ": " + c.property +
                        " " + c.message);
      }
    };
    if (shards.empty()) {
      report(before, kNone, changes.resolved);
      if (current != merged_.end()) {
        merged_.erase(current);
        changes.removed.push_back(key);
      }
      continue;
    }
    model::MergedService merged = merge_service(key, std::move(shards));
    report(merged.conflicts, before, changes.conflicts);
    report(before, merged.conflicts, changes.resolved);
    if (current != merged_.end() && same_service(current->second, merged) &&
        current->second.conflicts == merged.conflicts) {
      continue;  // an event that changed nothing the names depend on (a label, a status)
    }
    merged_.insert_or_assign(key, std::move(merged));
    changes.updated.push_back(key);
  }
  dirty_.clear();
  return changes;
}

}  // namespace fedns::sync
