// One member cluster feeding the catalog: informers on its Services, EndpointSlices and MCS ServiceExports,
// whose events are converted to typed objects at the edge and applied to the catalog. Runs on the control
// io_context; `on_change` tells the owner that the catalog has something to flush.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/asio.hpp"
#include "common/result.hpp"
#include "sync/api_client.hpp"
#include "sync/catalog.hpp"
#include "sync/cluster_source.hpp"
#include "sync/export_status_writer.hpp"
#include "sync/reflector.hpp"

namespace fedns::sync {

class ClusterWatch final : public ClusterSource {
 public:
  static Result<std::unique_ptr<ClusterWatch>> create(boost::asio::io_context& io, std::string name,
                                                      ClusterCredentials credentials, Catalog& catalog,
                                                      std::function<void()> on_change,
                                                      ReflectorOptions options = {});
  ~ClusterWatch() override;

  void start() override;
  // Ends the informers; running() turns false once their coroutines have returned.
  void stop() override;
  [[nodiscard]] bool running() const override { return running_ > 0; }
  // True once all three informers completed their first LIST.
  [[nodiscard]] bool has_synced() const override;
  [[nodiscard]] const std::string& name() const override { return name_; }
  // How long the longest-failing informer has been failing (zero while all are healthy).
  [[nodiscard]] std::chrono::steady_clock::duration failing_for(
      std::chrono::steady_clock::time_point now) const override;
  [[nodiscard]] const ClusterSourceCounters& counters() const override { return counters_; }
  void write_export_status(const ExportStatus& status) override;
  boost::asio::awaitable<std::string> check_api(std::chrono::milliseconds timeout) override;
  [[nodiscard]] std::vector<std::pair<std::string, const Reflector*>> informers() const override {
    return {
        {"services", services_.get()}, {"endpointslices", slices_.get()}, {"serviceexports", exports_.get()}};
  }
  [[nodiscard]] const Reflector& services() const { return *services_; }
  [[nodiscard]] const Reflector& slices() const { return *slices_; }
  [[nodiscard]] const Reflector& exports() const { return *exports_; }

 private:
  ClusterWatch(boost::asio::io_context& io, std::string name, Catalog& catalog,
               std::function<void()> on_change);
  void skip(const std::string& reason);

  boost::asio::io_context& io_;
  std::string name_;
  Catalog& catalog_;
  std::function<void()> on_change_;
  std::unique_ptr<ApiClient> client_;
  std::unique_ptr<Reflector> services_;
  std::unique_ptr<Reflector> slices_;
  std::unique_ptr<Reflector> exports_;
  std::unique_ptr<ExportStatusWriter> status_writer_;
  int running_ = 0;
  bool stopped_ = false;
  ClusterSourceCounters counters_;
};

}  // namespace fedns::sync
