// End to end: our Kubernetes API client against a real kube-apiserver from tests/cluster-fixture, over HTTPS
// with client-certificate and token authentication, RBAC denial, a wrong CA, writes seen by kubectl, and a
// watch stream that sees what kubectl creates.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/asio.hpp"
#include "support/cluster_fixture.hpp"
#include "support/run_awaitable.hpp"
#include "sync/api_client.hpp"
#include "sync/api_writer.hpp"
#include "sync/kubeconfig.hpp"
#include "sync/typed_objects.hpp"

namespace fedns::e2e {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

class KubeApiClient : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { fixture_ = new ClusterFixture(1); }
  static void TearDownTestSuite() { delete fixture_; }
  void SetUp() override {
    if (!fixture_->available()) GTEST_SKIP() << "SKIPPED LOUDLY: " << fixture_->why();
    kubectl_ = fixture_->kubectl(0);
  }
  static std::string kubeconfig(const char* which) { return fixture_->kubeconfig(0, which); }

  static std::unique_ptr<sync::ApiClient> client(asio::io_context& io,
                                                 const sync::ClusterCredentials& creds) {
    auto c = sync::ApiClient::create(io, creds);
    EXPECT_TRUE(c.ok()) << c.error().message;
    return std::move(c.value());
  }

  // A client authenticated as the cluster admin (client certificate).
  static std::unique_ptr<sync::ApiClient> admin_client(asio::io_context& io) {
    auto creds = sync::load_kubeconfig(kubeconfig("kubeconfig"));
    EXPECT_TRUE(creds.ok()) << creds.error().message;
    return client(io, *creds);
  }

  static Result<sync::ApiResponse> get(const std::string& config, const std::string& target) {
    auto creds = sync::load_kubeconfig(config);
    EXPECT_TRUE(creds.ok()) << creds.error().message;
    asio::io_context io;
    auto api = client(io, *creds);
    return std::move(*run(io, api->request("GET", target)));
  }

  static ClusterFixture* fixture_;
  std::string kubectl_;
};
ClusterFixture* KubeApiClient::fixture_ = nullptr;

TEST_F(KubeApiClient, ClientCertificateAuthenticatesAndLists) {
  auto r = get(kubeconfig("kubeconfig"), "/api/v1/namespaces/default/services");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200u) << r->body;
  const auto list = nlohmann::json::parse(r->body);
  EXPECT_EQ(list["kind"], "ServiceList");
  EXPECT_FALSE(list["metadata"]["resourceVersion"].get<std::string>().empty());
}

TEST_F(KubeApiClient, BearerTokenAuthenticates) {
  auto r = get(kubeconfig("kubeconfig_token"), "/api/v1/namespaces");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200u) << r->body;
}

TEST_F(KubeApiClient, ExecPluginAuthenticates) {  // client.authentication.k8s.io/v1, as cloud logins do
  auto creds = sync::load_kubeconfig(kubeconfig("kubeconfig_token"));
  ASSERT_TRUE(creds.ok());
  creds->token.clear();
  creds->exec = sync::ExecPlugin{
      "client.authentication.k8s.io/v1",
      "/bin/sh",
      {"-c", R"(printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",)"
             R"("status":{"token":"admin-token","expirationTimestamp":"2099-01-01T00:00:00Z"}}')"},
      {}};
  asio::io_context io;
  auto api = client(io, *creds);
  auto r = run(io, api->request("GET", "/api/v1/namespaces/kube-system"));
  ASSERT_TRUE(r && r->ok()) << (r ? r->error().message : "");
  EXPECT_EQ((*r)->status, 200u) << (*r)->body;
}

TEST_F(KubeApiClient, RotatedTokenFileIsReread) {  // projected service-account tokens are replaced in place
  auto creds = sync::load_kubeconfig(kubeconfig("kubeconfig_token"));
  ASSERT_TRUE(creds.ok());
  TempDir dir;
  creds->token.clear();
  creds->token_file = dir.write("token", "admin-token\n");
  asio::io_context io;
  auto api = client(io, *creds);
  std::vector<unsigned> statuses;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto first = co_await api->request("GET", "/api/v1/namespaces/default/services");
        statuses.push_back(first.ok() ? first->status : 0u);
        // The file now holds the reader's token (an mtime in the future makes the change visible at once).
        (void)dir.write("token", "reader-token\n");
        std::filesystem::last_write_time(
            dir.path() + "/token", std::filesystem::file_time_type::clock::now() + std::chrono::seconds(5));
        auto second = co_await api->request("GET", "/api/v1/namespaces/default/services");
        statuses.push_back(second.ok() ? second->status : 0u);
      },
      asio::detached);
  io.run();
  EXPECT_EQ(statuses,
            (std::vector<unsigned>{200, 403}));  // the new identity is used: the reader may not list
}

TEST_F(KubeApiClient, RbacDenialIsAClearForbidden) {
  auto r = get(kubeconfig("kubeconfig_reader"), "/api/v1/services");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 403u);
  const auto status = nlohmann::json::parse(r->body);
  EXPECT_EQ(status["reason"], "Forbidden");
  EXPECT_NE(
      status["message"].get<std::string>().find("User \"fedns-reader\" cannot list resource \"services\""),
      std::string::npos)
      << r->body;
}

TEST_F(KubeApiClient, WrongCertificateAuthorityFailsClosed) {
  auto creds = sync::load_kubeconfig(kubeconfig("kubeconfig"));
  ASSERT_TRUE(creds.ok());
  const auto other = run_command(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "
      "/dev/null -subj /CN=other-ca -days 1 2>/dev/null");
  creds->ca_pem = other.output;
  asio::io_context io;
  auto api = client(io, *creds);
  auto out = run(io, api->request("GET", "/api/v1/namespaces"));
  ASSERT_FALSE(out->ok());
  EXPECT_NE(out->error().message.find("certificate verify failed"), std::string::npos)
      << out->error().message;
}

TEST_F(KubeApiClient, CreatedObjectIsSeenByKubectlAndReusesTheConnection) {
  asio::io_context io;
  auto api = admin_client(io);
  const std::string body = R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"written-by-fedns"},
      "spec":{"ports":[{"port":53,"protocol":"UDP"}]}})";
  std::vector<unsigned> statuses;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (const auto& [method, target, payload] :
             std::vector<std::tuple<std::string, std::string, std::string>>{
                 {"POST", "/api/v1/namespaces/default/services", body},
                 {"POST", "/api/v1/namespaces/default/services", body},  // again: 409 AlreadyExists
                 {"GET", "/api/v1/namespaces/default/services/written-by-fedns", ""}}) {
          auto r = co_await api->request(method, target, payload);
          statuses.push_back(r.ok() ? r->status : 0u);
        }
      },
      asio::detached);
  io.run();
  EXPECT_EQ(statuses, (std::vector<unsigned>{201, 409, 200}));
  const auto seen =
      run_command(kubectl_ + " get service written-by-fedns -o jsonpath={.spec.ports[0].protocol}");
  EXPECT_EQ(seen.output, "UDP");
}

TEST_F(KubeApiClient, WatchStreamSeesWhatKubectlCreates) {
  asio::io_context io;
  auto api = admin_client(io);
  std::vector<std::string> events;
  std::thread creator([&] {
    std::this_thread::sleep_for(1s);
    run_command(kubectl_ + " create service clusterip watched --tcp=80:80");
  });
  auto ended = run(io, api->stream_lines(
                           "/api/v1/namespaces/default/services?watch=1&timeoutSeconds=20",
                           [&](std::string_view line) {
                             const auto event = nlohmann::json::parse(line);
                             events.push_back(event["type"].get<std::string>() + " " +
                                              event["object"]["metadata"]["name"].get<std::string>());
                             return event["object"]["metadata"]["name"] != "watched";
                           },
                           10s));
  creator.join();
  ASSERT_TRUE(ended && ended->ok()) << (ended ? ended->error().message : "no end");
  EXPECT_EQ((*ended)->status, 200u);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "ADDED watched");
}

TEST_F(KubeApiClient, WritesCoverEveryVerbAndReportConflicts) {
  asio::io_context io;
  auto api = admin_client(io);
  sync::ApiWriter writer(*api, "fedns-test");
  const std::string services = "/api/v1/namespaces/default/services";
  const std::string w = services + "/writer";
  std::vector<std::string> steps;
  auto note = [&](const char* what, const Result<sync::WriteOutcome>& r) {
    steps.push_back(std::string(what) + " " +
                    (r.ok() ? std::to_string(r->status) + (r->reason.empty() ? "" : " " + r->reason)
                            : r.error().message));
  };
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto created = co_await writer.create(
            services,
            R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"writer"},"spec":{"ports":[{"port":80}]}})");
        note("create", created);
        const std::string rv =
            created.ok() && created->object ? created->object->meta().resource_version : "";
        auto stale = co_await writer.replace(
            w,
            R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"writer","resourceVersion":"1"},"spec":{"ports":[{"port":81}]}})");
        note("stale-put", stale);
        note("conflict?",
             stale.ok() && stale->conflict() ? Result<sync::WriteOutcome>(sync::WriteOutcome{1}) : stale);
        auto put = co_await writer.replace(
            w, R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"writer","resourceVersion":")" + rv +
                   R"("},"spec":{"ports":[{"port":81}]}})");
        note("put", put);
        note("merge",
             co_await writer.patch(w, sync::PatchType::kMerge, R"({"metadata":{"labels":{"tier":"dns"}}})"));
        note("json",
             co_await writer.patch(w, sync::PatchType::kJson,
                                   R"([{"op":"add","path":"/metadata/annotations","value":{"a":"b"}}])"));
        // Another manager applying a field fedns-test owns (the label set by the merge patch) conflicts.
        sync::ApiWriter other(*api, "other-applier");
        const std::string apply =
            R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"writer","labels":{"tier":"web"}}})";
        note("apply-conflict", co_await other.patch(w, sync::PatchType::kApply, apply));
        note("apply-force", co_await other.patch(w, sync::PatchType::kApply, apply, true));
        note("delete", co_await writer.remove(w));
        note("delete-again", co_await writer.remove(w));
      },
      asio::detached);
  io.run();
  EXPECT_EQ(steps, (std::vector<std::string>{"create 201", "stale-put 409 Conflict", "conflict? 1", "put 200",
                                             "merge 200", "json 200", "apply-conflict 409 Conflict",
                                             "apply-force 200", "delete 200", "delete-again 404 NotFound"}));
}

TEST_F(KubeApiClient, StatusSubresourceOfAServiceExport) {
  ASSERT_EQ(run_command(kubectl_ + " create service clusterip exported --tcp=80:80").exit_code, 0);
  asio::io_context io;
  auto api = admin_client(io);
  sync::ApiWriter writer(*api, "fedns-test");
  const std::string exports = "/apis/multicluster.x-k8s.io/v1alpha1/namespaces/default/serviceexports";
  std::optional<Result<sync::WriteOutcome>> status;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto created = co_await writer.create(
            exports,
            R"({"apiVersion":"multicluster.x-k8s.io/v1alpha1","kind":"ServiceExport","metadata":{"name":"exported"}})");
        if (!created.ok() || !created->object) co_return;
        const std::string rv = created->object->meta().resource_version;
        status = co_await writer.replace_status(
            exports + "/exported",
            R"({"apiVersion":"multicluster.x-k8s.io/v1alpha1","kind":"ServiceExport","metadata":{"name":"exported","resourceVersion":")" +
                rv +
                R"("},"status":{"conditions":[{"type":"Valid","status":"True","reason":"ServiceFound","message":"fedns","lastTransitionTime":"2026-11-26T00:00:00Z"}]}})");
      },
      asio::detached);
  io.run();
  ASSERT_TRUE(status && status->ok()) << (status ? status->error().message : "create failed");
  EXPECT_EQ((*status)->status, 200u) << (*status)->message;
  EXPECT_EQ(
      run_command(kubectl_ + " get serviceexport exported -o jsonpath={.status.conditions[0].reason}").output,
      "ServiceFound");
}

// Every kind fedns reads, as a real apiserver serialises it (defaults filled in, MicroTime, status written by
// us), converts to its typed view.
TEST_F(KubeApiClient, RealObjectsConvertToTypedViews) {
  const TempDir dir;
  const std::string manifest = R"(---
apiVersion: v1
kind: Namespace
metadata: {name: typed, labels: {fedns.io/export: "true"}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: typed}
spec: {type: LoadBalancer, ports: [{name: http, port: 80}, {name: dns, port: 53, protocol: UDP}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-abc, namespace: typed, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints:
- {addresses: [10.1.0.5], conditions: {ready: true}, nodeName: n1, zone: eu-1a}
- {addresses: [10.1.0.6], conditions: {ready: false, serving: true, terminating: true}}
---
apiVersion: multicluster.x-k8s.io/v1alpha1
kind: ServiceExport
metadata: {name: web, namespace: typed}
---
apiVersion: multicluster.x-k8s.io/v1alpha1
kind: ServiceImport
metadata: {name: web, namespace: typed}
spec: {type: ClusterSetIP, ips: [10.250.0.1], ports: [{name: http, port: 80, protocol: TCP}], sessionAffinity: None}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: fedns-leader, namespace: typed}
spec: {holderIdentity: replica-a, leaseDurationSeconds: 15, acquireTime: "2026-11-26T10:00:00.123456Z", renewTime: "2026-11-26T10:00:05.000001Z", leaseTransitions: 3}
---
apiVersion: v1
kind: Node
metadata: {name: typed-node, labels: {topology.kubernetes.io/zone: eu-1a, topology.kubernetes.io/region: eu-1}}
spec: {podCIDR: 10.244.7.0/24, podCIDRs: [10.244.7.0/24]}
)";
  const auto applied = run_command(kubectl_ + " apply -f " + dir.write("all.yaml", manifest));
  ASSERT_EQ(applied.exit_code, 0) << applied.output;
  auto fetch = [&](const std::string& path) {
    auto r = get(kubeconfig("kubeconfig"), path);
    EXPECT_TRUE(r.ok() && r->status == 200) << path << ": " << (r.ok() ? r->body : r.error().message);
    auto o = sync::KubeObject::from_json(nlohmann::json::parse(r->body));
    EXPECT_TRUE(o.ok());
    return std::move(o.value());
  };
  const auto ns = sync::to_namespace(fetch("/api/v1/namespaces/typed"));
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ(ns->phase, "Active");
  EXPECT_EQ(ns->meta.labels.at("fedns.io/export"), "true");

  const auto service = sync::to_service(fetch("/api/v1/namespaces/typed/services/web"));
  ASSERT_TRUE(service.ok()) << service.error().message;
  EXPECT_EQ(service->type, "LoadBalancer");
  ASSERT_EQ(service->cluster_ips.size(), 1u);  // allocated by the apiserver
  EXPECT_EQ(service->ip_families, std::vector<std::string>{"IPv4"});
  ASSERT_EQ(service->ports.size(), 2u);
  EXPECT_EQ(service->ports[0].protocol, "TCP");  // defaulted
  EXPECT_EQ(service->ports[1].protocol, "UDP");

  const auto slice =
      sync::to_endpoint_slice(fetch("/apis/discovery.k8s.io/v1/namespaces/typed/endpointslices/web-abc"));
  ASSERT_TRUE(slice.ok()) << slice.error().message;
  EXPECT_EQ(slice->service_name, "web");
  ASSERT_EQ(slice->endpoints.size(), 2u);
  EXPECT_TRUE(slice->endpoints[0].conditions.ready);
  EXPECT_EQ(slice->endpoints[0].zone, "eu-1a");
  EXPECT_FALSE(slice->endpoints[1].conditions.ready);
  EXPECT_TRUE(slice->endpoints[1].conditions.serving);
  EXPECT_TRUE(slice->endpoints[1].conditions.terminating);

  const std::string mcs = "/apis/multicluster.x-k8s.io/v1alpha1/namespaces/typed/";
  const auto exported = sync::to_service_export(fetch(mcs + "serviceexports/web"));
  ASSERT_TRUE(exported.ok());
  EXPECT_FALSE(exported->creation_timestamp.empty());
  const auto imported = sync::to_service_import(fetch(mcs + "serviceimports/web"));
  ASSERT_TRUE(imported.ok()) << imported.error().message;
  EXPECT_EQ(imported->type, "ClusterSetIP");
  EXPECT_EQ(imported->ips, std::vector<std::string>{"10.250.0.1"});
  ASSERT_EQ(imported->ports.size(), 1u);
  EXPECT_EQ(imported->ports[0].port, 80);

  const auto lease =
      sync::to_lease(fetch("/apis/coordination.k8s.io/v1/namespaces/typed/leases/fedns-leader"));
  ASSERT_TRUE(lease.ok()) << lease.error().message;
  EXPECT_EQ(lease->holder_identity, "replica-a");
  EXPECT_EQ(lease->lease_duration_seconds, 15);
  EXPECT_EQ(lease->lease_transitions, 3);
  EXPECT_EQ(lease->renew_time, "2026-11-26T10:00:05.000001Z");

  const auto node = sync::to_node(fetch("/api/v1/nodes/typed-node"));
  ASSERT_TRUE(node.ok());
  EXPECT_EQ(node->zone, "eu-1a");
  EXPECT_EQ(node->pod_cidrs, std::vector<std::string>{"10.244.7.0/24"});
}

}  // namespace
}  // namespace fedns::e2e
