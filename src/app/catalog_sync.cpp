// Member clusters -> catalog -> debounced flush.
#include "app/catalog_sync.hpp"

#include <malloc.h>

#include "common/log.hpp"
#include "sync/cluster_watch.hpp"
#include "sync/kubeconfig.hpp"
#include "sync/manifest_source.hpp"

namespace fedns::app {

namespace {

std::string fingerprint(const ClusterConfig& c) {
  return c.kubeconfig + "|" + c.context + "|" + (c.in_cluster ? "in" : "") + "|" + c.manifests + "|" +
         std::to_string(c.manifests_poll.count());
}

}  // namespace

Result<sync::CatalogOptions> catalog_options(const CatalogConfig& config) {
  sync::CatalogOptions options;
  options.export_all_namespaces.insert(config.export_all_namespaces.begin(),
                                       config.export_all_namespaces.end());
  auto source = sync::parse_address_source(config.publish_address);
  if (!source) return source.error().wrap("catalog.publish_address");
  options.default_source = *source;
  return options;
}

CatalogSync::CatalogSync(boost::asio::io_context& io, sync::CatalogOptions options,
                         const CatalogConfig& config,
                         std::function<void(const sync::CatalogChanges&)> publish)
    : io_(io),
      catalog_(std::move(options)),
      debounce_(config.debounce),
      publish_(std::move(publish)),
      timer_(io),
      tick_timer_(io),
      startup_timeout_(config.startup_timeout),
      stale_after_(config.stale_after),
      export_status_(config.export_status) {}

void CatalogSync::apply_settings(const CatalogConfig& config) {
  debounce_ = config.debounce;
  startup_timeout_ = config.startup_timeout;
  stale_after_ = config.stale_after;
  export_status_ = config.export_status;
}

Result<std::unique_ptr<sync::ClusterSource>> CatalogSync::make_source(const ClusterConfig& cluster) {
  if (!cluster.manifests.empty()) {
    return std::unique_ptr<sync::ClusterSource>(std::make_unique<sync::ManifestSource>(
        io_, cluster.name, cluster.manifests, cluster.manifests_poll, catalog_, [this] { changed(); }));
  }
  auto credentials = cluster.in_cluster ? sync::load_in_cluster()
                                        : sync::load_kubeconfig(cluster.kubeconfig, cluster.context);
  if (!credentials) return Error{"cluster " + cluster.name + ": " + credentials.error().message};
  auto watch = sync::ClusterWatch::create(io_, cluster.name, std::move(credentials.value()), catalog_,
                                          [this] { changed(); });
  if (!watch) return watch.error();
  return std::unique_ptr<sync::ClusterSource>(std::move(watch.value()));
}

Result<std::unique_ptr<CatalogSync>> CatalogSync::create(
    boost::asio::io_context& io, const Config& config,
    std::function<void(const sync::CatalogChanges&)> publish) {
  auto options = catalog_options(config.catalog);
  if (!options) return options.error();
  auto out = std::unique_ptr<CatalogSync>(
      new CatalogSync(io, std::move(options.value()), config.catalog, std::move(publish)));
  std::vector<std::string> errors;
  for (const auto& cluster : config.clusters) {
    auto source = out->make_source(cluster);
    if (!source) {
      errors.push_back(source.error().message);
      continue;
    }
    out->members_[cluster.name] = {fingerprint(cluster), {}};
    out->watches_.push_back(std::move(source.value()));
  }
  if (!errors.empty()) return Error::from_lines(errors);
  return out;
}

void CatalogSync::start() {
  running_ = true;
  const auto now = std::chrono::steady_clock::now();
  for (auto& w : watches_) {
    members_[w->name()].started = now;
    w->start();
  }
  tick();
}

Result<void> CatalogSync::reconfigure(const Config& config) {
  auto options = catalog_options(config.catalog);
  if (!options) return options.error();
  // Everything that can fail first: the sources of new and changed clusters.
  std::vector<std::pair<const ClusterConfig*, std::unique_ptr<sync::ClusterSource>>> fresh;
  std::vector<std::string> errors;
  std::set<std::string> wanted;
  for (const auto& cluster : config.clusters) {
    wanted.insert(cluster.name);
    const auto member = members_.find(cluster.name);
    if (member != members_.end() && member->second.fingerprint == fingerprint(cluster)) continue;
    auto source = make_source(cluster);
    if (!source) {
      errors.push_back(source.error().message);
      continue;
    }
    fresh.emplace_back(&cluster, std::move(source.value()));
  }
  if (!errors.empty()) return Error::from_lines(errors);

  apply_settings(config.catalog);
  catalog_.set_options(std::move(options.value()));
  std::set<std::string> replaced;
  for (const auto& [cluster, source] : fresh)
    replaced.insert(cluster->name);
  for (auto it = watches_.begin(); it != watches_.end();) {
    const std::string name = (*it)->name();
    if (wanted.contains(name) && !replaced.contains(name)) {
      ++it;
      continue;
    }
    log::info("cluster " + name +
              (wanted.contains(name) ? ": its source changed; reading it again"
                                     : ": removed from the config; its services leave"));
    (*it)->stop();
    catalog_.remove_cluster(name);
    catalog_.set_excluded(name, false);
    stale_.erase(name);
    members_.erase(name);
    retired_.push_back(std::move(*it));
    it = watches_.erase(it);
  }
  const auto now = std::chrono::steady_clock::now();
  for (auto& [cluster, source] : fresh) {
    log::info("cluster " + cluster->name + ": added");
    members_[cluster->name] = {fingerprint(*cluster), now};
    if (running_) source->start();
    watches_.push_back(std::move(source));
  }
  changed();
  return {};
}

bool CatalogSync::ready_for_snapshot() {
  was_ready_ = ready();
  return was_ready_;
}

bool CatalogSync::ready() const {
  const auto now = std::chrono::steady_clock::now();
  for (const auto& w : watches_) {
    const auto member = members_.find(w->name());
    // A source not started yet has not timed out either: nothing has been read.
    const bool timed_out = member != members_.end() &&
                           member->second.started != std::chrono::steady_clock::time_point{} &&
                           now - member->second.started >= startup_timeout_;
    if (!w->has_synced() && !timed_out) return false;
  }
  return true;
}

sync::ClusterSource* CatalogSync::find(const std::string& name) const {
  for (const auto& source : watches_) {
    if (source->name() == name) return source.get();
  }
  return nullptr;
}

void CatalogSync::tick() {
  const auto now = std::chrono::steady_clock::now();
  bool publish = false;
  for (auto& w : watches_) {
    const auto failing = w->failing_for(now);
    const bool stale = stale_.contains(w->name());
    if (!stale && w->has_synced() && failing >= stale_after_) {
      stale_.insert(w->name());
      catalog_.set_excluded(w->name(), true);
      log::warn("cluster " + w->name() + ": API unreachable for " +
                std::to_string(std::chrono::duration_cast<std::chrono::seconds>(failing).count()) +
                " s; its services leave the answers until it is back");
      publish = true;
    } else if (stale && failing == std::chrono::steady_clock::duration{}) {
      stale_.erase(w->name());
      catalog_.set_excluded(w->name(), false);
      log::info("cluster " + w->name() + ": API back; its services return to the answers");
      publish = true;
    }
  }
  std::erase_if(retired_, [](const auto& source) { return !source->running(); });
  // After a burst (the first load, a relist, a mass change) and once it has settled, give the freed pages
  // back: measured at 10,000 services x 3 clusters, RSS 158 -> 124 MiB (bench/README.md).
  constexpr std::size_t kTrimAfter = 1000;
  const bool settled = rebuilt_since_trim_ == rebuilt_at_last_tick_ && !flush_pending_;  // quiet for a tick
  rebuilt_at_last_tick_ = rebuilt_since_trim_;
  if (rebuilt_since_trim_ >= kTrimAfter && settled) {
    rebuilt_since_trim_ = 0;
    rebuilt_at_last_tick_ = 0;
    const auto start = std::chrono::steady_clock::now();
    malloc_trim(0);
    log::debug("catalog: heap trimmed in " +
               std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - start)
                                  .count()) +
               " ms");
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
  running_ = false;
  timer_.cancel();
  tick_timer_.cancel();
  for (auto& w : watches_)
    w->stop();
}

bool CatalogSync::stopped() const {
  for (const auto* list : {&watches_, &retired_}) {
    for (const auto& w : *list) {
      if (w->running()) return false;
    }
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
  catalog_.hold_export_status(!ready());
  const auto changes = catalog_.flush();
  rebuilt_since_trim_ += changes.updated.size() + changes.removed.size();
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
