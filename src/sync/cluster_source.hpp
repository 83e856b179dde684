// Where a member cluster's Services, EndpointSlices and ServiceExports come from: the Kubernetes API
// (ClusterWatch) or a directory of manifests (ManifestSource). Both feed the catalog on the control
// io_context and tell their owner when it has something to flush.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/asio.hpp"

namespace fedns::sync {

class Reflector;

struct ClusterSourceCounters {
  std::uint64_t skipped = 0;                // objects that could not be converted (logged with the reason)
  std::uint64_t load_errors = 0;            // manifest files unreadable (their last good objects stay)
  std::uint64_t export_status_written = 0;  // ServiceExport conditions written back
  std::uint64_t export_status_failed = 0;   // attempts that failed (retried unless forbidden)
};

struct ExportStatus;

class ClusterSource {
 public:
  ClusterSource() = default;
  ClusterSource(const ClusterSource&) = delete;
  ClusterSource& operator=(const ClusterSource&) = delete;
  virtual ~ClusterSource() = default;

  virtual void start() = 0;
  // Returns at once; running() turns false once nothing of the source is pending on the io_context.
  virtual void stop() = 0;
  [[nodiscard]] virtual bool running() const = 0;
  // True once the source delivered its complete first view (negative answers can be trusted).
  [[nodiscard]] virtual bool has_synced() const = 0;
  [[nodiscard]] virtual const std::string& name() const = 0;
  // How long the source has been failing (zero while healthy); past catalog.stale_after it drops out.
  [[nodiscard]] virtual std::chrono::steady_clock::duration failing_for(
      std::chrono::steady_clock::time_point now) const = 0;
  [[nodiscard]] virtual const ClusterSourceCounters& counters() const = 0;
  // Writes MCS ServiceExport conditions back where the source can (an API that permits it); others ignore it.
  virtual void write_export_status(const ExportStatus& /*status*/) {}
  // Asks the cluster's API whether it is ready (GET /readyz, the cluster health check): empty when it is,
  // else why not. A source without an API has nothing to ask.
  virtual boost::asio::awaitable<std::string> check_api(std::chrono::milliseconds /*timeout*/) {
    co_return "no API";
  }
  // The informers behind it by resource ("services", ...), for metrics; none for a manifests directory.
  [[nodiscard]] virtual std::vector<std::pair<std::string, const Reflector*>> informers() const { return {}; }
};

}  // namespace fedns::sync
