// The propagation side of the server: the host cluster's API client, the Lease election among fedns replicas,
// the propagation controller and the replica scheduler, which write only while this replica leads.
#pragma once

#include <memory>

#include "app/config.hpp"
#include "common/asio.hpp"
#include "common/result.hpp"
#include "sync/api_client.hpp"
#include "sync/propagation/leader_election.hpp"
#include "sync/propagation/propagator.hpp"
#include "sync/propagation/scheduling_controller.hpp"

namespace fedns::app {

class PropagationRunner {
 public:
  // Fails when the host cluster's credentials cannot be loaded or the lease timings are inconsistent.
  // `coupling`: the DNS side's hooks (on_service_placement, dns_state; see PropagatorOptions).
  static Result<std::unique_ptr<PropagationRunner>> create(boost::asio::io_context& io,
                                                           const PropagationConfig& config,
                                                           sync::propagation::PropagatorOptions coupling);
  void start();
  // Gives the lease up (another replica takes over at its next retry) and stops; returns at once.
  void stop();
  [[nodiscard]] bool stopped() const {
    return propagator_->stopped() && scheduler_->stopped() && elector_done_;
  }
  [[nodiscard]] const sync::propagation::Propagator& propagator() const { return *propagator_; }
  [[nodiscard]] sync::propagation::Propagator& propagator() { return *propagator_; }
  [[nodiscard]] const sync::propagation::SchedulingController& scheduler() const { return *scheduler_; }
  [[nodiscard]] bool leading() const { return elector_->leading(); }

 private:
  PropagationRunner() = default;
  void set_leading(bool leading);
  std::unique_ptr<sync::ApiClient> host_;
  std::unique_ptr<sync::propagation::Propagator> propagator_;
  std::unique_ptr<sync::propagation::SchedulingController> scheduler_;
  std::unique_ptr<sync::propagation::LeaderElector> elector_;
  boost::asio::io_context* io_ = nullptr;
  bool elector_done_ = true;
};

}  // namespace fedns::app
