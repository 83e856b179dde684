// The transfer config: keys and secondaries are checked with the rest of the config, every problem named with
// its place; a valid section becomes the policy the data plane reads.
#include <gtest/gtest.h>

#include "app/config.hpp"
#include "app/snapshot_factory.hpp"

namespace fedns::app {
namespace {

const std::string kZones =
    "zones:\n  - origin: clusterset.local.\n    soa: {serial: 1}\n    ns: [ns1.clusterset.local.]\n";
const std::string kSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==";

TEST(ConfigTransfer, AValidSectionBecomesThePolicy) {
  const auto config = parse_config(kZones +
                                       "transfer:\n"
                                       "  keys:\n"
                                       "    - {name: xfr-key, algorithm: hmac-sha512, secret: \"" +
                                       kSecret +
                                       "\"}\n"
                                       "  secondaries:\n"
                                       "    - {name: knot, key: xfr-key, zones: [clusterset.local], from: "
                                       "[10.0.0.0/8], notify: [\"10.0.0.53:53\", \"[::1]:5300\"]}\n",
                                   "test.yaml");
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_EQ(config->transfer.secondaries.size(), 1U);
  EXPECT_EQ(config->transfer.secondaries[0].notify.size(), 2U);
  auto snapshot = build_snapshot(*config);
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  const auto& policy = (*snapshot)->options.transfer;
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->keys.at(0).algorithm, dns::TsigAlgorithm::kHmacSha512);
  EXPECT_EQ(policy->secondaries.at(0).zones.at(0), std::string("\x0a"
                                                               "clusterset\x05local\x00",
                                                               18));
  auto inside = dns::ClientAddress::parse("10.9.8.7");
  auto outside = dns::ClientAddress::parse("192.0.2.1");
  EXPECT_TRUE(policy->allows(policy->keys[0], policy->secondaries[0].zones[0], *inside));
  EXPECT_FALSE(policy->allows(policy->keys[0], policy->secondaries[0].zones[0], *outside));
}

TEST(ConfigTransfer, EveryProblemIsNamed) {
  const auto config = parse_config(kZones +
                                       "transfer:\n"
                                       "  keys:\n"
                                       "    - {name: a, secret: \"" +
                                       kSecret +
                                       "\", algorithm: hmac-md5}\n"
                                       "    - {name: b, secret: \"not base64\"}\n"
                                       "    - {name: c}\n"
                                       "    - {name: a, secret: \"" +
                                       kSecret +
                                       "\"}\n"
                                       "    - {name: d, secret_file: /nonexistent/secret}\n"
                                       "  secondaries:\n"
                                       "    - {key: nokey}\n"
                                       "    - {name: s}\n"
                                       "    - {key: c, zones: [elsewhere.test], from: [10.1.2.3/8], notify: "
                                       "[\"nowhere\"], color: blue}\n",
                                   "test.yaml");
  ASSERT_FALSE(config);
  for (const char* expected : {
           "transfer.keys[0] (a): unknown TSIG algorithm \"hmac-md5\"",
           "transfer.keys[1] (b): secret: not base64",
           "transfer.keys[2] needs a secret (base64) or a secret_file",
           "transfer.keys[3]: key a is defined twice",
           "transfer.keys[4].secret_file: cannot read /nonexistent/secret",
           "transfer.secondaries[0].key nokey is not one of transfer.keys",
           "transfer.secondaries[1] needs a key: transfers are signed (TSIG)",
           "unknown key \"color\" in transfer.secondaries[2]",
       }) {
    EXPECT_NE(config.error().message.find(expected), std::string::npos) << expected << "\n"
                                                                        << config.error().message;
  }
  const auto second = parse_config(kZones +
                                       "transfer:\n"
                                       "  keys: [{name: c, secret: \"" +
                                       kSecret +
                                       "\"}]\n"
                                       "  secondaries:\n"
                                       "    - {key: c, zones: [elsewhere.test], from: [10.1.2.3/8], notify: "
                                       "[\"nowhere\"]}\n",
                                   "test.yaml");
  ASSERT_FALSE(second);
  for (const char* expected :
       {"transfer.secondaries[0].zones: elsewhere.test is not one of zones:",
        "transfer.secondaries[0].from: \"10.1.2.3/8\"", "transfer.secondaries[0].notify: "}) {
    EXPECT_NE(second.error().message.find(expected), std::string::npos) << expected << "\n"
                                                                        << second.error().message;
  }
}

}  // namespace
}  // namespace fedns::app
