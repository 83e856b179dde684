// From a federated object to what each member cluster gets: placement (explicit list wins, empty places
// nowhere, a selector over cluster labels), retained fields, overrides by selector then by name (the name
// wins), the managed label, a hash that changes only with the object, and precise errors for overrides that
// do not apply.
#include "sync/propagation/desired_object.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sync/propagation/placement.hpp"

namespace fedns::sync::propagation {
namespace {

using nlohmann::json;

FederatedObject parse(const json& spec, const char* kind = "FederatedObject") {
  const json object = {{"apiVersion", "federation.fedns.io/v1alpha1"},
                       {"kind", kind},
                       {"metadata", {{"name", "web"}, {"namespace", "shop"}, {"generation", 3}}},
                       {"spec", spec}};
  auto parsed = parse_federated_object(object);
  EXPECT_TRUE(parsed) << parsed.error().message;
  return parsed ? *parsed : FederatedObject{};
}

const json kService = {
    {"apiVersion", "v1"},
    {"kind", "Service"},
    {"metadata",
     {{"name", "web-svc"}, {"labels", {{"app", "web"}}}, {"resourceVersion", "77"}, {"uid", "u"}}},
    {"spec",
     {{"clusterIP", "10.0.0.1"},
      {"clusterIPs", {"10.0.0.1"}},
      {"type", "NodePort"},
      {"replicas", 3},
      {"ports", {{{"port", 80}, {"nodePort", 30080}}}}}},
    {"status", {{"loadBalancer", json::object()}}}};

const std::vector<MemberCluster> kClusters = {
    {"east", {{"region", "us"}, {"tier", "edge"}}},
    {"west", {{"region", "us"}}},
    {"frankfurt", {{"region", "eu"}, {"tier", "edge"}}},
};

TEST(Placement, AnExplicitListWinsAnEmptyOnePlacesNowhereASelectorMatchesLabels) {
  using V = std::vector<std::string>;
  EXPECT_EQ(place(parse({{"template", kService}}).placement, kClusters), V{}) << "no placement: nowhere";
  EXPECT_EQ(place(parse({{"template", kService}, {"placement", json::object()}}).placement, kClusters), V{});
  EXPECT_EQ(place(parse({{"template", kService},
                         {"placement", {{"clusters", json::array()}, {"clusterSelector", json::object()}}}})
                      .placement,
                  kClusters),
            V{})
      << "an explicit empty list wins over a selector";
  EXPECT_EQ(place(parse({{"template", kService},
                         {"placement",
                          {{"clusters", {{{"name", "west"}}, {{"name", "nowhere"}}}},
                           {"clusterSelector", {{"matchLabels", {{"tier", "edge"}}}}}}}})
                      .placement,
                  kClusters),
            (V{"nowhere", "west"}))
      << "the list as written, unknown names included (reported as ClusterNotFound)";
  EXPECT_EQ(
      place(parse({{"template", kService}, {"placement", {{"clusterSelector", json::object()}}}}).placement,
            kClusters),
      (V{"east", "frankfurt", "west"}));
  EXPECT_EQ(place(parse({{"template", kService},
                         {"placement", {{"clusterSelector", {{"matchLabels", {{"tier", "edge"}}}}}}}})
                      .placement,
                  kClusters),
            (V{"east", "frankfurt"}));
}

TEST(DesiredObject, RetainedFieldsOverridesInOrderAndTheManagedLabel) {
  const json spec = {
      {"template", kService},
      {"retainReplicas", true},
      {"overrides",
       {{{"clusterName", "east"},
         {"patches", {{{"op", "replace"}, {"path", "/spec/ports/0/port"}, {"value", 8080}}}}},
        {{"clusterSelector", {{"matchLabels", {{"region", "us"}}}}},
         {"patches",
          {{{"op", "replace"}, {"path", "/spec/ports/0/port"}, {"value", 9090}},
           {{"op", "add"}, {"path", "/metadata/labels/region"}, {"value", "us"}}}}},
        {{"clusterName", "west"}, {"patches", {{{"op", "remove"}, {"path", "/metadata/labels/app"}}}}}}}};
  const auto object = parse(spec);
  const auto east = desired_object(object, kClusters[0], {});
  ASSERT_TRUE(east) << east.error().message;
  const json e = json::parse(east->body);
  EXPECT_EQ(e["metadata"]["name"], "web-svc")
      << "the template's name when it has one (a Service and its ServiceExport can share a name)";
  EXPECT_EQ(e["metadata"]["annotations"][kOriginAnnotation], "shop/web") << "the federated object";
  EXPECT_EQ(e["metadata"]["namespace"], "shop");
  EXPECT_EQ(e["spec"]["ports"][0]["port"], 8080) << "by-name overrides apply after selector ones";
  EXPECT_EQ(e["metadata"]["labels"]["region"], "us");
  EXPECT_EQ(e["metadata"]["labels"]["app"], "web");
  EXPECT_EQ(e["metadata"]["labels"][kManagedLabel], "true");
  EXPECT_EQ(e["metadata"]["annotations"][kOriginAnnotation], "shop/web");
  for (const char* retained :
       {"/spec/clusterIP", "/spec/clusterIPs", "/spec/replicas", "/spec/ports/0/nodePort", "/status",
        "/metadata/resourceVersion", "/metadata/uid"}) {
    EXPECT_FALSE(e.contains(json::json_pointer(retained))) << retained << " is the member's";
  }
  const auto west = desired_object(object, kClusters[1], {"/spec/type"});
  ASSERT_TRUE(west) << west.error().message;
  const json w = json::parse(west->body);
  EXPECT_EQ(w["spec"]["ports"][0]["port"], 9090);
  EXPECT_FALSE(w["metadata"]["labels"].contains("app"));
  EXPECT_FALSE(w["spec"].contains("type")) << "the type's own retained field";
  const auto frankfurt = desired_object(object, kClusters[2], {});
  ASSERT_TRUE(frankfurt);
  EXPECT_EQ(json::parse(frankfurt->body)["spec"]["ports"][0]["port"], 80) << "no override applies";

  // The hash follows the body: the same inputs give the same hash, any change another one.
  EXPECT_EQ(desired_object(object, kClusters[0], {})->hash, east->hash);
  EXPECT_NE(frankfurt->hash, east->hash);
  EXPECT_EQ(east->hash.size(), 16u);
}

TEST(DesiredObject, AnOverrideThatDoesNotApplyIsAnErrorNamingIt) {
  const auto object =
      parse({{"template", kService},
             {"overrides",
              {{{"clusterName", "west"},
                {"patches", {{{"op", "replace"}, {"path", "/spec/missing/x"}, {"value", 1}}}}}}}});
  const auto west = desired_object(object, kClusters[1], {});
  ASSERT_FALSE(west);
  EXPECT_NE(west.error().message.find("spec.overrides[0] (clusterName west): "), std::string::npos)
      << west.error().message;
  EXPECT_TRUE(desired_object(object, kClusters[0], {})) << "other clusters are not affected";
}

TEST(FederatedObject, ProblemsTheSchemaCannotCatchAreErrorsNamingTheField) {
  const std::pair<json, const char*> cases[] = {
      {{{"placement", {{"clusters", json::array()}}}}, "FederatedObject shop/web: spec.template: missing"},
      {{{"template", {{"kind", "Service"}}}},
       "FederatedObject shop/web: spec.template: needs apiVersion and kind"},
      {{{"template", kService},
        {"overrides", {{{"clusterName", "a"}, {"patches", {{{"op", "add"}, {"path", "/x"}}}}}}}},
       "FederatedObject shop/web: spec.overrides[0].patches[0]: add needs a value"},
      {{{"template", kService},
        {"overrides",
         {{{"clusterName", "a"}, {"patches", {{{"op", "remove"}, {"path", "/x"}, {"value", 1}}}}}}}},
       "FederatedObject shop/web: spec.overrides[0].patches[0]: remove takes no value"},
      {{{"template", kService}, {"overrides", {{{"patches", {{{"op", "remove"}, {"path", "/x"}}}}}}}},
       "FederatedObject shop/web: spec.overrides[0]: names one cluster (clusterName) or selects clusters "
       "(clusterSelector)"},
      {{{"template", kService}, {"deletionPolicy", "Keep"}},
       "FederatedObject shop/web: spec.deletionPolicy: Keep is not Delete or Orphan"},
      {{{"template", kService}, {"adoptExisting", "yes"}},
       "FederatedObject shop/web: spec.adoptExisting: must be true or false"},
      {{{"template", kService}, {"scheduledReplicas", {{"east", -2}}}},
       "FederatedObject shop/web: spec.scheduledReplicas.east: must be a whole number, 0 or more"},
      {{{"template", kService}, {"scheduledReplicas", json::array()}},
       "FederatedObject shop/web: spec.scheduledReplicas: must be a mapping of cluster -> replicas"},
  };
  for (const auto& [spec, message] : cases) {
    const json object = {
        {"kind", "FederatedObject"}, {"metadata", {{"name", "web"}, {"namespace", "shop"}}}, {"spec", spec}};
    const auto parsed = parse_federated_object(object);
    ASSERT_FALSE(parsed) << spec.dump();
    EXPECT_EQ(parsed.error().message, message);
  }
}

TEST(DesiredObject, TheSchedulersReplicasAreTheLastOverrideUnlessTheMemberOwnsThem) {
  const json deployment = {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"spec", {{"replicas", 1}}}};
  const json by_name = {{{"clusterName", "east"},
                         {"patches", {{{"op", "replace"}, {"path", "/spec/replicas"}, {"value", 9}}}}}};
  FederatedObject object = parse(
      {{"template", deployment}, {"overrides", by_name}, {"scheduledReplicas", {{"east", 4}, {"west", 0}}}});
  const auto replicas = [&](const char* cluster) {
    const auto d = desired_object(object, MemberCluster{cluster, {}}, {});
    EXPECT_TRUE(d) << d.error().message;
    return d ? json::parse(d->body)["spec"]["replicas"] : json();
  };
  EXPECT_EQ(replicas("east"), 4) << "after the by-name override of 9";
  EXPECT_EQ(replicas("west"), 0);
  EXPECT_EQ(replicas("north"), 1) << "no entry: the template's";
  object.retain_replicas = true;
  object.overrides.clear();  // (a replace of the retained field would fail: ApplyOverridesFailed)
  EXPECT_EQ(replicas("east"), json())
      << "retainReplicas: left out of the body, the member's autoscaler owns it";
}

TEST(DesiredObject, AClusterScopedObjectHasNoNamespace) {
  const json role = {{"apiVersion", "rbac.authorization.k8s.io/v1"},
                     {"kind", "ClusterRole"},
                     {"metadata", {{"namespace", "stray"}}},
                     {"rules", json::array()}};
  const auto object = parse({{"template", role}}, "ClusterFederatedObject");
  EXPECT_TRUE(object.cluster_scoped);
  const auto d = desired_object(object, kClusters[0], {});
  ASSERT_TRUE(d) << d.error().message;
  const json body = json::parse(d->body);
  EXPECT_FALSE(body["metadata"].contains("namespace"));
  EXPECT_EQ(body["metadata"]["annotations"][kOriginAnnotation], "web");
}

}  // namespace
}  // namespace fedns::sync::propagation
