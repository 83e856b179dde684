// A ReplicaSchedulingPreference (deploy/crds) as the scheduler reads it: how many replicas of the federated
// workload of the same name run in all, and how the member clusters share them. Parsed once per change.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "common/result.hpp"
#include "sync/propagation/replica_scheduler.hpp"

namespace fedns::sync::propagation {

inline constexpr const char* kAnyCluster = "*";

struct SchedulingPreference {
  std::string namespace_;
  std::string name;  // also the FederatedObject it schedules
  std::int64_t generation = 0;
  std::int64_t total_replicas = 0;
  std::map<std::string, ReplicaBounds> clusters;  // by cluster name, "*" for every other cluster
  bool rebalance = false;
  std::int64_t step_replicas = 0;  // 0: a quarter of the total (at least 1)
  std::chrono::seconds step_interval{30};

  // The cluster's entry, else "*", else null (a cluster no entry covers runs no replica).
  [[nodiscard]] const ReplicaBounds* bounds_for(const std::string& cluster) const;
  // Replicas a rebalancing step moves at most.
  [[nodiscard]] std::int64_t max_move() const;
};

// Reads a preference. The CRD's schema rejects most mistakes; what it cannot say (weights that leave
// nowhere to put replicas, minimums above the total) comes back as an error naming the field.
Result<SchedulingPreference> parse_scheduling_preference(const nlohmann::json& object);

}  // namespace fedns::sync::propagation
