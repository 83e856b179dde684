// How many replicas of a federated workload each member cluster runs: a pure function of the preference
// (total, per-cluster weight / min / max), each cluster's availability and, when known, its capacity and
// current count. Deterministic, so every rule has a table test (the federated ReplicaSet design's and
// KubeFed's scenarios among them); the scheduling controller writes the result into the federated object.
//
// The rule, in order:
//  1. Only available clusters get replicas; the others get 0. A cluster's ceiling is the least of its
//     maxReplicas, its capacity and the total.
//  2. Clusters are ranked by weight (highest first), then by a hash of (tie key, cluster name), then by name.
//     The hash spreads small workloads: with equal weights, different objects rank clusters differently, so
//     that a hundred one-replica workloads do not all land on the alphabetically first cluster.
//  3. When the minimums (each capped by its ceiling) reach the total, they are granted in rank order until
//  the
//     total is used up: the lowest-ranked clusters are the ones left short (`mins_not_met`).
//  4. Without rebalance, nothing moves: a cluster keeps what it runs now (within its min and ceiling), which
//     becomes its floor. When what they run exceeds the total (it was lowered), it becomes their ceiling
//     instead: every cluster shrinks by weight, never below its min, and none grows.
//  5. The rest is shared by weight ("water-filling"): each cluster gets lambda x weight, raised to its floor
//     and lowered to its ceiling, with lambda chosen so that the sum is the total. Fractions are rounded
//     down, and the replicas left over go one each to the largest fractions (rank breaks ties). A cluster of
//     weight 0 gets its floor only.
//  6. When the ceilings cannot hold the total, every cluster is at its ceiling and `unplaced` says how many
//     replicas found no room.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace fedns::sync::propagation {

struct ReplicaBounds {
  std::int64_t weight = 0;
  std::int64_t min_replicas = 0;
  std::optional<std::int64_t> max_replicas;  // none: no ceiling
};

struct SchedulingCluster {
  std::string name;
  ReplicaBounds bounds;
  bool available = true;
  std::optional<std::int64_t> capacity;  // the most it can run now, when known
  std::int64_t current = 0;              // what it was last given (rebalance off keeps it)
};

struct ReplicaPlan {
  std::map<std::string, std::int64_t> replicas;  // every input cluster, 0 for unavailable ones
  std::int64_t unplaced = 0;                     // replicas no ceiling left room for
  std::vector<std::string> mins_not_met;         // clusters given less than their minReplicas (rank order)
};

ReplicaPlan schedule_replicas(std::int64_t total, const std::vector<SchedulingCluster>& clusters,
                              bool rebalance, std::string_view tie_key);

// The rank of rule 2, for tests and explanations: the clusters' names, first first.
std::vector<std::string> scheduling_rank(const std::vector<SchedulingCluster>& clusters,
                                         std::string_view tie_key);

// One bounded step from `current` towards `target` (a rebalance that moves replicas back to a cluster that
// returned must not empty the others at once). Replicas of the clusters in `unavailable` are taken away at
// once, and a shortfall (the sum below the target's: lost capacity, a larger total) is filled at once, as is
// an excess trimmed; only moves between available clusters are bounded: at most `max_move` replicas leave
// clusters above their target for clusters below it, largest differences first (then by name).
std::map<std::string, std::int64_t> step_towards(const std::map<std::string, std::int64_t>& current,
                                                 const std::map<std::string, std::int64_t>& target,
                                                 const std::set<std::string>& unavailable,
                                                 std::int64_t max_move);

}  // namespace fedns::sync::propagation
