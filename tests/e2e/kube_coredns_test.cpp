// End to end, a cluster's own DNS forwarding the clusterset zone to fedns, as pods use it: a real CoreDNS
// (built from its Go module, tests/tool-fixture) with its kubernetes plugin on a real apiserver
// (tests/cluster-fixture) answers cluster.local itself and forwards clusterset.local to fedns with the
// Corefile snippet of docs/coredns.md; `dig` asks CoreDNS exactly as a pod would (its search path included).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "support/federation_fixture.hpp"

namespace fedns::e2e {
namespace {

using namespace std::chrono_literals;

class CoreDnsForward : public FederationFixture {
 protected:
  static void SetUpTestSuite() {
    fixture_ = new ClusterFixture(1);
    if (!fixture_->available()) return;
    const auto built = run_command(FEDNS_SOURCE_DIR "/tests/tool-fixture coredns path 2>/dev/null", 1200);
    if (built.exit_code != 0) {
      setup_error_ = "CoreDNS could not be built from its Go module: " + built.output;
      return;
    }
    coredns_bin_ = built.output.substr(0, built.output.find('\n'));
    // fedns reads the cluster; CoreDNS reads it too (cluster.local) and forwards clusterset.local to fedns.
    fedns_ = new FednsServer(standard_zones_yaml() +
                             "  - origin: clusterset.local.\n    ttl: 5\n    soa: {serial: 1, minimum: 5}\n"
                             "    ns: [{name: ns1.clusterset.local., addresses: [127.0.0.1]}]\n"
                             "clusters:\n  - {name: local, kubeconfig: " +
                             fixture_->kubeconfig(kHost) + "}\ncatalog: {ttl: 5, debounce: 5ms}\n");
    files_ = new TempDir();
    coredns_port_ = free_port();
    const std::string corefile = files_->write("Corefile", corefile_text(fedns_->port()));
    coredns_ = new Process({coredns_bin_, "-conf", corefile, "-dns.port", std::to_string(coredns_port_)},
                           files_->path() + "/coredns.log");
  }
  static void TearDownTestSuite() {
    delete coredns_;
    delete fedns_;
    delete files_;
    coredns_ = nullptr;
    fedns_ = nullptr;
    files_ = nullptr;
    tear_down_federation();
  }

  // docs/coredns.md's snippet, with this test's ports and kubeconfig.
  static std::string corefile_text(std::uint16_t fedns_port) {
    return "clusterset.local {\n"
           "    forward . 127.0.0.1:" +
           std::to_string(fedns_port) +
           "\n"
           "    cache 5\n"
           "    errors\n"
           "}\n"
           ". {\n"
           "    kubernetes cluster.local {\n"
           "        kubeconfig " +
           fixture_->kubeconfig(kHost) +
           "\n"
           "    }\n"
           "    errors\n"
           "}\n";
  }
  // dig at CoreDNS, as a pod in namespace `shop` (resolv.conf search path and ndots:5) would ask.
  static CommandResult dig_coredns(const std::string& args) {
    return run_command("dig @127.0.0.1 -p " + std::to_string(coredns_port_) + " +time=2 +tries=2 " + args,
                       30);
  }

  inline static std::string coredns_bin_;
  inline static FednsServer* fedns_ = nullptr;
  inline static TempDir* files_ = nullptr;
  inline static Process* coredns_ = nullptr;
  inline static std::uint16_t coredns_port_ = 0;
};

TEST_F(CoreDnsForward, APodResolvesClusterAndClustersetNamesThroughItsClusterDns) {
  ASSERT_EQ(kubectl(kHost, "create namespace shop").exit_code, 0);
  ASSERT_EQ(apply(kHost, exported_service("api")).exit_code, 0);
  const std::string cluster_ip =
      kubectl(kHost, "-n shop get service api -o jsonpath={.spec.clusterIP}").output;
  ASSERT_FALSE(cluster_ip.empty());
  // The pod's own cluster's name, answered by CoreDNS's kubernetes plugin.
  EXPECT_EQ(eventually([&] {
              const auto r = dig_coredns("+short api.shop.svc.cluster.local A");
              return r.output == cluster_ip + "\n" ? "" : "cluster.local: " + r.output + coredns_->log();
            }),
            "");
  // The clusterset name, forwarded to fedns (which answers from the federated catalog).
  EXPECT_EQ(eventually([&] {
              const auto r = dig_coredns("+short api.shop.svc.clusterset.local A");
              return r.output == cluster_ip + "\n" ? "" : "clusterset.local: " + r.output;
            }),
            "");
  // As a pod asks: the short name with its search path (ndots:5 tries the search domains first).
  const auto search =
      dig_coredns("+search +ndots=5 +domain=shop.svc.cluster.local api.shop.svc.clusterset.local A");
  EXPECT_TRUE(has(search.output, cluster_ip)) << search.output;
  // Over TCP too, and fedns's negative answers come through (NXDOMAIN with its SOA).
  const auto tcp = dig_coredns("+tcp +short api.shop.svc.clusterset.local A");
  EXPECT_EQ(tcp.output, cluster_ip + "\n");
  const auto missing = dig_coredns("nothing.shop.svc.clusterset.local A");
  EXPECT_TRUE(has(missing.output, "status: NXDOMAIN")) << missing.output;
  EXPECT_TRUE(has(missing.output, "clusterset.local.") && has(missing.output, "SOA")) << missing.output;
  // The answer carries fedns's TTL (5 s) or less: CoreDNS's cache does not stretch it.
  const auto full = dig_coredns("+noall +answer api.shop.svc.clusterset.local A");
  std::istringstream answer(full.output);
  std::string owner;
  long ttl = -1;
  answer >> owner >> ttl;
  EXPECT_EQ(owner, "api.shop.svc.clusterset.local.") << full.output;
  EXPECT_GE(ttl, 0) << full.output;
  EXPECT_LE(ttl, 5) << full.output;
}

TEST_F(CoreDnsForward, ANewExportIsResolvableThroughCoreDnsWithinTheTtl) {
  // Asked before it exists: CoreDNS caches fedns's NXDOMAIN (for at most the SOA minimum, 5 s).
  EXPECT_TRUE(has(dig_coredns("late.shop.svc.clusterset.local A").output, "status: NXDOMAIN"));
  ASSERT_EQ(apply(kHost, exported_service("late")).exit_code, 0);
  const std::string cluster_ip =
      kubectl(kHost, "-n shop get service late -o jsonpath={.spec.clusterIP}").output;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(eventually([&] {
              const auto r = dig_coredns("+short late.shop.svc.clusterset.local A");
              return r.output == cluster_ip + "\n" ? "" : "answers: " + r.output;
            }),
            "");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("a new export answered through CoreDNS after %.1f s\n", seconds);
  // At worst a cached NXDOMAIN (fedns's negative TTL 5 s, CoreDNS's cache 5 s) is served before it.
  EXPECT_LT(seconds, 12.0);
}

}  // namespace
}  // namespace fedns::e2e
