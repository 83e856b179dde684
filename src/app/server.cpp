// Server wiring. The control thread (this one) owns config, reloads and the metrics endpoint; DNS workers run
// on their own threads and only read the snapshot published here.
#include "app/server.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <thread>

#include "app/catalog_sync.hpp"
#include "app/cluster_checks.hpp"
#include "app/config.hpp"
#include "app/health_endpoint.hpp"
#include "app/http_server.hpp"
#include "app/metrics.hpp"
#include "app/propagation_runner.hpp"
#include "app/snapshot_factory.hpp"
#include "common/asio.hpp"
#include "common/log.hpp"
#include "common/snapshot.hpp"
#include "dns/notify_sender.hpp"
#include "dns/worker.hpp"
#include "dns/zone_serials.hpp"
#include "health/health_monitor.hpp"
#include "health/override_store.hpp"
#include "health/service_targets.hpp"

namespace fedns::app {
namespace {

void log_error_lines(const std::string& prefix, const std::string& message) {
  std::size_t start = 0;
  while (start <= message.size()) {
    const auto end = message.find('\n', start);
    log::error(prefix + message.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
}

std::string describe_restart_only_changes(const ServerConfig& before, const ServerConfig& after) {
  std::string changed;
  auto note = [&](bool differs, const char* what) {
    if (differs) changed += (changed.empty() ? "" : ", ") + std::string(what);
  };
  std::vector<std::string> a;
  std::vector<std::string> b;
  for (const auto& l : before.listen)
    a.push_back(l.to_string());
  for (const auto& l : after.listen)
    b.push_back(l.to_string());
  note(a != b, "server.listen");
  note(before.workers != after.workers, "server.workers");
  note(before.metrics_address != after.metrics_address, "server.metrics");
  note(before.tcp_clients != after.tcp_clients || before.tcp_idle_timeout != after.tcp_idle_timeout,
       "server.limits.tcp_*");
  return changed;
}

health::MonitorOptions monitor_options(const HealthConfig& health) {
  return {health.derive_ttl, health.min_ttl, health.max_ttl};
}

void set_localities(health::ServiceTargets& targets, const Config& config) {
  std::map<std::string, health::ServiceTargets::Locality> clusters;
  for (const auto& cluster : config.clusters)
    clusters[cluster.name] = {cluster.region, cluster.zone};
  targets.set_localities({config.health.region, config.health.zone}, std::move(clusters));
}

health::ServiceCheck to_check(const HealthCheckConfig& config) {
  return {config.probe, config.policy, config.last_resort};
}

std::map<model::ServiceKey, health::ServiceCheck> checks(const HealthConfig& health) {
  std::map<model::ServiceKey, health::ServiceCheck> out;
  for (const auto& check : health.services)
    out[check.service] = to_check(check);
  return out;
}

Result<health::ServiceCheck> check_from_annotation(const std::string& text) {
  auto parsed = parse_health_check_annotation(text);
  if (!parsed) return parsed.error();
  return to_check(parsed.value());
}

class Server {
 public:
  Server(ServeOptions options, Config config) : options_(std::move(options)), config_(std::move(config)) {
    if (!options_.listen_override.empty()) config_.server.listen = options_.listen_override;
  }

  int run() {
    // Always there, even without clusters: a reload may add some.
    auto sync = CatalogSync::create(io_, config_,
                                    [this](const sync::CatalogChanges& changes) { republish(changes); });
    if (!sync) {
      log_error_lines("", sync.error().message);
      return 1;
    }
    catalog_sync_ = std::move(sync.value());
    if (config_.propagation) {
      // Coupling with DNS: a federated Service is answered only where it is placed, and its status says per
      // cluster whether DNS answers it from there.
      sync::propagation::PropagatorOptions coupling;
      coupling.on_service_placement = [this](const std::string& ns, const std::string& name,
                                             std::optional<std::set<std::string>> clusters) {
        catalog_sync_->set_placement({ns, name}, std::move(clusters));
      };
      coupling.dns_state = [this](const std::string& ns, const std::string& name,
                                  const std::string& cluster) {
        return dns_state({ns, name}, cluster);
      };
      coupling.cluster_down = [this](const std::string& cluster) -> std::string {
        if (!monitor_) return {};
        const auto clusters = monitor_->clusters();
        const auto it = clusters.find(cluster);
        if (it == clusters.end() || it->second.up) return {};
        if (it->second.forced) return "its health is forced down by an admin override";
        return "its health is down" + (it->second.reason.empty() ? "" : " (" + it->second.reason + ")");
      };
      auto runner = PropagationRunner::create(io_, *config_.propagation, std::move(coupling));
      if (!runner) {
        log_error_lines("", runner.error().message);
        return 1;
      }
      propagation_ = std::move(runner.value());
    }
    monitor_ =
        std::make_unique<health::HealthMonitor>(io_, health_publisher_, monitor_options(config_.health));
    targets_ = std::make_unique<health::ServiceTargets>(*monitor_, check_from_annotation);
    targets_->configure(checks(config_.health));
    set_localities(*targets_, config_);
    cluster_checks_ = std::make_unique<ClusterChecks>(*monitor_, *catalog_sync_);
    cluster_checks_->configure(config_.clusters);
    overrides_ = std::make_unique<health::OverrideStore>(io_, [this] { overrides_changed(); });
    health_endpoint_ = std::make_unique<HealthEndpoint>(*monitor_, *overrides_);
    auto token = HealthEndpoint::read_token(config_.health.overrides);
    if (!token) {
      log::error(token.error().message);
      return 1;
    }
    health_endpoint_->configure(std::move(token.value()), config_.health.overrides.allow_remote);
    auto factory = SnapshotFactory::create(config_);
    if (!factory) {
      log_error_lines("", factory.error().message);
      return 1;
    }
    factory_.emplace(std::move(factory.value()));
    factory_->set_health(targets_.get());
    // After the first render: an override that names a service renders it again.
    overrides_->watch(config_.health.overrides.file, config_.health.overrides.poll);
    publish(factory_->make(catalog_ready()));

    const unsigned workers = config_.server.workers != 0 ? config_.server.workers
                                                         : std::max(1u, std::thread::hardware_concurrency());
    dns::TcpLimits tcp{std::max<std::size_t>(1, config_.server.tcp_clients / workers),
                       config_.server.tcp_idle_timeout};
    std::vector<const dns::WorkerCounters*> counters;
    for (unsigned i = 0; i < workers; ++i) {
      auto worker = std::make_unique<dns::Worker>(publisher_, tcp, &health_publisher_);
      if (auto r = worker->bind(config_.server.listen); !r) {
        log::error("cannot listen: " + r.error().message);
        return 1;
      }
      for (const auto* c : worker->counters())
        counters.push_back(c);
      workers_.push_back(std::move(worker));
    }
    metrics_ = std::make_unique<MetricsCollector>(counters, state_, catalog_sync_.get(), monitor_.get(),
                                                  overrides_.get(), targets_.get());
    metrics_->set_propagation(propagation_.get());
    metrics_->set_notify(&notifier_.counters());

    HttpServer http(io_, [this](const HttpRequest& request) { return handle_http(request); });
    if (!config_.server.metrics_address.empty()) {
      auto address = dns::parse_listen_address(config_.server.metrics_address);
      if (auto r = address ? http.listen(*address) : Result<void>(address.error()); !r) {
        log::error("cannot serve metrics: " + r.error().message);
        return 1;
      }
    }

    boost::asio::signal_set signals(io_, SIGHUP, SIGTERM, SIGINT);
    wait_for_signal(signals, http);
    for (std::size_t i = 0; i < workers_.size(); ++i)
      workers_[i]->start(i);
    catalog_sync_->start();
    if (propagation_) propagation_->start();
    state_.serving = true;
    std::string listening;
    for (const auto& l : config_.server.listen)
      listening += " " + l.to_string();
    log::info(
        "fedns " + std::string(FEDNS_VERSION) + " serving " + std::to_string(config_.zones.size()) +
        " zone(s) with " + std::to_string(workers) + " worker(s) on udp+tcp" + listening +
        (config_.clusters.empty()
             ? ""
             : "; catalog from " + std::to_string(config_.clusters.size()) + " cluster(s)") +
        (config_.server.metrics_address.empty() ? "" : "; metrics on " + config_.server.metrics_address));
    io_.run();
    shutdown();
    return 0;
  }

 private:
  // Stamps each zone's serial (it follows the generated names), publishes, and tells the secondaries of
  // every zone whose serial changed (not while the zone is still incomplete: they could not transfer it).
  void publish(std::shared_ptr<dns::ServingSnapshot> snapshot) {
    state_.snapshot_built_unix_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(snapshot->built_at.time_since_epoch()).count();
    state_.zones = snapshot->zones.zones().size();
    const auto changed = serials_.stamp(snapshot->zones);
    const auto policy = snapshot->options.transfer;
    std::vector<std::pair<std::string, std::uint32_t>> announce;
    for (const auto& origin : changed) {
      const model::ServedZone* zone = snapshot->zones.find_zone(origin);
      if (zone == nullptr || zone->unsure_negatives || zone->soa_set() == nullptr) continue;
      announce.emplace_back(origin, dns::soa_serial(zone->soa_set()->rdatas.front().wire));
    }
    publisher_.publish(std::move(snapshot));
    state_.snapshot_generation = publisher_.generation();
    if (policy == nullptr) return;
    for (const auto& [origin, serial] : announce)
      notifier_.zone_changed(origin, serial, *policy);
  }

  bool catalog_ready() { return !catalog_sync_ || catalog_sync_->ready_for_snapshot(); }

  // The overrides in force changed: the monitor applies them at its next table; services that an override
  // now names (or no longer names) get their own targets (or give them back), so they are rendered again.
  void overrides_changed() {
    const health::OverrideSet active = overrides_->active();
    const auto rerender = targets_->set_named_services(active.named_services());
    monitor_->set_overrides(active);
    if (rerender.empty() || !factory_) return;
    sync::CatalogChanges changes;
    for (const auto& key : rerender) {
      if (auto service = catalog_sync_->catalog().service(key)) changes.updated_services.push_back(*service);
    }
    if (changes.updated_services.empty()) return;
    std::vector<std::string> dropped;
    factory_->apply(changes, dropped);
    for (const auto& reason : dropped)
      log::warn(reason);
    publish(factory_->make(catalog_ready()));
  }

  // Whether DNS answers `key` from `cluster`, and why not, for the federated object's status.
  std::string dns_state(const model::ServiceKey& key, const std::string& cluster) const {
    if (catalog_sync_->find(cluster) == nullptr)
      return "not answered: fedns reads no services from " + cluster + " (no clusters: entry of that name)";
    if (const std::string why = catalog_sync_->catalog().why_not_published(cluster, key); !why.empty())
      return "not answered: " + why;
    const auto clusters = monitor_->clusters();
    if (const auto it = clusters.find(cluster); it != clusters.end() && !it->second.up)
      return "not answered: the cluster's health is down" +
             (it->second.reason.empty() ? "" : " (" + it->second.reason + ")");
    return "answered";
  }

  // The catalog changed: the changed services are rendered again and published with everything else shared;
  // federated Services among them have their status (its DNS verdicts) looked at again.
  void republish(const sync::CatalogChanges& changes) {
    if (propagation_) {
      for (const auto& key : changes.updated)
        propagation_->propagator().service_changed(key.namespace_, key.name);
      for (const auto& key : changes.removed)
        propagation_->propagator().service_changed(key.namespace_, key.name);
    }
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::string> dropped;
    factory_->apply(changes, dropped);
    for (const auto& reason : dropped)
      log::warn(reason);
    publish(factory_->make(catalog_ready()));
    state_.snapshot_build_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start)
            .count();
    const auto cost = factory_->last_cost();
    log::debug("catalog: " + std::to_string(changes.updated.size()) + " service(s) updated, " +
               std::to_string(changes.removed.size()) + " removed; snapshot " +
               std::to_string(state_.snapshot_generation.load()) + " built in " +
               std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                                  std::chrono::steady_clock::now() - start)
                                  .count()) +
               " us (" + std::to_string(cost.shards_copied) + " shard(s), " +
               std::to_string(cost.nodes_copied) + " node(s) copied)");
  }

  void wait_for_signal(boost::asio::signal_set& signals, HttpServer& http) {
    signals.async_wait([this, &signals, &http](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        reload();
        wait_for_signal(signals, http);
        return;
      }
      log::info(std::string("received ") + (signal == SIGTERM ? "SIGTERM" : "SIGINT") +
                ": finishing answers in flight, then exiting");
      state_.serving = false;
      http.close();
      signals.cancel();
      io_.stop();
    });
  }

  // SIGHUP: build everything from the new file first; only a complete, valid result replaces what is served.
  void reload() {
    auto config = load_config(options_.config_path);
    if (!config) {
      ++state_.reloads_failed;
      log_error_lines("reload rejected, still serving the previous config: ", config.error().message);
      return;
    }
    if (!options_.listen_override.empty()) config->server.listen = options_.listen_override;
    auto factory = SnapshotFactory::create(*config);
    if (!factory) {
      ++state_.reloads_failed;
      log_error_lines("reload rejected, still serving the previous config: ", factory.error().message);
      return;
    }
    auto token = HealthEndpoint::read_token(config->health.overrides);
    if (!token) {
      ++state_.reloads_failed;
      log_error_lines("reload rejected, still serving the previous config: ", token.error().message);
      return;
    }
    // Clusters that stay keep running; new and changed ones start; removed ones leave at the next flush.
    if (auto r = catalog_sync_->reconfigure(*config); !r) {
      ++state_.reloads_failed;
      log_error_lines("reload rejected, still serving the previous config: ", r.error().message);
      return;
    }
    if (config->propagation != config_.propagation) {
      // Member clusters, types and federated objects change at run time through the host cluster; the host
      // connection and the lease are fixed for the process.
      log::warn("reload: propagation settings changed; they take effect at the next restart");
      config->propagation = config_.propagation;
    }
    health_endpoint_->configure(std::move(token.value()), config->health.overrides.allow_remote);
    monitor_->set_options(monitor_options(config->health));
    targets_->configure(checks(config->health));
    set_localities(*targets_, *config);
    cluster_checks_->configure(config->clusters);
    overrides_->watch(config->health.overrides.file, config->health.overrides.poll);
    factory->set_health(targets_.get());
    std::vector<std::string> dropped;
    factory->load_catalog(catalog_sync_->catalog(), dropped);
    for (const auto& reason : dropped)
      log::warn(reason);
    if (const auto changed = describe_restart_only_changes(config_.server, config->server);
        !changed.empty()) {
      log::warn("reload: " + changed + " changed; these take effect after a restart");
    }
    factory_.emplace(std::move(factory.value()));
    publish(factory_->make(catalog_ready()));
    config_.zones = config->zones;
    config_.clusters = config->clusters;
    config_.catalog = config->catalog;
    config_.health = config->health;
    ++state_.reloads_ok;
    log::info("reloaded " + options_.config_path + ": " + std::to_string(state_.zones.load()) +
              " zone(s), snapshot generation " + std::to_string(state_.snapshot_generation.load()));
  }

  HttpReply handle_http(const HttpRequest& request) {
    if (auto reply = health_endpoint_->handle(request)) return std::move(*reply);
    const std::string_view path = request.path;
    if (request.method != "GET" && request.method != "HEAD")
      return {405, "text/plain; charset=utf-8", "only GET and HEAD here\n"};
    if (path == "/metrics") return {200, "text/plain; version=0.0.4; charset=utf-8", metrics_->render()};
    if (path == "/healthz") return {200, "text/plain; charset=utf-8", "ok\n"};
    if (path == "/readyz") {
      const bool ready = state_.serving.load() && state_.snapshot_generation.load() > 0;
      return {ready ? 200u : 503u, "text/plain; charset=utf-8", ready ? "ready\n" : "not ready\n"};
    }
    return {404, "text/plain; charset=utf-8", "not found: try /metrics, /healthz, /readyz or /health/\n"};
  }

  void shutdown() {
    if (overrides_) overrides_->stop();
    if (monitor_) monitor_->stop();  // probes in flight end with the io_context
    if (propagation_) {
      // A leader gives its lease up first, so that another replica takes over at once.
      metrics_->set_propagation(nullptr);
      propagation_->stop();
      io_.restart();
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
      while (!propagation_->stopped() && std::chrono::steady_clock::now() < until)
        io_.run_one_for(std::chrono::milliseconds(100));
      propagation_.reset();
    }
    if (catalog_sync_) {
      // The informers' coroutines finish on the io_context before anything they use goes away.
      catalog_sync_->stop();
      io_.restart();
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
      while (!catalog_sync_->stopped() && std::chrono::steady_clock::now() < until)
        io_.run_one_for(std::chrono::milliseconds(100));
      catalog_sync_.reset();
    }
    for (auto& w : workers_)
      w->drain();
    // Answers in flight get a grace period; a client that does not read its answer cannot hold us up longer.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (auto& w : workers_) {
      while (!w->finished() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (!w->finished()) w->stop();
      w->join();
    }
    log::info("stopped");
  }

  ServeOptions options_;
  Config config_;
  boost::asio::io_context io_{1};
  SnapshotPublisher<dns::ServingSnapshot> publisher_;
  dns::ZoneSerials serials_;  // across reloads: serials never go back while the process runs
  dns::NotifySender notifier_{io_};
  SnapshotPublisher<model::HealthTable> health_publisher_;
  ServerState state_;
  std::vector<std::unique_ptr<dns::Worker>> workers_;
  std::unique_ptr<MetricsCollector> metrics_;
  std::optional<SnapshotFactory> factory_;
  std::unique_ptr<CatalogSync> catalog_sync_;  // after io_: destroyed first
  std::unique_ptr<PropagationRunner> propagation_;
  std::unique_ptr<health::HealthMonitor> monitor_;
  std::unique_ptr<health::ServiceTargets> targets_;  // uses monitor_: destroyed before it
  std::unique_ptr<ClusterChecks> cluster_checks_;
  std::unique_ptr<health::OverrideStore> overrides_;
  std::unique_ptr<HealthEndpoint> health_endpoint_;
};

}  // namespace

int serve(const ServeOptions& options) {
  auto config = load_config(options.config_path);
  if (!config) {
    log_error_lines("", config.error().message);
    return 1;
  }
  Server server(options, std::move(config.value()));
  return server.run();
}

}  // namespace fedns::app
