// The health monitor (control plane): probes each target on its own schedule, runs the anti-flap state
// machine, keeps the RTT average, and publishes a HealthTable when a state or a health-derived TTL changed.
// Publication is coalesced (at most one table per kPublishDelay), so a probe storm cannot turn into a
// publication storm for the DNS workers; probes are coroutines on the control io_context and never block it.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/asio.hpp"
#include "common/snapshot.hpp"
#include "health/dns_probe.hpp"
#include "health/health_override.hpp"
#include "health/probe.hpp"
#include "health/target_state.hpp"
#include "model/health_table.hpp"

namespace fedns::health {

using model::TargetId;

// What a target belongs to, for cluster health and overrides (health_override.hpp).
enum class TargetRole : std::uint8_t {
  kEndpoint,      // what records point at: down when it, or its cluster, is down (unless overridden)
  kClusterCheck,  // one of a cluster's own checks (API, watch, gateway): the cluster is up while all are
};
struct TargetScope {
  std::string cluster;
  std::string service;  // "namespace/name"; empty for a cluster's shared target and its checks
  std::string address;
  TargetRole role = TargetRole::kEndpoint;
};

using CustomProbe = std::function<boost::asio::awaitable<ProbeResult>(std::chrono::milliseconds timeout)>;

struct Target {
  std::string name;  // for logs and metrics: "cluster east: shop/web 10.1.0.5:8080"
  boost::asio::ip::address address;
  ProbeSpec spec;
  TargetScope scope;
  CustomProbe custom;  // for ProbeKind::kCustom
};

// A member cluster's health as the monitor sees it (for metrics, logs and the HTTP endpoint).
struct ClusterHealth {
  bool up = true;                                // what answers use: the override if any, else every check up
  bool checks_up = true;                         // every one of its checks up
  std::optional<bool> forced;                    // an override's state
  std::string reason;                            // the failing checks' last errors
  std::optional<std::chrono::microseconds> rtt;  // the average probe RTT of its endpoints
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
  std::uint64_t cluster_transitions = 0;
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
  // The overrides in force (applied from the next publication, within kPublishDelay).
  void set_overrides(OverrideSet overrides);
  [[nodiscard]] const OverrideSet& overrides() const { return overrides_; }
  // A passive target standing for every record of `cluster` that has no target of its own: it follows the
  // cluster's health and overrides. Made on first use, kept for the monitor's life (clusters are few).
  TargetId cluster_target(const std::string& cluster);

  // Called on the control thread at each transition, with the probe's error when it went down.
  std::function<void(TargetId, const Target&, Health, const std::string& reason)> on_transition;

  [[nodiscard]] const TargetState* state(TargetId id) const;
  [[nodiscard]] const Target* target(TargetId id) const;
  // What answers see of a target: its probes, its cluster's health and the overrides combined.
  [[nodiscard]] bool effective_up(TargetId id) const;
  // Every cluster that has a check, an endpoint target or an override.
  [[nodiscard]] std::map<std::string, ClusterHealth> clusters() const;
  [[nodiscard]] std::optional<std::chrono::microseconds> cluster_rtt(const std::string& cluster) const;
  [[nodiscard]] std::size_t id_limit() const { return entries_.size(); }  // ids are below this
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
    std::string last_error;  // of the last failed probe
  };

  boost::asio::awaitable<void> run(std::shared_ptr<Entry> entry, TargetId id);
  boost::asio::awaitable<ProbeResult> probe(const Entry& entry);
  std::chrono::milliseconds next_wait(const ProbeSpec& spec, bool first);
  void changed();
  bool rtt_drifted(TargetId id, const Entry& entry);
  void publish();
  // Clusters whose own health is down now (an override, else a failing check).
  [[nodiscard]] std::set<std::string> clusters_down() const;
  [[nodiscard]] bool effective_up(const Entry& entry, const std::set<std::string>& down) const;

  boost::asio::io_context& io_;
  DnsProber dns_;
  boost::asio::ssl::context tls_insecure_{boost::asio::ssl::context::tls_client};  // HTTPS probes
  boost::asio::ssl::context tls_verified_{boost::asio::ssl::context::tls_client};  // ... with tls_verify
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
  OverrideSet overrides_;
  std::map<std::string, TargetId> cluster_targets_;
  std::map<std::string, LatencyAverage> cluster_rtt_;
  std::set<std::string> clusters_down_;       // as of the last publication, to log transitions
  std::vector<std::uint32_t> published_rtt_;  // by id, microseconds, as of the last publication
  std::chrono::steady_clock::time_point last_rtt_publish_{};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace fedns::health
