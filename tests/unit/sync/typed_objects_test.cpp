// Conversions of Kubernetes JSON (shaped as a real apiserver returns it) to the slim typed structs.
#include "sync/typed_objects.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace fedns::sync {
namespace {

KubeObject object(const char* text) {
  auto o = KubeObject::from_json(nlohmann::json::parse(text));
  EXPECT_TRUE(o.ok()) << o.error().message;
  return std::move(o.value());
}

TEST(TypedObjects, LoadBalancerServiceWithDualStack) {
  auto s = to_service(object(R"({"kind":"Service","apiVersion":"v1",
    "metadata":{"name":"web","namespace":"shop","uid":"u1","resourceVersion":"42","labels":{"app":"web"}},
    "spec":{"type":"LoadBalancer","clusterIP":"10.96.0.10","clusterIPs":["10.96.0.10","fd00::a"],
            "ipFamilies":["IPv4","IPv6"],"ports":[{"name":"http","protocol":"TCP","port":80,"targetPort":8080,
            "appProtocol":"http"},{"name":"dns","protocol":"UDP","port":53,"targetPort":"dns"}],
            "externalIPs":["198.51.100.7"],"someFutureField":{"x":1}},
    "status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.5"},{"hostname":"lb.example.com"}]}}})"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->meta.key(), "shop/web");
  EXPECT_EQ(s->type, "LoadBalancer");
  EXPECT_FALSE(s->headless);
  EXPECT_EQ(s->cluster_ips, (std::vector<std::string>{"10.96.0.10", "fd00::a"}));
  EXPECT_EQ(s->load_balancer_ips, std::vector<std::string>{"203.0.113.5"});
  EXPECT_EQ(s->load_balancer_hostnames, std::vector<std::string>{"lb.example.com"});
  EXPECT_EQ(s->external_ips, std::vector<std::string>{"198.51.100.7"});
  ASSERT_EQ(s->ports.size(), 2u);
  EXPECT_EQ(s->ports[1].protocol, "UDP");
  EXPECT_EQ(s->ports[1].port, 53);
  EXPECT_EQ(s->ports[0].app_protocol, "http");
}

TEST(TypedObjects, HeadlessServiceDefaults) {
  auto s = to_service(object(R"({"metadata":{"name":"db","namespace":"d"},
    "spec":{"clusterIP":"None","publishNotReadyAddresses":true}})"));
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->headless);
  EXPECT_TRUE(s->cluster_ips.empty());
  EXPECT_EQ(s->type, "ClusterIP");
  EXPECT_TRUE(s->publish_not_ready_addresses);
}

TEST(TypedObjects, ServiceMissingWhatWeNeedIsRejectedWithReason) {
  auto no_spec = to_service(object(R"({"metadata":{"name":"x","namespace":"n"}})"));
  ASSERT_FALSE(no_spec.ok());
  EXPECT_EQ(no_spec.error().message, "Service n/x: no spec");
  auto bad_port =
      to_service(object(R"({"metadata":{"name":"x","namespace":"n"},"spec":{"ports":[{"port":0}]}})"));
  ASSERT_FALSE(bad_port.ok());
  EXPECT_NE(bad_port.error().message.find("no valid port number"), std::string::npos);
  EXPECT_FALSE(KubeObject::from_json(nlohmann::json::parse(R"({"metadata":{}})")).ok());
}

TEST(TypedObjects, EndpointSliceConditionsFollowTheirDocumentedDefaults) {  // discovery.k8s.io/v1
  auto e = to_endpoint_slice(object(R"({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice",
    "metadata":{"name":"web-abc","namespace":"shop","labels":{"kubernetes.io/service-name":"web"}},
    "addressType":"IPv4",
    "endpoints":[
      {"addresses":["10.1.0.5"],"conditions":{"ready":true},"hostname":"web-0","nodeName":"n1","zone":"eu-1a"},
      {"addresses":["10.1.0.6"],"conditions":{"ready":false,"serving":true,"terminating":true}},
      {"addresses":["10.1.0.7"]},
      {"addresses":[]}],
    "ports":[{"name":"http","protocol":"TCP","port":8080}]})"));
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->service_name, "web");
  ASSERT_EQ(e->endpoints.size(), 3u);  // the entry without addresses is skipped
  EXPECT_TRUE(e->endpoints[0].conditions.ready);
  EXPECT_TRUE(e->endpoints[0].conditions.serving);  // unset serving follows ready
  EXPECT_EQ(e->endpoints[0].zone, "eu-1a");
  EXPECT_FALSE(e->endpoints[1].conditions.ready);
  EXPECT_TRUE(e->endpoints[1].conditions.terminating);
  EXPECT_TRUE(e->endpoints[2].conditions.ready);  // unknown is treated as ready
  EXPECT_FALSE(e->endpoints[2].conditions.terminating);
  EXPECT_EQ(e->ports.at(0).port, 8080);
}

TEST(TypedObjects, EndpointSliceWithoutServiceLabelIsRejected) {
  auto e =
      to_endpoint_slice(object(R"({"metadata":{"name":"orphan","namespace":"n"},"addressType":"IPv4"})"));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "EndpointSlice n/orphan: no kubernetes.io/service-name label");
}

TEST(TypedObjects, ServiceExportConditionsAndNodeTopology) {
  auto x = to_service_export(object(R"({"apiVersion":"multicluster.x-k8s.io/v1alpha1","kind":"ServiceExport",
    "metadata":{"name":"web","namespace":"shop","creationTimestamp":"2026-11-26T10:00:00Z"},
    "status":{"conditions":[{"type":"Valid","status":"True","reason":"ServiceFound","message":""}]}})"));
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(x->creation_timestamp, "2026-11-26T10:00:00Z");
  ASSERT_EQ(x->conditions.size(), 1u);
  EXPECT_EQ(x->conditions[0].type, "Valid");
  auto n = to_node(object(R"({"metadata":{"name":"n1","labels":{"topology.kubernetes.io/zone":"eu-1a",
    "topology.kubernetes.io/region":"eu-1"}},"spec":{"podCIDR":"10.244.1.0/24"},
    "status":{"addresses":[{"type":"InternalIP","address":"192.0.2.10"},{"type":"Hostname","address":"n1"}]}})"));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->meta.key(), "n1");
  EXPECT_EQ(n->zone, "eu-1a");
  EXPECT_EQ(n->region, "eu-1");
  EXPECT_EQ(n->pod_cidrs, std::vector<std::string>{"10.244.1.0/24"});
  EXPECT_EQ(n->internal_ips, std::vector<std::string>{"192.0.2.10"});
}

TEST(TypedObjects, ServiceImportLeaseAndNamespace) {
  auto i = to_service_import(object(R"({"apiVersion":"multicluster.x-k8s.io/v1alpha1","kind":"ServiceImport",
    "metadata":{"name":"db","namespace":"shop"},"spec":{"type":"Headless","ports":[{"port":5432}]},
    "status":{"clusters":[{"cluster":"east"},{"cluster":"west"},{}]}})"));
  ASSERT_TRUE(i.ok()) << i.error().message;
  EXPECT_EQ(i->type, "Headless");
  EXPECT_TRUE(i->ips.empty());
  EXPECT_EQ(i->clusters, (std::vector<std::string>{"east", "west"}));
  EXPECT_FALSE(
      to_service_import(object(R"({"metadata":{"name":"x","namespace":"y"},"spec":{"type":"Magic"}})")).ok());
  EXPECT_FALSE(to_service_import(object(R"({"metadata":{"name":"x","namespace":"y"}})")).ok());

  auto l = to_lease(object(R"({"metadata":{"name":"leader","namespace":"fedns"},
    "spec":{"holderIdentity":"pod-a","leaseDurationSeconds":15,"renewTime":"2026-11-26T10:00:00.000001Z"}})"));
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->holder_identity, "pod-a");
  EXPECT_EQ(l->lease_duration_seconds, 15);
  EXPECT_EQ(l->lease_transitions, 0);
  EXPECT_FALSE(to_lease(object(R"({"metadata":{"name":"leader"}})")).ok());

  auto n = to_namespace(
      object(R"({"metadata":{"name":"shop","labels":{"team":"a"}},"status":{"phase":"Terminating"}})"));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->phase, "Terminating");
  EXPECT_EQ(n->meta.labels.at("team"), "a");
}

}  // namespace
}  // namespace fedns::sync
