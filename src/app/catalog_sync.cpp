// Member clusters -> catalog -> debounced flush.
#include "app/catalog_sync.hpp"

#include "common/log.hpp"
#include "sync/cluster_watch.hpp"
#include "sync/kubeconfig.hpp"
#include "sync/manifest_source.hpp"

namespace fedns::app {

CatalogSync::CatalogSync(boost::asio::io_context& io, sync::CatalogOptions options,
                         const CatalogConfig& config,
                         std::function<void(const sync::CatalogChanges&)> publish)
    : io_(io),
      catalog_(std::move(options)),
      debounce_(config.debounce),
      publish_(std::move(publish)),
      timer_(io),
      tick_timer_(io),
      started_(std::chrono::steady_clock::now()),
      startup_timeout_(config.startup_timeout),
      stale_after_(config.stale_after),
      export_status_(config.export_status) {}

Result<std::unique_ptr<CatalogSync>> CatalogSync::create(
    boost::asio::io_context& io, const Config& config,
    std::function<void(const sync::CatalogChanges&)> publish) {
  sync::CatalogOptions options;
  options.export_all_namespaces.insert(config.catalog.export_all_namespaces.begin(),
                                       config.catalog.export_all_namespaces.end());
  auto source = sync::parse_address_source(config.catalog.publish_address);
  if (!source) return source.error().wrap("catalog.publish_address");
  options.default_source = *source;
  auto out = std::unique_ptr<CatalogSync>(
      new CatalogSync(io, std::move(options), config.catalog, std::move(publish)));
  std::vector<std::string> errors;
  for (const auto& cluster : config.clusters) {
    CatalogSync* self = out.get();
    if (!cluster.manifests.empty()) {
      out->watches_.push_back(std::make_unique<sync::ManifestSource>(io, cluster.name, cluster.manifests,
                                                                     cluster.manifests_poll, out->catalog_,
                                                                     [self] { self->changed(); }));
      continue;
    }
    auto credentials = cluster.in_cluster ? sync::load_in_cluster()
                                          : sync::load_kubeconfig(cluster.kubeconfig, cluster.context);
    if (!credentials) {
      errors.push_back("cluster " + cluster.name + ": " + credentials.error().message);
      continue;
    }
    auto watch = sync::ClusterWatch::create(io, cluster.name, std::move(credentials.value()), out->catalog_,
                                            [self] { self->changed(); });
    if (!watch) {
      errors.push_back(watch.error().message);
      continue;
    }
    out->watches_.push_back(std::move(watch.value()));
  }
  if (!errors.empty()) return Error::from_lines(errors);
  return out;
}

void CatalogSync::start() {
  started_ = std::chrono::steady_clock::now();
  for (auto& w : watches_)
    w->start();
  tick();
}

bool CatalogSync::ready() const {
  if (std::chrono::steady_clock::now() - started_ >= startup_timeout_) return true;
  for (const auto& w : watches_) {
    if (!w->has_synced()) return false;
  }
  return true;
}

void CatalogSync::tick() {
  const auto now = std::chrono::steady_clock::now();
  bool publish = false;
  for (auto& w : watches_) {
    const auto failing = w->failing_for(now);
    const bool stale = stale_.contains(w->name());
    if (!stale && w->has_synced() && failing >= stale_after_) {
      stale_.insert(w->name());
      catalog_.remove_cluster(w->name());
      log::warn("cluster " + w->name() + ": API unreachable for " +
                std::to_string(std::chrono::duration_cast<std::chrono::seconds>(failing).count()) +
                " s; its services leave the answers until it is back");
      publish = true;
    } else if (stale && failing == std::chrono::steady_clock::duration{}) {
      stale_.erase(w->name());
      w->refeed();
      log::info("cluster " + w->name() + ": API back; its services return to the answers");
      publish = true;
    }
  }
  if (const bool now_ready = ready(); now_ready != was_ready_) {
    was_ready_ = now_ready;
    if (now_ready)
      log::info("catalog: every cluster synced (or the startup timeout passed); negative answers are final");
    publish = true;
  }
  if (publish) flush_now(true);
  tick_timer_.expires_after(std::chrono::seconds(1));
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

void CatalogSync::stop() {
  timer_.cancel();
  tick_timer_.cancel();
  for (auto& w : watches_)
    w->stop();
}

bool CatalogSync::stopped() const {
  for (const auto& w : watches_) {
    if (w->running()) return false;
  }
  return true;
}

// The first change of a burst arms the timer; the flush then covers everything that arrived meanwhile.
void CatalogSync::changed() {
  if (flush_pending_) return;
  flush_pending_ = true;
  timer_.expires_after(debounce_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    flush_pending_ = false;
    if (!ec) flush_now(false);
  });
}

void CatalogSync::flush_now(bool force_publish) {
  const auto changes = catalog_.flush();
  for (const auto& reason : changes.dropped)
    log::warn(reason);
  for (const auto& conflict : changes.conflicts)
    log::warn(conflict + " (MCS: the oldest export wins)");
  for (const auto& conflict : changes.resolved)
    log::info(conflict + ": resolved");
  if (export_status_) {
    for (const auto& status : changes.export_status) {
      for (auto& source : watches_) {
        if (source->name() == status.cluster && !stale_.contains(status.cluster))
          source->write_export_status(status);
      }
    }
  }
  // Readiness must be re-evaluated when the last cluster syncs, even if it exported nothing.
  if (const bool now_ready = ready(); now_ready != was_ready_) {
    was_ready_ = now_ready;
    force_publish = true;
  }
  if (force_publish || !changes.updated.empty() || !changes.removed.empty()) publish_(changes);
}

}  // namespace fedns::app
