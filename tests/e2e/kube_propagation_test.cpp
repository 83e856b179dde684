// End to end, the propagation engine's API and its writes against a real kube-apiserver
// (tests/cluster-fixture): the CRDs in deploy/crds are accepted and enforce their schemas (what the apiserver
// refuses never reaches the engine), `kubectl get` shows federated objects usefully, and the object the
// engine computes for a member cluster, written by server-side apply, is created as asked, keeps what the
// member owns (the clusterIP it assigned), and is not changed at all by a second identical write.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <thread>

#include "common/asio.hpp"
#include "support/cluster_fixture.hpp"
#include "support/run_awaitable.hpp"
#include "sync/api_client.hpp"
#include "sync/api_writer.hpp"
#include "sync/kubeconfig.hpp"
#include "sync/propagation/desired_object.hpp"
#include "sync/propagation/federated_object.hpp"
#include "sync/propagation/leader_election.hpp"

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

// Several electors against the real apiserver's Lease, with short timings (lease 3 s, renew deadline 2 s,
// retry 0.5 s): one leads; after it crashes another takes over once the lease ran out on its own clock, never
// before; a released lease is taken at the next retry; at no moment do two lead.
class LeaderElection : public KubePropagation {
 protected:
  struct Replica {
    std::unique_ptr<sync::propagation::LeaderElector> elector;
    std::chrono::steady_clock::time_point started{}, stopped{};
  };

  void SetUp() override {
    KubePropagation::SetUp();
    if (IsSkipped()) return;
    (void)run_command(kubectl_ + " create namespace fedns-system");
    (void)run_command(kubectl_ + " delete lease -n fedns-system --all");
    auto creds = sync::load_kubeconfig(fixture_->kubeconfig(0));
    ASSERT_TRUE(creds) << creds.error().message;
    auto api = sync::ApiClient::create(io_, *creds);
    ASSERT_TRUE(api) << api.error().message;
    api_ = std::move(*api);
  }

  // Adds a replica; leading_ counts replicas leading at once, most_leading_ the most ever seen.
  Replica& replica(const std::string& identity) {
    auto r = std::make_unique<Replica>();
    Replica* self = r.get();
    sync::propagation::LeaderElectionConfig config;
    config.identity = identity;
    config.lease_duration = std::chrono::seconds(3);
    config.renew_deadline = std::chrono::seconds(2);
    config.retry_period = std::chrono::milliseconds(500);
    EXPECT_TRUE(sync::propagation::check(config).ok());
    self->elector = std::make_unique<sync::propagation::LeaderElector>(
        *api_, config,
        [this, self] {
          self->started = std::chrono::steady_clock::now();
          most_leading_ = std::max(most_leading_, ++leading_);
        },
        [this, self] {
          self->stopped = std::chrono::steady_clock::now();
          --leading_;
        });
    boost::asio::co_spawn(io_, self->elector->run(), boost::asio::detached);
    replicas_.push_back(std::move(r));
    return *self;
  }

  // Runs the io_context until `done` holds or `limit` passes; false on timeout.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > end) return false;
      io_.run_for(std::chrono::milliseconds(50));
      io_.restart();
    }
    return true;
  }

  void run_for(std::chrono::milliseconds duration) {
    (void)run_until([] { return false; }, duration);
  }

  Replica* leader() {
    for (auto& r : replicas_) {
      if (r->elector->leading()) return r.get();
    }
    return nullptr;
  }

  // Reads the Lease while the electors keep running (run() would wait for them to end).
  nlohmann::json lease() {
    std::optional<Result<sync::ApiResponse>> got;
    boost::asio::co_spawn(
        io_,
        [&]() -> boost::asio::awaitable<void> {
          got.emplace(co_await api_->request(
              "GET", "/apis/coordination.k8s.io/v1/namespaces/fedns-system/leases/fedns-propagation"));
        },
        boost::asio::detached);
    EXPECT_TRUE(run_until([&] { return got.has_value(); }, std::chrono::seconds(5)));
    return got && got->ok() ? nlohmann::json::parse((*got)->body, nullptr, false) : nlohmann::json();
  }

  void TearDown() override {
    for (auto& r : replicas_)
      r->elector->stop(false);
    run_for(std::chrono::milliseconds(700));  // let the loops end
  }

  boost::asio::io_context io_;
  std::unique_ptr<sync::ApiClient> api_;
  std::vector<std::unique_ptr<Replica>> replicas_;
  int leading_ = 0;
  int most_leading_ = 0;
};

TEST_F(LeaderElection, OneLeadsACrashedLeaderIsReplacedAfterTheLeaseAndAReleasedOneAtOnce) {
  replica("replica-a");
  replica("replica-b");
  replica("replica-c");
  ASSERT_TRUE(run_until([&] { return leader() != nullptr; }, std::chrono::seconds(5))) << "nobody leads";
  Replica* first = leader();
  // Others keep campaigning for a while: still one leader, and the lease names it.
  run_for(std::chrono::seconds(2));
  EXPECT_EQ(leading_, 1);
  auto held = lease();
  EXPECT_TRUE(first->elector->leading());
  EXPECT_EQ(held["spec"]["holderIdentity"], first->elector->config().identity);
  EXPECT_EQ(held["spec"]["leaseDurationSeconds"], 3);

  // A crash: no release. The others take over only once the lease ran out (3 s after its last renewal).
  const auto crashed = std::chrono::steady_clock::now();
  first->elector->stop(false);
  ASSERT_TRUE(run_until(
      [&] {
        Replica* l = leader();
        return l != nullptr && l != first;
      },
      std::chrono::seconds(8)))
      << "no takeover";
  Replica* second = leader();
  const auto takeover = std::chrono::duration_cast<std::chrono::milliseconds>(second->started - crashed);
  std::printf("leader election: takeover %lld ms after the leader crashed\n",
              static_cast<long long>(takeover.count()));
  EXPECT_GE(takeover.count(), 2000) << "taken over before the lease ran out";
  EXPECT_LE(takeover.count(), 5500) << "the lease duration plus a retry or two";
  EXPECT_EQ(lease()["spec"]["leaseTransitions"], 1);

  // A release: the last replica takes over at its next retry, not after the lease duration.
  const auto released = std::chrono::steady_clock::now();
  second->elector->stop(true);
  ASSERT_TRUE(run_until(
      [&] {
        Replica* l = leader();
        return l != nullptr && l != first && l != second;
      },
      std::chrono::seconds(5)));
  const auto handover = std::chrono::duration_cast<std::chrono::milliseconds>(leader()->started - released);
  std::printf("leader election: handover %lld ms after a release\n",
              static_cast<long long>(handover.count()));
  EXPECT_LE(handover.count(), 1800) << "a released lease is taken at the next retry";
  EXPECT_EQ(lease()["spec"]["leaseTransitions"], 2);
  EXPECT_EQ(most_leading_, 1) << "two replicas led at once";
}

TEST_F(LeaderElection, ALeaderThatCannotRenewStopsBeforeItsLeaseRunsOut) {
  replica("replica-a");
  ASSERT_TRUE(run_until([&] { return leader() != nullptr; }, std::chrono::seconds(5)));
  Replica* only = leader();
  // The apiserver goes away (stopped from another thread while the electors keep running here).
  std::chrono::steady_clock::time_point outage{};
  std::thread stopper([&] {
    outage = std::chrono::steady_clock::now();
    (void)fixture_->stop_apiserver(0);
  });
  const bool stepped_down = run_until([&] { return !only->elector->leading(); }, std::chrono::seconds(6));
  stopper.join();
  ASSERT_TRUE(stepped_down) << "still leading without renewing";
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(only->stopped - outage);
  std::printf("leader election: stepped down %lld ms into an apiserver outage\n",
              static_cast<long long>(after.count()));
  EXPECT_LT(after.count(), 3000) << "stepped down only after the lease (3 s) could have run out";
  std::thread starter([&] { (void)fixture_->start_apiserver(0); });
  const bool back = run_until([&] { return leader() != nullptr; }, std::chrono::seconds(40));
  starter.join();
  EXPECT_TRUE(back) << "no leader after the apiserver came back";
  EXPECT_EQ(most_leading_, 1);
}

}  // namespace
}  // namespace fedns::e2e
