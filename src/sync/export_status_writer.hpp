// Writes the MCS conditions (Valid, Ready, Conflict) to one member cluster's ServiceExports. The latest
// wanted status per export is kept (older ones are superseded, never written), and written one request at a
// time by server-side apply on the status subresource with force: the CRD keys status.conditions by type, so
// fedns owns its three condition types and leaves other controllers' conditions alone. A 403 turns writing
// off for the cluster (logged once: "where permitted"); a 404 means the export is gone; other failures are
// retried after a backoff.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/asio.hpp"
#include "sync/api_client.hpp"
#include "sync/catalog.hpp"
#include "sync/cluster_source.hpp"

namespace fedns::sync {

class ExportStatusWriter {
 public:
  // Counts writes and failures in `counters` (the owning source's).
  ExportStatusWriter(std::string cluster, ApiClient& client, ClusterSourceCounters& counters)
      : cluster_(std::move(cluster)), client_(client), counters_(counters) {}

  // Queues the wanted conditions; starts a writer coroutine on the client's io_context when none runs.
  // `on_done` is called when that coroutine ends (the owner counts it as running until then).
  void submit(ExportStatus status, const std::function<void()>& on_start, std::function<void()> on_done);
  void stop();
  [[nodiscard]] bool forbidden() const { return forbidden_; }

  // The server-side-apply body for `status` (exposed for tests). `now` is RFC 3339.
  static std::string apply_body(const ExportStatus& status, const std::string& now);

 private:
  boost::asio::awaitable<void> drain();

  std::string cluster_;
  ApiClient& client_;
  std::map<model::ServiceKey, ExportStatus> pending_;
  bool draining_ = false;
  bool stopped_ = false;
  std::unique_ptr<boost::asio::steady_timer> backoff_;
  ClusterSourceCounters& counters_;
  bool forbidden_ = false;
};

}  // namespace fedns::sync
