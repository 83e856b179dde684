// End to end, the deployment manifests (deploy/): accepted by a real kube-apiserver (server-side dry run,
// then applied), the shipped config valid (`fedns check-config`), the RBAC least privilege checked with
// `kubectl auth can-i`, and sufficient: the real fedns binary runs with exactly the ServiceAccount's token
// (catalog, Lease, propagation through a member identity from deploy/member, replica scheduling) without one
// refused request. The apiserver runs with RBAC authorization (tests/cluster-fixture).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/federation_fixture.hpp"

namespace fedns::e2e {
namespace {

using namespace std::chrono_literals;

class Deploy : public FederationFixture {
 protected:
  static void SetUpTestSuite() { fixture_ = new ClusterFixture(1); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete files_;
    files_ = nullptr;
    tear_down_federation();
  }

  // A kubeconfig for a ServiceAccount's token (as the pod would hold it).
  static std::string token_kubeconfig(const TempDir& dir, const std::string& file, const std::string& sa) {
    const auto token = kubectl(kHost, "-n fedns-system create token " + sa + " --duration 1h");
    if (token.exit_code != 0) return {};
    std::string value = token.output;
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r'))
      value.pop_back();
    return dir.write(file,
                     "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: " +
                         fixture_->server(kHost) + "\n    certificate-authority: " + fixture_->dir() +
                         "/pki/ca.crt\nusers:\n- name: u\n  user:\n    token: " + value +
                         "\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\n");
  }
  // `kubectl auth can-i` as fedns's ServiceAccount: "yes" or "no".
  static std::string can_i(const std::string& args) {
    const auto r = kubectl(kHost, "auth can-i --as=system:serviceaccount:fedns-system:fedns " + args);
    // The answer is the last line (kubectl may warn first, e.g. of a cluster-scoped resource).
    std::string out = r.output;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
      out.pop_back();
    const std::string answer = out.substr(out.find_last_of('\n') + 1);
    return answer == "yes" || answer == "no" ? answer : "unclear: " + r.output;
  }

  inline static FednsServer* server_ = nullptr;
  inline static TempDir* files_ = nullptr;
};

// Runs first: the manifests every later test relies on.
TEST_F(Deploy, TheManifestsAreAcceptedAndTheShippedConfigIsValid) {
  ASSERT_EQ(kubectl(kHost, "apply -f " FEDNS_SOURCE_DIR "/deploy/crds/").exit_code, 0);
  const auto dry =
      kubectl(kHost, "apply --dry-run=server -f " FEDNS_SOURCE_DIR "/deploy/kubernetes/00-namespace.yaml");
  ASSERT_EQ(dry.exit_code, 0) << dry.output;
  ASSERT_EQ(kubectl(kHost, "apply -f " FEDNS_SOURCE_DIR "/deploy/kubernetes/00-namespace.yaml").exit_code, 0);
  // Everything else, validated by the apiserver (schemas, RBAC objects, the Deployment's pod spec) first.
  const auto validated = kubectl(kHost, "apply --dry-run=server -f " FEDNS_SOURCE_DIR "/deploy/kubernetes/");
  ASSERT_EQ(validated.exit_code, 0) << validated.output;
  const auto applied = kubectl(kHost, "apply -f " FEDNS_SOURCE_DIR "/deploy/kubernetes/");
  ASSERT_EQ(applied.exit_code, 0) << applied.output;
  EXPECT_NE(applied.output.find("deployment.apps/fedns created"), std::string::npos) << applied.output;
  EXPECT_NE(applied.output.find("poddisruptionbudget.policy/fedns created"), std::string::npos)
      << applied.output;
  const auto member = kubectl(kHost, "apply -f " FEDNS_SOURCE_DIR "/deploy/member/fedns-member.yaml");
  ASSERT_EQ(member.exit_code, 0) << member.output;

  // The config in the ConfigMap is one fedns accepts.
  const auto configmap = get(kHost, "-n fedns-system configmap fedns");
  ASSERT_TRUE(configmap.is_object());
  const std::string config = configmap["data"].value("config.yaml", "");
  const TempDir dir;
  const auto checked =
      run_command(std::string(FEDNS_BINARY) + " check-config " + dir.write("config.yaml", config), 30);
  EXPECT_EQ(checked.exit_code, 0) << checked.output;
  EXPECT_NE(checked.output.find("ok"), std::string::npos) << checked.output;
}

// helm's output without its notes on stderr (run_command merges the two): it says it follows the crds/ link.
std::string without_helm_notes(const std::string& output) {
  std::istringstream lines(output);
  std::string out;
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("walk.go:", 0) != 0) out += line + "\n";
  return out;
}

// The plain manifests are the chart rendered with its defaults; other values render objects the apiserver
// accepts too.
TEST_F(Deploy, TheHelmChartLintsAndRendersThePlainManifests) {
  const auto built = run_command(FEDNS_SOURCE_DIR "/tests/tool-fixture helm path 2>/dev/null", 1200);
  ASSERT_EQ(built.exit_code, 0) << "helm could not be built from its Go module";
  const std::string helm = built.output.substr(0, built.output.find('\n'));
  const std::string chart = FEDNS_SOURCE_DIR "/deploy/helm/fedns";
  const auto lint = run_command(helm + " lint " + chart, 60);
  EXPECT_EQ(lint.exit_code, 0) << lint.output;
  EXPECT_TRUE(has(lint.output, "0 chart(s) failed")) << lint.output;

  const auto rendered = run_command(helm + " template fedns " + chart + " --namespace fedns-system", 60);
  ASSERT_EQ(rendered.exit_code, 0) << rendered.output;
  std::ifstream file(FEDNS_SOURCE_DIR "/deploy/kubernetes/fedns.yaml");
  std::stringstream committed;
  committed << file.rdbuf();
  const std::string text = committed.str();
  EXPECT_EQ(text.substr(text.find('\n') + 1), without_helm_notes(rendered.output))
      << "deploy/kubernetes/fedns.yaml is not the chart's rendering: run deploy/render-manifests";

  const TempDir dir;
  const auto variant = run_command(helm + " template other " + chart +
                                       " --namespace fedns-system --set antiAffinity=preferred"
                                       " --set propagation.enabled=false --set replicaCount=3",
                                   60);
  ASSERT_EQ(variant.exit_code, 0) << variant.output;
  EXPECT_FALSE(has(variant.output, "other-propagation")) << "propagation off: no propagation RBAC";
  EXPECT_TRUE(has(variant.output, "preferredDuringSchedulingIgnoredDuringExecution")) << variant.output;
  const auto accepted = kubectl(
      kHost, "apply --dry-run=server -f " + dir.write("variant.yaml", without_helm_notes(variant.output)));
  EXPECT_EQ(accepted.exit_code, 0) << accepted.output;
  const auto crds = run_command(helm + " template fedns " + chart + " --include-crds", 60);
  std::size_t count = 0;
  for (std::size_t at = crds.output.find("kind: CustomResourceDefinition"); at != std::string::npos;
       at = crds.output.find("kind: CustomResourceDefinition", at + 1))
    ++count;
  EXPECT_EQ(count, 5U) << "the chart ships deploy/crds (a symlink)";
}

TEST_F(Deploy, TheServiceAccountMayDoWhatFednsDoesAndNothingMore) {
  const struct {
    const char* args;
    const char* answer;
  } cases[] = {
      // The catalog.
      {"list services --all-namespaces", "yes"},
      {"watch endpointslices.discovery.k8s.io --all-namespaces", "yes"},
      {"list serviceexports.multicluster.x-k8s.io --all-namespaces", "yes"},
      {"patch serviceexports.multicluster.x-k8s.io --subresource=status -n shop", "yes"},
      {"delete services -n shop", "no"},
      {"patch services -n shop", "no"},
      {"patch serviceexports.multicluster.x-k8s.io -n shop", "no"},
      {"list pods --all-namespaces", "no"},
      // Propagation and scheduling.
      {"watch federatedobjects.federation.fedns.io --all-namespaces", "yes"},
      {"patch federatedobjects.federation.fedns.io -n shop", "yes"},
      {"patch federatedobjects.federation.fedns.io --subresource=status -n shop", "yes"},
      {"patch memberclusters.federation.fedns.io --subresource=status", "yes"},
      {"patch replicaschedulingpreferences.federation.fedns.io --subresource=status -n shop", "yes"},
      {"create federatedobjects.federation.fedns.io -n shop", "no"},
      {"delete federatedobjects.federation.fedns.io -n shop", "no"},
      {"patch memberclusters.federation.fedns.io", "no"},
      {"patch replicaschedulingpreferences.federation.fedns.io -n shop", "no"},
      // Its own namespace only: the Lease and the member Secrets (read).
      {"create leases.coordination.k8s.io -n fedns-system", "yes"},
      {"update leases.coordination.k8s.io -n fedns-system", "yes"},
      {"get secrets -n fedns-system", "yes"},
      {"list secrets -n fedns-system", "no"},
      {"get secrets -n default", "no"},
      {"create leases.coordination.k8s.io -n default", "no"},
      {"create deployments.apps -n shop", "no"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(can_i(c.args), c.answer) << c.args;
}

TEST_F(Deploy, FednsRunsWithExactlyTheseRightsWithoutARefusal) {
  files_ = new TempDir();
  const std::string host = token_kubeconfig(*files_, "fedns.kubeconfig", "fedns");
  const std::string member = token_kubeconfig(*files_, "member.kubeconfig", "fedns-member");
  ASSERT_FALSE(host.empty());
  ASSERT_FALSE(member.empty());
  // The cluster is the catalog's cluster, the propagation host and (with the member identity) a member.
  server_ = new FednsServer(standard_zones_yaml() +
                            "  - origin: clusterset.local.\n    ttl: 5\n    soa: {serial: 1, minimum: 5}\n"
                            "    ns: [{name: ns1.clusterset.local., addresses: [127.0.0.1]}]\n"
                            "clusters:\n  - {name: local, kubeconfig: " +
                            host +
                            "}\ncatalog: {ttl: 5, debounce: 5ms}\n"
                            "propagation:\n  kubeconfig: " +
                            host +
                            "\n  namespace: fedns-system\n  identity: replica-a\n"
                            "  lease: {duration: 3s, renew_deadline: 2s, retry_period: 500ms}\n"
                            "  probe: {interval: 300ms, timeout: 1s, fall: 2}\n");
  ASSERT_EQ(kubectl(kHost, "-n fedns-system create secret generic local --from-file=kubeconfig=" + member)
                .exit_code,
            0);
  ASSERT_EQ(apply(kHost,
                  "apiVersion: federation.fedns.io/v1alpha1\nkind: MemberCluster\nmetadata: {name: local}\n"
                  "spec: {apiEndpoint: '" +
                      fixture_->server(kHost) + "', secretRef: {name: local}}\n")
                .exit_code,
            0);
  ASSERT_EQ(apply(kHost, kSharedTypes).exit_code, 0);
  ASSERT_EQ(apply(kHost, exported_service("api")).exit_code, 0);
  ASSERT_EQ(apply(kHost, R"(apiVersion: federation.fedns.io/v1alpha1
kind: FederatedTypeConfig
metadata: {name: deployments}
spec: {target: {group: apps, version: v1, kind: Deployment, resource: deployments, scope: Namespaced}}
---
apiVersion: federation.fedns.io/v1alpha1
kind: FederatedObject
metadata: {name: settings, namespace: shop}
spec:
  template: {apiVersion: v1, kind: ConfigMap, metadata: {name: settings-copy}, data: {k: v}}
  placement: {clusters: [{name: local}]}
---
apiVersion: federation.fedns.io/v1alpha1
kind: FederatedObject
metadata: {name: web, namespace: shop}
spec:
  template:
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web-copy}
    spec:
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec: {containers: [{name: app, image: registry.example/app:1}]}
  placement: {clusters: [{name: local}]}
---
apiVersion: federation.fedns.io/v1alpha1
kind: ReplicaSchedulingPreference
metadata: {name: web, namespace: shop}
spec: {totalReplicas: 3, clusters: {"*": {weight: 1}}}
)")
                .exit_code,
            0);
  const std::string cluster_ip =
      kubectl(kHost, "-n shop get service api -o jsonpath={.spec.clusterIP}").output;
  // The catalog read Services, EndpointSlices and ServiceExports.
  EXPECT_EQ(eventually([&] {
              const auto r = server_->dig("+short api.shop.svc.clusterset.local A");
              return r.output == cluster_ip + "\n" ? "" : "answers: " + r.output;
            }),
            "");
  // The Lease, the member's Secret and readiness, the finalizer and status, the member object via the
  // member's identity, the scheduler's write and its status.
  EXPECT_EQ(eventually([] {
              const auto r = kubectl(
                  kHost, "-n fedns-system get lease fedns-propagation -o jsonpath={.spec.holderIdentity}");
              return r.output == "replica-a" ? "" : "holder: " + r.output;
            }),
            "");
  EXPECT_EQ(eventually([] {
              const auto r = kubectl(kHost, "get mc local -o jsonpath={.status.conditions[0].reason}");
              return r.output == "Ready" ? "" : "member: " + r.output;
            }),
            "");
  EXPECT_EQ(eventually([] {
              const auto r = kubectl(kHost, "-n shop get configmap settings-copy -o jsonpath={.data.k}");
              return r.output == "v" ? "" : "member object: " + r.output;
            }),
            "");
  EXPECT_EQ(eventually([] {
              const auto r =
                  kubectl(kHost, "-n shop get fo settings -o jsonpath={.status.conditions[0].reason}");
              return r.output == "OK" ? "" : "status: " + r.output;
            }),
            "");
  EXPECT_EQ(eventually([] {
              const auto r = kubectl(kHost, "-n shop get deployment web-copy -o jsonpath={.spec.replicas}");
              return r.output == "3" ? "" : "scheduled replicas: " + r.output;
            }),
            "");
  EXPECT_EQ(eventually([] {
              const auto r = kubectl(kHost, "-n shop get rsp web -o jsonpath={.status.conditions[0].reason}");
              return r.output == "Scheduled" ? "" : "preference: " + r.output;
            }),
            "");
  // Not one request was refused.
  const std::string log = server_->process().log();
  EXPECT_EQ(log.find("403"), std::string::npos) << log;
  EXPECT_EQ(log.find("Forbidden"), std::string::npos) << log;
  EXPECT_EQ(log.find("forbidden"), std::string::npos) << log;
}

// Metric names a file mentions (fedns_...), a histogram's _bucket/_sum/_count series named by its family.
std::set<std::string> metric_names_in(const std::string& path, const std::set<std::string>& families) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const std::string content = text.str();
  std::set<std::string> out;
  const std::regex name("fedns_[a-z_]+");
  for (auto it = std::sregex_iterator(content.begin(), content.end(), name); it != std::sregex_iterator();
       ++it) {
    std::string n = it->str();
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s(suffix);
      if (!families.contains(n) && n.ends_with(s) && families.contains(n.substr(0, n.size() - s.size())))
        n = n.substr(0, n.size() - s.size());
    }
    out.insert(n);
  }
  return out;
}

// Runs after the server above: its metrics are a full set (DNS, catalog, health, propagation, scheduling).
TEST_F(Deploy, EveryMetricIsDocumentedAndEveryAlertAndPanelUsesAnExposedOne) {
  ASSERT_NE(server_, nullptr) << "needs the server of the previous test";
  const auto scraped =
      run_command("curl -s http://127.0.0.1:" + std::to_string(server_->metrics_port()) + "/metrics");
  ASSERT_EQ(scraped.exit_code, 0);
  std::set<std::string> exposed;
  std::istringstream lines(scraped.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# TYPE ", 0) == 0) exposed.insert(line.substr(7, line.find(' ', 7) - 7));
  }
  ASSERT_GT(exposed.size(), 50U) << scraped.output;
  const std::string docs = FEDNS_SOURCE_DIR "/docs/metrics.md";
  const auto documented = metric_names_in(docs, exposed);
  for (const auto& name : exposed)
    EXPECT_TRUE(documented.contains(name)) << name << " is exposed but not in docs/metrics.md";
  for (const auto& name : documented)
    EXPECT_TRUE(exposed.contains(name)) << name << " is in docs/metrics.md but not exposed";
  for (const char* file :
       {"/deploy/monitoring/fedns-alerts.yaml", "/deploy/monitoring/fedns-dashboard.json"}) {
    for (const auto& name : metric_names_in(std::string(FEDNS_SOURCE_DIR) + file, exposed))
      EXPECT_TRUE(exposed.contains(name)) << file << " uses " << name << ", which fedns does not expose";
  }

  // The new families carry the values the previous test produced: both federated objects propagated, the
  // preference scheduled, this replica leading.
  const auto value_of = [](const std::string& exposition, const std::string& name,
                           const std::vector<std::string>& labels) -> std::string {
    std::istringstream in(exposition);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(name, 0) != 0 ||
          (line.size() > name.size() && line[name.size()] != '{' && line[name.size()] != ' '))
        continue;
      const bool all = std::all_of(labels.begin(), labels.end(),
                                   [&](const std::string& l) { return line.find(l) != std::string::npos; });
      if (all) return line.substr(line.rfind(' ') + 1);
    }
    return "<none>";
  };
  EXPECT_EQ(
      eventually([&] {
        const std::string now =
            run_command("curl -s http://127.0.0.1:" + std::to_string(server_->metrics_port()) + "/metrics")
                .output;
        const std::string got =
            value_of(now, "fedns_propagation_objects", {"propagated=\"True\"", "reason=\"OK\""}) + " " +
            value_of(now, "fedns_scheduler_preferences", {"reason=\"Scheduled\""}) + " " +
            value_of(now, "fedns_propagation_leader", {});
        return got == "2 1 1" ? "" : "objects OK, preferences Scheduled, leader: " + got;
      }),
      "");

  // The alert rules are valid PromQL and behave as their unit tests say (promtool, from its Go module).
  const auto promtool = run_command(FEDNS_SOURCE_DIR "/tests/tool-fixture promtool path 2>/dev/null", 1200);
  ASSERT_EQ(promtool.exit_code, 0) << "promtool could not be built from its Go module";
  const std::string bin = promtool.output.substr(0, promtool.output.find('\n'));
  const auto checked =
      run_command(bin + " check rules " FEDNS_SOURCE_DIR "/deploy/monitoring/fedns-alerts.yaml", 60);
  EXPECT_EQ(checked.exit_code, 0) << checked.output;
  EXPECT_TRUE(has(checked.output, "SUCCESS: 12 rules found")) << checked.output;
  const auto tested =
      run_command(bin + " test rules " FEDNS_SOURCE_DIR "/deploy/monitoring/fedns-alerts.test.yaml", 60);
  EXPECT_EQ(tested.exit_code, 0) << tested.output;
  EXPECT_TRUE(has(tested.output, "SUCCESS")) << tested.output;
  // The dashboard is JSON Grafana can import: panels with Prometheus targets.
  std::ifstream dashboard(FEDNS_SOURCE_DIR "/deploy/monitoring/fedns-dashboard.json");
  const auto parsed = nlohmann::json::parse(dashboard, nullptr, false);
  ASSERT_TRUE(parsed.is_object());
  EXPECT_EQ(parsed.value("uid", ""), "fedns-overview");
  std::size_t queries = 0;
  for (const auto& panel : parsed["panels"])
    queries += panel.value("targets", nlohmann::json::array()).size();
  EXPECT_GE(queries, 20U);
}

}  // namespace
}  // namespace fedns::e2e
