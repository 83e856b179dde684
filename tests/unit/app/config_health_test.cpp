// The health parts of the config: cluster checks (their defaults, and what a manifests cluster cannot have),
// the overrides settings, and a Service's health-check annotation.
#include <gtest/gtest.h>

#include "app/config.hpp"

namespace fedns::app {
namespace {

using namespace std::chrono_literals;

const std::string kZones =
    "zones:\n  - origin: clusterset.local.\n    soa: {serial: 1}\n    ns: [ns1.clusterset.local.]\n";

TEST(ConfigHealth, AManifestsClusterHasNoApiCheckAndAnApiClusterGetsKubeFedsDefaults) {
  // A manifests cluster with an API check would fail it forever and drop out of every answer: a bug that a
  // default `api: true` once caused.
  const auto config =
      parse_config(kZones +
                       "clusters:\n"
                       "  - {name: east, manifests: /tmp}\n"
                       "  - {name: west, manifests: /tmp, health: {gateway: {address: 10.0.0.1, "
                       "type: tcp, port: 443}}}\n",
                   "test.yaml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_FALSE(config->clusters[0].health.api);
  EXPECT_FALSE(config->clusters[1].health.api);
  ASSERT_TRUE(config->clusters[1].health.gateway.has_value());
  EXPECT_EQ(config->clusters[1].health.gateway_address, "10.0.0.1");
  EXPECT_EQ(config->clusters[1].health.gateway->port, 443);

  const ClusterHealthConfig defaults;
  EXPECT_TRUE(defaults.api);
  EXPECT_EQ(defaults.api_check.interval, 10s);
  EXPECT_EQ(defaults.api_check.timeout, 3s);
  EXPECT_EQ(defaults.api_check.thresholds.fall, 3);
  EXPECT_EQ(defaults.api_check.thresholds.rise, 1);
  EXPECT_EQ(defaults.watch_max_age, 0ms) << "off unless asked for";
}

TEST(ConfigHealth, ClusterChecksAndOverridesAreValidated) {
  const auto config =
      parse_config(kZones +
                       "clusters:\n"
                       "  - name: east\n"
                       "    manifests: /tmp\n"
                       "    health:\n"
                       "      api: {interval: 5s}\n"
                       "      watch_max_age: 500ms\n"
                       "      gateway: {type: tcp, address: nowhere}\n"
                       "health:\n"
                       "  overrides: {file: o.yaml, poll: 1ms, token_file: /nonexistent/token, "
                       "allow_remote: maybe, colour: red}\n",
                   "test.yaml");
  ASSERT_FALSE(config);
  for (const char* expected :
       {"clusters[0] (east).health.api: a manifests cluster has no API to check",
        "clusters[0] (east).health.watch_max_age must be 0 (off) or at least 1s",
        "clusters[0] (east).health.watch_max_age: a manifests cluster has no watch",
        "clusters[0] (east).health.gateway.address \"nowhere\" is not an IP address",
        "clusters[0] (east).health.gateway.port is required", "unknown key \"colour\" in health.overrides",
        "health.overrides.token_file: cannot read /nonexistent/token",
        "health.overrides.poll must be at least 10ms",
        "health.overrides.allow_remote must be true or false"}) {
    EXPECT_NE(config.error().message.find(expected), std::string::npos) << expected << "\n"
                                                                        << config.error().message;
  }
}

TEST(ConfigHealth, TheAnnotationIsAHealthServicesEntryWithoutService) {
  const auto check = parse_health_check_annotation(
      "{probe: {type: http, port: 8080, path: /healthz, ok_codes: [200, 204]}, fallback: closed}");
  ASSERT_TRUE(check) << check.error().message;
  EXPECT_EQ(check->probe.kind, health::ProbeKind::kHttp);
  EXPECT_EQ(check->probe.port, 8080);
  EXPECT_EQ(check->probe.path, "/healthz");
  EXPECT_EQ(check->policy.fallback, model::HealthFallback::kClosed);

  const auto json = parse_health_check_annotation(R"({"probe": {"type": "tcp"}})");
  ASSERT_TRUE(json) << json.error().message;
  EXPECT_EQ(json->probe.kind, health::ProbeKind::kTcp);

  for (const char* bad : {"{probe: {type: icmp}}", "{service: shop/web, probe: {type: tcp}}", "[", "tcp",
                          "{fallback: closed}"}) {
    EXPECT_FALSE(parse_health_check_annotation(bad)) << bad;
  }
}

}  // namespace
}  // namespace fedns::app
