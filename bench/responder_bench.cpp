// Micro-benchmark of respond(): one query in, one answer out, in-process (no sockets). Shows the server's own
// cost per answer type, which dnsperf hides behind system-call cost.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "dns/generated_names_builder.hpp"
#include "dns/name.hpp"
#include "dns/responder.hpp"
#include "dns/zone_builder.hpp"

namespace {

const fedns::dns::ServingSnapshot& snapshot() {
  static const auto* built = [] {
    fedns::dns::ZoneSource zone;
    zone.origin = "bench.test.";
    zone.soa = fedns::dns::SoaFields{.serial = 1};
    zone.name_servers = {{"ns1.bench.test.", {"127.0.0.1"}}};
    std::string records;
    for (int i = 0; i < 10000; ++i) {
      const std::string n = "name" + std::to_string(i);
      for (int k = 1; k <= 3; ++k)
        records += n + " IN A 10.0." + std::to_string(i % 250) + "." + std::to_string(k) + "\n";
      if (i % 10 == 0) records += "_http._tcp." + n + " IN SRV 0 5 80 " + n + "\n";
    }
    records += "alias IN CNAME name42\n";
    zone.records = records;
    auto zones = fedns::dns::build_zone_set({zone});
    if (!zones) std::abort();
    auto* s = new fedns::dns::ServingSnapshot;
    s->zones = std::move(zones.value());
    // Catalog names as the catalog renders them: every record carries a health target (issue 5), read
    // through the health table at query time.
    const std::string origin = fedns::dns::name_from_text("bench.test.").value();
    fedns::model::ServedZone* served = s->zones.mutable_zone(origin);
    fedns::dns::GeneratedNamesBuilder names(origin, 30, served->base);
    std::vector<std::string> dropped;
    auto service = [&](const std::string& name, fedns::model::HealthFallback fallback, bool tiers,
                       bool checked = true) {
      fedns::model::MergedService m;
      m.key = {"shop", name};
      m.health = {fallback, 50};
      for (std::uint32_t i = 0; i < 3; ++i) {
        fedns::model::ServiceShard shard;
        shard.cluster = "c" + std::to_string(i);
        shard.addresses = {"10.9.0." + std::to_string(i + 1)};
        if (checked) shard.address_targets = {i};
        shard.tier = tiers ? static_cast<std::uint8_t>(i) : 0;
        m.shards.push_back(shard);
      }
      if (tiers) m.last_resort = {"192.0.2.1"};
      names.update(m.key, &m, dropped);
    };
    // Answer policies (issue 6), for a client placed by the table (10.1.0.0/16 in eu at London).
    fedns::dns::ClientLocator::Config where;
    where.table = {
        {"10.1.0.0/16", "eu", "eu-1", fedns::dns::ClientLocator::Config::Coordinates{51.5F, -0.1F}}};
    where.clusters = {{"c0", "eu", "eu-1", {}, std::nullopt},
                      {"c1", "us", "us-1", {}, std::nullopt},
                      {"c2", "ap", "ap-1", {}, std::nullopt}};
    auto locator =
        std::make_shared<fedns::dns::ClientLocator>(fedns::dns::ClientLocator::build(where).value());
    s->locator = locator;
    auto policy_service = [&](const std::string& name, std::vector<fedns::model::PolicyStep> steps) {
      auto policy = std::make_shared<fedns::model::AnswerPolicy>();
      policy->steps = std::move(steps);
      const float coordinates[3][2] = {{50.1F, 8.7F}, {38.9F, -77.0F}, {-33.9F, 151.2F}};
      fedns::model::MergedService m;
      m.key = {"shop", name};
      for (std::uint32_t i = 0; i < 3; ++i) {
        fedns::model::ServiceShard shard;
        shard.cluster = "c" + std::to_string(i);
        shard.addresses = {"10.9.0." + std::to_string(i + 1)};
        shard.address_targets = {i};
        shard.cluster_id = locator->id(shard.cluster);
        shard.region = locator->id(i == 0 ? "eu" : i == 1 ? "us" : "ap");
        if (policy->clusters.size() <= shard.cluster_id) policy->clusters.resize(shard.cluster_id + 1U);
        policy->clusters[shard.cluster_id].weight = 100U * (i + 1);
        policy->clusters[shard.cluster_id].set_coordinates(coordinates[i][0], coordinates[i][1]);
        m.shards.push_back(shard);
      }
      m.policy = policy;
      names.update(m.key, &m, dropped);
    };
    using Kind = fedns::model::PolicyStepKind;
    policy_service("geo", {{Kind::kGeoNearest}});
    policy_service("weighted", {{Kind::kLocality}, {Kind::kWeighted, 2}});
    policy_service("sticky", {{Kind::kSticky}});
    service("plain", fedns::model::HealthFallback::kOpen, false, false);
    service("checked", fedns::model::HealthFallback::kOpen, false);
    service("tiers", fedns::model::HealthFallback::kHierarchy, true);
    served->generated = names.publish();
    return s;
  }();
  return *built;
}

std::vector<std::uint8_t> query(const std::string& name, std::uint16_t qtype, bool edns) {
  std::vector<std::uint8_t> q = {0x12, 0x34, 0x01, 0x00, 0, 1,
                                 0,    0,    0,    0,    0, static_cast<std::uint8_t>(edns ? 1 : 0)};
  std::size_t start = 0;
  while (start < name.size()) {
    const auto dot = name.find('.', start);
    q.push_back(static_cast<std::uint8_t>(dot - start));
    q.insert(q.end(), name.begin() + static_cast<long>(start), name.begin() + static_cast<long>(dot));
    start = dot + 1;
  }
  q.insert(q.end(), {0, static_cast<std::uint8_t>(qtype >> 8), static_cast<std::uint8_t>(qtype), 0, 1});
  if (edns) q.insert(q.end(), {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0});
  return q;
}

// The same with an EDNS Client Subnet option for 10.1.7.0/24 (a client the table places).
std::vector<std::uint8_t> query_ecs(const std::string& name) {
  std::vector<std::uint8_t> q = query(name, 1, true);
  q.resize(q.size() - 2);
  q.insert(q.end(), {0, 11, 0, 8, 0, 7, 0, 1, 24, 0, 10, 1, 7});
  return q;
}

// The health table of the catalog names above: three targets, the first `down` of them down.
const fedns::model::HealthTable* health(int down) {
  static const auto* tables = [] {
    auto* t = new std::vector<fedns::model::HealthTable>;
    for (int d = 0; d <= 3; ++d) {
      std::vector<fedns::model::TargetStatus> statuses(3);
      for (int i = 0; i < d; ++i)
        statuses[static_cast<std::size_t>(i)].up = false;
      t->emplace_back(std::move(statuses), 1);
    }
    return t;
  }();
  return &(*tables)[static_cast<std::size_t>(down)];
}

void run(benchmark::State& state, const std::vector<std::uint8_t>& q,
         const fedns::model::HealthTable* table = nullptr) {
  std::vector<std::uint8_t> out(65535);
  fedns::dns::WorkerCounters counters;
  const auto& snap = snapshot();
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        fedns::dns::respond(q, out, {fedns::dns::Transport::kUdp, table}, snap, counters));
  }
}

void BM_A_hit(benchmark::State& s) {
  run(s, query("name4242.bench.test.", 1, true));
}
void BM_SRV_hit(benchmark::State& s) {
  run(s, query("_http._tcp.name4240.bench.test.", 33, true));
}
void BM_NXDOMAIN(benchmark::State& s) {
  run(s, query("missing.bench.test.", 1, true));
}
void BM_CNAME_chain(benchmark::State& s) {
  run(s, query("alias.bench.test.", 1, true));
}
void BM_REFUSED(benchmark::State& s) {
  run(s, query("www.example.org.", 1, false));
}

// Catalog names (generated): three addresses without health targets (the anchor), the same three
// health-checked with all up and with one down, and a hierarchy set answering its second tier.
void BM_A_generated_unchecked(benchmark::State& s) {  // the anchor for the three below
  run(s, query("plain.shop.svc.bench.test.", 1, true), health(0));
}
void BM_A_checked_all_up(benchmark::State& s) {
  run(s, query("checked.shop.svc.bench.test.", 1, true), health(0));
}
void BM_A_checked_one_down(benchmark::State& s) {
  run(s, query("checked.shop.svc.bench.test.", 1, true), health(1));
}
void BM_A_hierarchy_second_tier(benchmark::State& s) {
  run(s, query("tiers.shop.svc.bench.test.", 1, true), health(1));
}

// Policies, each against the same generated name answered without one, both with ECS (the anchor).
void BM_A_ecs_no_policy(benchmark::State& s) {
  run(s, query_ecs("checked.shop.svc.bench.test."), health(0));
}
void BM_A_ecs_geo_nearest(benchmark::State& s) {
  run(s, query_ecs("geo.shop.svc.bench.test."), health(0));
}
void BM_A_ecs_locality_weighted(benchmark::State& s) {
  run(s, query_ecs("weighted.shop.svc.bench.test."), health(0));
}
void BM_A_ecs_sticky(benchmark::State& s) {
  run(s, query_ecs("sticky.shop.svc.bench.test."), health(0));
}

BENCHMARK(BM_A_hit);
BENCHMARK(BM_A_ecs_no_policy);
BENCHMARK(BM_A_ecs_geo_nearest);
BENCHMARK(BM_A_ecs_locality_weighted);
BENCHMARK(BM_A_ecs_sticky);
BENCHMARK(BM_A_generated_unchecked);
BENCHMARK(BM_A_checked_all_up);
BENCHMARK(BM_A_checked_one_down);
BENCHMARK(BM_A_hierarchy_second_tier);
BENCHMARK(BM_SRV_hit);
BENCHMARK(BM_NXDOMAIN);
BENCHMARK(BM_CNAME_chain);
BENCHMARK(BM_REFUSED);

}  // namespace
