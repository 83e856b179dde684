// End to end, the propagation engine's API and its writes against a real kube-apiserver
// (tests/cluster-fixture): the CRDs in deploy/crds are accepted and enforce their schemas (what the apiserver
// refuses never reaches the engine), `kubectl get` shows federated objects usefully, and the object the
// engine computes for a member cluster, written by server-side apply, is created as asked, keeps what the
// member owns (the clusterIP it assigned), and is not changed at all by a second identical write.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/asio.hpp"
#include "support/cluster_fixture.hpp"
#include "support/run_awaitable.hpp"
#include "sync/api_client.hpp"
#include "sync/api_writer.hpp"
#include "sync/kubeconfig.hpp"
#include "sync/propagation/desired_object.hpp"
#include "sync/propagation/federated_object.hpp"

namespace fedns::e2e {
namespace {

namespace asio = boost::asio;

class KubePropagation : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fixture_ = new ClusterFixture(1);
    if (!fixture_->available()) return;
    const std::string kubectl = fixture_->kubectl(0);
    crds_installed_ =
        run_command(kubectl + " apply -f " FEDNS_SOURCE_DIR "/deploy/crds/", 60).exit_code == 0 &&
        run_command(
            kubectl +
                " wait --for=condition=established --timeout=60s"
                " crd/federatedobjects.federation.fedns.io crd/clusterfederatedobjects.federation.fedns.io"
                " crd/federatedtypeconfigs.federation.fedns.io crd/memberclusters.federation.fedns.io",
            70)
                .exit_code == 0;
  }
  static void TearDownTestSuite() { delete fixture_; }
  void SetUp() override {
    if (!fixture_->available()) GTEST_SKIP() << "SKIPPED LOUDLY: " << fixture_->why();
    ASSERT_TRUE(crds_installed_) << "the CRDs in deploy/crds were not accepted";
    kubectl_ = fixture_->kubectl(0);
  }
  CommandResult apply(const std::string& yaml) {
    return run_command(kubectl_ + " apply -f " + dir_.write("o.yaml", yaml));
  }

  static ClusterFixture* fixture_;
  static bool crds_installed_;
  std::string kubectl_;
  TempDir dir_;
};
ClusterFixture* KubePropagation::fixture_ = nullptr;
bool KubePropagation::crds_installed_ = false;

TEST_F(KubePropagation, TheApiserverEnforcesTheSchemas) {
  const std::string head =
      "apiVersion: federation.fedns.io/v1alpha1\nkind: FederatedObject\n"
      "metadata: {name: bad, namespace: default}\n";
  const std::pair<std::string, std::string> cases[] = {
      {"spec: {template: {kind: Service}}", "spec.template.apiVersion: Required value"},
      {"spec: {template: {apiVersion: v1, kind: Service}, overrides: [{clusterName: a, clusterSelector: {},"
       " patches: [{op: add, path: /x, value: 1}]}]}",
       "an override names one cluster (clusterName) or selects clusters (clusterSelector)"},
      {"spec: {template: {apiVersion: v1, kind: Service}, overrides: [{clusterName: a, patches: [{op: move, "
       "path: /x}]}]}",
       "Unsupported value: \"move\""},
      {"spec: {template: {apiVersion: v1, kind: Service}, overrides: [{clusterName: a, patches: [{op: add, "
       "path: x, value: 1}]}]}",
       "should match '^/'"},
      {"spec: {template: {apiVersion: v1, kind: Service}, placement: {clusterSelector: {matchExpressions: "
       "[{key: a, operator: In}]}}}",
       "In and NotIn need values; Exists and DoesNotExist take none"},
      {"spec: {template: {apiVersion: v1, kind: Service}, deletionPolicy: Keep}",
       "Unsupported value: \"Keep\""},
  };
  for (const auto& [spec, message] : cases) {
    const auto r = apply(head + spec + "\n");
    EXPECT_NE(r.exit_code, 0) << spec;
    EXPECT_NE(r.output.find(message), std::string::npos) << spec << "\n" << r.output;
  }
  const auto member = apply(
      "apiVersion: federation.fedns.io/v1alpha1\nkind: MemberCluster\nmetadata: {name: east}\n"
      "spec: {apiEndpoint: 'http://plain', secretRef: {name: east}}\n");
  EXPECT_NE(member.output.find("should match '^https://'"), std::string::npos) << member.output;
}

TEST_F(KubePropagation, AnObjectComputedForAMemberIsAppliedOnceAndKeepsWhatTheMemberOwns) {
  ASSERT_EQ(apply(R"(apiVersion: federation.fedns.io/v1alpha1
kind: FederatedObject
metadata: {name: web, namespace: default}
spec:
  template:
    apiVersion: v1
    kind: Service
    metadata: {labels: {app: web}}
    spec: {clusterIP: 10.96.99.99, ports: [{name: http, port: 80}], selector: {app: web}}
  placement: {clusterSelector: {matchLabels: {region: eu}}}
  overrides:
    - clusterName: frankfurt
      patches: [{op: replace, path: /spec/ports/0/port, value: 8080}]
)")
                .exit_code,
            0);
  // What a user sees: the kind propagated, defaults filled in by the schema.
  const auto listed = run_command(kubectl_ + " get federatedobjects -n default");
  EXPECT_NE(listed.output.find("web    Service"), std::string::npos) << listed.output;
  const auto got = run_command(kubectl_ + " get fo web -n default -o json");
  ASSERT_EQ(got.exit_code, 0) << got.output;
  const auto object = sync::propagation::parse_federated_object(nlohmann::json::parse(got.output));
  ASSERT_TRUE(object) << object.error().message;
  EXPECT_EQ(object->deletion_policy, sync::propagation::DeletionPolicy::kDelete) << "the schema's default";

  const sync::propagation::MemberCluster frankfurt{"frankfurt", {{"region", "eu"}}};
  const auto desired = sync::propagation::desired_object(*object, frankfurt, {});
  ASSERT_TRUE(desired) << desired.error().message;

  // The member here is the same apiserver, namespace "member" standing in for another cluster's.
  ASSERT_EQ(run_command(kubectl_ + " create namespace member").exit_code, 0);
  auto body = nlohmann::json::parse(desired->body);
  body["metadata"]["namespace"] = "member";
  const std::string path = "/api/v1/namespaces/member/services/web";
  auto creds = sync::load_kubeconfig(fixture_->kubeconfig(0));
  ASSERT_TRUE(creds) << creds.error().message;
  asio::io_context io;
  auto api = sync::ApiClient::create(io, *creds);
  ASSERT_TRUE(api) << api.error().message;
  sync::ApiWriter writer(**api, "fedns-propagation");
  const auto first = run(io, writer.patch(path, sync::PatchType::kApply, body.dump(), true));
  ASSERT_TRUE(first && first->ok()) << (first ? first->error().message : "");
  ASSERT_EQ((*first)->status, 201u) << (*first)->message;
  const auto created = (*first)->object->json();
  EXPECT_EQ(created["spec"]["ports"][0]["port"], 8080) << "the override for this cluster";
  EXPECT_EQ(created["metadata"]["labels"][sync::propagation::kManagedLabel], "true");
  const std::string cluster_ip = created["spec"]["clusterIP"];
  EXPECT_NE(cluster_ip, "10.96.99.99") << "the host's clusterIP is not copied: the member assigns its own";
  const std::string rv = created["metadata"]["resourceVersion"];

  // The same body again: nothing changes (not even the resourceVersion), so drift checks stay quiet.
  const auto again = run(io, writer.patch(path, sync::PatchType::kApply, body.dump(), true));
  ASSERT_TRUE(again && again->ok() && (*again)->ok());
  EXPECT_EQ((*again)->object->meta().resource_version, rv);

  // A changed template: updated in place, the member's clusterIP kept.
  body["spec"]["ports"][0]["port"] = 9090;
  const auto changed = run(io, writer.patch(path, sync::PatchType::kApply, body.dump(), true));
  ASSERT_TRUE(changed && changed->ok() && (*changed)->ok());
  EXPECT_NE((*changed)->object->meta().resource_version, rv);
  EXPECT_EQ((*changed)->object->json()["spec"]["clusterIP"], cluster_ip);

  // A body the member refuses is a precise 422 (the engine's CreationFailed / UpdateFailed).
  body["spec"]["ports"][0]["port"] = 70000;
  const auto refused = run(io, writer.patch(path, sync::PatchType::kApply, body.dump(), true));
  ASSERT_TRUE(refused && refused->ok());
  EXPECT_EQ((*refused)->status, 422u);
  EXPECT_EQ((*refused)->reason, "Invalid");
  EXPECT_NE((*refused)->message.find("spec.ports[0].port"), std::string::npos) << (*refused)->message;
}

}  // namespace
}  // namespace fedns::e2e
