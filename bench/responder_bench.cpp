// Micro-benchmark of respond(): one query in, one answer out, in-process (no sockets). Shows the server's own
// cost per answer type, which dnsperf hides behind system-call cost.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <vector>

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

void run(benchmark::State& state, const std::vector<std::uint8_t>& q) {
  std::vector<std::uint8_t> out(65535);
  fedns::dns::WorkerCounters counters;
  const auto& snap = snapshot();
  for (auto _ : state) {
    benchmark::DoNotOptimize(fedns::dns::respond(q, out, {fedns::dns::Transport::kUdp}, snap, counters));
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

BENCHMARK(BM_A_hit);
BENCHMARK(BM_SRV_hit);
BENCHMARK(BM_NXDOMAIN);
BENCHMARK(BM_CNAME_chain);
BENCHMARK(BM_REFUSED);

}  // namespace
