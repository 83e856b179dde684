// Wiring of the propagation engine (see propagation_runner.hpp).
#include "app/propagation_runner.hpp"

#include <unistd.h>

#include <array>
#include <random>

#include "common/log.hpp"
#include "sync/kubeconfig.hpp"

namespace fedns::app {

namespace {

// hostname (the pod name in Kubernetes) plus a random suffix: two processes on one host stay distinct, and a
// restarted replica is a new holder (client-go does the same).
std::string default_identity() {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  std::random_device random;
  return std::string(host.data()) + "_" + std::to_string(random() % 1000000);
}

}  // namespace

Result<std::unique_ptr<PropagationRunner>> PropagationRunner::create(
    boost::asio::io_context& io, const PropagationConfig& config,
    sync::propagation::PropagatorOptions coupling) {
  auto creds =
      config.in_cluster ? sync::load_in_cluster() : sync::load_kubeconfig(config.kubeconfig, config.context);
  if (!creds) return creds.error().wrap("propagation: host cluster");
  auto client = sync::ApiClient::create(io, std::move(*creds));
  if (!client) return client.error().wrap("propagation: host cluster");
  sync::propagation::LeaderElectionConfig lease;
  lease.lease_namespace = config.namespace_;
  lease.lease_name = config.lease_name;
  lease.identity = config.identity.empty() ? default_identity() : config.identity;
  lease.lease_duration = config.lease_duration;
  lease.renew_deadline = config.renew_deadline;
  lease.retry_period = config.retry_period;
  if (auto ok = sync::propagation::check(lease); !ok) return ok.error().wrap("propagation.lease");

  sync::propagation::PropagatorOptions options = std::move(coupling);
  options.field_manager = config.field_manager;
  options.secrets_namespace = config.namespace_;
  options.workers = config.workers;
  options.probe_interval = config.probe_interval;
  options.probe_timeout = config.probe_timeout;
  options.probe_fall = config.probe_fall;
  options.request_timeout = config.request_timeout;

  std::unique_ptr<PropagationRunner> runner(new PropagationRunner());
  runner->io_ = &io;
  runner->host_ = std::move(*client);
  // The scheduler reads through the engine's caches and hears of their changes (it is built second; the
  // engine calls these only once started).
  auto* raw = runner.get();
  options.on_object_event = [raw](const std::string& key) { raw->scheduler_->object_changed(key); };
  options.on_clusters_changed = [raw] { raw->scheduler_->clusters_changed(); };
  runner->propagator_ = std::make_unique<sync::propagation::Propagator>(io, *runner->host_, options);
  runner->scheduler_ = std::make_unique<sync::propagation::SchedulingController>(
      io, *runner->host_, *runner->propagator_, options);
  runner->elector_ = std::make_unique<sync::propagation::LeaderElector>(
      *runner->host_, lease, [raw] { raw->set_leading(true); }, [raw] { raw->set_leading(false); });
  log::info("propagation: host cluster " + runner->host_->credentials().server + ", replica " +
            lease.identity);
  return runner;
}

void PropagationRunner::set_leading(bool leading) {
  propagator_->set_leading(leading);
  scheduler_->set_leading(leading);
}

void PropagationRunner::start() {
  propagator_->start();
  scheduler_->start();
  elector_done_ = false;
  boost::asio::co_spawn(*io_, elector_->run(), [this](const std::exception_ptr&) { elector_done_ = true; });
}

void PropagationRunner::stop() {
  set_leading(false);
  scheduler_->stop();
  propagator_->stop();
  elector_->stop(true);
}

}  // namespace fedns::app
