// A host cluster and three member clusters for the propagation engine's end-to-end tests
// (tests/cluster-fixture, four real kube-apiservers): the CRDs installed, each member joined as a
// MemberCluster with its kubeconfig in a Secret, the suite's federated types registered, and a fedns replica
// with a `propagation:` section running against the host. Helpers drive kubectl as a user would.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "support/cluster_fixture.hpp"
#include "support/fedns_server.hpp"

namespace fedns::e2e {

constexpr int kHost = 0;
inline const char* const kMembers[] = {"", "east", "west", "north"};  // fixture cluster i -> member name
// The kinds both suites federate (ConfigMaps, Services with their status collected, ServiceExports) and the
// host's namespace shop, for set_up_federation.
inline constexpr const char* kSharedTypes = R"(apiVersion: federation.fedns.io/v1alpha1
kind: FederatedTypeConfig
metadata: {name: configmaps}
spec: {target: {version: v1, kind: ConfigMap, resource: configmaps, scope: Namespaced}}
---
apiVersion: federation.fedns.io/v1alpha1
kind: FederatedTypeConfig
metadata: {name: services}
spec: {target: {version: v1, kind: Service, resource: services, scope: Namespaced}, statusCollection: Enabled}
---
apiVersion: federation.fedns.io/v1alpha1
kind: FederatedTypeConfig
metadata: {name: serviceexports}
spec:
  target: {group: multicluster.x-k8s.io, version: v1alpha1, kind: ServiceExport, resource: serviceexports,
           scope: Namespaced}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
)";

// A Service `name` in namespace shop (one HTTP port) and its ServiceExport, as YAML for apply().
inline std::string exported_service(const std::string& name) {
  return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name +
         ", namespace: shop}\nspec: {ports: [{name: http, port: 80}]}\n---\n"
         "apiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceExport\nmetadata: {name: " +
         name + ", namespace: shop}\n";
}

class FederationFixture : public ::testing::Test {
 protected:
  // For SetUpTestSuite: `types` (FederatedTypeConfigs and whatever else the suite needs) is applied to the
  // host once the members have joined; then the first replica starts.
  // `replica_config`: YAML added to each replica's config (top-level sections).
  static void set_up_federation(const std::string& types, const std::string& replica_config = "") {
    replica_config_ = replica_config;
    fixture_ = new ClusterFixture(4);
    if (!fixture_->available()) return;
    setup_error_ = join_members();
    if (setup_error_.empty()) {
      const auto applied = apply(kHost, types);
      if (applied.exit_code != 0) setup_error_ = "types: " + applied.output;
    }
    if (setup_error_.empty()) leader_ = start_replica("replica-a");
  }
  static void tear_down_federation() {
    delete second_;
    delete leader_;
    delete fixture_;
    second_ = leader_ = nullptr;
    fixture_ = nullptr;
  }
  void SetUp() override {
    if (!fixture_->available()) GTEST_SKIP() << "SKIPPED LOUDLY: " << fixture_->why();
    ASSERT_EQ(setup_error_, "");
  }

  static CommandResult kubectl(int cluster, const std::string& args) {
    return run_command(fixture_->kubectl(cluster) + " " + args, 60);
  }
  static CommandResult apply(int cluster, const std::string& yaml) {
    const TempDir dir;
    return kubectl(cluster, "apply -f " + dir.write("o.yaml", yaml));
  }

  // CRDs, the fedns namespace, one Secret and MemberCluster per member.
  static std::string join_members() {
    if (kubectl(kHost, "apply -f " FEDNS_SOURCE_DIR "/deploy/crds/").exit_code != 0) return "CRDs refused";
    const auto established = kubectl(
        kHost,
        "wait --for=condition=established --timeout=60s crd/federatedobjects.federation.fedns.io"
        " crd/clusterfederatedobjects.federation.fedns.io crd/federatedtypeconfigs.federation.fedns.io"
        " crd/memberclusters.federation.fedns.io crd/replicaschedulingpreferences.federation.fedns.io");
    if (established.exit_code != 0) return "CRDs not established: " + established.output;
    if (kubectl(kHost, "create namespace fedns-system").exit_code != 0) return "namespace";
    const char* labels[] = {"", "{region: eu, tier: gold}", "{region: us, tier: gold}", "{region: eu}"};
    for (int i = 1; i <= 3; ++i) {
      // The member's credentials with the certificates inline, as a user would put them in a Secret.
      const auto flat = run_command(fixture_->kubectl(i) + " config view --raw --flatten --minify", 30);
      if (flat.exit_code != 0) return "kubectl config view: " + flat.output;
      const TempDir dir;
      const auto secret =
          kubectl(kHost, std::string("-n fedns-system create secret generic ") + kMembers[i] +
                             " --from-file=kubeconfig=" + dir.write("kubeconfig", flat.output));
      if (secret.exit_code != 0) return "secret: " + secret.output;
      const auto member =
          apply(kHost, std::string("apiVersion: federation.fedns.io/v1alpha1\nkind: "
                                   "MemberCluster\nmetadata: {name: ") +
                           kMembers[i] + ", labels: " + labels[i] + "}\nspec: {apiEndpoint: '" +
                           fixture_->server(i) + "', secretRef: {name: " + kMembers[i] + "}}\n");
      if (member.exit_code != 0) return "MemberCluster: " + member.output;
    }
    return {};
  }

  static FednsServer* start_replica(const std::string& identity) {
    // The members are also the catalog's clusters (same names): placement limits the DNS answers.
    std::string catalog =
        "  - origin: clusterset.local.\n"
        "    ttl: 5\n"
        "    soa: {serial: 1, minimum: 5}\n"
        "    ns: [{name: ns1.clusterset.local., addresses: [127.0.0.1]}]\n"
        "clusters:\n";
    for (int i = 1; i <= 3; ++i)
      catalog +=
          std::string("  - {name: ") + kMembers[i] + ", kubeconfig: " + fixture_->kubeconfig(i) + "}\n";
    catalog += "catalog: {ttl: 5, debounce: 5ms}\n";
    return new FednsServer(standard_zones_yaml() + catalog +
                           "propagation:\n"
                           "  kubeconfig: " +
                           fixture_->kubeconfig(kHost) +
                           "\n"
                           "  identity: " +
                           identity +
                           "\n"
                           "  lease: {duration: 3s, renew_deadline: 2s, retry_period: 500ms}\n"
                           "  probe: {interval: 300ms, timeout: 1s, fall: 2}\n"
                           "  request_timeout: 3s\n" +
                           replica_config_);
  }

  // Polls `check` until it holds or `timeout` passes; the last failure's text is returned ("" on success).
  static std::string eventually(const std::function<std::string()>& check,
                                std::chrono::seconds timeout = std::chrono::seconds(30)) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    std::string why;
    while (true) {
      why = check();
      if (why.empty() || std::chrono::steady_clock::now() > until) return why;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  // The object as JSON, or null when it does not exist.
  static nlohmann::json get(int cluster, const std::string& what) {
    const auto r = kubectl(cluster, "get " + what + " -o json");
    if (r.exit_code != 0) return nullptr;
    return nlohmann::json::parse(r.output, nullptr, false);
  }

  inline static ClusterFixture* fixture_ = nullptr;
  inline static std::string setup_error_;
  inline static FednsServer* leader_ = nullptr;
  inline static FednsServer* second_ = nullptr;
  inline static std::string replica_config_;
};

}  // namespace fedns::e2e
