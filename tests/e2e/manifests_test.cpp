// End to end: member clusters read from manifest directories (no API access), with the real binary and real
// `dig`. The embedded demo answers the README's first command; edits to the files converge in the answers;
// a broken file keeps its last good objects; MCS rules (export required, oldest export wins a conflict)
// hold as they do for API-backed clusters.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "support/fedns_server.hpp"

namespace fedns::e2e {
namespace {

using namespace std::chrono_literals;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  // Write then rename, as editors and ConfigMap updates do: the poller never sees half a file.
  const std::string temporary = path + ".tmp~";
  std::ofstream(temporary) << text;
  std::filesystem::rename(temporary, path);
}

std::string catalog_zone() {
  return "  - origin: clusterset.local.\n"
         "    ttl: 5\n"
         "    soa: {serial: 1, minimum: 5}\n"
         "    ns: [ns1.clusterset.local.]\n";
}

std::string service(const std::string& name, const std::string& cluster_ip,
                    const std::string& extra_spec = "") {
  return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name +
         ", namespace: shop}\nspec:\n  clusterIP: " + cluster_ip + "\n" + extra_spec +
         "  ports: [{name: http, protocol: TCP, port: 80}]\n";
}

std::string service_export(const std::string& name, const std::string& created) {
  return "---\napiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceExport\nmetadata: {name: " + name +
         ", namespace: shop, creationTimestamp: \"" + created + "\"}\n";
}

// dig's answer lines for NAME TYPE, sorted ("NAME TTL IN TYPE DATA" with single spaces).
std::vector<std::string> answers(const FednsServer& server, const std::string& name,
                                 const std::string& type) {
  auto lines = record_lines(server.dig("+noall +answer " + name + " " + type).output);
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::string status(const FednsServer& server, const std::string& name, const std::string& type) {
  const auto r = server.dig(name + " " + type);
  const auto at = r.output.find("status: ");
  return at == std::string::npos ? "no answer" : r.output.substr(at + 8, r.output.find(',', at) - at - 8);
}

// Polls until `done` holds (the poll interval is 100 ms, the debounce 5 ms), or fails after 5 s.
bool eventually(const std::function<bool()>& done) {
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done();
}

TEST(Manifests, DemoConfigAnswersTheReadmeCommand) {
  // The demo config as shipped, with its directories made absolute and a free metrics port.
  TempDir dir;
  std::string config = read_file(std::string(FEDNS_SOURCE_DIR) + "/config/demo.yaml");
  for (const std::string cluster : {"eu-1", "us-1"}) {
    const std::string from = "manifests: demo/" + cluster;
    ASSERT_NE(config.find(from), std::string::npos) << config;
    config.replace(config.find(from), from.size(),
                   "manifests: " + std::string(FEDNS_SOURCE_DIR) + "/config/demo/" + cluster);
  }
  const std::string metrics = "metrics: \"127.0.0.1:9153\"";
  ASSERT_NE(config.find(metrics), std::string::npos);
  config.replace(config.find(metrics), metrics.size(), "metrics: \"\"");
  const std::string path = dir.write("demo.yaml", config);
  const std::uint16_t port = FednsServer().port();  // a free port (that server is gone again)
  Process fedns({FEDNS_BINARY, "serve", "--config", path, "--listen", "127.0.0.1:" + std::to_string(port)},
                dir.path() + "/fedns.log");
  const std::string readme = "dig @127.0.0.1 -p " + std::to_string(port) + " +time=1 +tries=1 ";
  ASSERT_TRUE(eventually([&] {
    return run_command(readme + "web.default.svc.clusterset.local").output.find("10.20.0.15") !=
           std::string::npos;
  })) << fedns.log();
  const auto web = run_command(readme + "web.default.svc.clusterset.local");
  EXPECT_NE(web.output.find("status: NOERROR"), std::string::npos) << web.output;
  EXPECT_NE(web.output.find("10.10.0.15"), std::string::npos) << web.output;
  const auto srv = run_command(readme + "_pg._tcp.db.default.svc.clusterset.local SRV");
  EXPECT_NE(srv.output.find("db-0.eu-1.db.default.svc.clusterset.local"), std::string::npos) << srv.output;
  const auto ptr = run_command(readme + "+short -x 10.10.0.15");
  EXPECT_EQ(ptr.output, "web.default.svc.clusterset.local.\n") << ptr.output;
  const auto hidden = run_command(readme + "internal.default.svc.clusterset.local");
  EXPECT_NE(hidden.output.find("status: NXDOMAIN"), std::string::npos) << hidden.output;  // not exported
  // The README's cluster view and federation lines: us-1's own address; us-1 has no ready web pod, so the us
  // name answers eu-1's.
  EXPECT_EQ(run_command(readme + "+short web.default.us-1.clusters.example").output, "10.20.0.15\n");
  EXPECT_EQ(run_command(readme + "+short web.default.demo.svc.us.fed.example").output, "10.10.0.15\n");
}

// Federation names follow endpoint readiness, here in KubeFed's CNAME form; the cluster view names each
// cluster's own part.
TEST(Manifests, FederationNamesFollowEndpointReadiness) {
  TempDir dir;
  auto slice = [](const std::string& address, bool ready) {
    return "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
           "metadata: {name: web-1, namespace: shop, labels: {kubernetes.io/service-name: web}}\n"
           "addressType: IPv4\nendpoints:\n  - addresses: [\"" +
           address + "\"]\n    conditions: {ready: " + (ready ? "true" : "false") + "}\n";
  };
  write_file(dir.path() + "/east/web.yaml", service("web", "10.1.0.10") +
                                                service_export("web", "2026-01-01T00:00:00Z") +
                                                slice("10.100.0.1", true));
  const std::string west = service("web", "10.2.0.10") + service_export("web", "2026-02-01T00:00:00Z");
  write_file(dir.path() + "/west/web.yaml", west + slice("10.200.0.1", false));
  std::string zones = catalog_zone();
  for (const char* origin : {"clusters.example.", "fed.example."}) {
    zones += std::string("  - origin: ") + origin +
             "\n    ttl: 5\n    soa: {serial: 1, minimum: 5}\n    ns: [ns1.clusterset.local.]\n";
  }
  auto cluster = [&](const std::string& name, const std::string& region, const std::string& zone) {
    return "  - {name: " + name + ", manifests: " + dir.path() + "/" + name +
           ", manifests_poll: 100ms, region: " + region + ", zone: " + zone + "}\n";
  };
  FednsServer server(zones + "clusters:\n" + cluster("east", "eu", "eu-a") + cluster("west", "us", "us-a") +
                         "catalog:\n  cluster_view_zone: clusters.example.\n"
                         "  federation: {name: fed, zone: fed.example., fallback: cname}\n",
                     "  workers: 1\n");
  const std::string us_a = "web.shop.fed.svc.us-a.us.fed.example";
  ASSERT_TRUE(eventually([&] { return !answers(server, us_a, "A").empty(); })) << server.process().log();
  EXPECT_EQ(answers(server, us_a, "A"),
            (std::vector<std::string>{
                "web.shop.fed.svc.fed.example. 5 IN A 10.1.0.10",
                "web.shop.fed.svc.us-a.us.fed.example. 5 IN CNAME web.shop.fed.svc.us.fed.example.",
                "web.shop.fed.svc.us.fed.example. 5 IN CNAME web.shop.fed.svc.fed.example."}));
  EXPECT_EQ(answers(server, "web.shop.fed.svc.eu-a.eu.fed.example", "A"),
            std::vector<std::string>{"web.shop.fed.svc.eu-a.eu.fed.example. 5 IN A 10.1.0.10"});
  EXPECT_EQ(status(server, "web.shop.fed.svc.ap.fed.example", "A"), "NXDOMAIN");  // no such region
  EXPECT_EQ(server.dig("+short web.shop.west.clusters.example").output, "10.2.0.10\n");
  EXPECT_EQ(answers(server, "web.shop.svc.clusterset.local", "A"),  // MCS: both ClusterIPs, readiness aside
            (std::vector<std::string>{"web.shop.svc.clusterset.local. 5 IN A 10.1.0.10",
                                      "web.shop.svc.clusterset.local. 5 IN A 10.2.0.10"}));

  // west's pod turns ready: us-a answers west directly.
  write_file(dir.path() + "/west/web.yaml", west + slice("10.200.0.1", true));
  EXPECT_TRUE(eventually([&] {
    return answers(server, us_a, "A") ==
           std::vector<std::string>{"web.shop.fed.svc.us-a.us.fed.example. 5 IN A 10.2.0.10"};
  })) << testing::PrintToString(answers(server, us_a, "A"));
  EXPECT_EQ(answers(server, "web.shop.fed.svc.fed.example", "A"),  // both clusters healthy now
            (std::vector<std::string>{"web.shop.fed.svc.fed.example. 5 IN A 10.1.0.10",
                                      "web.shop.fed.svc.fed.example. 5 IN A 10.2.0.10"}));
  // east's goes: eu falls back to the global name, which now holds only west.
  write_file(dir.path() + "/east/web.yaml", service("web", "10.1.0.10") +
                                                service_export("web", "2026-01-01T00:00:00Z") +
                                                slice("10.100.0.1", false));
  EXPECT_TRUE(eventually([&] {
    return answers(server, "web.shop.fed.svc.eu.fed.example", "A") ==
           std::vector<std::string>{
               "web.shop.fed.svc.eu.fed.example. 5 IN CNAME web.shop.fed.svc.fed.example.",
               "web.shop.fed.svc.fed.example. 5 IN A 10.2.0.10"};
  })) << testing::PrintToString(answers(server, "web.shop.fed.svc.eu.fed.example", "A"));
}

TEST(Manifests, CheckConfigReportsBrokenManifests) {
  TempDir dir;
  write_file(dir.path() + "/m/good.yaml", service("web", "10.1.0.10"));
  write_file(dir.path() + "/m/bad.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web\n  oops: [\n");
  const std::string config =
      dir.write("fedns.yaml", "zones:\n" + catalog_zone() + "clusters:\n  - {name: east, manifests: m}\n");
  const auto r = run_command(std::string(FEDNS_BINARY) + " check-config " + config);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(has(r.output, "cluster east: " + dir.path() + "/m/bad.yaml:")) << r.output;
  EXPECT_FALSE(has(r.output, "good.yaml")) << r.output;
  // The demo's own manifests are clean.
  const auto demo = run_command(std::string(FEDNS_BINARY) + " check-config " + std::string(FEDNS_SOURCE_DIR) +
                                "/config/demo.yaml");
  EXPECT_EQ(demo.exit_code, 0) << demo.output;
}

class ManifestCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path() + "/east");
    std::filesystem::create_directories(dir_.path() + "/west");
    write_file(dir_.path() + "/east/web.yaml",
               service("web", "10.1.0.10", "  clusterIPs: [10.1.0.10, \"fd00:1::10\"]\n") +
                   service_export("web", "2026-01-01T00:00:00Z"));
    write_file(dir_.path() + "/west/web.yaml",
               service("web", "10.2.0.10") + service_export("web", "2026-02-01T00:00:00Z"));
    const std::string clusters = "clusters:\n" + cluster("east") + cluster("west");
    const std::string reverse =
        "  - origin: 10.in-addr.arpa.\n"
        "    soa: {serial: 1, minimum: 5}\n"
        "    ns: [ns1.clusterset.local.]\n";
    server_ = std::make_unique<FednsServer>(
        catalog_zone() + reverse + clusters + "catalog: {reverse_zones: [10.in-addr.arpa.]}\n",
        "  workers: 1\n");
    ASSERT_TRUE(eventually([&] {
      return answers(*server_, "web.shop.svc.clusterset.local", "A").size() == 2;
    })) << server_->process().log();
  }

  // A `clusters:` entry reading <dir>/<name>, polled every 100 ms.
  [[nodiscard]] std::string cluster(const std::string& name) const {
    return "  - {name: " + name + ", manifests: " + dir_.path() + "/" + name + ", manifests_poll: 100ms}\n";
  }

  TempDir dir_;
  std::unique_ptr<FednsServer> server_;
};

TEST_F(ManifestCluster, ServicesFromEveryClusterAndDualStack) {
  EXPECT_EQ(answers(*server_, "web.shop.svc.clusterset.local", "A"),
            (std::vector<std::string>{"web.shop.svc.clusterset.local. 5 IN A 10.1.0.10",
                                      "web.shop.svc.clusterset.local. 5 IN A 10.2.0.10"}));
  EXPECT_EQ(answers(*server_, "web.shop.svc.clusterset.local", "AAAA"),
            std::vector<std::string>{"web.shop.svc.clusterset.local. 5 IN AAAA fd00:1::10"});
  EXPECT_EQ(answers(*server_, "_http._tcp.web.shop.svc.clusterset.local", "SRV"),
            std::vector<std::string>{
                "_http._tcp.web.shop.svc.clusterset.local. 5 IN SRV 0 1 80 web.shop.svc.clusterset.local."});
  EXPECT_EQ(status(*server_, "shop.svc.clusterset.local", "A"), "NOERROR");  // an empty non-terminal
  EXPECT_EQ(status(*server_, "nope.shop.svc.clusterset.local", "A"), "NXDOMAIN");
}

TEST_F(ManifestCluster, ReverseLookupsAnswerWithTheServiceName) {
  EXPECT_EQ(server_->dig("+short -x 10.2.0.10").output, "web.shop.svc.clusterset.local.\n");
  EXPECT_EQ(status(*server_, "99.0.2.10.in-addr.arpa", "PTR"), "NXDOMAIN");
  write_file(dir_.path() + "/west/web.yaml",
             service("web", "10.2.0.99") + service_export("web", "2026-02-01T00:00:00Z"));
  EXPECT_TRUE(eventually([&] { return status(*server_, "10.0.2.10.in-addr.arpa", "PTR") == "NXDOMAIN"; }));
  EXPECT_EQ(server_->dig("+short -x 10.2.0.99").output, "web.shop.svc.clusterset.local.\n");
}

TEST_F(ManifestCluster, EditsConverge) {
  // A changed address.
  write_file(dir_.path() + "/west/web.yaml",
             service("web", "10.2.0.99") + service_export("web", "2026-02-01T00:00:00Z"));
  EXPECT_TRUE(eventually([&] {
    return answers(*server_, "web.shop.svc.clusterset.local", "A") ==
           std::vector<std::string>{"web.shop.svc.clusterset.local. 5 IN A 10.1.0.10",
                                    "web.shop.svc.clusterset.local. 5 IN A 10.2.0.99"};
  }));
  // A new file with an ExternalName service.
  write_file(dir_.path() + "/east/legacy.yaml",
             "apiVersion: v1\nkind: Service\nmetadata: {name: legacy, namespace: shop}\n"
             "spec: {type: ExternalName, externalName: legacy.example.com}\n" +
                 service_export("legacy", "2026-01-01T00:00:00Z"));
  EXPECT_TRUE(eventually([&] {
    return answers(*server_, "legacy.shop.svc.clusterset.local", "CNAME") ==
           std::vector<std::string>{"legacy.shop.svc.clusterset.local. 5 IN CNAME legacy.example.com."};
  }));
  // The export withdrawn in west: only east's address stays.
  write_file(dir_.path() + "/west/web.yaml", service("web", "10.2.0.99"));
  EXPECT_TRUE(eventually([&] {
    return answers(*server_, "web.shop.svc.clusterset.local", "A") ==
           std::vector<std::string>{"web.shop.svc.clusterset.local. 5 IN A 10.1.0.10"};
  }));
  // Files removed: the names go, down to NXDOMAIN for the namespace.
  std::filesystem::remove(dir_.path() + "/east/web.yaml");
  std::filesystem::remove(dir_.path() + "/east/legacy.yaml");
  EXPECT_TRUE(eventually([&] { return status(*server_, "shop.svc.clusterset.local", "A") == "NXDOMAIN"; }));
}

TEST_F(ManifestCluster, ABrokenFileKeepsItsLastGoodObjects) {
  write_file(dir_.path() + "/west/web.yaml",
             "apiVersion: v1\nkind: Service\nmetadata: {name: web\n  bad: [\n");
  EXPECT_TRUE(eventually([&] { return has(server_->process().log(), "west/web.yaml:"); }))
      << server_->process().log();
  EXPECT_TRUE(has(server_->process().log(), "keeping the file's last good objects"));
  EXPECT_EQ(answers(*server_, "web.shop.svc.clusterset.local", "A").size(), 2u);
  const auto metrics =
      run_command("curl -s http://127.0.0.1:" + std::to_string(server_->metrics_port()) + "/metrics").output;
  EXPECT_TRUE(has(metrics, "fedns_cluster_manifest_load_errors_total{cluster=\"west\"} 1")) << metrics;
  // A nonsense object (an invalid address) is skipped with its reason; the other objects of the file count.
  write_file(dir_.path() + "/west/web.yaml",
             service("web", "10.2.0.300") + service_export("web", "2026-02-01T00:00:00Z") + "---\n" +
                 service("api", "10.2.0.20") + service_export("api", "2026-02-01T00:00:00Z"));
  EXPECT_TRUE(
      eventually([&] { return answers(*server_, "api.shop.svc.clusterset.local", "A").size() == 1; }));
  EXPECT_TRUE(eventually([&] {
    return answers(*server_, "web.shop.svc.clusterset.local", "A") ==
           std::vector<std::string>{"web.shop.svc.clusterset.local. 5 IN A 10.1.0.10"};
  }));
}

TEST_F(ManifestCluster, TheOldestExportWinsAConflict) {
  // west turns `web` headless; east exported first, so the clusterset service stays a ClusterSetIP service
  // and west (in conflict) is left out of it.
  write_file(dir_.path() + "/west/web.yaml",
             service("web", "None") + service_export("web", "2026-02-01T00:00:00Z"));
  EXPECT_TRUE(eventually([&] {
    return answers(*server_, "web.shop.svc.clusterset.local", "A") ==
           std::vector<std::string>{"web.shop.svc.clusterset.local. 5 IN A 10.1.0.10"};
  })) << server_->process().log();
  EXPECT_TRUE(has(server_->process().log(), "conflict")) << server_->process().log();
}

// SIGHUP with a changed clusters: list: a removed cluster's services leave, an added cluster's arrive, and a
// cluster that stays is not read again. A kubeconfig that cannot be read rejects the whole reload.
TEST_F(ManifestCluster, AReloadAddsAndRemovesClusters) {
  write_file(dir_.path() + "/north/web.yaml",
             service("web", "10.3.0.10") + service_export("web", "2026-03-01T00:00:00Z"));
  const std::string keep_east_add_north = "clusters:\n" + cluster("east") + cluster("north");
  server_->rewrite_config(catalog_zone() + keep_east_add_north, "  workers: 1\n");
  server_->process().signal(SIGHUP);
  EXPECT_TRUE(eventually([&] {
    return answers(*server_, "web.shop.svc.clusterset.local", "A") ==
           std::vector<std::string>{"web.shop.svc.clusterset.local. 5 IN A 10.1.0.10",
                                    "web.shop.svc.clusterset.local. 5 IN A 10.3.0.10"};
  })) << server_->process().log();
  EXPECT_TRUE(has(server_->process().log(), "cluster west: removed from the config"));
  EXPECT_FALSE(has(server_->process().log(), "cluster east: its source changed"));

  server_->rewrite_config(catalog_zone() + keep_east_add_north + "  - {name: broken, kubeconfig: " +
                              dir_.write("garbage.yaml", "not: a kubeconfig\n") + "}\n",
                          "  workers: 1\n");
  server_->process().signal(SIGHUP);
  EXPECT_TRUE(eventually([&] { return has(server_->process().log(), "reload rejected"); }))
      << server_->process().log();
  EXPECT_EQ(answers(*server_, "web.shop.svc.clusterset.local", "A").size(), 2u);
}

}  // namespace
}  // namespace fedns::e2e
