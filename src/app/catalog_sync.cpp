// Member clusters -> catalog -> debounced flush.
#include "app/catalog_sync.hpp"

#include "common/log.hpp"
#include "sync/kubeconfig.hpp"

namespace fedns::app {

CatalogSync::CatalogSync(boost::asio::io_context& io, sync::CatalogOptions options,
                         std::chrono::milliseconds debounce,
                         std::function<void(const sync::CatalogChanges&)> publish)
    : io_(io), catalog_(std::move(options)), debounce_(debounce), publish_(std::move(publish)), timer_(io) {}

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
      new CatalogSync(io, std::move(options), config.catalog.debounce, std::move(publish)));
  std::vector<std::string> errors;
  for (const auto& cluster : config.clusters) {
    auto credentials = cluster.in_cluster ? sync::load_in_cluster()
                                          : sync::load_kubeconfig(cluster.kubeconfig, cluster.context);
    if (!credentials) {
      errors.push_back("cluster " + cluster.name + ": " + credentials.error().message);
      continue;
    }
    CatalogSync* self = out.get();
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
  for (auto& w : watches_)
    w->start();
}

void CatalogSync::stop() {
  timer_.cancel();
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
    if (ec) return;
    const auto changes = catalog_.flush();
    for (const auto& reason : changes.dropped)
      log::warn(reason);
    if (!changes.updated.empty() || !changes.removed.empty()) publish_(changes);
  });
}

}  // namespace fedns::app
