// The anti-flap state machine, the health-derived TTL and the RTT average.
#include "health/target_state.hpp"

#include <algorithm>
#include <cmath>

namespace fedns::health {

bool TargetState::record(bool success) {
  if (health_ == Health::kUp) {
    if (success) {
      if (failures_ > 0 && ++successes_ >= thresholds_.ok) {
        failures_ = 0;
        successes_ = 0;
      }
      return false;
    }
    successes_ = 0;
    if (++failures_ < thresholds_.fall) return false;
    health_ = Health::kDown;
    failures_ = 0;
    return true;
  }
  if (!success) {
    successes_ = 0;
    return false;
  }
  if (++successes_ < thresholds_.rise) return false;
  health_ = Health::kUp;
  successes_ = 0;
  return true;
}

int TargetState::checks_to_change() const {
  return std::max(1, health_ == Health::kUp ? thresholds_.fall - failures_ : thresholds_.rise - successes_);
}

std::uint32_t health_ttl(const TargetState& state, std::chrono::seconds interval, std::uint32_t min_ttl,
                         std::uint32_t max_ttl) {
  const auto until_change = static_cast<std::uint64_t>(state.checks_to_change()) *
                            static_cast<std::uint64_t>(std::max<std::int64_t>(1, interval.count()));
  return static_cast<std::uint32_t>(
      std::clamp<std::uint64_t>(until_change, min_ttl, std::max(min_ttl, max_ttl)));
}

void LatencyAverage::add(std::chrono::microseconds sample) {
  const auto us = static_cast<double>(std::max<std::int64_t>(0, sample.count()));
  if (empty_) {
    average_us_ = us;
    empty_ = false;
    return;
  }
  average_us_ += (us - average_us_) / 4.0;
}

std::optional<std::chrono::microseconds> LatencyAverage::value() const {
  if (empty_) return std::nullopt;
  return std::chrono::microseconds(std::llround(average_us_));
}

}  // namespace fedns::health
