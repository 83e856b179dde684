// The fedns configuration: YAML read with yaml-cpp, validated completely, every error reported with its
// place.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "app/policy_config.hpp"
#include "common/result.hpp"
#include "dns/listen_address.hpp"
#include "dns/zone_source.hpp"
#include "health/probe.hpp"
#include "model/catalog.hpp"
#include "model/health_table.hpp"

namespace fedns::app {

struct ServerConfig {
  std::vector<dns::ListenAddress> listen;
  unsigned workers = 0;         // 0: one per core
  std::string metrics_address;  // "ADDR:PORT" for /metrics, /healthz, /readyz; empty: off
  std::string nsid;             // empty: NSID off
  std::string identity;         // empty: hidden
  std::string version;          // empty: hidden
  std::size_t tcp_clients = 1000;
  std::chrono::milliseconds tcp_idle_timeout{10000};
  std::uint16_t edns_udp_payload = 1232;
  // TXT <label>.<name> answers the decision trace for <name> to clients whose source address is in
  // explain_allow (dns/explain_answer.hpp); empty label: off.
  std::string explain_label = "_explain";
  std::vector<std::string> explain_allow = {"127.0.0.0/8", "::1/128"};
};

// A member cluster whose Services, EndpointSlices and ServiceExports feed the catalog.
// A member cluster's own health (docs/configuration.md, "Cluster health"): while any check is down, the
// cluster's records leave the answers (within each service's fallback policy).
struct ClusterHealthConfig {
  // GET /readyz through the cluster's API client. KubeFed's cluster health defaults: every 10 s, 3 s timeout,
  // down after 3 failures, up after 1 success.
  bool api = true;
  health::ProbeSpec api_check = [] {
    health::ProbeSpec p;
    p.kind = health::ProbeKind::kCustom;
    p.thresholds = {1, 3, 1};
    return p;
  }();
  // Down when an informer has heard nothing (event, bookmark, list page) for this long; 0: off.
  std::chrono::milliseconds watch_max_age{0};
  // An optional probe of something in the cluster's data path (an ingress gateway, a load balancer).
  std::optional<health::ProbeSpec> gateway;
  std::string gateway_address;

  bool operator==(const ClusterHealthConfig&) const = default;
};

struct ClusterConfig {
  std::string name;         // an RFC 1123 label; the cluster id in DNS names and metrics
  std::string kubeconfig;   // path (relative to the config file); empty with in_cluster
  std::string context;      // empty: the kubeconfig's current context
  bool in_cluster = false;  // the pod's service account
  // Or no API at all: Kubernetes YAML (Service, EndpointSlice, ServiceExport) read from this directory
  // (relative to the config file) and read again when its files change, checked every manifests_poll.
  std::string manifests;
  std::chrono::milliseconds manifests_poll{1000};
  std::string region;
  std::string zone;
  std::map<std::string, std::string> labels;
  std::optional<double> latitude;
  std::optional<double> longitude;
  std::uint32_t weight = 100;
  ClusterHealthConfig health;
  // The cluster's pod and node networks: a client there is in this cluster (local-first answers).
  std::vector<std::string> networks;
};

// The MCS zone built from the clusters' exported services.
struct CatalogConfig {
  std::string zone = "clusterset.local.";  // must be one of zones: (its SOA, NS and static records)
  std::uint32_t ttl = 5;
  std::vector<std::string> export_all_namespaces;  // published without a ServiceExport
  std::string publish_address = "auto";            // auto, cluster-ip, load-balancer, external-ips, endpoints
  // Reverse zones (each also under zones:) that get a PTR record for every address the catalog publishes.
  std::vector<std::string> reverse_zones;
  std::chrono::milliseconds debounce{5};  // changes within this window go into one snapshot
  // Until every cluster has synced, or this long after start, negative answers in the zone are SERVFAIL.
  std::chrono::milliseconds startup_timeout{std::chrono::seconds(30)};
  // A cluster whose API has failed for this long drops out of the answers (until it is back).
  std::chrono::milliseconds stale_after{std::chrono::minutes(5)};
  // Write the MCS conditions (Valid, Ready, Conflict) to the member clusters' ServiceExports (where RBAC
  // permits: patch on serviceexports/status).
  bool export_status = true;
  // Opt-in: <svc>.<ns>.<cluster>.<zone>, one member cluster's part of each service, in this zone (also under
  // zones:, apart from `zone`). Empty: off.
  std::string cluster_view_zone;
  // Opt-in: the federation zone for delegation from a public parent, <svc>.<ns>.<name>.svc[.<zone>.<region>]
  // .<zone> with locality fallback (dns/federation_records.hpp).
  struct Federation {
    std::string name;             // a DNS label
    std::string zone;             // also under zones:, apart from the other catalog zones
    bool cname_fallback = false;  // fallback: cname (KubeFed's form) instead of inline
  };
  std::optional<Federation> federation;
};

// Active health checks (docs/configuration.md, "health"): a probe per service, run against each address the
// service publishes (each endpoint of a headless service); answers leave out what is down.
struct HealthCheckConfig {
  model::ServiceKey service;
  health::ProbeSpec probe;  // port 0: the service's first port
  model::HealthPolicy policy;
  std::vector<std::string> last_resort;  // addresses answered when nothing else is up
};

// Admin overrides (health/health_override.hpp): a watched file, and the HTTP endpoint on the metrics
// listener (writes need the bearer token, and come from loopback unless allow_remote).
struct OverridesConfig {
  std::string file;  // empty: none
  std::chrono::milliseconds poll{1000};
  std::string token_file;  // empty: the endpoint is read-only
  bool allow_remote = false;
};

struct HealthConfig {
  // gdnsd's health-derived TTL: the time until a state change could happen, clamped to [min_ttl, max_ttl].
  bool derive_ttl = false;
  std::uint32_t min_ttl = 5;
  std::uint32_t max_ttl = 300;
  std::vector<HealthCheckConfig> services;
  OverridesConfig overrides;
  // Where this replica runs, for the hierarchy fallback (its clusters' records first, then its region's).
  std::string region;
  std::string zone;
};

// Client location (docs/configuration.md, "geo"): where a client is, from its EDNS Client Subnet or source
// address.
struct GeoConfig {
  struct Location {
    std::string cidr;
    std::string region;
    std::string zone;
    std::optional<double> latitude;  // for geo-nearest answers to the clients there
    std::optional<double> longitude;
  };
  std::vector<Location> locations;  // first: the longest matching network
  std::vector<std::string> geoip;   // MaxMind-format databases, after the table and the clusters' networks
  std::map<std::string, std::string> countries;  // a database's country -> region
  // Region -> region latency for latency answers (one direction given stands for both).
  struct Latency {
    std::string from;
    std::string to;
    std::chrono::milliseconds latency{0};
  };
  std::vector<Latency> latency;
};

// The propagation engine (docs/configuration.md, "propagation"): on when the section is present.
struct PropagationConfig {
  std::string kubeconfig;  // the host cluster (relative to the config file); empty with in_cluster
  std::string context;
  bool in_cluster = false;
  // fedns's namespace in the host cluster: its Lease, and the member clusters' secrets by default.
  std::string namespace_ = "fedns-system";
  std::string identity;  // this replica in the Lease; empty: hostname and process id
  std::string field_manager = "fedns";
  int workers = 4;
  std::string lease_name = "fedns-propagation";
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
  std::chrono::milliseconds probe_interval{2000};
  std::chrono::milliseconds probe_timeout{2000};
  int probe_fall = 2;
  std::chrono::milliseconds request_timeout{10000};

  bool operator==(const PropagationConfig&) const = default;
};

// Zone transfer out (docs/configuration.md, "transfer"): TSIG keys, and the secondaries that may pull which
// zones with which key, and are told of new serials.
struct TransferConfig {
  struct Key {
    std::string name;  // as the secondary names it
    std::string algorithm = "hmac-sha256";
    std::string secret;  // base64 (inline, or read from secret_file)
  };
  struct Secondary {
    std::string name;                        // for logs
    std::string key;                         // one of keys
    std::vector<std::string> zones;          // empty: every zone
    std::vector<std::string> from;           // networks it may pull from; empty: anywhere (the key decides)
    std::vector<dns::ListenAddress> notify;  // NOTIFY targets
  };
  std::vector<Key> keys;
  std::vector<Secondary> secondaries;
};

struct Config {
  ServerConfig server;
  TransferConfig transfer;
  GeoConfig geo;
  std::vector<dns::ZoneSource> zones;
  std::vector<ClusterConfig> clusters;
  CatalogConfig catalog;
  HealthConfig health;
  std::vector<PolicyConfig> policies;  // answer policies per service (app/policy_config.hpp)
  std::optional<PropagationConfig> propagation;
};

// Reads and validates a config file. On failure the error holds one line per problem, "FILE:LINE:COL: ...".
Result<Config> load_config(const std::string& path);
// The same for text already in memory; `name` stands for the file in messages.
Result<Config> parse_config(const std::string& text, const std::string& name,
                            const std::string& base_dir = ".");
// A Service's fedns.io/health-check annotation: a YAML (or JSON) mapping like a health.services entry
// without `service`, e.g. {probe: {type: http, path: /healthz}, fallback: closed}.
Result<HealthCheckConfig> parse_health_check_annotation(const std::string& text);

}  // namespace fedns::app
