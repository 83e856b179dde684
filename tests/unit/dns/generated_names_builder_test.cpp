// The catalog zone updated service by service must answer exactly as the same catalog rendered from scratch,
// leave snapshots already published untouched, and cost what the change touches, not the catalog's size.
#include "dns/generated_names_builder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "dns/name.hpp"
#include "dns/protocol.hpp"
#include "dns/responder.hpp"
#include "dns/service_records.hpp"
#include "dns/test_packets.hpp"
#include "dns/zone_builder.hpp"

namespace fedns::dns {
namespace {

ZoneSource catalog_zone(std::string records = {}) {
  ZoneSource zone;
  zone.origin = "clusterset.local.";
  zone.default_ttl = 5;
  zone.soa = SoaFields{.serial = 7, .minimum = 5};
  zone.name_servers = {{"ns1.clusterset.local.", {"127.0.0.1"}}};
  zone.records = std::move(records);
  return zone;
}

const std::string kOrigin = name_from_text("clusterset.local.").value();

// A random service: one of three kinds, spread over a few namespaces and clusters.
model::MergedService random_service(std::mt19937& rng, int id) {
  model::MergedService s;
  s.key = {"ns" + std::to_string(id % 5), "svc" + std::to_string(id)};
  const int kind = static_cast<int>(rng() % 3);
  s.ports = {{"http", "TCP", static_cast<std::uint16_t>(80 + rng() % 3), ""}, {"dns", "UDP", 53, ""}};
  if (kind == 2) {
    s.kind = model::ServiceKind::kExternalName;
    s.external_name = "ext" + std::to_string(rng() % 4) + ".example.com";
    return s;
  }
  for (const char* cluster : {"east", "west", "north"}) {
    if (rng() % 2 == 0) continue;
    model::ServiceShard shard;
    shard.cluster = cluster;
    if (kind == 0) {
      shard.addresses = {"10." + std::to_string(rng() % 4) + ".0." + std::to_string(1 + rng() % 9)};
      if (rng() % 2 == 0) shard.addresses.push_back("fd00::" + std::to_string(1 + rng() % 9));
    } else {
      s.kind = model::ServiceKind::kHeadless;
      shard.kind = model::ServiceKind::kHeadless;
      for (unsigned e = 0; e < 1 + rng() % 3; ++e) {
        model::EndpointRecord endpoint;
        endpoint.addresses = {"10.9." + std::to_string(rng() % 9) + "." + std::to_string(e + 1)};
        endpoint.hostname = rng() % 2 == 0 ? "pod-" + std::to_string(e) : "";
        endpoint.ready = rng() % 4 != 0;
        shard.endpoints.push_back(endpoint);
      }
    }
    s.shards.push_back(shard);
  }
  return s;
}

// Every name a catalog of `count` services could answer for (and some it cannot).
std::vector<std::string> probe_names(int count) {
  std::vector<std::string> names = {"svc.clusterset.local.", "nothing.svc.clusterset.local."};
  for (int ns = 0; ns < 6; ++ns)
    names.push_back("ns" + std::to_string(ns) + ".svc.clusterset.local.");
  for (int id = 0; id < count; ++id) {
    const std::string base =
        "svc" + std::to_string(id) + ".ns" + std::to_string(id % 5) + ".svc.clusterset.local.";
    for (const char* prefix : {"", "_http._tcp.", "_dns._udp.", "_tcp.", "_udp.", "pod-0.east.",
                               "pod-1.west.", "east.", "10-9-1-1.north.", "x."})
      names.push_back(prefix + base);
  }
  return names;
}

test::Packet parse(const std::vector<std::uint8_t>& wire) {
  return test::parse_with_ldns(wire.data(), wire.size());
}

class Responder {
 public:
  std::vector<std::uint8_t> ask(const ServingSnapshot& snapshot, const std::string& name,
                                std::uint16_t qtype) {
    const std::size_t size =
        respond(test::make_query(name, {.qtype = qtype}), out_, {Transport::kUdp}, snapshot, counters_);
    return {out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(size)};
  }

 private:
  WorkerCounters counters_;
  std::vector<std::uint8_t> out_ = std::vector<std::uint8_t>(65535);
};

ServingSnapshot from_scratch(const std::map<model::ServiceKey, model::MergedService>& catalog) {
  ZoneSource zone = catalog_zone();
  std::vector<std::string> dropped;
  for (const auto& [key, service] : catalog)
    render_service(service, kOrigin, 5, zone.generated, dropped);
  ServingSnapshot snapshot;
  snapshot.zones = build_zone_set({zone}).value();
  return snapshot;
}

class GeneratedNamesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_.zones = build_zone_set({catalog_zone()}).value();
    builder_.emplace(kOrigin, 5, base_.zones.mutable_zone(kOrigin)->base);
  }
  ServingSnapshot publish() {
    ServingSnapshot snapshot;
    snapshot.zones = base_.zones;
    snapshot.zones.mutable_zone(kOrigin)->generated = builder_->publish();
    return snapshot;
  }
  void set(const model::MergedService& s) {
    catalog_[s.key] = s;
    builder_->update(s.key, &catalog_[s.key], dropped_);
  }
  void remove(const model::ServiceKey& key) {
    catalog_.erase(key);
    builder_->update(key, nullptr, dropped_);
  }

  ServingSnapshot base_;
  std::optional<GeneratedNamesBuilder> builder_;
  std::map<model::ServiceKey, model::MergedService> catalog_;
  std::vector<std::string> dropped_;
  Responder responder_;
};

TEST_F(GeneratedNamesTest, IncrementalUpdatesAnswerExactlyAsAFullBuild) {
  std::mt19937 rng(20261126);
  constexpr int kServices = 40;
  for (int round = 0; round < 12; ++round) {
    // A burst of changes: new services, changed services, removed services.
    for (int change = 0; change < 15; ++change) {
      const int id = static_cast<int>(rng() % kServices);
      if (rng() % 4 == 0) {
        remove({"ns" + std::to_string(id % 5), "svc" + std::to_string(id)});
      } else {
        set(random_service(rng, id));
      }
    }
    const ServingSnapshot incremental = publish();
    const ServingSnapshot full = from_scratch(catalog_);
    for (const auto& name : probe_names(kServices)) {
      for (const std::uint16_t qtype :
           {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_SRV, LDNS_RR_TYPE_CNAME, LDNS_RR_TYPE_TXT}) {
        ASSERT_EQ(responder_.ask(incremental, name, qtype), responder_.ask(full, name, qtype))
            << "round " << round << ": " << name << " type " << qtype;
      }
    }
  }
  EXPECT_TRUE(dropped_.empty()) << testing::PrintToString(dropped_);
}

TEST_F(GeneratedNamesTest, PublishedSnapshotsNeverChange) {
  std::mt19937 rng(7);
  model::MergedService web = random_service(rng, 0);
  web.kind = model::ServiceKind::kClusterSetIp;
  web.shards = {{.cluster = "east", .addresses = {"10.0.0.1"}}};
  set(web);
  const ServingSnapshot before = publish();
  const auto answer_before = responder_.ask(before, "svc0.ns0.svc.clusterset.local.", LDNS_RR_TYPE_A);
  web.shards[0].addresses = {"10.0.0.2"};
  set(web);
  const ServingSnapshot after = publish();
  EXPECT_EQ(responder_.ask(before, "svc0.ns0.svc.clusterset.local.", LDNS_RR_TYPE_A), answer_before);
  EXPECT_NE(responder_.ask(after, "svc0.ns0.svc.clusterset.local.", LDNS_RR_TYPE_A), answer_before);
  remove(web.key);
  const ServingSnapshot gone = publish();
  // The namespace goes with its last service: NXDOMAIN, not NODATA.
  const auto ns = parse(responder_.ask(gone, "ns0.svc.clusterset.local.", 1));
  EXPECT_EQ(ldns_pkt_get_rcode(ns.get()), LDNS_RCODE_NXDOMAIN);
  EXPECT_EQ(ldns_pkt_ancount(parse(responder_.ask(after, "svc0.ns0.svc.clusterset.local.", 1)).get()), 1);
}

// What one change costs must not grow with the catalog: the shards it touches are copied, nothing else.
TEST_F(GeneratedNamesTest, ChangeCostDoesNotGrowWithTheCatalog) {
  std::mt19937 rng(1);
  std::vector<std::size_t> nodes_copied;
  int next_id = 0;
  for (const int size : {1'000, 30'000}) {
    while (next_id < size)
      set(random_service(rng, next_id++));
    publish();
    std::size_t worst = 0;
    for (int change = 0; change < 50; ++change) {
      set(random_service(rng, static_cast<int>(rng() % size)));
      publish();
      // One service's old and new names, plus the two shared empty non-terminals.
      EXPECT_LE(builder_->last_cost().shards_copied, 24u);
      EXPECT_LE(builder_->last_cost().groups_copied, builder_->last_cost().shards_copied);
      worst = std::max(worst, builder_->last_cost().nodes_copied);
    }
    nodes_copied.push_back(worst);
  }
  // 30x the services (~150,000 names): a change still copies the few nodes that share its shards.
  EXPECT_LT(nodes_copied[1], 2 * nodes_copied[0] + 40) << nodes_copied[0] << " -> " << nodes_copied[1];
}

// Any layout (the federation zone's several roots per service): roots exist with or without records, the
// names between roots and the origin live while any root is below them, records outside the roots are
// refused.
TEST_F(GeneratedNamesTest, RootsOwnTheirNamesAndShareTheirAncestors) {
  auto name = [](const std::string& text) { return name_from_text(text).value(); };
  GeneratedNamesBuilder builder(
      kOrigin, base_.zones.mutable_zone(kOrigin)->base,
      [&](const model::MergedService& s, RenderedNames& out, std::vector<std::string>&) {
        // <svc>.global.<zone> with the service's address; <svc>.far.away.<zone> bare.
        const std::string global = name(s.key.name + ".global.clusterset.local.");
        out.roots = {global, name(s.key.name + ".far.away.clusterset.local.")};
        out.records.push_back({global, type::kA, 5, std::string("\x0a\0\0\x01", 4), "t"});
        out.records.push_back(
            {name("x.elsewhere.clusterset.local."), type::kA, 5, std::string(4, '\0'), "t"});
      });
  model::MergedService a;
  a.key = {"ns", "a"};
  model::MergedService b;
  b.key = {"ns", "b"};
  std::vector<std::string> dropped;
  builder.update(a.key, &a, dropped);
  builder.update(b.key, &b, dropped);
  EXPECT_EQ(dropped.size(), 2u);  // x.elsewhere, once per service
  auto rcode = [&](const std::string& q, std::uint16_t qtype = LDNS_RR_TYPE_A) {
    ServingSnapshot snapshot;
    snapshot.zones = base_.zones;
    snapshot.zones.mutable_zone(kOrigin)->generated = builder.publish();
    const auto wire = responder_.ask(snapshot, q, qtype);
    auto packet = parse(wire);
    return std::pair{ldns_pkt_get_rcode(packet.get()), static_cast<int>(ldns_pkt_ancount(packet.get()))};
  };
  using R = std::pair<ldns_pkt_rcode, int>;
  EXPECT_EQ(rcode("a.global.clusterset.local."), (R{LDNS_RCODE_NOERROR, 1}));
  EXPECT_EQ(rcode("a.far.away.clusterset.local."), (R{LDNS_RCODE_NOERROR, 0}));  // a root without records
  EXPECT_EQ(rcode("away.clusterset.local."), (R{LDNS_RCODE_NOERROR, 0}));
  EXPECT_EQ(rcode("x.elsewhere.clusterset.local."), (R{LDNS_RCODE_NXDOMAIN, 0}));
  builder.update(a.key, static_cast<const model::MergedService*>(nullptr), dropped);
  EXPECT_EQ(rcode("a.far.away.clusterset.local."), (R{LDNS_RCODE_NXDOMAIN, 0}));
  EXPECT_EQ(rcode("far.away.clusterset.local."), (R{LDNS_RCODE_NOERROR, 0}));  // b is still below
  builder.update(b.key, static_cast<const model::MergedService*>(nullptr), dropped);
  EXPECT_EQ(rcode("away.clusterset.local."), (R{LDNS_RCODE_NXDOMAIN, 0}));
  EXPECT_EQ(rcode("global.clusterset.local."), (R{LDNS_RCODE_NXDOMAIN, 0}));
}

TEST_F(GeneratedNamesTest, ConfiguredRecordsShadowGeneratedNamesAndSaySo) {
  base_.zones = build_zone_set({catalog_zone("svc0.ns0.svc IN TXT \"pinned\"\n")}).value();
  builder_.emplace(kOrigin, 5, base_.zones.mutable_zone(kOrigin)->base);
  model::MergedService web;
  web.key = {"ns0", "svc0"};
  web.ports = {{"http", "TCP", 80, ""}};
  web.shards = {{.cluster = "east", .addresses = {"10.0.0.1"}}};
  set(web);
  const ServingSnapshot snapshot = publish();
  ASSERT_EQ(dropped_.size(), 1u);
  EXPECT_NE(dropped_[0].find("shadowed by records configured in the zone"), std::string::npos) << dropped_[0];
  // The configured TXT answers; the service's other names are still published.
  auto txt = parse(responder_.ask(snapshot, "svc0.ns0.svc.clusterset.local.", 16));
  EXPECT_EQ(ldns_pkt_ancount(txt.get()), 1);
  auto srv = parse(responder_.ask(snapshot, "_http._tcp.svc0.ns0.svc.clusterset.local.", LDNS_RR_TYPE_SRV));
  EXPECT_EQ(ldns_pkt_ancount(srv.get()), 1);
}

// A shard's inline name index (model::NameShard::names, what the query path compares) finds exactly what
// its nodes hold: every name, nothing that only shares a prefix or a length with one, and the same before
// the index is built.
TEST(NameShard, TheNameIndexFindsExactlyTheNodesNames) {
  model::NameShard shard;
  for (const char* text : {"a.svc.clusterset.local.", "ab.svc.clusterset.local.", "b.svc.clusterset.local.",
                           "a-much-longer-service-name-than-the-inline-index-holds.some-namespace.svc."
                           "clusterset.local."}) {
    model::Node node;
    node.name = name_from_text(text).value();
    shard.nodes.push_back(std::move(node));
  }
  std::sort(shard.nodes.begin(), shard.nodes.end(),
            [](const model::Node& a, const model::Node& b) { return a.name < b.name; });
  const std::vector<std::string> absent = {name_from_text("c.svc.clusterset.local.").value(),
                                           name_from_text("a.svc.clusterset.local.x.").value(),
                                           name_from_text("svc.clusterset.local.").value(),
                                           name_from_text("b.svc.clusterset.locam.").value(), std::string()};
  for (const bool indexed : {false, true}) {
    if (indexed) shard.index_names();
    for (const auto& node : shard.nodes)
      EXPECT_EQ(shard.find(node.name), &node) << name_to_text(node.name) << (indexed ? " indexed" : "");
    for (const auto& name : absent)
      EXPECT_EQ(shard.find(name), nullptr) << name_to_text(name) << (indexed ? " indexed" : "");
  }
}

}  // namespace
}  // namespace fedns::dns
