// End to end, replica scheduling: the real fedns binary, a host and three member clusters (four real
// kube-apiservers). A ReplicaSchedulingPreference spreads a federated Deployment's replicas by weight; the
// member Deployments get them; a member apiserver stopped loses its replicas to the others, and gets them
// back in bounded steps (rebalance) or not at all (no rebalance) when it returns; bad preferences show as
// status conditions and write nothing; DNS answers follow the clusters' ready endpoints (weights:
// ready-endpoints). No kube-controller-manager runs in the fixture: member workload status and EndpointSlices
// are written here as the members' controllers would.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/federation_fixture.hpp"

namespace fedns::e2e {
namespace {

using namespace std::chrono_literals;

// Deployments besides the shared kinds.
const std::string kTypes = std::string(R"(apiVersion: federation.fedns.io/v1alpha1
kind: FederatedTypeConfig
metadata: {name: deployments}
spec: {target: {group: apps, version: v1, kind: Deployment, resource: deployments, scope: Namespaced}}
---
)") + kSharedTypes;

// A federated Deployment placed in every member cluster.
std::string federated_deployment(const std::string& name, const std::string& extra_spec = "") {
  return "apiVersion: federation.fedns.io/v1alpha1\nkind: FederatedObject\n"
         "metadata: {name: " +
         name +
         ", namespace: shop}\n"
         "spec:\n"
         "  placement: {clusterSelector: {}}\n" +
         extra_spec +
         "  template:\n"
         "    apiVersion: apps/v1\n"
         "    kind: Deployment\n"
         "    spec:\n"
         "      replicas: 1\n"
         "      selector: {matchLabels: {app: " +
         name +
         "}}\n"
         "      template:\n"
         "        metadata: {labels: {app: " +
         name +
         "}}\n"
         "        spec: {containers: [{name: app, image: registry.example/app:1}]}\n";
}

class ReplicaScheduling : public FederationFixture {
 protected:
  static void SetUpTestSuite() {
    overrides_ = new TempDir();
    // Admin overrides (a drain) through the watched file.
    set_up_federation(
        kTypes, "health:\n  overrides: {file: " + overrides_->path() + "/overrides.yaml, poll: 100ms}\n");
    if (!fixture_->available() || !setup_error_.empty()) return;
    for (int i = 1; i <= 3; ++i)
      if (kubectl(i, "create namespace shop").exit_code != 0) setup_error_ = "namespace shop in a member";
  }
  static void TearDownTestSuite() {
    tear_down_federation();
    delete overrides_;
  }
  inline static TempDir* overrides_ = nullptr;

  // "east=15 north=7 west=8" from a map of cluster -> count.
  static std::string layout(const std::map<std::string, std::string>& counts) {
    std::string out;
    for (const auto& [name, n] : counts)
      out += (out.empty() ? "" : " ") + name + "=" + n;
    return out;
  }
  // The FederatedObject's spec.scheduledReplicas.
  static std::string scheduled(const std::string& name) {
    const auto fo = get(kHost, "fo " + name + " -n shop");
    std::map<std::string, std::string> counts;
    if (fo.is_null()) return "<no object>";
    const auto replicas = fo["spec"].value("scheduledReplicas", nlohmann::json::object());
    for (const auto& [cluster, n] : replicas.items())
      counts[cluster] = n.dump();
    return layout(counts);
  }
  // What each member's Deployment has in spec.replicas ("-" where it does not exist).
  static std::string member_replicas(const std::string& name) {
    std::map<std::string, std::string> counts;
    for (int i = 1; i <= 3; ++i) {
      const auto d = kubectl(i, "-n shop get deployment " + name + " -o jsonpath={.spec.replicas}");
      counts[kMembers[i]] = d.exit_code == 0 ? d.output : "-";
    }
    return layout(counts);
  }
  // "True Scheduled" (the Scheduled condition's status and reason) and its message.
  static std::pair<std::string, std::string> condition(const std::string& name) {
    const auto rsp = get(kHost, "rsp " + name + " -n shop");
    if (rsp.is_null()) return {"<no preference>", ""};
    const auto conditions =
        rsp.value("status", nlohmann::json::object()).value("conditions", nlohmann::json::array());
    for (const auto& c : conditions)
      if (c.value("type", "") == "Scheduled")
        return {c.value("status", "") + " " + c.value("reason", ""), c.value("message", "")};
    return {"<no condition>", rsp.dump()};
  }
  static std::string expect_condition(const std::string& name, const std::string& want,
                                      const std::string& message_part = "") {
    const auto [got, message] = condition(name);
    if (got == want && message.find(message_part) != std::string::npos) return "";
    return "condition \"" + got + ": " + message + "\", want \"" + want + "\" with \"" + message_part + "\"";
  }
  static std::string expect_layout(const std::string& name, const std::string& want) {
    const std::string fo = scheduled(name);
    const std::string members = member_replicas(name);
    if (fo == want && members == want) return "";
    return "scheduledReplicas \"" + fo + "\", members \"" + members + "\", want \"" + want + "\"";
  }
};

// Runs first: the layout every later check starts from.
TEST_F(ReplicaScheduling, ADeploymentIsDistributedByWeightAndTheStatusShowsWhatRuns) {
  ASSERT_EQ(apply(kHost, federated_deployment("web")).exit_code, 0);
  ASSERT_EQ(apply(kHost, R"(apiVersion: federation.fedns.io/v1alpha1
kind: ReplicaSchedulingPreference
metadata: {name: web, namespace: shop}
spec:
  totalReplicas: 40
  clusters:
    "*": {weight: 1}
    east: {weight: 2}
    north: {weight: 1, maxReplicas: 5}
)")
                .exit_code,
            0);
  // 2:1:1 of 40 is 20/10/10; north is capped at 5, and the 5 go by weight to east and west (water-filling:
  // east 2x, west 1x of the 35 left: 23.3 / 11.7 -> 23 / 12).
  EXPECT_EQ(eventually([] { return expect_layout("web", "east=23 north=5 west=12"); }), "");
  EXPECT_EQ(eventually([] { return expect_condition("web", "True Scheduled", "east 23, north 5, west 12"); }),
            "");
  // What the members run (their controllers would write this): the preference's status follows.
  ASSERT_EQ(kubectl(1,
                    "-n shop patch deployment web --subresource=status --type=merge -p "
                    "'{\"status\":{\"replicas\":23,\"readyReplicas\":21}}'")
                .exit_code,
            0);
  EXPECT_EQ(eventually([] {
              const auto rsp = get(kHost, "rsp web -n shop");
              const auto status = rsp.value("status", nlohmann::json::object());
              for (const auto& c : status.value("clusters", nlohmann::json::array())) {
                if (c.value("name", "") == "east" && c.value("readyReplicas", -1) == 21 &&
                    c.value("desiredReplicas", -1) == 23 && status.value("readyReplicas", -1) == 21 &&
                    status.value("scheduledReplicas", -1) == 40)
                  return std::string();
              }
              return status.dump();
            }),
            "");
  // What an operator sees: NAME TOTAL SCHEDULED READY REASON AGE.
  const auto listed = kubectl(kHost, "-n shop get rsp web --no-headers");
  std::istringstream columns(listed.output);
  std::string name, total, scheduled_total, ready, reason;
  columns >> name >> total >> scheduled_total >> ready >> reason;
  EXPECT_EQ(name + " " + total + " " + scheduled_total + " " + ready + " " + reason, "web 40 40 21 Scheduled")
      << listed.output;

  // A new total and weight: straight to the new layout.
  ASSERT_EQ(kubectl(kHost,
                    "-n shop patch rsp web --type=merge -p "
                    "'{\"spec\":{\"totalReplicas\":12,\"clusters\":{\"east\":{\"weight\":1}}}}'")
                .exit_code,
            0);
  EXPECT_EQ(eventually([] { return expect_layout("web", "east=4 north=4 west=4"); }), "");
  // Nothing changed: nothing is written again.
  const std::string version = get(kHost, "fo web -n shop")["metadata"]["resourceVersion"];
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(get(kHost, "fo web -n shop")["metadata"]["resourceVersion"], version);
}

TEST_F(ReplicaScheduling, AStoppedClusterLosesItsReplicasAndRebalanceBringsThemBackInSteps) {
  ASSERT_EQ(apply(kHost, federated_deployment("batch")).exit_code, 0);
  ASSERT_EQ(apply(kHost, R"(apiVersion: federation.fedns.io/v1alpha1
kind: ReplicaSchedulingPreference
metadata: {name: batch, namespace: shop}
spec:
  totalReplicas: 9
  clusters: {"*": {weight: 1}}
)")
                .exit_code,
            0);
  // "web" (from the first test, 4/4/4) rebalances in steps of 2 every 3 s; "batch" does not rebalance.
  ASSERT_EQ(
      kubectl(kHost,
              "-n shop patch rsp web --type=merge -p "
              "'{\"spec\":{\"rebalance\":true,\"rebalanceStep\":{\"replicas\":2,\"intervalSeconds\":3}}}'")
          .exit_code,
      0);
  ASSERT_EQ(eventually([] { return expect_layout("web", "east=4 north=4 west=4"); }), "");
  ASSERT_EQ(eventually([] { return expect_layout("batch", "east=3 north=3 west=3"); }), "");

  const auto stopping = std::chrono::steady_clock::now();
  ASSERT_TRUE(fixture_->stop_apiserver(3));
  const auto stopped = std::chrono::steady_clock::now();  // its graceful shutdown has ended
  // North's replicas go to east and west (its own Deployment cannot be written while it is down).
  EXPECT_EQ(eventually([] { return scheduled("web") == "east=6 north=0 west=6" ? "" : scheduled("web"); }),
            "");
  const double moved = std::chrono::duration<double>(std::chrono::steady_clock::now() - stopped).count();
  std::printf(
      "replicas moved off the stopped cluster %.1f s after its apiserver was gone (%.1f s after SIGTERM)\n",
      moved, std::chrono::duration<double>(stopped - stopping).count() + moved);
  EXPECT_LT(moved, 10.0) << "probe: every 300 ms, timeout 1 s, not ready after 2 failures";
  EXPECT_EQ(eventually([] {
              const std::string got = scheduled("batch");
              return got == "east=5 north=0 west=4" || got == "east=4 north=0 west=5" ? "" : got;
            }),
            "");
  EXPECT_EQ(eventually([] { return expect_condition("web", "True Scheduled", "north 0"); }), "");
  EXPECT_EQ(eventually([] {
              const auto east = kubectl(1, "-n shop get deployment web -o jsonpath={.spec.replicas}").output;
              const auto west = kubectl(2, "-n shop get deployment web -o jsonpath={.spec.replicas}").output;
              return east == "6" && west == "6" ? "" : east + " " + west;
            }),
            "");
  const std::string batch_while_down = scheduled("batch");

  // Rebalance: north gets its share back 2 replicas at a time, one step per 3 s, the total staying 12.
  std::vector<std::pair<double, std::string>> seen{{0.0, scheduled("web")}};  // while north is down
  ASSERT_TRUE(fixture_->start_apiserver(3));
  const auto back = std::chrono::steady_clock::now();  // its apiserver answers /readyz again
  const std::string done = eventually(
      [&] {
        const std::string now = scheduled("web");
        if (seen.empty() || seen.back().second != now)
          seen.emplace_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - back).count(),
                            now);
        return now == "east=4 north=4 west=4" ? "" : now;
      },
      40s);
  EXPECT_EQ(done, "");
  std::string trace;
  for (const auto& [at, layout] : seen)
    trace += std::to_string(at).substr(0, 4) + "s " + layout + "; ";
  std::printf("rebalance after the return: %s\n", trace.c_str());
  ASSERT_GE(seen.size(), 3U) << trace;
  EXPECT_NE(seen[seen.size() - 2].second.find("north=2"), std::string::npos) << "one step of 2: " << trace;
  EXPECT_GE(seen.back().first - seen[seen.size() - 2].first, 2.5) << "steps 3 s apart: " << trace;
  EXPECT_EQ(eventually([] { return expect_layout("web", "east=4 north=4 west=4"); }), "");
  // No rebalance: north stays empty; nothing moves back.
  std::this_thread::sleep_for(4s);
  EXPECT_EQ(scheduled("batch"), batch_while_down);
  EXPECT_EQ(eventually([] {
              const auto north =
                  kubectl(3, "-n shop get deployment batch -o jsonpath={.spec.replicas}").output;
              return north == "0" ? "" : "north runs " + north;
            }),
            "");
}

TEST_F(ReplicaScheduling, ADrainedClusterLosesItsReplicasUntilTheDrainEnds) {
  ASSERT_EQ(apply(kHost, federated_deployment("drained")).exit_code, 0);
  ASSERT_EQ(apply(kHost, R"(apiVersion: federation.fedns.io/v1alpha1
kind: ReplicaSchedulingPreference
metadata: {name: drained, namespace: shop}
spec:
  totalReplicas: 6
  clusters: {"*": {weight: 1}}
  rebalance: true
)")
                .exit_code,
            0);
  ASSERT_EQ(eventually([] { return expect_layout("drained", "east=2 north=2 west=2"); }), "");
  // An operator drains west (its health on the DNS side forced down): its replicas go, though its API is
  // fine.
  ASSERT_FALSE(
      overrides_
          ->write("overrides.yaml", "overrides:\n  - {cluster: west, state: down, reason: kernel upgrade}\n")
          .empty());
  const auto drained = std::chrono::steady_clock::now();
  EXPECT_EQ(eventually([] { return expect_layout("drained", "east=3 north=3 west=0"); }), "");
  std::printf("replicas left the drained cluster after %.1f s (resync 5 s)\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - drained).count());
  EXPECT_EQ(eventually([] {
              const auto rsp = get(kHost, "rsp drained -n shop");
              for (const auto& c : rsp["status"].value("clusters", nlohmann::json::array()))
                if (c.value("name", "") == "west" && !c.value("available", true) &&
                    c.value("message", "").find("forced down by an admin override") != std::string::npos)
                  return std::string();
              return rsp["status"].dump();
            }),
            "");
  // The drain ends: rebalance gives west its share back (one step of 2, a quarter of 6 rounded up).
  ASSERT_FALSE(overrides_->write("overrides.yaml", "overrides: []\n").empty());
  EXPECT_EQ(eventually([] { return expect_layout("drained", "east=2 north=2 west=2"); }), "");
}

TEST_F(ReplicaScheduling, BadPreferencesAreReportedAndWriteNothing) {
  // The schema refuses what it can say.
  const auto negative = apply(kHost, R"(apiVersion: federation.fedns.io/v1alpha1
kind: ReplicaSchedulingPreference
metadata: {name: odd, namespace: shop}
spec: {totalReplicas: -1, clusters: {east: {weight: 1}}}
)");
  EXPECT_NE(negative.exit_code, 0);
  EXPECT_NE(negative.output.find("spec.totalReplicas"), std::string::npos) << negative.output;
  const auto inverted = apply(kHost, R"(apiVersion: federation.fedns.io/v1alpha1
kind: ReplicaSchedulingPreference
metadata: {name: odd, namespace: shop}
spec: {totalReplicas: 3, clusters: {east: {weight: 1, minReplicas: 5, maxReplicas: 2}}}
)");
  EXPECT_NE(inverted.exit_code, 0);
  EXPECT_NE(inverted.output.find("minReplicas must not be above maxReplicas"), std::string::npos)
      << inverted.output;

  ASSERT_EQ(apply(kHost, federated_deployment("mins") + "---\n" + federated_deployment("zero") + "---\n" +
                             federated_deployment("kept", "  retainReplicas: true\n") + R"(---
apiVersion: federation.fedns.io/v1alpha1
kind: FederatedObject
metadata: {name: settings, namespace: shop}
spec:
  template: {apiVersion: v1, kind: ConfigMap, data: {k: v}}
  placement: {clusterSelector: {}}
---
apiVersion: federation.fedns.io/v1alpha1
kind: ReplicaSchedulingPreference
metadata: {name: missing, namespace: shop}
spec: {totalReplicas: 3, clusters: {"*": {weight: 1}}}
---
apiVersion: federation.fedns.io/v1alpha1
kind: ReplicaSchedulingPreference
metadata: {name: settings, namespace: shop}
spec: {totalReplicas: 3, clusters: {"*": {weight: 1}}}
---
apiVersion: federation.fedns.io/v1alpha1
kind: ReplicaSchedulingPreference
metadata: {name: mins, namespace: shop}
spec: {totalReplicas: 6, clusters: {"*": {weight: 1, minReplicas: 3}}}
---
apiVersion: federation.fedns.io/v1alpha1
kind: ReplicaSchedulingPreference
metadata: {name: zero, namespace: shop}
spec: {totalReplicas: 6, clusters: {"*": {weight: 0}}}
---
apiVersion: federation.fedns.io/v1alpha1
kind: ReplicaSchedulingPreference
metadata: {name: kept, namespace: shop}
spec: {totalReplicas: 6, clusters: {"*": {weight: 1}}}
)")
                .exit_code,
            0);
  EXPECT_EQ(eventually([] {
              return expect_condition("missing", "False TargetNotFound", "no FederatedObject shop/missing");
            }),
            "");
  EXPECT_EQ(eventually([] {
              return expect_condition("settings", "False TargetHasNoReplicas", "propagates a ConfigMap");
            }),
            "");
  EXPECT_EQ(eventually([] {
              return expect_condition(
                  "mins", "False InvalidPreference",
                  "the minReplicas of the 3 placed clusters add up to 9, above totalReplicas 6");
            }),
            "");
  EXPECT_EQ(eventually([] {
              return expect_condition("zero", "False InvalidPreference", "the weights sum to zero");
            }),
            "");
  EXPECT_EQ(
      eventually([] { return expect_condition("kept", "False TargetRetainsReplicas", "retainReplicas"); }),
      "");
  // Nothing was written into the federated objects; the members run the template's replicas.
  for (const char* name : {"settings", "mins", "zero", "kept"})
    EXPECT_EQ(scheduled(name), "") << name;
  EXPECT_EQ(eventually([] {
              const std::string members = member_replicas("mins");
              return members == "east=1 north=1 west=1" ? "" : members;
            }),
            "");

  // Fixed: scheduled. Deleted: the template's replicas apply again.
  ASSERT_EQ(
      kubectl(kHost, "-n shop patch rsp mins --type=merge -p '{\"spec\":{\"totalReplicas\":9}}'").exit_code,
      0);
  EXPECT_EQ(eventually([] { return expect_layout("mins", "east=3 north=3 west=3"); }), "");
  ASSERT_EQ(kubectl(kHost, "-n shop delete rsp mins").exit_code, 0);
  EXPECT_EQ(eventually([] {
              const std::string fo = scheduled("mins");
              const std::string members = member_replicas("mins");
              return fo.empty() && members == "east=1 north=1 west=1" ? "" : fo + " / " + members;
            }),
            "");
}

TEST_F(ReplicaScheduling, DnsAnswersFollowEachClustersReadyEndpoints) {
  // A federated Service with the policy "one answer, drawn by ready endpoints", exported from east and west.
  ASSERT_EQ(apply(kHost, R"(apiVersion: federation.fedns.io/v1alpha1
kind: FederatedObject
metadata: {name: front, namespace: shop}
spec:
  template:
    apiVersion: v1
    kind: Service
    metadata:
      annotations:
        fedns.io/answer-policy: "{steps: [{weighted: {count: 1}}], weights: ready-endpoints}"
    spec: {ports: [{name: http, port: 80}]}
  placement: {clusters: [{name: east}, {name: west}]}
---
apiVersion: federation.fedns.io/v1alpha1
kind: FederatedObject
metadata: {name: front-export, namespace: shop}
spec:
  template: {apiVersion: multicluster.x-k8s.io/v1alpha1, kind: ServiceExport, metadata: {name: front}}
  placement: {clusters: [{name: east}, {name: west}]}
)")
                .exit_code,
            0);
  // Ready endpoints as the members' EndpointSlice controllers would write them: east 9, west 1.
  const auto slices = [](int cluster, int ready, int base) {
    std::string yaml =
        "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
        "metadata: {name: front-1, namespace: shop, labels: {kubernetes.io/service-name: front}}\n"
        "addressType: IPv4\nports: [{name: http, port: 80}]\nendpoints:\n";
    for (int i = 0; i < 10; ++i) {
      yaml += "- {addresses: [10." + std::to_string(base) + ".0." + std::to_string(i + 1) +
              "], conditions: {ready: " + (i < ready ? "true" : "false") + "}}\n";
    }
    return apply(cluster, yaml).exit_code == 0;
  };
  ASSERT_EQ(eventually([] {
              return get(1, "service front -n shop").is_null() || get(2, "service front -n shop").is_null()
                         ? "services not propagated"
                         : "";
            }),
            "");
  ASSERT_TRUE(slices(1, 9, 31));
  ASSERT_TRUE(slices(2, 1, 32));
  const std::string east_ip = kubectl(1, "-n shop get service front -o jsonpath={.spec.clusterIP}").output;
  const std::string west_ip = kubectl(2, "-n shop get service front -o jsonpath={.spec.clusterIP}").output;
  // Counts of each cluster's address over `n` queries (one answer each).
  const auto draw = [&](int n) {
    std::map<std::string, int> counts;
    for (int i = 0; i < n; ++i) {
      const auto r = leader_->dig("+short front.shop.svc.clusterset.local A");
      ++counts[r.output == east_ip + "\n" ? "east" : r.output == west_ip + "\n" ? "west" : "other"];
    }
    return counts;
  };
  ASSERT_EQ(eventually([&] {
              const auto c = draw(20);
              return c.count("east") != 0 && c.count("west") != 0 ? "" : "not both clusters answered yet";
            }),
            "");
  // 200 draws with p(east) = 0.9: mean 180, standard deviation 4.2; [160, 196] is beyond 3.8 sigma on either
  // side, and equal weights (mean 100) could not land in it.
  auto counts = draw(200);
  std::printf("ready 9:1 -> answers east %d, west %d\n", counts["east"], counts["west"]);
  EXPECT_EQ(counts["other"], 0);
  EXPECT_GE(counts["east"], 160);
  EXPECT_LE(counts["east"], 196);
  // The replicas move (west 9 ready, east 1): so do the answers.
  ASSERT_TRUE(slices(1, 1, 31));
  ASSERT_TRUE(slices(2, 9, 32));
  EXPECT_EQ(eventually([&] {
              auto c = draw(20);
              return c["west"] >= 14 ? "" : "west answered " + std::to_string(c["west"]) + " of 20";
            }),
            "");
  counts = draw(200);
  std::printf("ready 1:9 -> answers east %d, west %d\n", counts["east"], counts["west"]);
  EXPECT_GE(counts["west"], 160);
  EXPECT_LE(counts["west"], 196);
  // Explain shows the weights the draw used (9000 and 1000: ready endpoints x 1000).
  const auto explain = leader_->dig("+short _explain.front.shop.svc.clusterset.local TXT");
  EXPECT_NE(explain.output.find("9000"), std::string::npos) << explain.output;
}

}  // namespace
}  // namespace fedns::e2e
