// End to end, the propagation engine: the real fedns binary with a host cluster and three member clusters
// (tests/cluster-fixture, four real kube-apiservers). Member clusters join as MemberCluster objects with a
// kubeconfig Secret; kinds are registered by FederatedTypeConfigs; federated objects are created, updated,
// moved, overridden by name and by selector, drifted, orphaned and deleted, a member goes down and comes
// back, and a second fedns replica takes over when the leader dies. What is checked is what the member
// clusters hold and what `kubectl get` shows on the host.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <ctime>
#include <functional>
#include <iomanip>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "support/federation_fixture.hpp"

namespace fedns::e2e {
namespace {

using namespace std::chrono_literals;

// Namespaces besides the shared kinds.
const std::string kTypes = std::string(R"(apiVersion: federation.fedns.io/v1alpha1
kind: FederatedTypeConfig
metadata: {name: namespaces}
spec: {target: {version: v1, kind: Namespace, resource: namespaces, scope: Cluster}}
---
)") + kSharedTypes;

class PropagationEngine : public FederationFixture {
 protected:
  static void SetUpTestSuite() { set_up_federation(kTypes); }
  static void TearDownTestSuite() { tear_down_federation(); }

  static std::string data_of(int cluster, const std::string& name, const std::string& key) {
    const auto cm = get(cluster, "configmap " + name + " -n shop");
    if (cm.is_null() || !cm.contains("data") || !cm["data"].contains(key)) return "<none>";
    return cm["data"][key].get<std::string>();
  }
  // "<cluster>=<status>" for each status.clusters entry, and the condition: "True OK | east=OK west=OK".
  static std::string status_of(const std::string& what) {
    const auto fo = get(kHost, what);
    if (fo.is_null()) return "<gone>";
    std::string out;
    const auto status = fo.value("status", nlohmann::json::object());
    for (const auto& c : status.value("conditions", nlohmann::json::array()))
      out += c.value("status", "") + " " + c.value("reason", "");
    out += " |";
    for (const auto& c : status.value("clusters", nlohmann::json::array()))
      out += " " + c.value("name", "") + "=" + c.value("status", "");
    return out;
  }
  static std::string expect_status(const std::string& what, const std::string& expected) {
    const std::string got = status_of(what);
    return got == expected ? "" : "status is \"" + got + "\", want \"" + expected + "\"";
  }
  static std::string cluster_message(const std::string& what, const std::string& cluster) {
    const auto fo = get(kHost, what);
    for (const auto& c :
         fo.value("status", nlohmann::json::object()).value("clusters", nlohmann::json::array()))
      if (c.value("name", "") == cluster) return c.value("message", "");
    return "<no entry>";
  }
  static std::string resource_version(int cluster, const std::string& what) {
    const auto o = get(cluster, what);
    return o.is_null() ? "<none>" : o["metadata"]["resourceVersion"].get<std::string>();
  }
};

// Runs first (gtest keeps declaration order): the namespace every later test's objects live in.
TEST_F(PropagationEngine, AClusterScopedObjectReachesEveryMemberAndMembersReportReady) {
  ASSERT_EQ(apply(kHost, R"(apiVersion: federation.fedns.io/v1alpha1
kind: ClusterFederatedObject
metadata: {name: shop}
spec:
  template: {apiVersion: v1, kind: Namespace, metadata: {labels: {team: shop}}}
  placement: {clusterSelector: {}}
)")
                .exit_code,
            0);
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(eventually([&] {
                const auto ns = get(i, "namespace shop");
                if (ns.is_null()) return std::string("no namespace shop in ") + kMembers[i];
                return ns["metadata"]["labels"].value("team", "") == "shop" ? "" : ns.dump();
              }),
              "");
  }
  EXPECT_EQ(eventually([] { return expect_status("cfo shop", "True OK | east=OK north=OK west=OK"); }), "");
  // What an operator sees.
  const auto members = kubectl(kHost, "get memberclusters");
  EXPECT_NE(members.output.find("True    Ready"), std::string::npos) << members.output;
  const auto listed = kubectl(kHost, "get cfo");
  EXPECT_NE(listed.output.find("shop   Namespace   True         OK"), std::string::npos) << listed.output;
}

TEST_F(PropagationEngine, OverridesBySelectorAndByNameApplyInOrderAndUpdatesFollow) {
  ASSERT_EQ(apply(kHost, R"(apiVersion: federation.fedns.io/v1alpha1
kind: FederatedObject
metadata: {name: settings, namespace: shop}
spec:
  template: {apiVersion: v1, kind: ConfigMap, data: {color: blue, tier: standard}}
  placement: {clusters: [{name: east}, {name: west}]}
  overrides:
    - clusterName: west
      patches: [{op: replace, path: /data/tier, value: west-only}]
    - clusterSelector: {matchLabels: {tier: gold}}
      patches: [{op: replace, path: /data/tier, value: gold}, {op: add, path: /data/extra, value: x}]
)")
                .exit_code,
            0);
  EXPECT_EQ(eventually([] {
              const std::string got = data_of(1, "settings", "tier") + " " + data_of(2, "settings", "tier") +
                                      " " + data_of(3, "settings", "tier") + " " +
                                      data_of(1, "settings", "extra");
              return got == "gold west-only <none> x" ? "" : got;
            }),
            "")
      << "east: the selector override; west: selector then name (the name wins); north: not placed";
  EXPECT_EQ(eventually([] { return expect_status("fo settings -n shop", "True OK | east=OK west=OK"); }), "");
  const auto cm = get(1, "configmap settings -n shop");
  EXPECT_EQ(cm["metadata"]["labels"].value("federation.fedns.io/managed", ""), "true");
  EXPECT_EQ(cm["metadata"]["annotations"].value("federation.fedns.io/federated-object", ""), "shop/settings");
  const auto fo = get(kHost, "fo settings -n shop");
  EXPECT_EQ(fo["status"]["observedGeneration"], fo["metadata"]["generation"]);
  EXPECT_NE(std::string(fo["metadata"]["finalizers"].dump()).find("federation.fedns.io/propagation"),
            std::string::npos);

  // Nothing changed: nothing is written again (the member objects keep their versions).
  const std::string east_rv = resource_version(1, "configmap settings -n shop");
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(resource_version(1, "configmap settings -n shop"), east_rv);

  ASSERT_EQ(kubectl(kHost,
                    "-n shop patch fo settings --type=merge -p "
                    "'{\"spec\":{\"template\":{\"data\":{\"color\":\"green\"}}}}'")
                .exit_code,
            0);
  EXPECT_EQ(eventually([] {
              const std::string got = data_of(1, "settings", "color") + " " + data_of(2, "settings", "color");
              return got == "green green" ? "" : got;
            }),
            "");
  EXPECT_EQ(eventually([] {
              const auto now = get(kHost, "fo settings -n shop");
              return now["status"]["observedGeneration"] == now["metadata"]["generation"]
                         ? ""
                         : now["status"].dump();
            }),
            "");
}

TEST_F(PropagationEngine, DriftIsCorrectedAndADeletedMemberObjectComesBack) {
  ASSERT_EQ(apply(kHost, R"(apiVersion: federation.fedns.io/v1alpha1
kind: FederatedObject
metadata: {name: drift, namespace: shop}
spec:
  template: {apiVersion: v1, kind: ConfigMap, data: {mode: strict}}
  placement: {clusters: [{name: north}]}
)")
                .exit_code,
            0);
  ASSERT_EQ(eventually([] { return data_of(3, "drift", "mode") == "strict" ? "" : "not created"; }), "");
  ASSERT_EQ(
      kubectl(3, "-n shop patch configmap drift --type=merge -p '{\"data\":{\"mode\":\"lax\"}}'").exit_code,
      0);
  EXPECT_EQ(
      eventually([] { return data_of(3, "drift", "mode") == "strict" ? "" : data_of(3, "drift", "mode"); }),
      "");
  ASSERT_EQ(kubectl(3, "-n shop delete configmap drift").exit_code, 0);
  EXPECT_EQ(eventually([] { return data_of(3, "drift", "mode") == "strict" ? "" : "not recreated"; }), "");
}

TEST_F(PropagationEngine, MovingBetweenClustersDeletesWhereItLeft) {
  ASSERT_EQ(apply(kHost, R"(apiVersion: federation.fedns.io/v1alpha1
kind: FederatedObject
metadata: {name: mover, namespace: shop}
spec:
  template: {apiVersion: v1, kind: ConfigMap, data: {k: v}}
  placement: {clusterSelector: {matchLabels: {region: eu}}}
)")
                .exit_code,
            0);
  ASSERT_EQ(eventually([] {
              const std::string got =
                  data_of(1, "mover", "k") + data_of(2, "mover", "k") + data_of(3, "mover", "k");
              return got == "v<none>v" ? "" : got;
            }),
            "");
  ASSERT_EQ(
      kubectl(kHost,
              "-n shop patch fo mover --type=merge -p "
              "'{\"spec\":{\"placement\":{\"clusterSelector\":{\"matchLabels\":{\"region\":\"us\"}}}}}'")
          .exit_code,
      0);
  EXPECT_EQ(eventually([] {
              const std::string got =
                  data_of(1, "mover", "k") + data_of(2, "mover", "k") + data_of(3, "mover", "k");
              return got == "<none>v<none>" ? "" : got;
            }),
            "");
  EXPECT_EQ(eventually([] { return expect_status("fo mover -n shop", "True OK | west=OK"); }), "");
  // A member cluster's labels are placement input too: north joins the US.
  ASSERT_EQ(kubectl(kHost, "label membercluster north region=us --overwrite").exit_code, 0);
  EXPECT_EQ(eventually([] { return data_of(3, "mover", "k") == "v" ? "" : "north did not get it"; }), "");
}

TEST_F(PropagationEngine, DeletionCleansUpThroughTheFinalizerOrOrphans) {
  ASSERT_EQ(apply(kHost, R"(apiVersion: federation.fedns.io/v1alpha1
kind: FederatedObject
metadata: {name: doomed, namespace: shop}
spec:
  template: {apiVersion: v1, kind: ConfigMap, data: {k: v}}
  placement: {clusters: [{name: east}, {name: west}]}
---
apiVersion: federation.fedns.io/v1alpha1
kind: FederatedObject
metadata: {name: kept, namespace: shop}
spec:
  template: {apiVersion: v1, kind: ConfigMap, data: {k: v}}
  placement: {clusters: [{name: east}]}
  deletionPolicy: Orphan
)")
                .exit_code,
            0);
  ASSERT_EQ(eventually([] {
              const std::string got =
                  data_of(1, "doomed", "k") + data_of(2, "doomed", "k") + data_of(1, "kept", "k");
              return got == "vvv" ? "" : got;
            }),
            "");
  ASSERT_EQ(kubectl(kHost, "-n shop delete fo doomed kept --wait=true --timeout=30s").exit_code, 0)
      << "the finalizer is released once the member objects are gone";
  EXPECT_EQ(data_of(1, "doomed", "k") + data_of(2, "doomed", "k"), "<none><none>");
  const auto kept = get(1, "configmap kept -n shop");
  ASSERT_FALSE(kept.is_null()) << "orphaned, not deleted";
  EXPECT_FALSE(
      kept["metadata"].value("labels", nlohmann::json::object()).contains("federation.fedns.io/managed"))
      << kept.dump();
}

TEST_F(PropagationEngine, BadInputShowsAsPreciseReasonsAndHarmsNoOtherCluster) {
  // An object of that name that is not ours exists in west.
  ASSERT_EQ(kubectl(2, "-n shop create configmap theirs --from-literal=owner=someone").exit_code, 0);
  ASSERT_EQ(apply(kHost, R"(apiVersion: federation.fedns.io/v1alpha1
kind: FederatedObject
metadata: {name: theirs, namespace: shop}
spec:
  template: {apiVersion: v1, kind: ConfigMap, data: {owner: us}}
  placement: {clusters: [{name: east}, {name: west}, {name: atlantis}]}
  overrides:
    - clusterName: east
      patches: [{op: replace, path: /data/missing, value: x}]
---
apiVersion: federation.fedns.io/v1alpha1
kind: FederatedObject
metadata: {name: rejected, namespace: shop}
spec:
  template: {apiVersion: v1, kind: Service, spec: {ports: [{port: 99999}]}}
  placement: {clusters: [{name: north}]}
---
apiVersion: federation.fedns.io/v1alpha1
kind: FederatedObject
metadata: {name: nowhere, namespace: shop}
spec:
  template: {apiVersion: v1, kind: ConfigMap}
  placement: {clusterSelector: {matchLabels: {region: mars}}}
---
apiVersion: federation.fedns.io/v1alpha1
kind: FederatedObject
metadata: {name: unfederated, namespace: shop}
spec:
  template: {apiVersion: v1, kind: Secret}
  placement: {clusterSelector: {}}
)")
                .exit_code,
            0);
  EXPECT_EQ(eventually([] {
              return expect_status("fo theirs -n shop",
                                   "False ClusterPropagationFailed | atlantis=ClusterNotFound "
                                   "east=ApplyOverridesFailed west=AlreadyExists");
            }),
            "");
  EXPECT_NE(cluster_message("fo theirs -n shop", "east").find("spec.overrides[0] (clusterName east)"),
            std::string::npos)
      << cluster_message("fo theirs -n shop", "east");
  EXPECT_EQ(data_of(2, "theirs", "owner"), "someone") << "never touched without adoptExisting";
  EXPECT_EQ(eventually([] {
              return expect_status("fo rejected -n shop",
                                   "False ClusterPropagationFailed | north=CreationFailed");
            }),
            "");
  EXPECT_NE(cluster_message("fo rejected -n shop", "north").find("422 Invalid"), std::string::npos)
      << cluster_message("fo rejected -n shop", "north");
  EXPECT_EQ(eventually([] { return expect_status("fo nowhere -n shop", "False NoClustersSelected |"); }), "");
  EXPECT_EQ(eventually([] { return expect_status("fo unfederated -n shop", "False TypeNotFederated |"); }),
            "");

  // Adoption is explicit: with adoptExisting, west's object becomes ours.
  ASSERT_EQ(kubectl(kHost, "-n shop patch fo theirs --type=merge -p '{\"spec\":{\"adoptExisting\":true}}'")
                .exit_code,
            0);
  EXPECT_EQ(
      eventually([] { return data_of(2, "theirs", "owner") == "us" ? "" : data_of(2, "theirs", "owner"); }),
      "");
}

TEST_F(PropagationEngine, AMemberWithRejectedCredentialsIsNotReadyAndHarmsNoOtherCluster) {
  // North's endpoint with a token the apiserver does not know (expired, revoked): every request gets 401.
  const auto flat = run_command(fixture_->kubectl(3) + " config view --raw --flatten --minify", 30);
  ASSERT_EQ(flat.exit_code, 0);
  std::string text = flat.output;
  for (const char* key : {"client-certificate-data: ", "client-key-data: "}) {
    const auto at = text.find(key);
    ASSERT_NE(at, std::string::npos) << text;
    text.erase(at, text.find('\n', at) - at + 1);
  }
  const auto user = text.find("  user:\n");
  ASSERT_NE(user, std::string::npos) << text;
  text.insert(user + 9, "    token: expired-token\n");
  const TempDir dir;
  ASSERT_EQ(kubectl(kHost, "-n fedns-system create secret generic stale --from-file=kubeconfig=" +
                               dir.write("kubeconfig", text))
                .exit_code,
            0);
  ASSERT_EQ(apply(kHost,
                  "apiVersion: federation.fedns.io/v1alpha1\nkind: MemberCluster\nmetadata: {name: stale}\n"
                  "spec: {apiEndpoint: '" +
                      fixture_->server(3) +
                      "', secretRef: {name: stale}}\n---\n"
                      "apiVersion: federation.fedns.io/v1alpha1\nkind: FederatedObject\n"
                      "metadata: {name: credentials, namespace: shop}\n"
                      "spec:\n  template: {apiVersion: v1, kind: ConfigMap, data: {k: v}}\n"
                      "  placement: {clusters: [{name: stale}, {name: east}]}\n")
                .exit_code,
            0);
  EXPECT_EQ(eventually([] {
              const auto r = kubectl(kHost, "get mc stale -o jsonpath={.status.conditions[0].reason}");
              return r.output == "CredentialsRejected" ? "" : r.output;
            }),
            "");
  EXPECT_EQ(eventually([] {
              return expect_status("fo credentials -n shop",
                                   "False ClusterPropagationFailed | east=OK stale=ClusterNotReady");
            }),
            "")
      << "the other cluster is not affected";
  ASSERT_EQ(kubectl(kHost, "delete mc stale").exit_code, 0);
  EXPECT_EQ(eventually([] {
              return expect_status("fo credentials -n shop",
                                   "False ClusterPropagationFailed | east=OK stale=ClusterNotFound");
            }),
            "")
      << "a cluster that left is reported, not silently dropped";
}

TEST_F(PropagationEngine, AMemberOutageIsReportedAndCaughtUpOnRecovery) {
  ASSERT_EQ(apply(kHost, R"(apiVersion: federation.fedns.io/v1alpha1
kind: FederatedObject
metadata: {name: outage, namespace: shop}
spec:
  template: {apiVersion: v1, kind: ConfigMap, data: {version: "1"}}
  placement: {clusters: [{name: east}, {name: north}]}
)")
                .exit_code,
            0);
  ASSERT_EQ(eventually([] { return expect_status("fo outage -n shop", "True OK | east=OK north=OK"); }), "");
  ASSERT_TRUE(fixture_->stop_apiserver(3));
  EXPECT_EQ(eventually([] {
              const auto r = kubectl(kHost, "get mc north -o jsonpath={.status.conditions[0].reason}");
              return r.output == "Unreachable" ? "" : r.output;
            }),
            "");
  ASSERT_EQ(kubectl(kHost,
                    "-n shop patch fo outage --type=merge -p "
                    "'{\"spec\":{\"template\":{\"data\":{\"version\":\"2\"}}}}'")
                .exit_code,
            0);
  // East is not held up by north.
  EXPECT_EQ(eventually([] { return data_of(1, "outage", "version") == "2" ? "" : "east not updated"; }, 15s),
            "");
  EXPECT_EQ(eventually([] {
              return expect_status("fo outage -n shop",
                                   "False ClusterPropagationFailed | east=OK north=ClusterNotReady");
            }),
            "");
  ASSERT_TRUE(fixture_->start_apiserver(3));
  EXPECT_EQ(eventually([] { return data_of(3, "outage", "version") == "2" ? "" : "north not caught up"; }),
            "");
  EXPECT_EQ(eventually([] { return expect_status("fo outage -n shop", "True OK | east=OK north=OK"); }), "");
}

TEST_F(PropagationEngine, AFederatedServiceIsAnsweredOnlyWherePlacedAndItsStatusSaysWhy) {
  ASSERT_EQ(apply(kHost, R"(apiVersion: federation.fedns.io/v1alpha1
kind: FederatedObject
metadata: {name: api, namespace: shop}
spec:
  template: {apiVersion: v1, kind: Service, spec: {ports: [{name: http, port: 80}]}}
  placement: {clusters: [{name: east}, {name: west}]}
---
apiVersion: federation.fedns.io/v1alpha1
kind: FederatedObject
metadata: {name: api-export, namespace: shop}
spec:
  template: {apiVersion: multicluster.x-k8s.io/v1alpha1, kind: ServiceExport, metadata: {name: api}}
  placement: {clusters: [{name: east}]}
)")
                .exit_code,
            0);
  // Not placed in north, but exported there by hand: north must not be answered.
  ASSERT_EQ(apply(3,
                  "apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\n"
                  "spec: {ports: [{name: http, port: 80}]}\n---\n"
                  "apiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceExport\n"
                  "metadata: {name: api, namespace: shop}\n")
                .exit_code,
            0);
  const auto cluster_ip = [](int cluster) {
    return kubectl(cluster, "-n shop get service api -o jsonpath={.spec.clusterIP}").output;
  };
  const auto answers = [] {
    const auto r = leader_->dig("+short api.shop.svc.clusterset.local A");
    return r.output;
  };
  ASSERT_EQ(
      eventually([] { return get(1, "serviceexport api -n shop").is_null() ? "no export in east" : ""; }),
      "");
  const std::string east_ip = cluster_ip(1);
  const std::string north_ip = cluster_ip(3);
  EXPECT_EQ(eventually([&] { return answers() == east_ip + "\n" ? "" : "answers: " + answers(); }), "")
      << "east: placed and exported; west: placed, not exported; north: exported, not placed";
  EXPECT_EQ(eventually([] {
              const auto fo = get(kHost, "fo api -n shop");
              for (const auto& c : fo["status"].value("clusters", nlohmann::json::array()))
                if (c.value("name", "") == "east" && c.contains("remoteStatus")) return std::string();
              return "no remoteStatus (statusCollection: Enabled) for east: " + fo["status"].dump();
            }),
            "");
  EXPECT_EQ(eventually([] {
              const auto fo = get(kHost, "fo api -n shop");
              std::string got;
              for (const auto& c : fo["status"].value("clusters", nlohmann::json::array()))
                got += c.value("name", "") + ": " + c.value("dns", "") + "; ";
              return got == "east: answered; west: not answered: no ServiceExport there; " ? "" : got;
            }),
            "");

  // The ServiceExport placed everywhere: north still is not answered (the Service's placement), west is.
  ASSERT_EQ(kubectl(kHost,
                    "-n shop patch fo api-export --type=merge -p "
                    "'{\"spec\":{\"placement\":{\"clusters\":[{\"name\":\"east\"},{\"name\":\"west\"},"
                    "{\"name\":\"north\"}]}}}'")
                .exit_code,
            0);
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(eventually([&] {
              const auto r = leader_->dig("+short api.shop.svc.clusterset.local A");
              const bool east = r.output.find(east_ip) != std::string::npos;
              const bool west = r.output.find(cluster_ip(2)) != std::string::npos;
              const bool north = r.output.find(north_ip) != std::string::npos;
              return east && west && !north ? "" : "answers: " + r.output;
            }),
            "");
}

// Last: it replaces the leader.
TEST_F(PropagationEngine, ASecondReplicaTakesOverWhenTheLeaderDiesWithoutRewriting) {
  ASSERT_EQ(apply(kHost, R"(apiVersion: federation.fedns.io/v1alpha1
kind: FederatedObject
metadata: {name: failover, namespace: shop}
spec:
  template: {apiVersion: v1, kind: ConfigMap, data: {round: "1"}}
  placement: {clusters: [{name: east}, {name: west}]}
)")
                .exit_code,
            0);
  ASSERT_EQ(eventually([] { return expect_status("fo failover -n shop", "True OK | east=OK west=OK"); }), "");
  second_ = start_replica("replica-b");
  std::this_thread::sleep_for(2s);  // the follower's caches fill; it must not write
  const std::string settings_rv = resource_version(1, "configmap settings -n shop");
  const std::string failover_rv = resource_version(2, "configmap failover -n shop");
  const auto holder = [] {
    return kubectl(kHost, "-n fedns-system get lease fedns-propagation -o jsonpath={.spec.holderIdentity}")
        .output;
  };
  ASSERT_EQ(holder(), "replica-a");

  leader_->process().signal(SIGKILL);
  leader_->process().wait(5s);
  const auto killed = std::chrono::system_clock::now();
  ASSERT_EQ(kubectl(kHost,
                    "-n shop patch fo failover --type=merge -p "
                    "'{\"spec\":{\"template\":{\"data\":{\"round\":\"2\"}}}}'")
                .exit_code,
            0);
  EXPECT_EQ(eventually([&] { return holder() == "replica-b" ? "" : holder(); }, 10s), "");
  // When the new holder took the lease, by its own record (acquireTime, microseconds, this machine's clock):
  // not how fast kubectl noticed. client-go's bound: the follower saw the last renewal at most one jittered
  // retry (0.5 s x (1 + up to 1.2)) after it happened, which was before the kill; it takes over at its first
  // try once the lease duration (3 s) has passed since then, another jittered retry at most: 3 + 2 x 1.1 s.
  const std::string acquired =
      kubectl(kHost, "-n fedns-system get lease fedns-propagation -o jsonpath={.spec.acquireTime}").output;
  std::tm tm{};
  std::istringstream in(acquired);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  ASSERT_FALSE(in.fail()) << acquired;
  double fraction = 0;
  if (in.peek() == '.') in >> fraction;
  const auto acquired_at = std::chrono::system_clock::from_time_t(timegm(&tm)) +
                           std::chrono::microseconds(static_cast<long>(fraction * 1e6));
  const auto took_over = std::chrono::duration_cast<std::chrono::milliseconds>(acquired_at - killed);
  std::cerr << "takeover " << took_over.count() << " ms after the kill (lease 3 s, retry 0.5 s)\n";
  // 5.2 s, plus 0.8 s for timers firing late on a loaded CI machine (sanitizers, tests running in parallel).
  EXPECT_LE(took_over, 6000ms) << "the lease lasts 3 s from the follower's last observation of a renewal";
  EXPECT_GT(took_over, 2000ms) << "not before the lease could have run out";
  EXPECT_EQ(eventually([] {
              const std::string got = data_of(1, "failover", "round") + data_of(2, "failover", "round");
              return got == "22" ? "" : got;
            }),
            "")
      << "the change made while no one led is not lost";
  EXPECT_EQ(eventually([] {
              const auto fo = get(kHost, "fo failover -n shop");
              return fo["status"]["observedGeneration"] == fo["metadata"]["generation"] ? ""
                                                                                        : "status behind";
            }),
            "");
  std::this_thread::sleep_for(1s);
  // Written once by the old leader, not again by the new one: what the status records is trusted.
  EXPECT_EQ(resource_version(1, "configmap settings -n shop"), settings_rv);
  EXPECT_NE(resource_version(2, "configmap failover -n shop"), failover_rv) << "updated once for round 2";
}

}  // namespace
}  // namespace fedns::e2e
