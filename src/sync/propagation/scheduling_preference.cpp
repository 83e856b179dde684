// ReplicaSchedulingPreferences (see scheduling_preference.hpp).
#include "sync/propagation/scheduling_preference.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace fedns::sync::propagation {
namespace {

// An optional whole number >= 0 at `key`; false (with `error` set) when present but not one.
bool whole_number(const nlohmann::json& object, const char* key, const std::string& at, std::int64_t& out,
                  std::string& error) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return true;
  if (!it->is_number_integer() || it->get<std::int64_t>() < 0) {
    error = at + "." + key + ": must be a whole number, 0 or more";
    return false;
  }
  out = it->get<std::int64_t>();
  return true;
}

}  // namespace

const ReplicaBounds* SchedulingPreference::bounds_for(const std::string& cluster) const {
  if (const auto it = clusters.find(cluster); it != clusters.end()) return &it->second;
  if (const auto it = clusters.find(kAnyCluster); it != clusters.end()) return &it->second;
  return nullptr;
}

std::int64_t SchedulingPreference::max_move() const {
  if (step_replicas > 0) return step_replicas;
  return std::max<std::int64_t>(1, (total_replicas + 3) / 4);
}

Result<SchedulingPreference> parse_scheduling_preference(const nlohmann::json& object) {
  if (!object.is_object()) return Error{"not an object"};
  SchedulingPreference out;
  const auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return Error{"metadata: missing"};
  out.name = meta->value("name", "");
  out.namespace_ = meta->value("namespace", "");
  if (out.name.empty()) return Error{"metadata.name: missing"};
  if (const auto g = meta->find("generation"); g != meta->end() && g->is_number_integer())
    out.generation = g->get<std::int64_t>();
  const auto spec = object.find("spec");
  if (spec == object.end() || !spec->is_object()) return Error{"spec: missing"};
  std::string error;
  const auto total = spec->find("totalReplicas");
  if (total == spec->end() || total->is_null()) return Error{"spec.totalReplicas: missing"};
  if (!whole_number(*spec, "totalReplicas", "spec", out.total_replicas, error)) return Error{error};

  const auto clusters = spec->find("clusters");
  if (clusters == spec->end() || !clusters->is_object() || clusters->empty())
    return Error{"spec.clusters: needs at least one entry (a cluster name, or \"*\" for every cluster)"};
  std::int64_t weights = 0;
  std::int64_t named_mins = 0;
  bool any_min = false;
  for (const auto& [name, entry] : clusters->items()) {
    const std::string at = "spec.clusters." + name;
    if (!entry.is_object()) return Error{at + ": must be an object {weight, minReplicas, maxReplicas}"};
    ReplicaBounds bounds;
    std::int64_t max = -1;
    if (!whole_number(entry, "weight", at, bounds.weight, error) ||
        !whole_number(entry, "minReplicas", at, bounds.min_replicas, error) ||
        !whole_number(entry, "maxReplicas", at, max, error))
      return Error{error};
    if (max >= 0) bounds.max_replicas = max;
    if (bounds.max_replicas && bounds.min_replicas > *bounds.max_replicas) {
      return Error{at + ": minReplicas " + std::to_string(bounds.min_replicas) + " is above maxReplicas " +
                   std::to_string(max)};
    }
    weights += bounds.weight;
    any_min = any_min || bounds.min_replicas > 0;
    if (name != kAnyCluster) named_mins += bounds.min_replicas;
    out.clusters[name] = bounds;
  }
  if (weights == 0 && !any_min && out.total_replicas > 0) {
    return Error{
        "spec.clusters: the weights sum to zero and no cluster has minReplicas: no replica has a "
        "cluster to go to"};
  }
  if (named_mins > out.total_replicas) {
    return Error{"spec.clusters: the minReplicas of the named clusters add up to " +
                 std::to_string(named_mins) + ", above totalReplicas " + std::to_string(out.total_replicas)};
  }

  if (const auto r = spec->find("rebalance"); r != spec->end() && !r->is_null()) {
    if (!r->is_boolean()) return Error{"spec.rebalance: must be true or false"};
    out.rebalance = r->get<bool>();
  }
  if (const auto step = spec->find("rebalanceStep"); step != spec->end() && !step->is_null()) {
    if (!step->is_object()) return Error{"spec.rebalanceStep: must be an object {replicas, intervalSeconds}"};
    std::int64_t seconds = out.step_interval.count();
    if (!whole_number(*step, "replicas", "spec.rebalanceStep", out.step_replicas, error) ||
        !whole_number(*step, "intervalSeconds", "spec.rebalanceStep", seconds, error))
      return Error{error};
    if (seconds < 1) return Error{"spec.rebalanceStep.intervalSeconds: must be at least 1"};
    out.step_interval = std::chrono::seconds(seconds);
  }
  return out;
}

}  // namespace fedns::sync::propagation
