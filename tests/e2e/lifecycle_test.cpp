// End to end: process lifecycle. Config errors at start, check-config, SIGHUP reload (good and bad), SIGTERM,
// metrics and health endpoints, UDP garbage.
#include <gtest/gtest.h>

#include <signal.h>

#include <filesystem>
#include <thread>

#include "support/fedns_server.hpp"

namespace fedns::e2e {
namespace {

using namespace std::chrono_literals;

std::string one_zone(const std::string& address) {
  return "  - origin: reload.test.\n"
         "    soa: {serial: 1}\n"
         "    ns: [ns1.reload.test.]\n"
         "    records: |\n"
         "      www IN A " +
         address + "\n";
}

TEST(Lifecycle, CheckConfigListsEveryErrorWithLocation) {
  TempDir dir;
  const std::string file = dir.write("bad.yaml",
                                     "server:\n"
                                     "  listen: [\"127.0.0.1:99999\"]\n"
                                     "  wrokers: 2\n"
                                     "zones:\n"
                                     "  - origin: bad.test.\n"
                                     "    soa: {serial: 1}\n"
                                     "    ns: [ns1.bad.test.]\n"
                                     "    records: |\n"
                                     "      www IN A 192.0.2.1\n"
                                     "      bad IN A not-an-address\n");
  const auto r = run_command(std::string(FEDNS_BINARY) + " check-config " + file);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(has(r.output, file + ":2:")) << r.output;  // the port
  EXPECT_TRUE(has(r.output, file + ":3:3: unknown key \"wrokers\"")) << r.output;
  const auto good = dir.write("good.yaml", "zones:\n" + one_zone("192.0.2.1"));
  const auto ok = run_command(std::string(FEDNS_BINARY) + " check-config " + good);
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
}

TEST(Lifecycle, CheckConfigValidatesReverseZones) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/m");
  const std::string file = dir.write("r.yaml",
                                     "zones:\n"
                                     "  - origin: clusterset.local.\n"
                                     "    soa: {serial: 1}\n"
                                     "    ns: [ns1.clusterset.local.]\n"
                                     "clusters: [{name: east, manifests: m}]\n"
                                     "catalog:\n"
                                     "  reverse_zones: [example.com., 10.in-addr.arpa.]\n");
  const auto r = run_command(std::string(FEDNS_BINARY) + " check-config " + file);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(has(r.output, "example.com. is not under in-addr.arpa. or ip6.arpa.")) << r.output;
  EXPECT_TRUE(has(r.output, "10.in-addr.arpa. must also be listed in zones:")) << r.output;
}

TEST(Lifecycle, CheckConfigValidatesTheFederationZoneAndTheClusterView) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/m");
  const std::string file = dir.write("f.yaml",
                                     "zones:\n"
                                     "  - origin: clusterset.local.\n"
                                     "    soa: {serial: 1}\n"
                                     "    ns: [ns1.clusterset.local.]\n"
                                     "clusters:\n"
                                     "  - {name: east, manifests: m, region: svc}\n"    // line 6
                                     "  - {name: west, manifests: m, zone: us-a}\n"     // line 7: no region
                                     "  - {name: north, manifests: m, region: Eu.1}\n"  // line 8
                                     "catalog:\n"
                                     "  cluster_view_zone: clusterset.local.\n"
                                     "  federation: {name: svc, zone: fed.example., fallback: sideways}\n");
  const auto r = run_command(std::string(FEDNS_BINARY) + " check-config " + file);
  EXPECT_EQ(r.exit_code, 1);
  for (const char* expected :
       {"catalog.federation.name \"svc\" must be a DNS label",
        "catalog.federation.fallback must be inline or cname",
        "catalog.federation.zone fed.example. must also be listed in zones:",
        "catalog.cluster_view_zone clusterset.local. is already catalog.zone",
        ":6:40: clusters[0] (east).region \"svc\" must be a DNS label other than \"svc\"",
        ":7:5: clusters[1] (west).zone needs a region:", ":8:41: clusters[2] (north).region \"Eu.1\""}) {
    EXPECT_TRUE(has(r.output, expected)) << expected << "\n" << r.output;
  }
}

TEST(Lifecycle, CheckConfigValidatesHealthChecks) {
  TempDir dir;
  const std::string file =
      dir.write("h.yaml",
                "zones:\n"
                "  - origin: clusterset.local.\n"
                "    soa: {serial: 1}\n"
                "    ns: [ns1.clusterset.local.]\n"
                "health:\n"
                "  min_ttl: 60\n"
                "  max_ttl: 30\n"
                "  services:\n"
                "    - service: shop\n"  // line 9
                "      probe: {type: icmp}\n"
                "    - service: shop/web\n"
                "      fallback: sometimes\n"
                "      threshold: 50\n"
                "      probe: {type: tcp, path: /healthz, interval: 1s, timeout: 2s}\n"
                "    - service: shop/web\n"
                "      fallback: threshold\n"
                "      threshold: 0\n"
                "      probe: {type: http, path: healthz, ok_codes: [200, 700], rise: 0}\n"
                "    - service: shop/dns\n"
                "      probe: {type: dns, query_type: ANY}\n");
  const auto r = run_command(std::string(FEDNS_BINARY) + " check-config " + file);
  EXPECT_EQ(r.exit_code, 1);
  for (const char* expected :
       {"health.min_ttl must not exceed health.max_ttl",
        ":9:16: health.services[0].service \"shop\" must be namespace/name",
        "health.services[0].probe.type must be tcp, http, https or dns",
        "health.services[1].fallback must be open, closed, threshold or hierarchy",
        "health.services[1].threshold is for fallback: threshold",
        "health.services[1].probe.path is for http and https probes",
        "health.services[1].probe: timeout (2000 ms) must not exceed interval (1000 ms)",
        "health.services[2]: service shop/web has two health checks",
        "health.services[2].threshold must be a whole number from 1 to 100",
        "health.services[2].probe.path must start with /",
        "health.services[2].probe.ok_codes entry must be a whole number from 100 to 599",
        "health.services[2].probe.rise must be a whole number from 1 to 1000",
        "health.services[3].probe.query_name is required for dns probes",
        "health.services[3].probe.query_type must be one of A, AAAA"}) {
    EXPECT_TRUE(has(r.output, expected)) << expected << "\n" << r.output;
  }
}

TEST(Lifecycle, CheckConfigValidatesClustersAndCatalog) {
  TempDir dir;
  const std::string kubeconfig = dir.write("kc.yaml", "apiVersion: v1\nkind: Config\n");
  const std::string file = dir.write("bad.yaml",
                                     "zones:\n" + one_zone("192.0.2.1") +
                                         "clusters:\n"
                                         "  - name: East_1\n"  // line 8: not a DNS label
                                         "    kubeconfig: /nonexistent/kubeconfig\n"  // line 9
                                         "  - name: west\n"
                                         "    kubeconfig: kc.yaml\n"
                                         "    in_cluster: true\n"
                                         "    location: {latitude: 91, longitude: 0}\n"  // line 13
                                         "    colour: blue\n"                            // line 14
                                         "  - name: west\n"                              // line 15: twice
                                         "    kubeconfig: kc.yaml\n"
                                         "catalog:\n"
                                         "  publish_address: magic\n");  // line 18
  const auto r = run_command(std::string(FEDNS_BINARY) + " check-config " + file);
  EXPECT_EQ(r.exit_code, 1);
  for (const char* expected :
       {":8:11: clusters[0].name \"East_1\" must be a DNS label",
        ":9:17: clusters[0] (East_1).kubeconfig: cannot read",
        "clusters[1] (west) needs exactly one of kubeconfig:, in_cluster: true and manifests:", ":13:",
        ":14:5: unknown key \"colour\"", ":15:5: clusters[2]: cluster west is defined twice",
        ":18:20: catalog.publish_address must be one of",
        "catalog.zone clusterset.local. must also be listed in zones:"}) {
    EXPECT_TRUE(has(r.output, expected)) << expected << "\n" << r.output;
  }
  const auto good =
      dir.write("good.yaml", "zones:\n" + one_zone("192.0.2.1") +
                                 "  - origin: clusterset.local.\n"
                                 "    soa: {serial: 1}\n"
                                 "    ns: [ns1.clusterset.local.]\n"
                                 "clusters:\n"
                                 "  - {name: east, kubeconfig: kc.yaml, region: eu, weight: 3}\n");
  const auto ok = run_command(std::string(FEDNS_BINARY) + " check-config " + good);
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
}

TEST(Lifecycle, CheckConfigReportsRecordErrorsWithTheirLine) {
  TempDir dir;
  const std::string file =
      dir.write("bad.yaml", "zones:\n" + one_zone("192.0.2.1") + "      bad IN A 300.1.1.1\n");
  const auto r = run_command(std::string(FEDNS_BINARY) + " check-config " + file);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(has(r.output, file + ":7:")) << r.output;
}

TEST(Lifecycle, BrokenConfigRefusedAtStart) {
  TempDir dir;
  const std::string file = dir.write("bad.yaml", "zones: []\nextra: 1\n");
  Process p({FEDNS_BINARY, "serve", "--config", file}, dir.path() + "/log");
  EXPECT_EQ(p.wait(10s), 1);
  EXPECT_TRUE(has(p.log(), "unknown key \"extra\"")) << p.log();
}

TEST(Lifecycle, VersionCommand) {
  const auto r = run_command(std::string(FEDNS_BINARY) + " version");
  EXPECT_EQ(r.output, "fedns " FEDNS_VERSION "\n");
}

TEST(Lifecycle, ReloadSwapsZonesAndRejectsBrokenConfig) {
  FednsServer server("" + one_zone("192.0.2.1"));
  EXPECT_EQ(server.dig("www.reload.test +short").output, "192.0.2.1\n");

  server.rewrite_config(one_zone("192.0.2.2"));
  server.process().signal(SIGHUP);
  std::string answer;
  for (int i = 0; i < 100 && answer != "192.0.2.2\n"; ++i) {
    std::this_thread::sleep_for(20ms);
    answer = server.dig("www.reload.test +short").output;
  }
  EXPECT_EQ(answer, "192.0.2.2\n");

  // A broken config is logged and rejected; the previous data keeps serving.
  server.rewrite_config(one_zone("192.0.2.3") + "      oops IN A nonsense\n");
  server.process().signal(SIGHUP);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(server.dig("www.reload.test +short").output, "192.0.2.2\n");
  EXPECT_TRUE(has(server.process().log(), "reload rejected")) << server.process().log();

  const auto metrics =
      run_command("curl -s http://127.0.0.1:" + std::to_string(server.metrics_port()) + "/metrics");
  EXPECT_TRUE(has(metrics.output, "fedns_config_reloads_total{result=\"ok\"} 1")) << metrics.output;
  EXPECT_TRUE(has(metrics.output, "fedns_config_reloads_total{result=\"failed\"} 1")) << metrics.output;
  EXPECT_EQ(server.stop(), 0);
}

TEST(Lifecycle, MetricsHealthAndReadiness) {
  FednsServer server;
  server.dig("www.example.test");
  server.dig("missing.example.test");
  server.dig("www.example.test +tcp");
  const std::string base =
      "curl -s -o /dev/stdout -w ' %{http_code}' http://127.0.0.1:" + std::to_string(server.metrics_port());
  const auto metrics = run_command(base + "/metrics");
  EXPECT_TRUE(has(metrics.output, "fedns_dns_queries_total{transport=\"udp\"}")) << metrics.output;
  EXPECT_TRUE(has(metrics.output, "fedns_dns_queries_total{transport=\"tcp\"} 1")) << metrics.output;
  EXPECT_TRUE(has(metrics.output, "fedns_dns_responses_total{rcode=\"NXDOMAIN\"} 1")) << metrics.output;
  EXPECT_TRUE(has(metrics.output, "fedns_snapshot_generation 1")) << metrics.output;
  EXPECT_TRUE(has(metrics.output, "fedns_dns_tcp_connections_total 1")) << metrics.output;
  EXPECT_TRUE(has(run_command(base + "/healthz").output, "ok\n 200"));
  EXPECT_TRUE(has(run_command(base + "/readyz").output, "ready\n 200"));
  EXPECT_TRUE(has(run_command(base + "/nope").output, " 404"));
  EXPECT_EQ(server.stop(), 0);
}

TEST(Lifecycle, ListenFlagReplacesConfiguredAddresses) {
  TempDir dir;
  const std::uint16_t configured = free_port();
  const std::uint16_t flag = free_port();
  const std::string file =
      dir.write("fedns.yaml", "server:\n  listen: [\"127.0.0.1:" + std::to_string(configured) +
                                  "\"]\n  version: \"\"\nzones:\n" + one_zone("192.0.2.9"));
  Process p({FEDNS_BINARY, "serve", "--config", file, "--listen", "[::1]:" + std::to_string(flag)},
            dir.path() + "/log");
  std::optional<Bytes> reply;
  for (int i = 0; i < 200 && !reply; ++i) {
    std::this_thread::sleep_for(20ms);
    reply = udp_exchange("::1", flag, ldns_query("www.reload.test.", LDNS_RR_TYPE_A), 50ms);
  }
  ASSERT_TRUE(reply) << p.log();
  EXPECT_FALSE(udp_exchange("127.0.0.1", configured, ldns_query("www.reload.test.", LDNS_RR_TYPE_A), 200ms));
  // version: "" hides the version (RFC 4892 allows refusing).
  auto hidden = udp_exchange("::1", flag, ldns_query("version.bind.", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_CH));
  ASSERT_TRUE(hidden);
  EXPECT_EQ((*hidden)[3] & 0x0F, LDNS_RCODE_REFUSED);
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(10s), 0);
}

TEST(Lifecycle, SigtermExitsZeroAndStopsListening) {
  FednsServer server;
  EXPECT_TRUE(server.ask("www.example.test.", LDNS_RR_TYPE_A));
  EXPECT_EQ(server.stop(), 0);
  EXPECT_TRUE(has(server.process().log(), "stopped"));
  EXPECT_FALSE(
      udp_exchange("127.0.0.1", server.port(), ldns_query("www.example.test.", LDNS_RR_TYPE_A), 200ms));
}

TEST(Lifecycle, UdpGarbageNeverStopsService) {
  FednsServer server;
  std::uint32_t seed = 12345;
  for (int i = 0; i < 2000; ++i) {
    Bytes junk(static_cast<std::size_t>(seed % 600));
    for (auto& b : junk) {
      seed = seed * 1103515245u + 12345u;
      b = static_cast<std::uint8_t>(seed >> 16);
    }
    if (junk.size() > 2) junk[2] &= 0x7F;  // mostly queries, so they reach the parser
    udp_exchange("127.0.0.1", server.port(), junk, 1ms);
  }
  auto p = server.ask("www.example.test.", LDNS_RR_TYPE_A);
  ASSERT_TRUE(p);
  EXPECT_EQ(ldns_pkt_ancount(p.get()), 2);
  EXPECT_EQ(server.stop(), 0);
}

}  // namespace
}  // namespace fedns::e2e
