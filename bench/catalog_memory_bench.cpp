// Where the catalog's memory goes, layer by layer (issue 4, section 6: "under 1 KiB of RSS per endpoint").
// bench/catalog_bench.py measures the whole process against real apiservers; this splits the same load (N
// Services x 3 clusters, E endpoints per slice, publish_address endpoints, as catalog_bench.py loads them)
// into the informer caches, the catalog's typed objects, the merged services and the DNS names, by the heap
// in use (mallinfo2) before and after each layer is built. The anchor is the load's own size: bytes per
// endpoint.
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "dns/generated_names_builder.hpp"
#include "dns/name.hpp"
#include "dns/zone_builder.hpp"
#include "sync/catalog.hpp"
#include "sync/reflector.hpp"

namespace {

std::size_t heap_in_use() {
  malloc_trim(0);
  return mallinfo2().uordblks;
}

std::string number(int n, int width) {
  std::string s = std::to_string(n);
  return std::string(static_cast<std::size_t>(std::max(0, width - static_cast<int>(s.size()))), '0') + s;
}

fedns::sync::ObjectMeta meta(const std::string& ns, const std::string& name, int serial) {
  fedns::sync::ObjectMeta m;
  m.namespace_ = ns;
  m.name = name;
  m.uid = "6f1d3c2a-" + number(serial, 4) + "-4e5f-9a8b-" + number(serial, 12);
  m.resource_version = std::to_string(100000 + serial);
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  const int count = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int endpoints = argc > 2 ? std::atoi(argv[2]) : 3;
  constexpr int kClusters = 3;
  const double total_endpoints = static_cast<double>(count) * kClusters * endpoints;
  std::printf("load: %d services x %d clusters x %d endpoints = %.0f endpoints\n", count, kClusters,
              endpoints, total_endpoints);

  std::size_t before = heap_in_use();
  auto report = [&](const char* layer) {
    const std::size_t now = heap_in_use();
    const double bytes = static_cast<double>(now) - static_cast<double>(before);
    std::printf("%-44s %8.1f MiB %7.0f B/endpoint %7.0f B/service/cluster\n", layer, bytes / 1048576.0,
                bytes / total_endpoints, bytes / (static_cast<double>(count) * kClusters));
    before = now;
  };

  // 1. Informer caches: resourceVersion by namespace/name, a Service and an EndpointSlice each.
  std::vector<std::map<std::string, fedns::sync::Reflector::CachedVersion>> caches(kClusters * 2);
  for (int c = 0; c < kClusters; ++c) {
    for (int i = 0; i < count; ++i) {
      const std::string ns = "bench-" + std::to_string(i % 10);
      const std::string name = "svc-" + number(i, 5);
      caches[c * 2].emplace(ns + "/" + name,
                            fedns::sync::Reflector::CachedVersion{meta(ns, name, i).resource_version, 1});
      caches[c * 2 + 1].emplace(
          ns + "/" + name + "-abcde",
          fedns::sync::Reflector::CachedVersion{meta(ns, name + "-abcde", i).resource_version, 1});
    }
  }
  report("informer caches (versions only)");

  // 2. The catalog's typed copies.
  fedns::sync::CatalogOptions options;
  options.default_source = fedns::sync::AddressSource::kEndpoints;
  for (int n = 0; n < 10; ++n)
    options.export_all_namespaces.insert("bench-" + std::to_string(n));
  fedns::sync::Catalog catalog(options);
  for (int c = 0; c < kClusters; ++c) {
    const std::string cluster = "c" + std::to_string(c);
    for (int i = 0; i < count; ++i) {
      const std::string ns = "bench-" + std::to_string(i % 10);
      const std::string name = "svc-" + number(i, 5);
      fedns::sync::Service service;
      service.meta = meta(ns, name, i);
      service.cluster_ips = {"10." + std::to_string(96 + c) + "." + std::to_string(i / 250) + "." +
                             std::to_string(i % 250)};
      service.ip_families = {"IPv4"};
      service.ports = {{"http", "TCP", 80, ""}};
      catalog.upsert_service(cluster, std::move(service));
      fedns::sync::EndpointSlice slice;
      slice.meta = meta(ns, name + "-abcde", i);
      slice.service_name = name;
      slice.address_type = "IPv4";
      slice.ports = {{"http", "TCP", 8080, ""}};
      for (int e = 0; e < endpoints; ++e) {
        fedns::sync::Endpoint endpoint;
        const int serial = i * endpoints + e;
        endpoint.addresses = {"10." + std::to_string(c) + "." + std::to_string(serial / 250 % 250) + "." +
                              std::to_string(serial % 250)};
        endpoint.node_name = "node-" + std::to_string(e);
        endpoint.zone = "zone-" + std::to_string(e);
        slice.endpoints.push_back(std::move(endpoint));
      }
      catalog.upsert_slice(cluster, std::move(slice));
    }
  }
  report("catalog: typed objects");
  auto changes = catalog.flush();
  report("catalog: merged services (handed to the snapshot, not kept)");

  // 3. The MCS names, as SnapshotFactory renders them.
  fedns::dns::ZoneSource zone;
  zone.origin = "clusterset.local.";
  zone.soa = fedns::dns::SoaFields{.serial = 1};
  zone.name_servers = {{"ns1.clusterset.local.", {"127.0.0.1"}}};
  auto zones = fedns::dns::build_zone_set({zone});
  if (!zones) return 1;
  const std::string origin = fedns::dns::name_from_text("clusterset.local.").value();
  fedns::dns::GeneratedNamesBuilder names(origin, 5, zones->mutable_zone(origin)->base);
  std::vector<std::string> dropped;
  for (const auto& service : changes.updated_services)
    names.update(service.key, &service, dropped);
  report("DNS names: builder state");
  auto published = names.publish();
  report("DNS names: published shards");
  const std::size_t merged = changes.updated_services.size();
  changes = {};
  report("the flush's merged services, released");
  std::printf("services merged: %zu, dropped: %zu\n", merged, dropped.size());
  return 0;
}
