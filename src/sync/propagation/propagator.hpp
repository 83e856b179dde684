// The propagation engine's controller: informers on the host cluster's federated objects, member clusters and
// type configs, a connection and informers (our managed label only) per member cluster, and a work queue of
// federated objects. Reconciling one object computes what each cluster should hold, decides per cluster
// (cluster_action.hpp), writes by server-side apply, delete or orphan, and records the outcome in the
// object's status. Informers run on every replica so that a new leader starts with warm caches; only while
// leading (set_leading) does anything get written.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/asio.hpp"
#include "sync/api_client.hpp"
#include "sync/api_writer.hpp"
#include "sync/propagation/federated_type.hpp"
#include "sync/propagation/placement.hpp"
#include "sync/propagation/propagation_status.hpp"
#include "sync/reflector.hpp"
#include "sync/task_group.hpp"
#include "sync/work_queue.hpp"

namespace fedns::sync::propagation {

inline constexpr const char* kFinalizer = "federation.fedns.io/propagation";

struct PropagatorOptions {
  std::string field_manager = "fedns";
  // Where a MemberCluster's secretRef points when it names no namespace (fedns's own namespace).
  std::string secrets_namespace = "fedns-system";
  int workers = 4;
  WorkQueue::Backoff backoff{std::chrono::milliseconds(250), std::chrono::minutes(5)};
  // Member readiness: GET /readyz every interval; not ready after `probe_fall` failures in a row.
  std::chrono::milliseconds probe_interval{2000};
  std::chrono::milliseconds probe_timeout{2000};
  int probe_fall = 2;
  // Every write to a member cluster: one that is down costs at most this per object.
  std::chrono::milliseconds request_timeout{10000};
  ReflectorOptions reflector{};
  // Federated Services (template v1 Service): the clusters each is placed in, on every replica (leading or
  // not) since every replica answers DNS; nullopt when no federated object governs the name any more.
  std::function<void(const std::string& namespace_, const std::string& name,
                     std::optional<std::set<std::string>> clusters)>
      on_service_placement;
  // Federated Services: whether DNS answers the service from a cluster, and why not, written next to the
  // propagation status of that cluster ("answered", or "not answered: ...").
  std::function<std::string(const std::string& namespace_, const std::string& name,
                            const std::string& cluster)>
      dns_state;
  // How often a leader looks at federated Services again for DNS changes nothing else announces (health).
  std::chrono::milliseconds dns_resync{10000};
  // Observers (the replica scheduler): a FederatedObject ("namespace/name") or one of its member objects
  // changed; the member clusters (membership, labels, readiness) changed. On every replica, after the
  // informer's store has the change.
  std::function<void(const std::string& key)> on_object_event;
  std::function<void()> on_clusters_changed;
  // The DNS side's health of a cluster of that name (API reachable, watch fresh, overrides; issue "health"):
  // empty while up or unknown, else why it is down. The replica scheduler moves replicas off such a cluster
  // as off one whose MemberCluster is not Ready; it looks again every `scheduling_resync`.
  std::function<std::string(const std::string& cluster)> cluster_down;
  std::chrono::milliseconds scheduling_resync{5000};
};

// Requests issued, for metrics and the benchmark ("no needless writes" is counted here).
struct PropagatorStats {
  std::uint64_t reconciles = 0;
  std::uint64_t member_applies = 0;
  std::uint64_t member_deletes = 0;
  std::uint64_t member_orphans = 0;
  std::uint64_t member_reads = 0;  // existence checks before a first create
  std::uint64_t status_writes = 0;
  std::uint64_t finalizer_writes = 0;
  std::uint64_t member_status_writes = 0;  // MemberCluster Ready conditions
  std::uint64_t failed_writes = 0;
};

// A member cluster as the engine sees it now (for /readyz, metrics and the DNS side).
struct MemberClusterState {
  std::string name;
  bool ready = false;
  std::string reason;  // Ready, or why not: SecretNotFound, InvalidKubeconfig, Unreachable, ...
  std::string message;
};

class Propagator {
 public:
  Propagator(boost::asio::io_context& io, ApiClient& host, PropagatorOptions options);
  ~Propagator();
  Propagator(const Propagator&) = delete;
  Propagator& operator=(const Propagator&) = delete;

  // Starts the host informers and the workers.
  void start();
  // Leading: reconcile and write; not leading: watch only (keys that come up are dropped; becoming leader
  // queues every object again).
  void set_leading(bool leading);
  // Stops informers, probes and workers; returns at once. stopped() turns true once their coroutines ended.
  void stop();
  [[nodiscard]] bool stopped() const { return tasks_.empty(); }
  [[nodiscard]] bool leading() const { return leading_; }
  // The host informers have listed everything once.
  [[nodiscard]] bool synced() const;
  [[nodiscard]] const PropagatorStats& stats() const { return stats_; }
  [[nodiscard]] std::size_t queue_length() const { return queue_.length(); }
  [[nodiscard]] std::vector<MemberClusterState> member_clusters() const;
  // Federated objects (both kinds) by their Propagated condition, as "True OK", "False ClusterNotReady", or
  // "Unknown" before a status was written (for metrics: a bounded set of reasons).
  [[nodiscard]] std::map<std::string, std::size_t> status_counts() const;
  // The DNS side of a federated Service changed (the catalog republished it): its status is looked at again.
  void service_changed(const std::string& namespace_, const std::string& name);
  // What the replica scheduler reads: a FederatedObject by "namespace/name" (null: none); the member clusters
  // as placement sees them; a member object (with its status) as that cluster's informer has it, by type
  // target ("apps/v1 Deployment") and "namespace/name" (null: none, or the type is not watched there).
  [[nodiscard]] const KubeObject* federated_object(const std::string& key) const;
  [[nodiscard]] std::vector<MemberCluster> placement_clusters() const;
  [[nodiscard]] const KubeObject* member_object(const std::string& cluster, const std::string& target,
                                                const std::string& key) const;

 private:
  struct Connection;
  struct Member;
  struct Outcome;

  void spawn(boost::asio::awaitable<void> work);
  InformerHandlers enqueue_handlers(const std::string& prefix);
  InformerHandlers rebuild_handlers(bool& pending, void (Propagator::*rebuild)());
  void enqueue_all();
  void notify_object(const std::string& queue_key);
  void notify_clusters();
  void placement_changed(const std::string& key);
  void publish_placements();
  boost::asio::awaitable<void> resync_services();
  void types_changed();
  void members_changed();
  void start_member_informers(const std::shared_ptr<Member>& member);
  void set_member_ready(Member& member, bool ready, std::string reason, std::string message);
  boost::asio::awaitable<void> run_member(std::shared_ptr<Member> member);
  // Reads the member's secret and connects; on failure `reason` says which kind (SecretNotFound, ...).
  // `secret_version` gets the Secret's resourceVersion.
  boost::asio::awaitable<Result<std::shared_ptr<Connection>>> connect(const Member& member,
                                                                      std::string& reason,
                                                                      std::string& secret_version);
  boost::asio::awaitable<void> write_member_status(std::string name);
  boost::asio::awaitable<void> worker();
  boost::asio::awaitable<void> reconcile(const std::string& key);
  boost::asio::awaitable<Outcome> reconcile_object(const std::string& key, const KubeObject& host_object);
  boost::asio::awaitable<bool> write_condition_only(const KubeObject& host_object, const std::string& path,
                                                    const PropagatedCondition& condition);
  boost::asio::awaitable<void> sleep(std::chrono::milliseconds duration);
  [[nodiscard]] const KubeObject* find_host_object(const std::string& key) const;

  boost::asio::io_context& io_;
  ApiClient& host_;
  ApiWriter host_writer_;
  PropagatorOptions options_;
  TaskGroup tasks_;
  WorkQueue queue_;
  std::unique_ptr<Reflector> objects_;                   // FederatedObjects, all namespaces
  std::unique_ptr<Reflector> cluster_objects_;           // ClusterFederatedObjects
  std::unique_ptr<Reflector> member_clusters_;           // MemberClusters
  std::unique_ptr<Reflector> types_;                     // FederatedTypeConfigs
  std::map<std::string, FederatedType> type_by_target_;  // "apps/v1 Deployment" -> type
  std::map<std::string, std::shared_ptr<Member>> members_;
  // What this leader wrote, by object key and cluster: newer than the status the host informer shows until
  // our status write comes back through the watch.
  std::map<std::string, std::map<std::string, LastWrite>> written_;
  // The last status patch per object, with the object's resourceVersion it was computed against.
  std::map<std::string, std::pair<std::string, std::string>> status_written_;
  PropagatorStats stats_;
  std::set<std::string> placement_dirty_;  // keys whose DNS placement must be computed again
  bool placement_pending_ = false;
  struct ServicePlacement {
    std::string service;  // "namespace/name" of the member Services
    std::set<std::string> clusters;
  };
  std::map<std::string, ServicePlacement> placements_;  // published, by key of a federated Service
  std::map<std::string, std::string> service_owner_;    // "namespace/name" -> the federated object's key
  bool members_pending_ = false;
  bool types_pending_ = false;
  bool leading_ = false;
  bool stopping_ = false;
  std::set<std::unique_ptr<boost::asio::steady_timer>> sleepers_;
};

}  // namespace fedns::sync::propagation
