// The propagation config: defaults, the host cluster required once, client-go's lease timing rule, and errors
// that name the key.
#include <gtest/gtest.h>

#include <fstream>

#include "app/config.hpp"

namespace fedns::app {
namespace {

const std::string kZones =
    "zones:\n  - origin: example.test.\n    soa: {serial: 1}\n    ns: [ns1.example.test.]\n";

TEST(ConfigPropagation, AbsentMeansOffAndDefaultsAreClientGos) {
  const auto off = parse_config(kZones, "test.yaml");
  ASSERT_TRUE(off) << off.error().message;
  EXPECT_FALSE(off->propagation);

  const auto on = parse_config(kZones + "propagation: {in_cluster: true}\n", "test.yaml");
  ASSERT_TRUE(on) << on.error().message;
  ASSERT_TRUE(on->propagation);
  EXPECT_EQ(on->propagation->namespace_, "fedns-system");
  EXPECT_EQ(on->propagation->lease_duration, std::chrono::seconds(15));
  EXPECT_EQ(on->propagation->renew_deadline, std::chrono::seconds(10));
  EXPECT_EQ(on->propagation->retry_period, std::chrono::seconds(2));
  EXPECT_EQ(on->propagation->field_manager, "fedns");
}

TEST(ConfigPropagation, ReadsEveryKeyAndResolvesTheKubeconfigPath) {
  const std::string dir = ::testing::TempDir();
  std::ofstream(dir + "/host.kubeconfig") << "apiVersion: v1\n";
  const auto config =
      parse_config(kZones +
                       "propagation:\n"
                       "  kubeconfig: host.kubeconfig\n"
                       "  namespace: fed\n"
                       "  identity: a\n"
                       "  workers: 8\n"
                       "  lease: {name: l, duration: 6s, renew_deadline: 4s, retry_period: 1s}\n"
                       "  probe: {interval: 1s, timeout: 500ms, fall: 3}\n"
                       "  request_timeout: 5s\n",
                   "test.yaml", dir);
  ASSERT_TRUE(config) << config.error().message;
  const auto& p = *config->propagation;
  EXPECT_EQ(p.kubeconfig, dir + "/host.kubeconfig");
  EXPECT_EQ(p.namespace_, "fed");
  EXPECT_EQ(p.workers, 8);
  EXPECT_EQ(p.lease_name, "l");
  EXPECT_EQ(p.lease_duration, std::chrono::seconds(6));
  EXPECT_EQ(p.probe_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(p.probe_fall, 3);
  EXPECT_EQ(p.request_timeout, std::chrono::seconds(5));
}

TEST(ConfigPropagation, ErrorsNameTheKey) {
  const std::pair<const char*, const char*> cases[] = {
      {"propagation: {}\n", "propagation needs the host cluster: kubeconfig, or in_cluster: true (not both)"},
      {"propagation: {kubeconfig: /nonexistent/k}\n", "propagation.kubeconfig: cannot read /nonexistent/k"},
      {"propagation: {in_cluster: true, lease: {duration: 5s, renew_deadline: 5s}}\n",
       "propagation.lease: duration must exceed renew_deadline, and renew_deadline 1.2 x retry_period"},
      {"propagation: {in_cluster: true, lease: {renew_deadline: 2s, retry_period: 2s}}\n",
       "propagation.lease: duration must exceed renew_deadline"},
      {"propagation: {in_cluster: true, workers: 0}\n",
       "propagation.workers must be a whole number from 1 to 64"},
      {"propagation: {in_cluster: true, namespace: Not_A_Name}\n", "propagation.namespace \"Not_A_Name\""},
      {"propagation: {in_cluster: true, leader: x}\n", "unknown key \"leader\" in propagation"},
  };
  for (const auto& [yaml, message] : cases) {
    const auto config = parse_config(kZones + yaml, "test.yaml");
    ASSERT_FALSE(config) << yaml;
    EXPECT_NE(config.error().message.find(message), std::string::npos) << yaml << "\n"
                                                                       << config.error().message;
  }
}

}  // namespace
}  // namespace fedns::app
