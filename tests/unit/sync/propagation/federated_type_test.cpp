// FederatedTypeConfig and MemberCluster parsing: the API paths a type maps to, defaults, and errors that name
// the object and the field.
#include "sync/propagation/federated_type.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace fedns::sync::propagation {
namespace {

TEST(FederatedType, MapsTheTargetToApiPaths) {
  const auto core = parse_federated_type(nlohmann::json::parse(
      R"({"metadata": {"name": "services"}, "spec": {"target": {"version": "v1", "kind": "Service",
          "resource": "services", "scope": "Namespaced"}, "statusCollection": "Enabled",
          "retainFields": ["/spec/loadBalancerIP"]}})"));
  ASSERT_TRUE(core) << core.error().message;
  EXPECT_EQ(core->target(), "v1 Service");
  EXPECT_EQ(core->object_path("shop", "web"), "/api/v1/namespaces/shop/services/web");
  EXPECT_TRUE(core->enabled);
  EXPECT_TRUE(core->collect_status);
  EXPECT_EQ(core->retain_fields, std::vector<std::string>{"/spec/loadBalancerIP"});

  const auto grouped = parse_federated_type(nlohmann::json::parse(
      R"({"metadata": {"name": "crs"}, "spec": {"target": {"group": "rbac.authorization.k8s.io",
          "version": "v1", "kind": "ClusterRole", "resource": "clusterroles", "scope": "Cluster"},
          "propagation": "Disabled"}})"));
  ASSERT_TRUE(grouped) << grouped.error().message;
  EXPECT_EQ(grouped->target(), "rbac.authorization.k8s.io/v1 ClusterRole");
  EXPECT_EQ(grouped->object_path("", "admin"), "/apis/rbac.authorization.k8s.io/v1/clusterroles/admin");
  EXPECT_FALSE(grouped->enabled);
}

TEST(FederatedType, ErrorsNameTheObjectAndField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"metadata": {"name": "t"}, "spec": {}})", "FederatedTypeConfig t: spec.target is required"},
      {R"({"metadata": {"name": "t"}, "spec": {"target": {"version": "v1", "kind": "X", "scope": "Namespaced"}}})",
       "FederatedTypeConfig t: spec.target.resource is required"},
      {R"({"metadata": {"name": "t"}, "spec": {"target": {"version": "v1", "kind": "X", "resource": "xs",
          "scope": "Global"}}})",
       "FederatedTypeConfig t: spec.target.scope must be Namespaced or Cluster, not \"Global\""},
      {R"({"metadata": {"name": "t"}, "spec": {"target": {"version": "v1", "kind": "X", "resource": "xs",
          "scope": "Cluster"}, "retainFields": ["spec"]}})",
       "FederatedTypeConfig t: spec.retainFields holds \"spec\", not a JSON pointer"},
  };
  for (const auto& [text, message] : cases) {
    const auto got = parse_federated_type(nlohmann::json::parse(text));
    ASSERT_FALSE(got) << text;
    EXPECT_EQ(got.error().message, message);
  }
}

TEST(MemberClusterSpec, ReadsEndpointSecretAndLabels) {
  const auto got = parse_member_cluster(nlohmann::json::parse(
      R"({"metadata": {"name": "east", "labels": {"region": "eu"}}, "spec": {"apiEndpoint":
          "https://10.0.0.1:6443/", "secretRef": {"name": "east-kubeconfig"}, "region": "eu", "zone": "eu-1"}})"));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->api_endpoint, "https://10.0.0.1:6443") << "compared with the kubeconfig's server";
  EXPECT_EQ(got->secret_name, "east-kubeconfig");
  EXPECT_EQ(got->secret_namespace, "");
  ASSERT_EQ(got->labels.size(), 1u);
  EXPECT_EQ(got->labels[0].second, "eu");

  const auto plain = parse_member_cluster(nlohmann::json::parse(
      R"({"metadata": {"name": "x"}, "spec": {"apiEndpoint": "http://a", "secretRef": {"name": "s"}}})"));
  ASSERT_FALSE(plain);
  EXPECT_EQ(plain.error().message, "MemberCluster x: spec.apiEndpoint must be an https:// URL");
  const auto no_secret = parse_member_cluster(
      nlohmann::json::parse(R"({"metadata": {"name": "x"}, "spec": {"apiEndpoint": "https://a"}})"));
  ASSERT_FALSE(no_secret);
  EXPECT_EQ(no_secret.error().message, "MemberCluster x: spec.secretRef.name is required");
}

}  // namespace
}  // namespace fedns::sync::propagation
