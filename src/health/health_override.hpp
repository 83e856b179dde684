// Admin overrides for drains and maintenance (issue 5): force a cluster, a service or one endpoint UP or
// DOWN, optionally until a time. They come from a watched file and from the authenticated local HTTP endpoint
// (override_store.hpp); the monitor applies them when it publishes the health table.
//
// What an override forces:
//   cluster            the cluster's own health (its API, watch and gateway checks): DOWN takes every target
//   of
//                      the cluster out; UP ignores failing cluster checks (the targets' own probes still
//                      count)
//   service [cluster]  every target of the service (in that cluster): UP or DOWN whatever the probes say
//   cluster + address  the targets at that address (of one service when `service` is given)
// The most specific override naming a target wins (address > service > cluster); between two equally
// specific ones, the HTTP endpoint's beats the file's, and then DOWN beats UP.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace fedns::health {

enum class OverrideSource : std::uint8_t { kFile, kApi };

struct HealthOverride {
  std::string id;  // "file:3" (the file's 4th entry) or "api:7"
  OverrideSource source = OverrideSource::kFile;
  std::string cluster;  // empty: every cluster (a service override only)
  std::string service;  // "namespace/name"; empty: a cluster or an address override
  std::string address;  // canonical text; an address override needs its cluster
  bool up = false;
  std::optional<std::chrono::system_clock::time_point> expires;
  std::string reason;

  // "cluster east DOWN until 2026-11-27T12:00:00Z (maintenance)", for logs.
  [[nodiscard]] std::string describe() const;
  // 4: address of one service, 3: address, 2: service in a cluster, 1: service, 0: cluster.
  [[nodiscard]] int specificity() const;
  bool operator==(const HealthOverride&) const = default;
};

// The active overrides, matched per target when the health table is published.
class OverrideSet {
 public:
  OverrideSet() = default;
  explicit OverrideSet(std::vector<HealthOverride> overrides);

  // The state forced on a target (by an address or a service override), or nullopt.
  [[nodiscard]] std::optional<bool> for_target(std::string_view cluster, std::string_view service,
                                               std::string_view address) const;
  // The state forced on a cluster's own health, or nullopt.
  [[nodiscard]] std::optional<bool> for_cluster(std::string_view cluster) const;
  // Services named by an override ("namespace/name"): their targets need to be told apart per address.
  [[nodiscard]] std::set<std::string> named_services() const;
  [[nodiscard]] bool empty() const { return overrides_.empty(); }
  [[nodiscard]] const std::vector<HealthOverride>& all() const { return overrides_; }

 private:
  std::vector<HealthOverride> overrides_;  // target overrides first (address, then service), then cluster
  std::size_t cluster_begin_ = 0;
};

// One override from its fields as text (the file's YAML and the endpoint's JSON both become this): `state`
// (up|down, required), `cluster`, `service` (namespace/name), `address`, `for` (a duration) or `until`
// (RFC 3339, UTC), `reason`. Errors name the field.
struct OverrideFields {
  std::optional<std::string> state, cluster, service, address, for_, until, reason;
};
Result<HealthOverride> make_override(const OverrideFields& fields, OverrideSource source,
                                     std::chrono::system_clock::time_point now);

// The override file: `overrides:` with a list of entries (fields as above). Any error rejects the whole file
// (the caller keeps the previous overrides); every error is listed.
Result<std::vector<HealthOverride>> parse_override_file(const std::string& text,
                                                        std::chrono::system_clock::time_point now);
// An API request's JSON object.
Result<HealthOverride> parse_override_json(const std::string& text,
                                           std::chrono::system_clock::time_point now);

std::string format_time(std::chrono::system_clock::time_point time);  // RFC 3339, UTC, seconds

}  // namespace fedns::health
