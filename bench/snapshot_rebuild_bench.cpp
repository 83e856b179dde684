// Micro-benchmark of what one catalog change costs the snapshot, by catalog size: the incremental path
// (GeneratedNamesBuilder: render one service, copy the shards it touches, attach to a copy of the zone set)
// against the anchor measured in the same run, a full rebuild (every service rendered, the zone built again,
// as fedns did before decision 0004). Also one answer from a generated name next to one from a configured
// name, so the query path's cost of the second lookup shows.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "dns/generated_names_builder.hpp"
#include "dns/name.hpp"
#include "dns/responder.hpp"
#include "dns/service_records.hpp"
#include "dns/zone_builder.hpp"
#include "dns_query.hpp"

namespace {

using fedns::dns::GeneratedNamesBuilder;
using fedns::dns::ServingSnapshot;
using fedns::dns::ZoneSource;

ZoneSource zone_source() {
  ZoneSource zone;
  zone.origin = "clusterset.local.";
  zone.soa = fedns::dns::SoaFields{.serial = 1};
  zone.name_servers = {{"ns1.clusterset.local.", {"127.0.0.1"}}};
  zone.records = "static IN A 192.0.2.1\n";
  return zone;
}

// Shaped like bench/catalog_bench.py's catalog: 3 clusters, 3 endpoint addresses each, two named ports.
fedns::model::MergedService service(int i, int generation) {
  fedns::model::MergedService s;
  s.key = {"bench-" + std::to_string(i % 10), "svc-" + std::to_string(i)};
  s.ports = {{"http", "TCP", 80, ""}, {"grpc", "TCP", 9090, ""}};
  for (int c = 0; c < 3; ++c) {
    fedns::model::ServiceShard shard;
    shard.cluster = "c" + std::to_string(c);
    for (int e = 0; e < 3; ++e)
      shard.addresses.push_back("10." + std::to_string(100 + e) + "." +
                                std::to_string((i / 250 + generation) % 250) + "." +
                                std::to_string(i % 250 + 1));
    s.shards.push_back(shard);
  }
  return s;
}

const std::string& origin() {
  static const std::string wire = fedns::dns::name_from_text("clusterset.local.").value();
  return wire;
}

struct Catalog {
  explicit Catalog(int count) : size(count) {
    base.zones = fedns::dns::build_zone_set({zone_source()}).value();
    builder.emplace(origin(), 5, base.zones.mutable_zone(origin())->base);
    std::vector<std::string> dropped;
    for (int i = 0; i < size; ++i) {
      services.push_back(service(i, 0));
      builder->update(services.back().key, &services.back(), dropped);
    }
    builder->publish();
  }
  int size;
  ServingSnapshot base;
  std::optional<GeneratedNamesBuilder> builder;
  std::vector<fedns::model::MergedService> services;
};

void BM_IncrementalChange(benchmark::State& state) {
  Catalog catalog(static_cast<int>(state.range(0)));
  std::vector<std::string> dropped;
  int generation = 1;
  int i = 0;
  for (auto _ : state) {
    auto& s = catalog.services[static_cast<std::size_t>(i)];
    s = service(i, generation++);
    catalog.builder->update(s.key, &s, dropped);
    auto snapshot = std::make_shared<ServingSnapshot>();
    snapshot->zones = catalog.base.zones;
    snapshot->zones.mutable_zone(origin())->generated = catalog.builder->publish();
    benchmark::DoNotOptimize(snapshot);
    i = (i + 7919) % catalog.size;
  }
  state.counters["nodes_copied"] = static_cast<double>(catalog.builder->last_cost().nodes_copied);
}
BENCHMARK(BM_IncrementalChange)->Arg(1000)->Arg(10000)->Arg(30000)->Unit(benchmark::kMicrosecond);

void BM_FullRebuildAnchor(benchmark::State& state) {
  const int size = static_cast<int>(state.range(0));
  std::vector<fedns::model::MergedService> services;
  for (int i = 0; i < size; ++i)
    services.push_back(service(i, 0));
  for (auto _ : state) {
    ZoneSource zone = zone_source();
    std::vector<std::string> dropped;
    for (const auto& s : services)
      fedns::dns::render_service(s, origin(), 5, zone.generated, dropped);
    auto zones = fedns::dns::build_zone_set({zone});
    if (!zones) std::abort();
    benchmark::DoNotOptimize(zones);
  }
}
BENCHMARK(BM_FullRebuildAnchor)->Arg(1000)->Arg(10000)->Arg(30000)->Unit(benchmark::kMillisecond);

void answer(benchmark::State& state, const std::string& name) {
  static Catalog catalog(10000);
  static ServingSnapshot snapshot = [] {
    ServingSnapshot s;
    s.zones = catalog.base.zones;
    s.zones.mutable_zone(origin())->generated = catalog.builder->publish();
    return s;
  }();
  const auto q = fedns::bench::dns_query(name);
  std::vector<std::uint8_t> out(65535);
  fedns::dns::WorkerCounters counters;
  for (auto _ : state) {
    benchmark::DoNotOptimize(fedns::dns::respond(q, out, {fedns::dns::Transport::kUdp}, snapshot, counters));
  }
}
void BM_AnswerGeneratedName(benchmark::State& state) {
  answer(state, "svc-4242.bench-2.svc.clusterset.local");
}
void BM_AnswerConfiguredName(benchmark::State& state) {
  answer(state, "static.clusterset.local");
}
BENCHMARK(BM_AnswerGeneratedName);
BENCHMARK(BM_AnswerConfiguredName);

}  // namespace
