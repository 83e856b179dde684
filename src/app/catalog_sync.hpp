// The catalog side of the server: a ClusterSource per configured member cluster (its API, or a manifests
// directory) feeding one Catalog, and the
// debounce that turns a burst of changes into one flush and one new snapshot.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "common/asio.hpp"
#include "common/result.hpp"
#include "sync/catalog.hpp"
#include "sync/cluster_source.hpp"

namespace fedns::app {

class CatalogSync {
 public:
  // `publish` is called (on the io_context) after a flush that changed the catalog.
  static Result<std::unique_ptr<CatalogSync>> create(
      boost::asio::io_context& io, const Config& config,
      std::function<void(const sync::CatalogChanges&)> publish);

  void start();
  // Stops the informers; returns at once. stopped() turns true once their coroutines have returned.
  void stop();
  [[nodiscard]] bool stopped() const;
  // Every cluster synced, or the startup timeout passed: negative answers can be trusted.
  [[nodiscard]] bool ready() const;
  [[nodiscard]] const sync::Catalog& catalog() const { return catalog_; }
  [[nodiscard]] const std::vector<std::unique_ptr<sync::ClusterSource>>& clusters() const { return watches_; }
  // Dropped from the answers after failing for stale_after.
  [[nodiscard]] bool is_stale(const std::string& cluster) const { return stale_.contains(cluster); }

 private:
  CatalogSync(boost::asio::io_context& io, sync::CatalogOptions options, const CatalogConfig& config,
              std::function<void(const sync::CatalogChanges&)> publish);
  void changed();
  void tick();  // once a second: readiness and staleness
  void flush_now(bool force_publish);

  boost::asio::io_context& io_;
  sync::Catalog catalog_;
  std::chrono::milliseconds debounce_;
  std::function<void(const sync::CatalogChanges&)> publish_;
  boost::asio::steady_timer timer_;
  bool flush_pending_ = false;
  boost::asio::steady_timer tick_timer_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::milliseconds startup_timeout_;
  std::chrono::milliseconds stale_after_;
  bool export_status_;
  bool was_ready_ = false;
  std::set<std::string> stale_;
  std::vector<std::unique_ptr<sync::ClusterSource>> watches_;
};

}  // namespace fedns::app
