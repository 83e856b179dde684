// The catalog side of the server: a ClusterSource per configured member cluster (its API, or a manifests
// directory) feeding one Catalog, and the debounce that turns a burst of changes into one flush and one new
// snapshot. A reload reconfigures it in place: clusters that stay keep running, new ones start, removed ones
// stop and their services leave the catalog.
#pragma once

#include <chrono>
#include <functional>
#include <map>
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
  // Applies a reloaded config: every new or changed cluster's source is created first; if one cannot be
  // (an unreadable kubeconfig), nothing changes and the error says why.
  Result<void> reconfigure(const Config& config);
  // Stops the informers; returns at once. stopped() turns true once their coroutines have returned.
  void stop();
  [[nodiscard]] bool stopped() const;
  // Every cluster synced, or its startup timeout passed: negative answers can be trusted.
  [[nodiscard]] bool ready() const;
  // ready(), remembered as what the snapshot being built says; a change of ready() later publishes again.
  bool ready_for_snapshot();
  [[nodiscard]] const sync::Catalog& catalog() const { return catalog_; }
  // A federated service's placement (the propagation engine): answered only from these clusters.
  void set_placement(const model::ServiceKey& key, std::optional<std::set<std::string>> clusters) {
    catalog_.set_placement(key, std::move(clusters));
    changed();
  }
  [[nodiscard]] const std::vector<std::unique_ptr<sync::ClusterSource>>& clusters() const { return watches_; }
  // The running source of a cluster, or null.
  [[nodiscard]] sync::ClusterSource* find(const std::string& name) const;
  // Dropped from the answers after failing for stale_after.
  [[nodiscard]] bool is_stale(const std::string& cluster) const { return stale_.contains(cluster); }

 private:
  struct Member {
    std::string fingerprint;  // what the running source was made from; a change means a new source
    std::chrono::steady_clock::time_point started;
  };
  CatalogSync(boost::asio::io_context& io, sync::CatalogOptions options, const CatalogConfig& config,
              std::function<void(const sync::CatalogChanges&)> publish);
  Result<std::unique_ptr<sync::ClusterSource>> make_source(const ClusterConfig& cluster);
  void apply_settings(const CatalogConfig& config);
  void changed();
  void tick();  // once a second: readiness, staleness, retired sources
  void flush_now(bool force_publish);

  boost::asio::io_context& io_;
  sync::Catalog catalog_;
  std::chrono::milliseconds debounce_;
  std::function<void(const sync::CatalogChanges&)> publish_;
  boost::asio::steady_timer timer_;
  bool flush_pending_ = false;
  boost::asio::steady_timer tick_timer_;
  bool running_ = false;
  std::chrono::milliseconds startup_timeout_;
  std::chrono::milliseconds stale_after_;
  bool export_status_ = true;
  bool was_ready_ = false;
  std::set<std::string> stale_;
  std::vector<std::unique_ptr<sync::ClusterSource>> watches_;
  std::map<std::string, Member> members_;                      // by cluster name
  std::vector<std::unique_ptr<sync::ClusterSource>> retired_;  // stopped, kept until their work has ended
  // Services rebuilt since the heap was last trimmed: a load or a relist frees tens of megabytes of
  // temporaries among the long-lived catalog, and glibc keeps those pages unless asked.
  std::size_t rebuilt_since_trim_ = 0;
  std::size_t rebuilt_at_last_tick_ = 0;
};

// The options the catalog is built with, from the config (errors name the config key).
Result<sync::CatalogOptions> catalog_options(const CatalogConfig& config);

}  // namespace fedns::app
