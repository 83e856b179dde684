// Real Kubernetes clusters for end-to-end tests: starts tests/cluster-fixture for a test suite and stops it.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace fedns::e2e {

class ClusterFixture {
 public:
  // Starts `count` clusters; on failure (no Go, build error) `available()` is false and `why()` says why.
  explicit ClusterFixture(int count, const std::vector<std::string>& apiserver_args = {});
  ~ClusterFixture();
  ClusterFixture(const ClusterFixture&) = delete;
  ClusterFixture& operator=(const ClusterFixture&) = delete;

  [[nodiscard]] bool available() const { return why_.empty(); }
  [[nodiscard]] const std::string& why() const { return why_; }
  // Paths of cluster i's kubeconfigs: "kubeconfig", "kubeconfig_token", "kubeconfig_reader".
  [[nodiscard]] std::string kubeconfig(int cluster, const char* which = "kubeconfig") const;
  // "…/kubectl --kubeconfig <cluster's admin kubeconfig>", ready to append arguments to.
  [[nodiscard]] std::string kubectl(int cluster) const;
  [[nodiscard]] std::string server(int cluster) const { return state_["clusters"][cluster]["server"]; }
  [[nodiscard]] const std::string& bin() const { return bin_; }
  // Compacts etcd's history up to its current revision (through etcd's JSON gateway), as the apiserver's
  // periodic compaction would: watches from older versions then fail with 410 Expired. Returns the compacted
  // revision.
  [[nodiscard]] long compact_etcd() const;
  // Stops / starts cluster i's apiserver (etcd keeps its data; the port stays). start waits for /readyz.
  [[nodiscard]] bool stop_apiserver(int cluster) const;
  [[nodiscard]] bool start_apiserver(int cluster) const;
  // The fixture's directory (pki/ca.crt, pki/serving.crt and .key, per-cluster logs).
  [[nodiscard]] std::string dir() const { return state_["dir"]; }

 private:
  std::string tool_;
  std::unique_ptr<TempDir> dir_;
  nlohmann::json state_;
  std::string bin_;
  std::string why_;
};

}  // namespace fedns::e2e
