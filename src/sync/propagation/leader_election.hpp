// Lease-based leader election (coordination.k8s.io/v1 Lease in the host cluster), client-go's algorithm
// (tools/leaderelection): only the holder of a valid lease writes; a follower takes over when the lease was
// not renewed for its whole duration as measured on the follower's own clock (the holder's renewTime is never
// compared with local time, so clock skew does not matter); a leader that cannot renew within the renew
// deadline stops leading before its lease can expire, so two replicas never write at once.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/asio.hpp"
#include "common/result.hpp"
#include "sync/api_client.hpp"

namespace fedns::sync::propagation {

struct LeaderElectionConfig {
  std::string lease_namespace = "fedns-system";
  std::string lease_name = "fedns-propagation";
  std::string identity;  // unique per replica (pod name + a random suffix)
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
};

// client-go's constraint: lease duration > renew deadline > 1.2 x retry period, and an identity.
Result<void> check(const LeaderElectionConfig& config);

class LeaderElector {
 public:
  // `on_started` runs when this replica becomes leader, `on_stopped` when it stops (lost, released or
  // stopped); both on the client's io_context.
  LeaderElector(ApiClient& client, LeaderElectionConfig config, std::function<void()> on_started,
                std::function<void()> on_stopped);
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Campaigns, leads, and campaigns again after losing the lease, until stop().
  boost::asio::awaitable<void> run();
  // Ends run(); with `release`, a leader first gives the lease up (holder "", duration 1 s) so that another
  // replica takes over at its next retry instead of after the lease duration. Without it: as if it crashed.
  void stop(bool release);

  [[nodiscard]] bool leading() const { return leading_; }
  [[nodiscard]] const LeaderElectionConfig& config() const { return config_; }

 private:
  struct Record;
  boost::asio::awaitable<bool> try_acquire_or_renew();
  boost::asio::awaitable<void> release();
  boost::asio::awaitable<void> sleep(std::chrono::milliseconds duration);
  void set_leading(bool leading);

  ApiClient& client_;
  LeaderElectionConfig config_;
  std::function<void()> on_started_;
  std::function<void()> on_stopped_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::unique_ptr<Record> observed_;  // the lease as last read or written
  std::chrono::steady_clock::time_point observed_time_{};
  bool leading_ = false;
  bool stopping_ = false;
  bool release_on_stop_ = false;
};

}  // namespace fedns::sync::propagation
