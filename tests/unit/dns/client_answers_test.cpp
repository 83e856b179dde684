// Answers that depend on where the client is (issue 6 on top of issue 5's hierarchy fallback): a hierarchy
// set ranks its tiers by the client's location (its EDNS Client Subnet, else its source address) when the
// locator places it, and the response's ECS SCOPE PREFIX-LENGTH says how far that holds. Through the real
// query path, read by ldns.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>

#include "allocation_counter.hpp"
#include "dns/generated_names_builder.hpp"
#include "dns/name.hpp"
#include "dns/responder.hpp"
#include "dns/test_packets.hpp"
#include "dns/zone_builder.hpp"

namespace fedns::dns {
namespace {

using test::section_text;

class ClientAnswersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ClientLocator::Config where;
    where.table = {
        {"10.1.0.0/16", "eu", "eu-1"}, {"10.2.0.0/16", "eu", "eu-2"}, {"10.3.0.0/16", "us", "us-1"}};
    where.clusters = {{"east", "eu", "eu-1", {}}, {"north", "eu", "eu-2", {}}, {"west", "us", "us-1", {}}};
    auto locator = ClientLocator::build(where);
    ASSERT_TRUE(locator) << locator.error().message;
    auto shared = std::make_shared<const ClientLocator>(std::move(locator.value()));

    ZoneSource zone;
    zone.origin = "clusterset.local.";
    zone.soa = SoaFields{.serial = 1, .minimum = 5};
    zone.name_servers = {{"ns1.clusterset.local.", {"127.0.0.1"}}};
    snapshot_.zones = build_zone_set({zone}).value();
    snapshot_.locator = shared;
    model::ServedZone* served = snapshot_.zones.mutable_zone(origin_);
    GeneratedNamesBuilder names(origin_, 30, served->base);
    // Rendered relative to a replica in east's zone (static tiers 0, 1, 2), with targets 0, 1, 2.
    model::MergedService web;
    web.key = {"shop", "web"};
    web.health = {model::HealthFallback::kHierarchy, 0};
    const char* clusters[] = {"east", "north", "west"};
    for (std::uint32_t i = 0; i < 3; ++i) {
      model::ServiceShard shard;
      shard.cluster = clusters[i];
      shard.addresses = {"192.0.2." + std::to_string(i + 1)};
      shard.address_targets = {i};
      shard.tier = static_cast<std::uint8_t>(i);
      shard.region = shared->id(i < 2 ? "eu" : "us");
      shard.zone = shared->id(i == 0 ? "eu-1" : i == 1 ? "eu-2" : "us-1");
      web.shards.push_back(shard);
    }
    std::vector<std::string> dropped;
    names.update(web.key, &web, dropped);
    // api: the same clusters with an answer policy (locality, then one record drawn by weight).
    model::MergedService api = web;
    api.key = {"shop", "api"};
    api.health = {};
    auto policy = std::make_shared<model::AnswerPolicy>();
    policy->source = "test";
    policy->steps = {{model::PolicyStepKind::kLocality}, {model::PolicyStepKind::kWeighted, 1}};
    for (std::uint32_t i = 0; i < 3; ++i) {
      api.shards[i].tier = 0;
      api.shards[i].cluster_id = shared->id(clusters[i]);
    }
    api.policy = policy;
    names.update(api.key, &api, dropped);
    ASSERT_TRUE(dropped.empty()) << testing::PrintToString(dropped);
    served->generated = names.publish();
    set_down({});
  }

  void set_down(std::initializer_list<model::TargetId> down) {
    std::vector<model::TargetStatus> statuses(3);
    for (const auto id : down)
      statuses[id].up = false;
    table_ = model::HealthTable(std::move(statuses), ++generation_);
  }

  // Asks with an ECS option for `subnet`/`prefix` (IPv4), or without one from `source`.
  test::Packet ask(const std::string& subnet, std::uint8_t prefix, const char* source = nullptr) {
    test::QueryOptions options;
    options.edns = true;
    sockaddr_in peer{};
    if (!subnet.empty()) {
      std::uint8_t address[4];
      inet_pton(AF_INET, subnet.c_str(), address);
      std::vector<std::uint8_t> ecs = {0, 1, prefix, 0};
      for (unsigned i = 0; i < (prefix + 7u) / 8u; ++i)
        ecs.push_back(address[i]);
      test::append_option(options.edns_options, 8, ecs);
    }
    if (source != nullptr) {
      peer.sin_family = AF_INET;
      inet_pton(AF_INET, source, &peer.sin_addr);
    }
    const std::size_t size =
        respond(test::make_query(name_, options), out_,
                {Transport::kUdp, &table_, source != nullptr ? reinterpret_cast<sockaddr*>(&peer) : nullptr},
                snapshot_, counters_);
    return test::parse_with_ldns(out_.data(), size);
  }
  std::vector<std::string> answer(const test::Packet& packet) {
    return section_text(ldns_pkt_answer(packet.get()));
  }
  // The ECS option's scope in the response, or -1 without one.
  static int scope(const test::Packet& packet) {
    const ldns_rdf* edns = ldns_pkt_edns_data(packet.get());
    if (edns == nullptr) return -1;
    const std::uint8_t* data = ldns_rdf_data(edns);
    const std::size_t size = ldns_rdf_size(edns);
    for (std::size_t at = 0; at + 4 <= size;) {
      const unsigned code = (data[at] << 8) | data[at + 1];
      const unsigned length = (data[at + 2] << 8) | data[at + 3];
      if (code == 8 && length >= 4) return data[at + 4 + 3];
      at += 4 + length;
    }
    return -1;
  }

  const std::string origin_ = name_from_text("clusterset.local.").value();
  std::string name_ = "web.shop.svc.clusterset.local.";
  ServingSnapshot snapshot_;
  model::HealthTable table_;
  std::uint64_t generation_ = 0;
  WorkerCounters counters_;
  std::vector<std::uint8_t> out_ = std::vector<std::uint8_t>(65535);
};

TEST_F(ClientAnswersTest, EachClientGetsItsOwnZoneThenRegionThenAnywhere) {
  const auto eu1 = ask("10.1.7.0", 24);
  EXPECT_EQ(answer(eu1), std::vector<std::string>{name_ + " 30 IN A 192.0.2.1"});
  EXPECT_EQ(scope(eu1), 16) << "the decision holds for the table's /16";
  EXPECT_EQ(answer(ask("10.2.7.0", 24)), std::vector<std::string>{name_ + " 30 IN A 192.0.2.2"});
  EXPECT_EQ(answer(ask("10.3.7.0", 24)), std::vector<std::string>{name_ + " 30 IN A 192.0.2.3"});

  set_down({1});  // north is down: an eu-2 client gets its region's other zone, a us client still its own
  EXPECT_EQ(answer(ask("10.2.7.0", 24)), std::vector<std::string>{name_ + " 30 IN A 192.0.2.1"});
  EXPECT_EQ(answer(ask("10.3.7.0", 24)), std::vector<std::string>{name_ + " 30 IN A 192.0.2.3"});
  set_down({2});  // west is down: a us client gets another region
  const auto us = answer(ask("10.3.7.0", 24));
  EXPECT_EQ(us.size(), 2u) << "the eu clusters, both in the global tier for a us client";
}

TEST_F(ClientAnswersTest, TheSourceAddressPlacesAClientWithoutEcsAndAnUnplacedClientGetsTheReplicasView) {
  EXPECT_EQ(answer(ask("", 0, "10.3.0.9")), std::vector<std::string>{name_ + " 30 IN A 192.0.2.3"});
  const auto unplaced = ask("198.51.100.0", 24);
  EXPECT_EQ(answer(unplaced), std::vector<std::string>{name_ + " 30 IN A 192.0.2.1"}) << "the rendered tiers";
  EXPECT_EQ(scope(unplaced), 16) << "unplaced as far as the table's longest entry";
  // An ECS /8 cannot be placed by /16 entries: unplaced, the replica's view.
  EXPECT_EQ(answer(ask("10.0.0.0", 8)), std::vector<std::string>{name_ + " 30 IN A 192.0.2.1"});
}

TEST_F(ClientAnswersTest, APolicyAnswersThroughTheQueryPathWithTheScopeItDependsOn) {
  name_ = "api.shop.svc.clusterset.local.";
  const auto eu1 = ask("10.1.7.0", 24);
  EXPECT_EQ(answer(eu1), std::vector<std::string>{name_ + " 30 IN A 192.0.2.1"}) << "locality: its zone";
  EXPECT_EQ(scope(eu1), 16);
  const auto unplaced = answer(ask("198.51.100.0", 24));
  EXPECT_EQ(unplaced.size(), 1u) << "locality cannot decide, weighted draws one of three";
  set_down({0});
  EXPECT_EQ(answer(ask("10.1.7.0", 24)), std::vector<std::string>{name_ + " 30 IN A 192.0.2.2"})
      << "its zone's cluster down: its region's";
}

TEST_F(ClientAnswersTest, PlacingTheClientAndAPolicyDecisionAllocateNothing) {
  for (const std::string& name : {name_, std::string("api.shop.svc.clusterset.local.")}) {
    test::QueryOptions options;
    options.edns = true;
    test::append_option(options.edns_options, 8, {0, 1, 24, 0, 10, 3, 7});
    const auto query = test::make_query(name, options);
    std::size_t size = 0;
    EXPECT_EQ(test::allocations_after_warmup([&] {
                size = respond(query, out_, {Transport::kUdp, &table_}, snapshot_, counters_);
              }),
              0)
        << "allocations while answering " << name;
    EXPECT_GT(size, 0u);
  }
}

// The batch path (prepare, prefetch, respond: what the UDP listener runs) with a worker's location memo
// answers every message byte for byte as the one-message path without one, including those it does not
// prepare (malformed, another class, outside our zones, a response) and repeated clients (memo hits).
TEST_F(ClientAnswersTest, TheBatchPathWithALocationMemoAnswersAsTheOneMessagePath) {
  std::vector<std::vector<std::uint8_t>> messages;
  for (const std::string& name : {name_, std::string("api.shop.svc.clusterset.local."),
                                  std::string("nothing.shop.svc.clusterset.local."),
                                  std::string("clusterset.local."), std::string("example.org.")}) {
    for (const char* subnet : {"10.1.7.0", "10.2.7.0", "10.3.7.0", "198.51.100.0", "10.1.7.0"}) {
      test::QueryOptions options;
      options.edns = true;
      std::uint8_t address[4];
      inet_pton(AF_INET, subnet, address);
      test::append_option(options.edns_options, 8, {0, 1, 24, 0, address[0], address[1], address[2]});
      messages.push_back(test::make_query(name, options));
    }
    test::QueryOptions chaos;
    chaos.qclass = 3;
    messages.push_back(test::make_query(name, chaos));
  }
  std::vector<std::uint8_t> response = messages.front();
  response[2] |= 0x80;  // QR: dropped by both
  messages.push_back(response);
  messages.push_back({0x12, 0x34, 0x01});  // too short for a header
  std::vector<std::uint8_t> truncated = messages.front();
  truncated.resize(truncated.size() - 9);  // the OPT record cut short: FORMERR
  messages.push_back(truncated);

  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  inet_pton(AF_INET, "10.3.0.9", &peer.sin_addr);
  LocationCache memo;
  std::vector<std::uint8_t> batch_out(65535);
  for (int round = 0; round < 2; ++round) {
    set_down(round == 0 ? std::initializer_list<model::TargetId>{}
                        : std::initializer_list<model::TargetId>{1});
    for (std::size_t i = 0; i < messages.size(); ++i) {
      SplitMixRandom one(7);
      SplitMixRandom other(7);
      const std::size_t expected =
          respond(messages[i], out_, {Transport::kUdp, &table_, reinterpret_cast<sockaddr*>(&peer), &one},
                  snapshot_, counters_);
      PreparedQuery prepared;
      prepare(messages[i], snapshot_, prepared);
      prefetch(prepared);
      const std::size_t size =
          respond(prepared, messages[i], batch_out,
                  {Transport::kUdp, &table_, reinterpret_cast<sockaddr*>(&peer), &other, &memo}, snapshot_,
                  counters_);
      ASSERT_EQ(size, expected) << "message " << i << ", round " << round;
      EXPECT_TRUE(
          std::equal(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(size), batch_out.begin()))
          << "message " << i << ", round " << round;
    }
  }
}

TEST_F(ClientAnswersTest, TheBatchPathAllocatesNothing) {
  test::QueryOptions options;
  options.edns = true;
  test::append_option(options.edns_options, 8, {0, 1, 24, 0, 10, 3, 7});
  const auto query = test::make_query("api.shop.svc.clusterset.local.", options);
  LocationCache memo;
  PreparedQuery prepared;
  std::size_t size = 0;
  EXPECT_EQ(test::allocations_after_warmup([&] {
              prepare(query, snapshot_, prepared);
              prefetch(prepared);
              size = respond(prepared, query, out_, {Transport::kUdp, &table_, nullptr, nullptr, &memo},
                             snapshot_, counters_);
            }),
            0);
  EXPECT_GT(size, 0u);
}

}  // namespace
}  // namespace fedns::dns
