// The catalog: objects from several clusters in any order become merged services; only what was exported is
// published; each flush reports exactly the services that changed, and only touched services are rebuilt.
#include "sync/catalog.hpp"

#include <gtest/gtest.h>

#include <functional>

namespace fedns::sync {
namespace {

const model::ServiceKey kWeb{"shop", "web"};

Service service(const std::string& name = "web", const std::string& ip = "10.96.0.10") {
  Service s;
  s.meta.namespace_ = "shop";
  s.meta.name = name;
  s.cluster_ips = {ip};
  s.ports = {{"http", "TCP", 80, ""}};
  return s;
}

ServiceExport exported(const std::string& name = "web", const std::string& at = "2026-11-26T10:00:00Z") {
  ServiceExport x;
  x.meta.namespace_ = "shop";
  x.meta.name = name;
  x.creation_timestamp = at;
  return x;
}

EndpointSlice slice(const std::string& name, const std::string& owner, const std::string& address) {
  EndpointSlice s;
  s.meta.namespace_ = "shop";
  s.meta.name = name;
  s.service_name = owner;
  s.address_type = "IPv4";
  Endpoint e;
  e.addresses = {address};
  s.endpoints = {e};
  return s;
}

Service headless(const std::string& name) {
  Service s = service(name, "");
  s.cluster_ips.clear();
  s.headless = true;
  return s;
}

TEST(Catalog, OnlyExportedServicesArePublished) {
  Catalog catalog({});
  catalog.upsert_service("east", service());
  auto changes = catalog.flush();
  EXPECT_TRUE(changes.updated.empty());
  EXPECT_TRUE(catalog.service_count() == 0);
  catalog.upsert_export("east", exported());
  changes = catalog.flush();
  ASSERT_EQ(changes.updated, std::vector<model::ServiceKey>{kWeb});
  EXPECT_EQ(catalog.service(kWeb).value().shards.at(0).addresses, std::vector<std::string>{"10.96.0.10"});
  catalog.remove_export("east", kWeb);
  changes = catalog.flush();
  EXPECT_EQ(changes.removed, std::vector<model::ServiceKey>{kWeb});
  EXPECT_TRUE(catalog.service_count() == 0);
}

TEST(Catalog, ExportAllNamespacesNeedNoServiceExport) {
  Catalog catalog({.export_all_namespaces = {"shop"}});
  catalog.upsert_service("east", service());
  EXPECT_EQ(catalog.flush().updated.size(), 1u);
}

TEST(Catalog, ClustersMergeAndLeave) {
  Catalog catalog({});
  catalog.upsert_service("east", service("web", "10.96.0.10"));
  catalog.upsert_export("east", exported("web", "2026-11-26T10:00:01Z"));
  catalog.upsert_service("west", service("web", "10.97.0.10"));
  catalog.upsert_export("west", exported("web", "2026-11-26T10:00:00Z"));
  catalog.flush();
  const auto merged = catalog.service(kWeb).value();
  ASSERT_EQ(merged.shards.size(), 2u);
  EXPECT_EQ(merged.shards[0].cluster, "west");  // the older export
  catalog.remove_cluster("west");
  const auto changes = catalog.flush();
  EXPECT_EQ(changes.updated, std::vector<model::ServiceKey>{kWeb});
  EXPECT_EQ(catalog.service(kWeb).value().shards.size(), 1u);
}

TEST(Catalog, AFederatedServiceIsAnsweredOnlyWhereItIsPlaced) {
  Catalog catalog({});
  for (const auto* cluster : {"east", "west"}) {
    catalog.upsert_service(cluster, service());
    catalog.upsert_export(cluster, exported());
  }
  catalog.upsert_service("north", service());
  catalog.flush();
  EXPECT_EQ(catalog.service(kWeb).value().shards.size(), 2u);

  catalog.set_placement(kWeb, std::set<std::string>{"east", "north"});
  auto changes = catalog.flush();
  EXPECT_EQ(changes.updated, std::vector<model::ServiceKey>{kWeb}) << "the placement change is a change";
  const auto merged = catalog.service(kWeb).value();
  ASSERT_EQ(merged.shards.size(), 1u);
  EXPECT_EQ(merged.shards[0].cluster, "east");
  EXPECT_EQ(catalog.why_not_published("east", kWeb), "");
  EXPECT_EQ(catalog.why_not_published("west", kWeb), "not in the federated service's placement");
  EXPECT_EQ(catalog.why_not_published("north", kWeb), "no ServiceExport there");
  EXPECT_EQ(catalog.why_not_published("south", kWeb), "nothing read from the cluster yet");
  EXPECT_EQ(catalog.why_not_published("east", {"shop", "db"}), "no Service there");

  catalog.set_placement(kWeb, std::set<std::string>{"east", "north"});
  EXPECT_TRUE(catalog.flush().updated.empty()) << "the same placement again changes nothing";
  catalog.set_placement(kWeb, std::set<std::string>{});
  catalog.flush();
  EXPECT_FALSE(catalog.service(kWeb)) << "placed nowhere (being deleted): answered nowhere";
  catalog.set_placement(kWeb, std::nullopt);
  catalog.flush();
  EXPECT_EQ(catalog.service(kWeb).value().shards.size(), 2u)
      << "no federated object: every exporting cluster";
}

TEST(Catalog, SlicesArrivingBeforeTheirServiceAreKept) {
  Catalog catalog({});
  catalog.upsert_slice("east", slice("db-a", "db", "10.1.0.5"));
  catalog.upsert_slice("east", slice("db-b", "db", "10.1.0.6"));
  catalog.upsert_export("east", exported("db"));
  EXPECT_TRUE(catalog.flush().updated.empty());  // no Service yet
  catalog.upsert_service("east", headless("db"));
  catalog.flush();
  EXPECT_EQ(catalog.service({"shop", "db"}).value().shards.at(0).endpoints.size(), 2u);
  catalog.remove_slice("east", "shop", "db-a");
  catalog.flush();
  EXPECT_EQ(catalog.service({"shop", "db"}).value().shards.at(0).endpoints.size(), 1u);
}

TEST(Catalog, ASliceThatChangesOwnerLeavesItsOldService) {
  Catalog catalog({.export_all_namespaces = {"shop"}});
  catalog.upsert_service("east", headless("a"));
  catalog.upsert_service("east", headless("b"));
  catalog.upsert_slice("east", slice("s", "a", "10.1.0.5"));
  catalog.flush();
  EXPECT_EQ(catalog.service({"shop", "a"}).value().shards.at(0).endpoints.size(), 1u);
  catalog.upsert_slice("east", slice("s", "b", "10.1.0.5"));
  const auto changes = catalog.flush();
  EXPECT_EQ(changes.updated.size(), 2u);
  EXPECT_TRUE(catalog.service({"shop", "a"}).value().shards.at(0).endpoints.empty());
  EXPECT_EQ(catalog.service({"shop", "b"}).value().shards.at(0).endpoints.size(), 1u);
}

TEST(Catalog, AnEventThatChangesNothingNamedIsNotAChange) {
  Catalog catalog({.export_all_namespaces = {"shop"}});
  catalog.upsert_service("east", service());
  catalog.flush();
  Service relabelled = service();
  relabelled.meta.labels["team"] = "checkout";
  relabelled.meta.resource_version = "99";
  catalog.upsert_service("east", relabelled);
  EXPECT_TRUE(catalog.flush().updated.empty());
}

// The catalog keeps a digest of each published service, not the service: every property a name or a policy
// reads must still count as a change, and the flush hands over the merged service itself.
TEST(Catalog, EveryPublishedPropertyIsAChangeAndTheFlushHandsOverTheService) {
  Catalog catalog({.export_all_namespaces = {"shop"}});
  catalog.upsert_service("east", headless("db"));
  catalog.upsert_slice("east", slice("db-1", "db", "10.1.0.5"));
  auto changes = catalog.flush();
  ASSERT_EQ(changes.updated_services.size(), 1u);
  EXPECT_EQ(changes.updated_services[0].key, (model::ServiceKey{"shop", "db"}));
  EXPECT_EQ(changes.updated_services[0].shards.at(0).endpoints.at(0).addresses.at(0), "10.1.0.5");
  const std::vector<std::function<void(Endpoint&)>> edits = {
      [](Endpoint& e) { e.conditions.ready = false; }, [](Endpoint& e) { e.conditions.terminating = true; },
      [](Endpoint& e) { e.hostname = "db-0"; },        [](Endpoint& e) { e.zone = "eu-1b"; },
      [](Endpoint& e) { e.node_name = "node-7"; },     [](Endpoint& e) { e.addresses = {"10.1.0.6"}; }};
  for (std::size_t i = 0; i < edits.size(); ++i) {
    EndpointSlice edited = slice("db-1", "db", "10.1.0.5");
    edits[i](edited.endpoints[0]);
    catalog.upsert_slice("east", edited);
    EXPECT_EQ(catalog.flush().updated.size(), 1u) << "edit " << i;
    catalog.upsert_slice("east", slice("db-1", "db", "10.1.0.5"));
    EXPECT_EQ(catalog.flush().updated.size(), 1u) << "undo " << i;
  }
  EXPECT_EQ(catalog.service_count(), 1u);
  EXPECT_EQ(catalog.service({"shop", "db"}).value().shards.at(0).endpoints.size(), 1u);
  EXPECT_FALSE(catalog.service({"shop", "nothing"}).has_value());
}

TEST(Catalog, OnlyTouchedServicesAreRebuilt) {
  Catalog catalog({.export_all_namespaces = {"shop"}});
  for (int i = 0; i < 1000; ++i)
    catalog.upsert_service("east", service("svc-" + std::to_string(i), "10.96.3." + std::to_string(i % 250)));
  EXPECT_EQ(catalog.dirty_count(), 1000u);
  EXPECT_EQ(catalog.flush().updated.size(), 1000u);
  catalog.upsert_service("east", service("svc-7", "10.96.9.9"));
  EXPECT_EQ(catalog.dirty_count(), 1u);
  EXPECT_EQ(catalog.flush().updated, (std::vector<model::ServiceKey>{{"shop", "svc-7"}}));
}

TEST(Catalog, NonsenseFromOneClusterDoesNotHideTheOthers) {
  Catalog catalog({.export_all_namespaces = {"shop"}});
  catalog.upsert_service("east", service());
  Service liar = service();
  for (int i = 1; i <= 10000; ++i)
    liar.ports.push_back({"p" + std::to_string(i), "TCP", static_cast<std::uint16_t>(i), ""});
  catalog.upsert_service("west", liar);
  const auto changes = catalog.flush();
  ASSERT_EQ(changes.dropped.size(), 1u);
  EXPECT_NE(changes.dropped[0].find("cluster west"), std::string::npos);
  ASSERT_EQ(catalog.service(kWeb).value().shards.size(), 1u);
  EXPECT_EQ(catalog.service(kWeb).value().shards[0].cluster, "east");
}

}  // namespace
}  // namespace fedns::sync

namespace fedns::sync {
namespace {

const Condition* condition(const ExportStatus& s, const std::string& type) {
  for (const auto& c : s.conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

const ExportStatus* status_of(const CatalogChanges& changes, const std::string& cluster) {
  for (const auto& s : changes.export_status) {
    if (s.cluster == cluster) return &s;
  }
  return nullptr;
}

// MCS: every export gets Valid, Ready and Conflict (sigs.k8s.io/mcs-api reasons), and only when they change.
TEST(CatalogExportStatus, ConditionsFollowTheExportsAndAreNotRepeated) {
  Catalog catalog({});
  catalog.upsert_export("east", exported());  // exported before the Service exists
  auto changes = catalog.flush();
  const ExportStatus* east = status_of(changes, "east");
  ASSERT_NE(east, nullptr);
  EXPECT_EQ(condition(*east, "Valid")->status, "False");
  EXPECT_EQ(condition(*east, "Valid")->reason, "NoService");
  EXPECT_EQ(condition(*east, "Ready")->status, "False");

  catalog.upsert_service("east", service());
  changes = catalog.flush();
  east = status_of(changes, "east");
  ASSERT_NE(east, nullptr);
  EXPECT_EQ(condition(*east, "Valid")->reason, "Valid");
  EXPECT_EQ(condition(*east, "Ready")->status, "True");
  EXPECT_EQ(condition(*east, "Ready")->reason, "Exported");
  EXPECT_EQ(condition(*east, "Conflict")->status, "False");
  EXPECT_EQ(condition(*east, "Conflict")->reason, "NoConflicts");

  // The status written comes back on the export: nothing more to write.
  ServiceExport written = exported();
  written.conditions = east->conditions;
  catalog.upsert_export("east", written);
  EXPECT_TRUE(catalog.flush().export_status.empty());

  // A younger export from west with another port number for `http`: west is in conflict (both sides may say
  // so; the spec requires the conflicting one), east is not.
  Service other = service("web", "10.97.0.10");
  other.ports = {{"http", "TCP", 8080, ""}};
  catalog.upsert_service("west", other);
  catalog.upsert_export("west", exported("web", "2026-11-26T11:00:00Z"));
  changes = catalog.flush();
  const ExportStatus* west = status_of(changes, "west");
  ASSERT_NE(west, nullptr);
  EXPECT_EQ(condition(*west, "Conflict")->status, "True");
  EXPECT_EQ(condition(*west, "Conflict")->reason, "PortConflict");
  EXPECT_NE(condition(*west, "Conflict")->message.find("8080"), std::string::npos)
      << condition(*west, "Conflict")->message;
  EXPECT_EQ(status_of(changes, "east"), nullptr);

  // A headless west: TypeConflict, and left out of the answers (Ready False).
  Service h = headless("web");
  catalog.upsert_service("west", h);
  changes = catalog.flush();
  west = status_of(changes, "west");
  ASSERT_NE(west, nullptr);
  EXPECT_EQ(condition(*west, "Conflict")->reason, "TypeConflict");
  EXPECT_EQ(condition(*west, "Ready")->status, "False");
}

// Before the clusters have listed their objects an export without a Service may only mean "not read yet":
// nothing is written then, and releasing the hold checks every export without any further event.
TEST(CatalogExportStatus, NothingIsWrittenWhileHeldAndEverythingIsCheckedOnRelease) {
  Catalog catalog({});
  catalog.hold_export_status(true);
  catalog.upsert_export("east", exported());
  auto changes = catalog.flush();
  EXPECT_TRUE(changes.export_status.empty());
  catalog.upsert_service("east", service());
  changes = catalog.flush();
  EXPECT_TRUE(changes.export_status.empty());
  EXPECT_EQ(changes.updated, std::vector<model::ServiceKey>{kWeb});  // the names do not wait

  catalog.hold_export_status(false);
  changes = catalog.flush();
  const ExportStatus* east = status_of(changes, "east");
  ASSERT_NE(east, nullptr);
  EXPECT_EQ(condition(*east, "Valid")->reason, "Valid");
  EXPECT_TRUE(changes.updated.empty());  // nothing named changed
}

}  // namespace
}  // namespace fedns::sync
