// A service's answer policy (issue 6 section 2): an ordered chain of steps that narrows and orders the
// records a query is answered with, after health has taken out what is down. Immutable once built and shared
// by every record set of the service (its A and AAAA sets, in every snapshot until the policy changes); the
// data plane evaluates it per query (dns/answer_policy.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "model/unit_vector.hpp"

namespace fedns::model {

enum class PolicyStepKind : std::uint8_t {
  kLocality,    // the client's own cluster, else its zone, else its region, else everything
  kGeoNearest,  // the clusters nearest the client (great-circle distance), within a slack
  kLatency,     // the clusters with the lowest latency (region matrix, or measured probe RTT), within a slack
  kPriority,    // the lowest priority number present (failover tiers)
  kWeighted,    // `count` records drawn by weight without replacement (N of M: weights survive resolvers)
  kSticky,      // `count` records chosen by a hash of the client's subnet (rendezvous hashing)
  kRoundRobin,  // the order rotated at random
  kMaxAnswers,  // at most `count` records
};
inline constexpr std::size_t kPolicyStepKindCount = 8;

enum class LatencySource : std::uint8_t {
  kMatrix,    // geo.latency: the configured region -> region latency from the client's region
  kMeasured,  // the health monitor's probe RTT of each record's target (from this replica)
};

struct PolicyStep {
  PolicyStepKind kind = PolicyStepKind::kRoundRobin;
  std::uint16_t count = 1;  // weighted, sticky, max-answers
  float within = 0;         // geo-nearest: kilometres; latency: milliseconds; kept: best + within
  LatencySource latency = LatencySource::kMatrix;
  std::uint8_t v4_prefix = 24;  // sticky: the client subnet the hash keys on
  std::uint8_t v6_prefix = 56;

  bool operator==(const PolicyStep&) const = default;
};

// What a policy knows of one member cluster (records carry the cluster's id, RData::cluster).
struct PolicyCluster {
  std::uint32_t weight = 100;       // weighted: the cluster's share (its records split nothing)
  std::uint16_t priority = 0xFFFF;  // priority: lower first; unlisted clusters come last
  bool has_coordinates = false;     // geo-nearest
  UnitVector position;              // where the cluster is, when has_coordinates

  void set_coordinates(float latitude, float longitude) noexcept {
    has_coordinates = true;
    position = UnitVector::from_degrees(latitude, longitude);
  }
  bool operator==(const PolicyCluster&) const = default;
};

struct AnswerPolicy {
  std::string source;  // where it was defined, for explain: "policies[0]", "annotation"
  std::vector<PolicyStep> steps;
  std::vector<PolicyCluster> clusters;  // by cluster id; ids beyond it get the defaults
  // weights: ready-endpoints. The policy as configured keeps the clusters' weights; each service gets a copy
  // whose weights are its clusters' ready endpoints, made when the service is rendered (not per query).
  bool weights_from_endpoints = false;

  [[nodiscard]] const PolicyCluster& cluster(std::uint16_t id) const noexcept {
    static const PolicyCluster kDefault;
    return id < clusters.size() ? clusters[id] : kDefault;
  }
  bool operator==(const AnswerPolicy&) const = default;
};

inline const char* step_name(PolicyStepKind kind) noexcept {
  switch (kind) {
    case PolicyStepKind::kLocality:
      return "locality";
    case PolicyStepKind::kGeoNearest:
      return "geo-nearest";
    case PolicyStepKind::kLatency:
      return "latency";
    case PolicyStepKind::kPriority:
      return "priority";
    case PolicyStepKind::kWeighted:
      return "weighted";
    case PolicyStepKind::kSticky:
      return "sticky";
    case PolicyStepKind::kRoundRobin:
      return "round-robin";
    case PolicyStepKind::kMaxAnswers:
      return "max-answers";
  }
  return "?";
}

}  // namespace fedns::model
