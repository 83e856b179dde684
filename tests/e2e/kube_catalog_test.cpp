// End to end: the real fedns binary watching two real kube-apiservers (tests/cluster-fixture), answering MCS
// names (clusterset.local.) to real `dig`: exported services from both clusters, the export rule, headless
// endpoints with hostnames and SRV, ExternalName, changes converging, and a cluster whose API vanishes.
#include <gtest/gtest.h>

#include <iostream>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/cluster_fixture.hpp"
#include "support/fedns_server.hpp"

namespace fedns::e2e {
namespace {

using namespace std::chrono_literals;

class Catalog : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fixture_ = new ClusterFixture(2);
    if (!fixture_->available()) return;
    const std::string zones =
        "  - origin: clusterset.local.\n"
        "    ttl: 5\n"
        "    soa: {serial: 1, minimum: 5}\n"
        "    ns: [{name: ns1.clusterset.local., addresses: [127.0.0.1]}]\n"
        "clusters:\n"
        "  - name: east\n"
        "    kubeconfig: " +
        fixture_->kubeconfig(0) +
        "\n"
        "    region: eu\n"
        "  - name: west\n"
        "    kubeconfig: " +
        fixture_->kubeconfig(1) +
        "\n"
        "    health: {api: {interval: 300ms, timeout: 250ms, rise: 1, fall: 2}}\n"
        "catalog:\n"
        "  ttl: 5\n"
        "  debounce: 5ms\n"
        "  stale_after: 3s\n";
    server_ = new FednsServer(zones, "  workers: 1\n");
  }
  static void TearDownTestSuite() {
    delete server_;
    delete fixture_;
  }
  void SetUp() override {
    if (!fixture_->available()) GTEST_SKIP() << "SKIPPED LOUDLY: " << fixture_->why();
  }

  static CommandResult kubectl(int cluster, const std::string& args) {
    return run_command(fixture_->kubectl(cluster) + " " + args);
  }
  static void apply(int cluster, const std::string& yaml) {
    const TempDir dir;
    const auto r = kubectl(cluster, "apply -f " + dir.write("m.yaml", yaml));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  static void service_and_export(int cluster, const std::string& ns, const std::string& name) {
    apply(cluster, "apiVersion: v1\nkind: Namespace\nmetadata: {name: " + ns +
                       "}\n---\n"
                       "apiVersion: v1\nkind: Service\nmetadata: {name: " +
                       name + ", namespace: " + ns +
                       "}\nspec: {ports: [{name: http, port: 80}]}\n---\n"
                       "apiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceExport\nmetadata: {name: " +
                       name + ", namespace: " + ns + "}\n");
  }
  static std::string cluster_ip(int cluster, const std::string& ns, const std::string& name) {
    return kubectl(cluster, "get service " + name + " -n " + ns + " -o jsonpath={.spec.clusterIP}").output;
  }
  // dig +short lines, sorted.
  static std::vector<std::string> answers(const std::string& args) {
    std::istringstream in(server_->dig("+short " + args).output);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) lines.push_back(line);
    }
    std::sort(lines.begin(), lines.end());
    return lines;
  }
  static std::string status(const std::string& args) {
    const auto out = server_->dig(args).output;
    const auto at = out.find("status: ");
    return at == std::string::npos ? "no answer" : out.substr(at + 8, out.find(',', at) - at - 8);
  }
  // Polls until `expected`; returns how long it took, or fails the test after 10 s.
  static std::chrono::milliseconds converge(const std::string& args, std::vector<std::string> expected,
                                            std::chrono::seconds timeout = 10s) {
    std::sort(expected.begin(), expected.end());
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::string> got;
    while (std::chrono::steady_clock::now() - start < timeout) {
      got = answers(args);
      if (got == expected) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                     start);
      }
      std::this_thread::sleep_for(5ms);
    }
    ADD_FAILURE() << "dig " << args << " never answered " << testing::PrintToString(expected) << ", last "
                  << testing::PrintToString(got);
    return 10s;
  }

  static ClusterFixture* fixture_;
  static FednsServer* server_;
};
ClusterFixture* Catalog::fixture_ = nullptr;
FednsServer* Catalog::server_ = nullptr;

TEST_F(Catalog, ServiceExportedFromTwoClustersAnswersBothAddresses) {
  service_and_export(0, "shop", "web");
  service_and_export(1, "shop", "web");
  const auto took = converge("web.shop.svc.clusterset.local A",
                             {cluster_ip(0, "shop", "web"), cluster_ip(1, "shop", "web")});
  std::printf("[ info ] kubectl apply -> both clusters answered in %lld ms\n",
              static_cast<long long>(took.count()));
  EXPECT_EQ(answers("_http._tcp.web.shop.svc.clusterset.local SRV"),
            std::vector<std::string>{"0 1 80 web.shop.svc.clusterset.local."});
  EXPECT_EQ(answers("dns-version.clusterset.local TXT"), std::vector<std::string>{"\"1.0.0\""});
  EXPECT_EQ(status("shop.svc.clusterset.local A"), "NOERROR");  // empty non-terminal
}

TEST_F(Catalog, MetricsShowEachClustersInformers) {
  service_and_export(0, "metered", "m");
  converge("m.metered.svc.clusterset.local A", {cluster_ip(0, "metered", "m")});
  const auto metrics =
      run_command("curl -s http://127.0.0.1:" + std::to_string(server_->metrics_port()) + "/metrics").output;
  for (const char* expected :
       {"fedns_cluster_synced{cluster=\"east\"} 1", "fedns_cluster_synced{cluster=\"west\"} 1",
        "fedns_cluster_stale{cluster=\"west\"} 0",
        "fedns_cluster_informer_state{cluster=\"east\",resource=\"services\",state=\"watching\"} 1",
        "fedns_cluster_last_contact_age_seconds{cluster=\"west\",resource=\"serviceexports\"}",
        "fedns_cluster_watch_events_total{cluster=\"east\",resource=\"serviceexports\"}",
        "fedns_cluster_throttled_total{cluster=\"west\",resource=\"endpointslices\"} 0",
        "fedns_catalog_services "}) {
    EXPECT_TRUE(has(metrics, expected)) << expected;
  }
}

TEST_F(Catalog, OnlyExportedServicesHaveNames) {
  apply(0,
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: private}\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: hidden, namespace: private}\n"
        "spec: {ports: [{port: 80}]}\n");
  service_and_export(0, "private", "shown");
  converge("shown.private.svc.clusterset.local A", {cluster_ip(0, "private", "shown")});
  EXPECT_EQ(status("hidden.private.svc.clusterset.local A"), "NXDOMAIN");
  // Exporting it later publishes it; withdrawing the export removes it again.
  apply(0,
        "apiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceExport\n"
        "metadata: {name: hidden, namespace: private}\n");
  converge("hidden.private.svc.clusterset.local A", {cluster_ip(0, "private", "hidden")});
  ASSERT_EQ(kubectl(0, "delete serviceexport hidden -n private").exit_code, 0);
  converge("hidden.private.svc.clusterset.local A", {});
  EXPECT_EQ(status("hidden.private.svc.clusterset.local A"), "NXDOMAIN");
}

TEST_F(Catalog, HeadlessEndpointsWithHostnamesAndSrv) {
  // No kube-controller-manager runs in the fixture: the EndpointSlices are written as the controller would.
  apply(1,
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: data}\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: data}\n"
        "spec: {clusterIP: None, ports: [{name: pg, port: 5432}]}\n---\n"
        "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
        "metadata: {name: db-1, namespace: data, labels: {kubernetes.io/service-name: db}}\n"
        "addressType: IPv4\nports: [{name: pg, port: 5432}]\nendpoints:\n"
        "- {addresses: [10.20.0.5], hostname: db-0, conditions: {ready: true}}\n"
        "- {addresses: [10.20.0.6], hostname: db-1, conditions: {ready: false}}\n---\n"
        "apiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceExport\nmetadata: {name: db, namespace: "
        "data}\n");
  converge("db.data.svc.clusterset.local A", {"10.20.0.5"});
  EXPECT_EQ(answers("db-0.west.db.data.svc.clusterset.local A"), std::vector<std::string>{"10.20.0.5"});
  EXPECT_EQ(answers("_pg._tcp.db.data.svc.clusterset.local SRV"),
            std::vector<std::string>{"0 1 5432 db-0.west.db.data.svc.clusterset.local."});
  const auto srv = server_->dig("_pg._tcp.db.data.svc.clusterset.local SRV").output;
  EXPECT_TRUE(has(srv, "ADDITIONAL SECTION")) << srv;
  // The second endpoint becomes ready: it joins the answer.
  ASSERT_EQ(kubectl(1,
                    "patch endpointslice db-1 -n data --type=json -p "
                    "'[{\"op\":\"replace\",\"path\":\"/endpoints/1/conditions/ready\",\"value\":true}]'")
                .exit_code,
            0);
  converge("db.data.svc.clusterset.local A", {"10.20.0.5", "10.20.0.6"});
}

TEST_F(Catalog, ExternalNameIsACname) {
  apply(0,
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: ext}\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: legacy, namespace: ext}\n"
        "spec: {type: ExternalName, externalName: legacy.example.com}\n---\n"
        "apiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceExport\nmetadata: {name: legacy, "
        "namespace: ext}\n");
  converge("legacy.ext.svc.clusterset.local CNAME", {"legacy.example.com."});
}

TEST_F(Catalog, ChangesConvergeWithinMilliseconds) {
  service_and_export(0, "fast", "api");
  converge("api.fast.svc.clusterset.local A", {cluster_ip(0, "fast", "api")});
  std::vector<long long> samples;
  for (int i = 0; i < 5; ++i) {
    const std::string name = "api" + std::to_string(i);
    const auto start = std::chrono::steady_clock::now();
    service_and_export(1, "fast", name);
    const std::string ip = cluster_ip(1, "fast", name);
    converge(name + ".fast.svc.clusterset.local A", {ip});
    samples.push_back(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::printf("[ info ] kubectl apply -> answer, ms (kubectl itself included): %s\n",
              testing::PrintToString(samples).c_str());
}

TEST_F(Catalog, AClusterWhoseApiVanishesKeepsItsAnswersUntilStaleThenReturns) {
  service_and_export(1, "keep", "svc");
  const std::string ip = cluster_ip(1, "keep", "svc");
  converge("svc.keep.svc.clusterset.local A", {ip});
  ASSERT_TRUE(fixture_->stop_apiserver(1));
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(answers("svc.keep.svc.clusterset.local A"), std::vector<std::string>{ip});  // last good data
  converge("svc.keep.svc.clusterset.local A", {});  // stale_after (3 s) passed: west drops out
  // Not timed from the stop's return: the apiserver refuses requests during its graceful shutdown, before the
  // fixture's stop returns, and stale_after counts from the first failure. fedns says how long it was.
  const auto& log = server_->process().log();
  const auto at = log.find("cluster west: API unreachable for ");
  ASSERT_NE(at, std::string::npos) << log;
  EXPECT_GE(std::stoi(log.substr(at + std::string("cluster west: API unreachable for ").size())), 3) << log;
  EXPECT_EQ(status("svc.keep.svc.clusterset.local A"), "NXDOMAIN");
  EXPECT_TRUE(has(
      run_command("curl -s http://127.0.0.1:" + std::to_string(server_->metrics_port()) + "/metrics").output,
      "fedns_cluster_stale{cluster=\"west\"} 1"));
  ASSERT_TRUE(fixture_->start_apiserver(1));
  // Back, with nothing changed in the cluster, once the informers' backoff (at most 30 s) lets them retry.
  converge("svc.keep.svc.clusterset.local A", {ip}, 45s);
  // And live again: a change made now arrives.
  ASSERT_EQ(kubectl(1, "delete serviceexport svc -n keep").exit_code, 0);
  converge("svc.keep.svc.clusterset.local A", {});
}

// Cluster health (issue 5): west's /readyz checks fail once its apiserver is gone, and a service exported
// from both clusters answers only east's address within interval x fall (plus a check's timeout) -- long
// before stale_after; the one west-only service stays answered (its only target set is down: fail-open).
TEST_F(Catalog, AClusterWhoseApiFailsItsReadyzChecksLeavesMultiClusterAnswers) {
  service_and_export(0, "both", "svc");
  service_and_export(1, "both", "svc");
  service_and_export(1, "alone", "svc");
  const std::string east = cluster_ip(0, "both", "svc");
  const std::string west = cluster_ip(1, "both", "svc");
  const std::string alone = cluster_ip(1, "alone", "svc");
  converge("svc.both.svc.clusterset.local A", {east, west});
  converge("svc.alone.svc.clusterset.local A", {alone});
  // The fixture's stop returns once the process is gone (after its graceful shutdown, during which it still
  // answers): from then on every check fails.
  ASSERT_TRUE(fixture_->stop_apiserver(1));
  const auto out = converge("svc.both.svc.clusterset.local A", {east}, 5s);
  EXPECT_LE(out, 2 * 300ms + 250ms + 300ms) << "interval x fall + a timeout + a check's spread";
  EXPECT_EQ(answers("svc.alone.svc.clusterset.local A"), std::vector<std::string>{alone});
  const auto metrics =
      run_command("curl -s http://127.0.0.1:" + std::to_string(server_->metrics_port()) + "/metrics").output;
  EXPECT_TRUE(has(metrics, "fedns_health_cluster_up{cluster=\"west\"} 0")) << metrics;
  EXPECT_TRUE(has(metrics, "fedns_health_cluster_up{cluster=\"east\"} 1")) << metrics;
  const auto clusters =
      run_command("curl -s http://127.0.0.1:" + std::to_string(server_->metrics_port()) + "/health/clusters");
  EXPECT_TRUE(has(clusters.output, "cluster west API")) << clusters.output;
  ASSERT_TRUE(fixture_->start_apiserver(1));
  const auto back = converge("svc.both.svc.clusterset.local A", {east, west}, 30s);
  std::cout << "west out of the answer " << out.count() << " ms after its apiserver was gone, back "
            << back.count() << " ms after it started\n";
}

// Dual-stack right: a RequireDualStack Service's IPv6 ClusterIP answers AAAA, beside the IPv4 addresses of
// both clusters (the fixture's apiservers have IPv4 and IPv6 service ranges).
TEST_F(Catalog, DualStackServiceAnswersAaaa) {
  apply(0,
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: dual}\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: dual}\n"
        "spec: {ipFamilyPolicy: RequireDualStack, ports: [{name: http, port: 80}]}\n---\n"
        "apiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceExport\nmetadata: {name: web, namespace: "
        "dual}\n");
  service_and_export(1, "dual", "web");
  std::vector<std::string> v4;
  std::vector<std::string> v6;
  for (int cluster : {0, 1}) {
    std::istringstream ips(
        kubectl(cluster, "get service web -n dual -o jsonpath='{range .spec.clusterIPs[*]}{@}{\"\\n\"}{end}'")
            .output);
    for (std::string ip; std::getline(ips, ip);) {
      if (!ip.empty()) (ip.find(':') == std::string::npos ? v4 : v6).push_back(ip);
    }
  }
  ASSERT_EQ(v4.size(), 2u);
  ASSERT_EQ(v6.size(), 1u);
  converge("web.dual.svc.clusterset.local A", v4);
  converge("web.dual.svc.clusterset.local AAAA", v6);
}

// MCS: fedns writes Valid, Ready and Conflict to each cluster's ServiceExport, and leaves other controllers'
// conditions alone (server-side apply on the status subresource, conditions keyed by type).
TEST_F(Catalog, ExportConditionsAreWrittenBack) {
  auto reason = [](int cluster, const std::string& type) {
    return kubectl(cluster,
                   "get serviceexport lonely -n status -o jsonpath='{.status.conditions[?(@.type==\"" + type +
                       "\")].reason}'")
        .output;
  };
  auto eventually = [&](int cluster, const std::string& type, const std::string& want) {
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < until && reason(cluster, type) != want)
      std::this_thread::sleep_for(20ms);
    return reason(cluster, type);
  };
  apply(0,
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: status}\n---\n"
        "apiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceExport\n"
        "metadata: {name: lonely, namespace: status}\n");
  EXPECT_EQ(eventually(0, "Valid", "NoService"), "NoService");  // exported, but no such Service
  EXPECT_EQ(reason(0, "Ready"), "Failed");
  apply(0,
        "apiVersion: v1\nkind: Service\nmetadata: {name: lonely, namespace: status}\n"
        "spec: {ports: [{name: http, port: 80}]}\n");
  EXPECT_EQ(eventually(0, "Valid", "Valid"), "Valid");
  EXPECT_EQ(eventually(0, "Ready", "Exported"), "Exported");
  EXPECT_EQ(reason(0, "Conflict"), "NoConflicts");

  // Another controller's condition on the same export.
  const auto patched = kubectl(
      0,
      "patch serviceexport lonely -n status --subresource=status --type=json -p "
      "'[{\"op\":\"add\",\"path\":\"/status/conditions/-\",\"value\":{\"type\":\"Synced\",\"status\":"
      "\"True\",\"reason\":\"Other\",\"message\":\"\",\"lastTransitionTime\":\"2026-11-26T00:00:00Z\"}}]'");
  ASSERT_EQ(patched.exit_code, 0) << patched.output;
  // west exports the same name with another port number: west's export is in conflict, not east's.
  apply(1,
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: status}\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: lonely, namespace: status}\n"
        "spec: {ports: [{name: http, port: 8080}]}\n---\n"
        "apiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceExport\n"
        "metadata: {name: lonely, namespace: status}\n");
  EXPECT_EQ(eventually(1, "Conflict", "PortConflict"), "PortConflict");
  EXPECT_EQ(reason(0, "Conflict"), "NoConflicts");
  // east's Service goes: its export turns invalid, and the foreign condition is still there.
  ASSERT_EQ(kubectl(0, "delete service lonely -n status").exit_code, 0);
  EXPECT_EQ(eventually(0, "Valid", "NoService"), "NoService");
  EXPECT_EQ(reason(0, "Synced"), "Other");
}

// "Where permitted": a cluster that lets fedns read but not write status still has its services answered.
TEST(CatalogPermissions, ReadOnlyAccessPublishesAndSaysStatusIsNotWritten) {
  ClusterFixture fixture(1);
  if (!fixture.available()) GTEST_SKIP() << "SKIPPED LOUDLY: " << fixture.why();
  const std::string kubectl = fixture.kubectl(0) + " ";
  for (const char* setup :
       {"create clusterrole mcs-reader --verb=get,list,watch "
        "--resource=services,endpointslices.discovery.k8s.io,serviceexports.multicluster.x-k8s.io",
        "create clusterrolebinding mcs-reader --clusterrole=mcs-reader --user=fedns-reader",
        "create namespace ro"}) {
    const auto r = run_command(kubectl + setup);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  const TempDir dir;
  const auto applied =
      run_command(kubectl + "apply -f " +
                  dir.write("m.yaml",
                            "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: ro}\n"
                            "spec: {ports: [{name: http, port: 80}]}\n---\n"
                            "apiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceExport\n"
                            "metadata: {name: web, namespace: ro}\n"));
  ASSERT_EQ(applied.exit_code, 0) << applied.output;
  FednsServer server(
      "  - origin: clusterset.local.\n"
      "    soa: {serial: 1, minimum: 5}\n"
      "    ns: [{name: ns1.clusterset.local., addresses: [127.0.0.1]}]\n"
      "clusters:\n"
      "  - {name: ro, kubeconfig: " +
          fixture.kubeconfig(0, "kubeconfig_reader") + "}\n",
      "  workers: 1\n");
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < until &&
         !has(server.process().log(), "not permitted to write ServiceExport status"))
    std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(has(server.process().log(), "not permitted to write ServiceExport status"))
      << server.process().log();
  // The 403 comes from the catalog flush, which runs before the snapshot carrying the service is published:
  // wait for the answer itself (this raced once in CI), and check it is the Service's own address.
  const std::string cluster_ip =
      run_command(kubectl + "get service web -n ro -o jsonpath={.spec.clusterIP}").output;
  std::string answer;
  const auto answered_by = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < answered_by &&
         (answer = server.dig("+short web.ro.svc.clusterset.local A").output).empty())
    std::this_thread::sleep_for(50ms);
  EXPECT_EQ(answer, cluster_ip + "\n");
  const auto metrics =
      run_command("curl -s http://127.0.0.1:" + std::to_string(server.metrics_port()) + "/metrics").output;
  EXPECT_TRUE(has(metrics, "fedns_cluster_export_status_failures_total{cluster=\"ro\"} 1")) << metrics;
}

// No fixture needed: a member cluster that cannot be reached at all.
TEST(CatalogStartup, NamesAreNotClaimedAbsentUntilClustersSyncOrTheStartupTimeout) {
  const TempDir dir;
  const std::string kubeconfig = dir.write(
      "unreachable.yaml",
      "apiVersion: v1\nkind: Config\ncurrent-context: x\n"
      "clusters: [{name: c, cluster: {server: \"https://127.0.0.1:" +
          std::to_string(free_port()) +
          "\", insecure-skip-tls-verify: true}}]\n"
          "users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n");
  const std::string zones =
      "  - origin: clusterset.local.\n"
      "    soa: {serial: 1, minimum: 5}\n"
      "    ns: [{name: ns1.clusterset.local., addresses: [127.0.0.1]}]\n"
      "clusters:\n"
      "  - {name: far, kubeconfig: " +
      kubeconfig +
      "}\n"
      "catalog:\n"
      "  startup_timeout: 3s\n";
  FednsServer server(zones, "  workers: 1\n");
  const auto started = std::chrono::steady_clock::now();
  auto rcode = [&](const std::string& args) {
    const auto out = server.dig(args).output;
    const auto at = out.find("status: ");
    return at == std::string::npos ? std::string("no answer")
                                   : out.substr(at + 8, out.find(',', at) - at - 8);
  };
  EXPECT_EQ(rcode("web.shop.svc.clusterset.local A"), "SERVFAIL");  // could exist in the cluster not yet read
  EXPECT_EQ(rcode("dns-version.clusterset.local TXT"), "NOERROR");  // what is known is answered
  EXPECT_EQ(rcode("ns1.clusterset.local A"), "NOERROR");
  while (std::chrono::steady_clock::now() - started < 10s &&
         rcode("web.shop.svc.clusterset.local A") == "SERVFAIL")
    std::this_thread::sleep_for(100ms);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 2500ms);
  EXPECT_EQ(rcode("web.shop.svc.clusterset.local A"), "NXDOMAIN");  // the startup timeout passed
}

}  // namespace
}  // namespace fedns::e2e
