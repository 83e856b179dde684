// What the data plane reads of health: each target's state by id, published on its own (DESIGN.md 1: a
// health flap must not rebuild the zone; answers combine the two at query time). Immutable once published.
// Records carry the target id of what they point at (RData::health_target); the health monitor (src/health)
// publishes the table.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace fedns::model {

using TargetId = std::uint32_t;
inline constexpr TargetId kNoTarget = 0xFFFFFFFFu;

// What an answer holds when too few of a set's targets are up (issue 5 section 3). Whatever the mode, a set
// with last-resort records (tier kLastResortTier) answers those when nothing else is up.
enum class HealthFallback : std::uint8_t {
  kOpen,       // nothing up: every target (Route 53's rule: better a maybe-dead address than none)
  kClosed,     // nothing up: no address (NODATA)
  kThreshold,  // fewer than threshold_percent up: every target (gdnsd's up_thresh)
  kHierarchy,  // the nearest tier with a target up (zone -> region -> global); nothing up: as kOpen
};

// Record tiers (RData::tier) for the hierarchy fallback: the nearest tier with something up is answered.
inline constexpr std::uint8_t kTierZone = 0;
inline constexpr std::uint8_t kTierRegion = 1;
inline constexpr std::uint8_t kTierGlobal = 2;
// Answered only when no other record of the set is up (a "sorry" server, a static fallback address).
inline constexpr std::uint8_t kLastResortTier = 255;
// A region or zone id (names interned per config, dns::ClientLocator::id()); kNoLocality: none.
inline constexpr std::uint16_t kNoLocality = 0xFFFF;

struct HealthPolicy {
  HealthFallback fallback = HealthFallback::kOpen;
  std::uint8_t threshold_percent = 50;

  bool operator==(const HealthPolicy&) const = default;
};

struct TargetStatus {
  bool up = true;
  std::uint32_t ttl = 0;     // a health-derived TTL (seconds), 0 when the record's own TTL applies
  std::uint32_t rtt_us = 0;  // the measured probe RTT (microseconds, an average), 0 when unknown
};

class HealthTable {
 public:
  HealthTable() = default;
  HealthTable(std::vector<TargetStatus> statuses, std::uint64_t generation)
      : statuses_(std::move(statuses)), generation_(generation) {}

  // A target the table does not know (never probed, or added after this table) counts as up: health only
  // ever takes a target out on evidence.
  [[nodiscard]] bool up(TargetId id) const noexcept { return id >= statuses_.size() || statuses_[id].up; }
  [[nodiscard]] const TargetStatus* find(TargetId id) const noexcept {
    return id < statuses_.size() ? &statuses_[id] : nullptr;
  }
  [[nodiscard]] std::size_t size() const noexcept { return statuses_.size(); }
  [[nodiscard]] std::uint64_t generation() const noexcept { return generation_; }

 private:
  std::vector<TargetStatus> statuses_;
  std::uint64_t generation_ = 0;
};

}  // namespace fedns::model
