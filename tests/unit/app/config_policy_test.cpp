// Answer policies in config and in annotations: every error names the policy (its service) and the step; a
// valid policy becomes the model with the clusters' weights, priorities and coordinates by their ids; the
// explain ACL and the latency matrix are checked with the rest.
#include <gtest/gtest.h>

#include "app/config.hpp"
#include "app/policy_config.hpp"
#include "app/snapshot_factory.hpp"

namespace fedns::app {
namespace {

const std::string kBase =
    "zones:\n  - origin: clusterset.local.\n    soa: {serial: 1}\n    ns: [ns1.clusterset.local.]\n"
    "clusters:\n"
    "  - {name: east, manifests: /tmp, region: eu, location: {latitude: 50.1, longitude: 8.7}, weight: 7}\n"
    "  - {name: west, manifests: /tmp, region: us}\n";

TEST(ConfigPolicy, ErrorsNameTheServiceAndTheStep) {
  const auto config =
      parse_config(kBase +
                       "policies:\n"
                       "  - service: shop/web\n"
                       "    steps: [locality, {weighted: {count: 0}}, teleport, {sticky: {ipv4_prefix: 40}},"
                       " {latency: {source: guess}}, {max-answers: {count: 2, within: 3}}, health]\n"
                       "    weights: {east: 2, mars: 1}\n"
                       "  - service: shop/web\n"
                       "    steps: [round-robin]\n"
                       "  - service: nonamespace\n"
                       "    steps: []\n"
                       "  - service: shop/db\n"
                       "    steps: [latency]\n"
                       "    priorities: {east: 70000}\n",
                   "test.yaml");
  ASSERT_FALSE(config);
  const std::string& m = config.error().message;
  for (const char* expected :
       {"policies[0] (shop/web).steps[1] (weighted).count must be a whole number from 1 to 256",
        "policies[0] (shop/web).steps[2]: unknown step \"teleport\"",
        "policies[0] (shop/web).steps[3] (sticky).ipv4_prefix must be a whole number from 0 to 32",
        "policies[0] (shop/web).steps[4] (latency).source must be matrix (geo.latency) or measured",
        "unknown key \"within\" in policies[0] (shop/web).steps[5] (max-answers)",
        "policies[0] (shop/web).steps[6] (health): health is always the first step",
        "policies[0] (shop/web): weights: no cluster is named \"mars\"",
        "policies[1]: service shop/web has two policies",
        "policies[2].service \"nonamespace\" must be namespace/name",
        "policies[2] (nonamespace).steps must be a non-empty list",
        "policies[3] (shop/db).priorities.east must be a whole number from 0 to 65534",
        "policies[3] (shop/db): step 1 (latency): source matrix needs geo.latency"}) {
    EXPECT_NE(m.find(expected), std::string::npos) << expected << "\n" << m;
  }
  EXPECT_NE(m.find("test.yaml:"), std::string::npos) << "with file and line\n" << m;
}

TEST(ConfigPolicy, AValidPolicyBecomesTheModelWithClusterTraits) {
  auto config = parse_config(kBase +
                                 "geo:\n  latency: {eu: {us: 80ms}}\n"
                                 "policies:\n"
                                 "  - service: shop/web\n"
                                 "    steps: [health, locality, {geo-nearest: {within_km: 500}}, "
                                 "{latency: {within: 10ms}}, priority, {weighted: 2}, sticky, round-robin, "
                                 "{max-answers: 3}]\n"
                                 "    weights: {west: 5}\n"
                                 "    priorities: {east: 1}\n",
                             "test.yaml");
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_EQ(config->policies.size(), 1u);
  const PolicyConfig& p = config->policies[0];
  ASSERT_EQ(p.steps.size(), 8u) << "health is implied, not a step";
  EXPECT_EQ(p.steps[1].within, 500.0F);
  EXPECT_EQ(p.steps[2].within, 10.0F);
  EXPECT_EQ(p.steps[4].count, 2);
  EXPECT_EQ(p.steps[5].v4_prefix, 24) << "sticky's default IPv4 subnet";
  EXPECT_EQ(p.steps[7].count, 3);

  dns::ClientLocator::Config where;
  where.clusters = {{"east", "eu", "", {}, std::nullopt}, {"west", "us", "", {}, std::nullopt}};
  const auto locator = dns::ClientLocator::build(where).value();
  const auto policy = make_answer_policy(p, "policies[0]", config->clusters, locator);
  const model::PolicyCluster& east = policy->cluster(locator.id("east"));
  const model::PolicyCluster& west = policy->cluster(locator.id("west"));
  EXPECT_EQ(east.weight, 7u) << "the cluster's own weight";
  EXPECT_EQ(west.weight, 5u) << "the policy's weight";
  EXPECT_EQ(east.priority, 1);
  EXPECT_EQ(west.priority, 0xFFFF) << "unlisted: last";
  EXPECT_TRUE(east.has_coordinates);
  EXPECT_FALSE(west.has_coordinates);
  EXPECT_EQ(policy->source, "policies[0]");
}

TEST(ConfigPolicy, AnnotationsUseTheSameSchemaAndReportEveryProblem) {
  const auto ok =
      parse_answer_policy_annotation("{steps: [locality, {weighted: {count: 1}}], weights: {east: 3}}");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->steps.size(), 2u);
  const auto bad = parse_answer_policy_annotation("{steps: [nearest], service: shop/web}");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("unknown step \"nearest\""), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("unknown key \"service\""), std::string::npos) << bad.error().message;
  EXPECT_FALSE(parse_answer_policy_annotation("{steps: [locality"));
}

TEST(ConfigPolicy, ReadyEndpointWeightsFollowEachClustersReadyReplicas) {
  const auto parsed =
      parse_answer_policy_annotation("{steps: [{weighted: {count: 1}}], weights: ready-endpoints}");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_TRUE(parsed->weights_from_endpoints);
  EXPECT_TRUE(parsed->weights.empty());
  const auto wrong = parse_answer_policy_annotation("{steps: [weighted], weights: ready}");
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("a mapping of cluster -> weight, or ready-endpoints"),
            std::string::npos)
      << wrong.error().message;

  dns::ClientLocator::Config where;
  where.clusters = {{"east", "eu", "", {}, std::nullopt}, {"west", "us", "", {}, std::nullopt}};
  const auto locator = dns::ClientLocator::build(where).value();
  const auto policy = make_answer_policy(*parsed, "annotation", {}, locator);
  ASSERT_TRUE(policy->weights_from_endpoints);
  model::MergedService service;
  const auto shard = [&](const char* cluster, int ready, int not_ready, std::size_t addresses) {
    model::ServiceShard s;
    s.cluster = cluster;
    s.cluster_id = locator.id(cluster);
    s.addresses.assign(addresses, "10.0.0.1");
    for (int i = 0; i < ready + not_ready; ++i) {
      model::EndpointRecord e;
      e.addresses = {"10.1.0." + std::to_string(i + 1)};
      e.ready = i < ready;
      s.endpoints.push_back(e);
    }
    return s;
  };
  service.shards = {shard("east", 9, 3, 1), shard("west", 2, 0, 2)};
  const auto weighted = weighted_by_endpoints(*policy, service);
  EXPECT_EQ(weighted->cluster(locator.id("east")).weight, 9000u) << "ready endpoints only";
  EXPECT_EQ(weighted->cluster(locator.id("west")).weight, 1000u) << "2 ready over 2 addresses: 1000 each";
  EXPECT_EQ(policy->cluster(locator.id("east")).weight, 100u) << "the shared policy is left alone";
  service.shards[0].kind = model::ServiceKind::kHeadless;
  EXPECT_EQ(weighted_by_endpoints(*policy, service)->cluster(locator.id("east")).weight, 1000u)
      << "headless: each record is an endpoint";
  service.shards[1] = shard("west", 0, 4, 1);
  EXPECT_EQ(weighted_by_endpoints(*policy, service)->cluster(locator.id("west")).weight, 0u)
      << "nothing ready: drawn only when nothing else is left";
}

TEST(ConfigPolicy, ExplainAclAndLatencyMatrixAreChecked) {
  auto config = parse_config(kBase +
                                 "server:\n  explain: {label: a.b, allow: [10.0.0.0/33]}\n"
                                 "geo:\n  latency: {eu: {us: soon}}\n",
                             "test.yaml");
  ASSERT_FALSE(config);
  for (const char* expected : {"server.explain.label must be one DNS label",
                               "server.explain.allow: ", "geo.latency.eu.us must be a duration"}) {
    EXPECT_NE(config.error().message.find(expected), std::string::npos) << expected << "\n"
                                                                        << config.error().message;
  }
  config = parse_config(kBase + "server:\n  explain: false\n", "test.yaml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_TRUE(config->server.explain_label.empty());
}

}  // namespace
}  // namespace fedns::app
