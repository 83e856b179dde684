// tests/cluster-fixture driven from C++ tests.
#include "support/cluster_fixture.hpp"

namespace fedns::e2e {

ClusterFixture::ClusterFixture(int count, const std::vector<std::string>& apiserver_args)
    : tool_(FEDNS_SOURCE_DIR "/tests/cluster-fixture"), dir_(std::make_unique<TempDir>()) {
  std::string extra;
  for (const auto& arg : apiserver_args)
    extra += " --apiserver-arg=" + arg;
  const auto up = run_command(
      tool_ + " up " + std::to_string(count) + " --json --dir " + dir_->path() + "/clusters" + extra, 900);
  if (up.exit_code != 0) {
    why_ = "real-cluster fixture unavailable (tests/cluster-fixture up failed):\n" + up.output;
    return;
  }
  state_ = nlohmann::json::parse(up.output.substr(up.output.find("{\n")));
  bin_ = run_command(tool_ + " bin").output;
  bin_ = bin_.substr(0, bin_.find('\n'));
}

ClusterFixture::~ClusterFixture() {
  run_command(tool_ + " down --dir " + dir_->path() + "/clusters");
}

std::string ClusterFixture::kubeconfig(int cluster, const char* which) const {
  return state_["clusters"][cluster][which].get<std::string>();
}

std::string ClusterFixture::kubectl(int cluster) const {
  return bin_ + "/kubectl --kubeconfig " + kubeconfig(cluster);
}

long ClusterFixture::compact_etcd() const {
  const std::string etcd = state_["etcd"].get<std::string>();
  const auto range = run_command("curl -s -X POST " + etcd + "/v3/kv/range -d '{\"key\":\"AA==\"}'");
  const long revision =
      std::stol(nlohmann::json::parse(range.output)["header"]["revision"].get<std::string>());
  const auto compact = run_command("curl -s -X POST " + etcd + "/v3/kv/compaction -d '{\"revision\":\"" +
                                   std::to_string(revision) + "\",\"physical\":true}'");
  return compact.exit_code == 0 ? revision : -1;
}

bool ClusterFixture::stop_apiserver(int cluster) const {
  const std::string name = state_["clusters"][cluster]["name"];
  return run_command(tool_ + " stop " + name + " --dir " + dir_->path() + "/clusters").exit_code == 0;
}

bool ClusterFixture::start_apiserver(int cluster) const {
  const std::string name = state_["clusters"][cluster]["name"];
  return run_command(tool_ + " start " + name + " --dir " + dir_->path() + "/clusters", 180).exit_code == 0;
}

}  // namespace fedns::e2e
