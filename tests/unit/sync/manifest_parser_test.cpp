// Manifests as users write them: several documents, Lists, YAML's untyped scalars read as Kubernetes reads
// them, other kinds ignored, and hostile input (alias bombs, deep nesting, huge numbers) rejected with a
// place instead of hanging or crashing.
#include "sync/manifest_parser.hpp"

#include <gtest/gtest.h>

#include "sync/typed_objects.hpp"

namespace fedns::sync {
namespace {

TEST(ManifestParser, DocumentsListsAndOtherKinds) {
  const auto objects = parse_manifests(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\n"
      "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
      "spec: {clusterIP: 10.0.0.1, ports: [{name: http, port: 80, protocol: TCP}]}\n"
      "---\n---\n"
      "apiVersion: v1\nkind: List\nitems:\n"
      "  - {apiVersion: multicluster.x-k8s.io/v1alpha1, kind: ServiceExport, metadata: {name: web, "
      "namespace: "
      "shop}}\n",
      "m.yaml");
  ASSERT_TRUE(objects.ok()) << objects.error().message;
  ASSERT_EQ(objects->size(), 2u);  // the Deployment is not ours to read
  EXPECT_EQ((*objects)[0].kind(), "Service");
  EXPECT_EQ((*objects)[0].meta().namespace_, "default");  // as kubectl apply does
  const auto service = to_service((*objects)[0]);
  ASSERT_TRUE(service.ok()) << service.error().message;
  ASSERT_EQ(service->ports.size(), 1u);
  EXPECT_EQ(service->ports[0].port, 80);  // a plain scalar 80 is a number
  EXPECT_EQ((*objects)[1].kind(), "ServiceExport");
  EXPECT_EQ((*objects)[1].meta().namespace_, "shop");
}

TEST(ManifestParser, ScalarsAreTypedAsKubernetesReadsThem) {
  const auto objects = parse_manifests(
      "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
      "metadata: {name: s, labels: {kubernetes.io/service-name: \"80\"}}\naddressType: IPv4\n"
      "endpoints: [{addresses: [10.0.0.1], conditions: {ready: false, serving: true}}]\n"
      "ports: [{name: p, port: 8080}]\n",
      "s.yaml");
  ASSERT_TRUE(objects.ok()) << objects.error().message;
  const auto slice = to_endpoint_slice(objects->at(0));
  ASSERT_TRUE(slice.ok()) << slice.error().message;
  EXPECT_EQ(slice->service_name, "80");  // quoted: stays a string
  EXPECT_FALSE(slice->endpoints.at(0).conditions.ready);
  EXPECT_EQ(slice->ports.at(0).port, 8080);
}

TEST(ManifestParser, ErrorsSayWhere) {
  auto r = parse_manifests("apiVersion: v1\nkind: Service\nmetadata: {name: web\n  bad: [\n", "bad.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("bad.yaml:", 0), 0u) << r.error().message;
  // In a later document the line is still the file's line.
  r = parse_manifests("apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n# two\nkind: [\n",
                      "later.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("later.yaml:6:", 0), 0u) << r.error().message;
  r = parse_manifests("just: a map\n", "x.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("x.yaml:1:1: not a Kubernetes object"), std::string::npos)
      << r.error().message;
  r = parse_manifests("apiVersion: v1\nkind: Service\nmetadata: {}\n", "y.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("Service without metadata.name"), std::string::npos) << r.error().message;
}

TEST(ManifestParser, HostileInputIsRejectedNotExpanded) {
  // "Billion laughs": nine levels of aliases, each referring to the previous nine times (9^9 nodes expanded).
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    const std::string prev = "*a" + std::to_string(i - 1);
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
    for (int k = 0; k < 8; ++k)
      bomb += ", " + prev;
    bomb += "]\n";
  }
  bomb += "kind: Service\napiVersion: v1\nmetadata: {name: boom}\n";
  auto r = parse_manifests(bomb, "bomb.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("nodes (aliases expanded)"), std::string::npos) << r.error().message;

  std::string deep = "kind: Service\napiVersion: v1\nmetadata: {name: deep}\nspec: ";
  for (int i = 0; i < 200; ++i)
    deep += "[";
  for (int i = 0; i < 200; ++i)
    deep += "]";
  r = parse_manifests(deep + "\n", "deep.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("nested deeper"), std::string::npos) << r.error().message;

  // A stream yaml-cpp 0.7's LoadAll loops on forever, allocating (found by the fuzzer; jbeder/yaml-cpp#1040).
  for (const char* text : {",\n", ", *a4, *a4]\n", "kind: Service\n---\n,]\n"})
    (void)parse_manifests(text, "comma.yaml");  // returns (error or nothing); the test would hang before

  // Bytes that are not UTF-8 (found by the fuzzer: nlohmann::json threw, and the server would have died).
  r = parse_manifests(
      "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {clusterIP: \xff\xfe"
      "10.0.0.1}\n",
      "bytes.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("UTF-8"), std::string::npos) << r.error().message;

  // Numbers out of range stay text (and the typed view says the port is wrong) instead of throwing.
  const std::string digits(100000, '9');
  r = parse_manifests("apiVersion: v1\nkind: Service\nmetadata: {name: big}\nspec: {ports: [{port: " +
                          digits + ", x: 1e999999}]}\n",
                      "big.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(to_service(r->at(0)).ok());
}

}  // namespace
}  // namespace fedns::sync
