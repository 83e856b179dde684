// One probed target's health with anti-flap hysteresis, gdnsd's rule: a target that is UP goes DOWN after
// `fall` failed checks, which are forgotten only after `ok` consecutive successes (so a target failing every
// other check still goes down); a DOWN target comes back after `rise` consecutive successes. Pure state: the
// monitor feeds it results, tests feed it by hand.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace fedns::health {

enum class Health : std::uint8_t { kUp, kDown };

// Defaults: KubeFed's failure threshold (3) for `fall`; gdnsd's proportions for the rest (up_thresh 20,
// down_thresh 10, ok_thresh 10: trust comes back twice as slowly as it goes, and failures are forgotten after
// as many successes as it takes to go down).
struct Thresholds {
  int rise = 6;
  int fall = 3;
  int ok = 3;

  bool operator==(const Thresholds&) const = default;
};

class TargetState {
 public:
  // A new target starts UP: Kubernetes already calls it ready, and starting DOWN would keep every new pod
  // out of the answers for rise x interval.
  explicit TargetState(Thresholds thresholds, Health initial = Health::kUp)
      : thresholds_(thresholds), health_(initial) {}

  // Records one check; true when the health changed.
  bool record(bool success);

  [[nodiscard]] Health health() const { return health_; }
  [[nodiscard]] bool up() const { return health_ == Health::kUp; }
  // The fewest further checks after which the health could change: what a health-derived TTL is made of.
  [[nodiscard]] int checks_to_change() const;
  [[nodiscard]] const Thresholds& thresholds() const { return thresholds_; }

 private:
  Thresholds thresholds_;
  Health health_;
  int failures_ = 0;   // UP: failures not yet forgiven
  int successes_ = 0;  // UP: consecutive successes since the last failure; DOWN: consecutive successes
};

// A TTL derived from health, as gdnsd does: the time until the state could change (checks_to_change x
// interval), clamped to [min, max]. Far from a change the TTL is long; a target that just failed gets short
// TTLs, so resolvers come back soon after it may have gone.
std::uint32_t health_ttl(const TargetState& state, std::chrono::seconds interval, std::uint32_t min_ttl,
                         std::uint32_t max_ttl);

// Probe round-trip time as an exponentially weighted moving average (weight 1/4 for a new sample: a few
// samples follow a real change, one outlier moves it by a quarter). Failed probes carry no RTT.
class LatencyAverage {
 public:
  void add(std::chrono::microseconds sample);
  [[nodiscard]] std::optional<std::chrono::microseconds> value() const;

 private:
  double average_us_ = 0;
  bool empty_ = true;
};

}  // namespace fedns::health
