// The health monitor (control plane): probes each target on its own schedule, runs the anti-flap state
// machine, keeps the RTT average, and publishes a HealthTable when a state or a health-derived TTL changed.
// Publication is coalesced (at most one table per kPublishDelay), so a probe storm cannot turn into a
// publication storm for the DNS workers; probes are coroutines on the control io_context and never block it.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/asio.hpp"
#include "common/snapshot.hpp"
#include "health/dns_probe.hpp"
#include "health/probe.hpp"
#include "health/target_state.hpp"
#include "model/health_table.hpp"

namespace fedns::health {

using model::TargetId;

struct Target {
  std::string name;  // for logs and metrics: "cluster east: shop/web 10.1.0.5:8080"
  boost::asio::ip::address address;
  ProbeSpec spec;
};

struct MonitorOptions {
  // Health-derived TTLs (gdnsd): published per target when set; the answer takes the smallest of its
  // targets' and the record's own TTL.
  bool derive_ttl = false;
  std::uint32_t min_ttl = 5;
  std::uint32_t max_ttl = 300;
};

// Round-trip times of successful probes, in fixed buckets (bounded metric cardinality).
struct RttHistogram {
  static constexpr std::array<double, 12> kUpperBoundsMs = {0.5, 1,   2.5, 5,   10,   25,
                                                            50,  100, 250, 500, 1000, 2500};
  std::array<std::uint64_t, kUpperBoundsMs.size()> counts{};  // per bucket, not cumulative
  std::uint64_t count = 0;                                    // every sample (also above the last bound)
  double sum_ms = 0;

  void add(std::chrono::microseconds rtt);
};

struct MonitorStats {
  std::uint64_t probes = 0;
  std::uint64_t failures = 0;
  std::uint64_t transitions = 0;
  std::uint64_t publications = 0;
  RttHistogram rtt;
};

class HealthMonitor {
 public:
  static constexpr std::chrono::milliseconds kPublishDelay{10};

  HealthMonitor(boost::asio::io_context& io, SnapshotPublisher<model::HealthTable>& publisher,
                MonitorOptions options = {});
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;
  ~HealthMonitor();

  // Starts probing a target (the first check right away, within the jitter); its id is valid until remove().
  TargetId add(Target target);
  // Stops probing; a probe in flight finishes (within its timeout) and is discarded. The id is reused only
  // after the next table is published, so a record that still names it never reads another target's health.
  void remove(TargetId id);
  // Removes every target (shutdown).
  void stop();
  // New TTL settings (a reload), used from the next check of each target.
  void set_options(MonitorOptions options) { options_ = options; }

  // Called on the control thread at each transition, with the probe's error when it went down.
  std::function<void(TargetId, const Target&, Health, const std::string& reason)> on_transition;

  [[nodiscard]] const TargetState* state(TargetId id) const;
  [[nodiscard]] std::optional<std::chrono::microseconds> rtt(TargetId id) const;
  [[nodiscard]] const MonitorStats& stats() const { return stats_; }
  [[nodiscard]] std::size_t target_count() const { return active_; }
  [[nodiscard]] std::size_t down_count() const;

 private:
  struct Entry {
    Target target;
    TargetState state;
    LatencyAverage rtt;
    bool active = true;
    std::uint32_t ttl = 0;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };

  boost::asio::awaitable<void> run(std::shared_ptr<Entry> entry, TargetId id);
  boost::asio::awaitable<ProbeResult> probe(const Entry& entry);
  std::chrono::milliseconds next_wait(const ProbeSpec& spec, bool first);
  void changed();
  void publish();

  boost::asio::io_context& io_;
  DnsProber dns_;
  SnapshotPublisher<model::HealthTable>& publisher_;
  MonitorOptions options_;
  std::vector<std::shared_ptr<Entry>> entries_;  // by id; null when free
  std::vector<TargetId> free_ids_;
  std::vector<TargetId> released_ids_;  // removed since the last publication
  std::size_t active_ = 0;
  boost::asio::steady_timer publish_timer_;
  bool publish_pending_ = false;
  std::uint64_t generation_ = 0;
  std::minstd_rand random_{std::random_device{}()};
  MonitorStats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace fedns::health
