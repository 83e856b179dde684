// A member cluster without API access: Kubernetes manifests (Service, EndpointSlice, ServiceExport; YAML or
// JSON, several documents per file, `kind: List` expanded) read from a directory and read again when files
// change. Polling (not inotify) because it also sees ConfigMap volume swaps and network filesystems; only
// files whose size or modification time changed are parsed again. A file that fails to parse keeps its last
// good objects (the error is logged and counted); objects of other kinds are ignored, so an application's
// whole manifest directory can be pointed at.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "common/asio.hpp"
#include "common/result.hpp"
#include "sync/catalog.hpp"
#include "sync/cluster_source.hpp"
#include "sync/kube_object.hpp"

namespace fedns::sync {

// The kinds a manifest directory contributes, and how an object is known across files.
struct ManifestObjectId {
  std::string kind;  // "Service", "EndpointSlice", "ServiceExport"
  std::string namespace_;
  std::string name;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=> (its literal-0 comparison)
  auto operator<=>(const ManifestObjectId&) const = default;
};

// The manifest files below `directory` (*.yaml, *.yml, *.json; hidden entries skipped), sorted.
std::vector<std::filesystem::path> manifest_files(const std::filesystem::path& directory,
                                                  std::error_code& ec);

// Every problem a manifest directory has (for check-config): files that do not parse, objects that cannot be
// used. Empty when all is well.
std::vector<std::string> check_manifests(const std::filesystem::path& directory);

class ManifestSource final : public ClusterSource {
 public:
  ManifestSource(boost::asio::io_context& io, std::string name, std::filesystem::path directory,
                 std::chrono::milliseconds poll, Catalog& catalog, std::function<void()> on_change);

  void start() override;
  void stop() override;
  [[nodiscard]] bool running() const override { return armed_; }
  [[nodiscard]] bool has_synced() const override { return synced_; }
  [[nodiscard]] const std::string& name() const override { return name_; }
  [[nodiscard]] std::chrono::steady_clock::duration failing_for(
      std::chrono::steady_clock::time_point) const override {
    return {};  // files do not go away like an API server; a broken file keeps its last good objects
  }
  [[nodiscard]] const ClusterSourceCounters& counters() const override { return counters_; }

  // Reads the directory now (also what the poll timer does). Public for tests. True when the objects were
  // compared with what the catalog holds: the first read, or a file added, changed or removed since the last.
  bool scan();

 private:
  struct FileState {
    std::filesystem::file_time_type mtime;
    std::uintmax_t size = 0;
    std::vector<KubeObject> objects;  // the last good parse
  };
  void apply(const ManifestObjectId& id, const KubeObject* object);
  void arm();

  boost::asio::io_context& io_;
  std::string name_;
  std::filesystem::path directory_;
  std::chrono::milliseconds poll_;
  Catalog& catalog_;
  std::function<void()> on_change_;
  boost::asio::steady_timer timer_;
  bool armed_ = false;
  bool stopped_ = false;
  bool synced_ = false;
  std::map<std::string, FileState> files_;          // by path
  std::map<ManifestObjectId, KubeObject> applied_;  // what the catalog holds from this directory
  ClusterSourceCounters counters_;
};

}  // namespace fedns::sync
