// The replica scheduler's controller: for each ReplicaSchedulingPreference in the host cluster, the
// FederatedObject of the same name gets spec.scheduledReplicas (per member cluster, computed by
// replica_scheduler.hpp from the preference, the object's placement and the member clusters' availability),
// which the propagation engine applies as the last override of spec.replicas. A cluster that stops being
// available (its MemberCluster not Ready, or its health on the DNS side down) loses its replicas to the
// others at once; with rebalance, one that returns gets its share back in bounded steps. The preference's
// status shows the desired, the scheduled and the observed layout (the member workloads' status.replicas /
// readyReplicas, from the engine's member informers).
//
// It reads through the Propagator (its informers are the caches) and runs on the same io_context; only while
// leading does it write.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/asio.hpp"
#include "sync/api_client.hpp"
#include "sync/api_writer.hpp"
#include "sync/propagation/propagator.hpp"
#include "sync/reflector.hpp"
#include "sync/task_group.hpp"
#include "sync/work_queue.hpp"

namespace fedns::sync::propagation {

struct SchedulerStats {
  std::uint64_t reconciles = 0;
  std::uint64_t object_writes = 0;  // FederatedObject spec.scheduledReplicas patches
  std::uint64_t status_writes = 0;  // preference status patches
  std::uint64_t failed_writes = 0;
  std::uint64_t steps = 0;  // rebalancing steps that moved replicas between available clusters
};

class SchedulingController {
 public:
  SchedulingController(boost::asio::io_context& io, ApiClient& host, const Propagator& propagator,
                       const PropagatorOptions& options);
  ~SchedulingController();
  SchedulingController(const SchedulingController&) = delete;
  SchedulingController& operator=(const SchedulingController&) = delete;

  void start();
  void set_leading(bool leading);
  void stop();
  [[nodiscard]] bool stopped() const { return tasks_.empty(); }
  [[nodiscard]] const SchedulerStats& stats() const { return stats_; }
  // Preferences by their Scheduled condition's reason ("Scheduled", "Rebalancing", "TargetNotFound", ...;
  // "Unknown" before a status was written).
  [[nodiscard]] std::map<std::string, std::size_t> reason_counts() const;

  // From the engine (PropagatorOptions observers): a FederatedObject or its member objects changed; the
  // member clusters changed.
  void object_changed(const std::string& key);
  void clusters_changed();

 private:
  void spawn(boost::asio::awaitable<void> work);
  void enqueue_all();
  boost::asio::awaitable<void> worker();
  boost::asio::awaitable<void> reconcile(const std::string& key);
  boost::asio::awaitable<void> resync();

  boost::asio::io_context& io_;
  ApiWriter host_writer_;
  const Propagator& propagator_;
  TaskGroup tasks_;
  WorkQueue queue_;
  std::function<std::string(const std::string&)> cluster_down_;
  std::chrono::milliseconds resync_;
  boost::asio::steady_timer* resync_timer_ = nullptr;
  std::unique_ptr<Reflector> preferences_;
  // When the last bounded step of each preference was written (one step per rebalanceStep interval).
  std::map<std::string, std::chrono::steady_clock::time_point> last_step_;
  // This term's last scheduledReplicas write per preference, with the object's resourceVersion it was made
  // against: until the informer shows a newer object, the write is what the object holds.
  struct Written {
    std::string based_on;
    std::map<std::string, std::int64_t> replicas;
  };
  std::map<std::string, Written> written_;
  // The last status patch per preference, with the preference's resourceVersion it was computed against.
  std::map<std::string, std::pair<std::string, std::string>> status_written_;
  SchedulerStats stats_;
  bool leading_ = false;
  bool stopping_ = false;
};

}  // namespace fedns::sync::propagation
