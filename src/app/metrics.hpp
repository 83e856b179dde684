// Prometheus metrics: worker counters summed at scrape time, plus control-plane state.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include <prometheus/collectable.h>

#include "dns/notify_sender.hpp"
#include "dns/worker_counters.hpp"
#include "health/health_monitor.hpp"
#include "health/override_store.hpp"
#include "health/service_targets.hpp"

namespace fedns::app {

// Control-plane facts that metrics and the health endpoints read (written by the control thread).
struct ServerState {
  std::atomic<std::uint64_t> snapshot_generation{0};
  std::atomic<std::int64_t> snapshot_built_unix_ms{0};
  std::atomic<std::int64_t> snapshot_build_us{
      0};  // how long the last catalog change took to render and publish
  std::atomic<std::uint64_t> reloads_ok{0};
  std::atomic<std::uint64_t> reloads_failed{0};
  std::atomic<std::uint64_t> zones{0};
  std::atomic<bool> serving{false};  // workers started and not draining
};

class CatalogSync;
class PropagationRunner;

class MetricsCollector : public prometheus::Collectable {
 public:
  // `catalog` (may be null) adds the member clusters' informer metrics; Collect() then runs on the control
  // thread, which owns them.
  MetricsCollector(std::vector<const dns::WorkerCounters*> workers, const ServerState& state,
                   const CatalogSync* catalog = nullptr, const health::HealthMonitor* health = nullptr,
                   const health::OverrideStore* overrides = nullptr,
                   const health::ServiceTargets* targets = nullptr);
  // Adds the propagation engine's metrics (leadership, writes by kind, member clusters' readiness).
  void set_propagation(const PropagationRunner* propagation) { propagation_ = propagation; }
  // Adds the NOTIFY counters (dns/notify_sender.hpp).
  void set_notify(const dns::NotifyCounters* notify) { notify_ = notify; }
  [[nodiscard]] std::vector<prometheus::MetricFamily> Collect() const override;

  // The text exposition format (version 0.0.4) of everything collected.
  [[nodiscard]] std::string render() const;

 private:
  void collect_clusters(std::vector<prometheus::MetricFamily>& families) const;
  void collect_health(std::vector<prometheus::MetricFamily>& families) const;
  void collect_propagation(std::vector<prometheus::MetricFamily>& families) const;

  std::vector<const dns::WorkerCounters*> workers_;
  const ServerState& state_;
  const CatalogSync* catalog_;
  const health::HealthMonitor* health_;
  const health::OverrideStore* overrides_;
  const health::ServiceTargets* targets_;
  const PropagationRunner* propagation_ = nullptr;
  const dns::NotifyCounters* notify_ = nullptr;
};

}  // namespace fedns::app
