// Config loading: a strict YAML schema. Unknown keys, wrong types and bad values are all errors, collected in
// one pass so a user fixes every mistake in one round (a typo must never be silently ignored).
#include "app/config.hpp"
#include "app/config_checker.hpp"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "common/duration.hpp"
#include "dns/client_location.hpp"
#include "dns/name.hpp"
#include "dns/tsig.hpp"
#include "sync/shard_builder.hpp"

namespace fedns::app {
namespace {

// {latitude, longitude}, both required.
void parse_coordinates(Checker& c, const YAML::Node& n, const std::string& what,
                       std::optional<double>& latitude, std::optional<double>& longitude) {
  if (!c.keys(n, what, {"latitude", "longitude"})) return;
  double v = 0;
  if (const auto lat = n["latitude"]; !lat) {
    c.error(n, what + ".latitude is required");
  } else if (c.number(lat, what + ".latitude", -90, 90, v)) {
    latitude = v;
  }
  if (const auto lon = n["longitude"]; !lon) {
    c.error(n, what + ".longitude is required");
  } else if (c.number(lon, what + ".longitude", -180, 180, v)) {
    longitude = v;
  }
}

std::string default_identity() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) return "fedns";
  return host;
}

void parse_server(Checker& c, const YAML::Node& node, ServerConfig& s) {
  if (!c.keys(node, "server",
              {"listen", "workers", "metrics", "nsid", "identity", "version", "limits", "explain"}))
    return;
  if (const auto listen = node["listen"]) {
    if (!listen.IsSequence() || listen.size() == 0) {
      c.error(listen, "server.listen must be a non-empty list of ADDR:PORT");
    } else {
      s.listen.clear();
      for (const auto& item : listen) {
        std::string text;
        if (!c.string(item, "server.listen entry", text)) continue;
        auto address = dns::parse_listen_address(text);
        if (!address) {
          c.error(item, address.error().message);
        } else {
          s.listen.push_back(*address);
        }
      }
    }
  }
  if (const auto n = node["workers"]) c.integer(n, "server.workers", s.workers, 0, 256);
  if (const auto n = node["metrics"]) {
    if (c.string(n, "server.metrics", s.metrics_address) && !s.metrics_address.empty()) {
      if (auto a = dns::parse_listen_address(s.metrics_address); !a)
        c.error(n, "server.metrics: " + a.error().message);
    }
  }
  if (const auto n = node["nsid"]) {
    if (c.string(n, "server.nsid", s.nsid) && s.nsid.size() > 128)
      c.error(n, "server.nsid is longer than 128 octets");
  }
  if (const auto n = node["identity"]) c.string(n, "server.identity", s.identity);
  if (const auto n = node["explain"]) {
    if (n.IsScalar() && (n.Scalar() == "false" || n.Scalar() == "off")) {
      s.explain_label.clear();
    } else if (c.keys(n, "server.explain", {"label", "allow"})) {
      if (const auto l = n["label"]; l && c.string(l, "server.explain.label", s.explain_label)) {
        if (s.explain_label.empty() || s.explain_label.size() > 63 ||
            s.explain_label.find('.') != std::string::npos)
          c.error(l, "server.explain.label must be one DNS label, such as _explain");
      }
      if (const auto a = n["allow"]) {
        s.explain_allow.clear();
        if (c.strings(a, "server.explain.allow", "a list of networks (CIDR)", s.explain_allow)) {
          dns::CidrTable table;
          for (std::size_t i = 0; i < s.explain_allow.size(); ++i) {
            if (auto added = table.add(s.explain_allow[i], {}); !added)
              c.error(a[i], "server.explain.allow: " + added.error().message);
          }
        }
      }
    }
  }
  if (const auto n = node["version"]) c.string(n, "server.version", s.version);
  if (const auto limits = node["limits"]) {
    if (c.keys(limits, "server.limits", {"tcp_clients", "tcp_idle_timeout", "edns_udp_payload"})) {
      if (const auto n = limits["tcp_clients"])
        c.integer(n, "server.limits.tcp_clients", s.tcp_clients, 1, 1000000);
      if (const auto n = limits["tcp_idle_timeout"]) {
        if (c.duration(n, "server.limits.tcp_idle_timeout", s.tcp_idle_timeout) &&
            s.tcp_idle_timeout < std::chrono::milliseconds(100)) {
          c.error(n, "server.limits.tcp_idle_timeout must be at least 100ms");
        }
      }
      // RFC 6891 6.2.5 floor; 4096 is the most our UDP buffers and sane networks carry (1232 avoids
      // fragments).
      if (const auto n = limits["edns_udp_payload"]) {
        c.integer(n, "server.limits.edns_udp_payload", s.edns_udp_payload, 512, 4096);
      }
    }
  }
}

void parse_soa(Checker& c, const YAML::Node& node, const std::string& where, dns::SoaFields& soa) {
  if (!c.keys(node, where, {"mname", "rname", "serial", "refresh", "retry", "expire", "minimum", "ttl"}))
    return;
  constexpr std::uint64_t kMax = std::numeric_limits<std::int32_t>::max();  // RFC 2181 8: TTLs fit 31 bits
  if (const auto n = node["mname"]) c.string(n, where + ".mname", soa.mname);
  if (const auto n = node["rname"]) c.string(n, where + ".rname", soa.rname);
  if (const auto n = node["serial"]) {
    std::uint32_t serial = 0;
    if (c.integer(n, where + ".serial", serial, 0, 0xFFFFFFFFu)) soa.serial = serial;
  }
  if (const auto n = node["refresh"]) c.integer(n, where + ".refresh", soa.refresh, 1, kMax);
  if (const auto n = node["retry"]) c.integer(n, where + ".retry", soa.retry, 1, kMax);
  if (const auto n = node["expire"]) c.integer(n, where + ".expire", soa.expire, 1, kMax);
  if (const auto n = node["minimum"]) c.integer(n, where + ".minimum", soa.minimum, 0, kMax);
  if (const auto n = node["ttl"]) {
    std::uint32_t ttl = 0;
    if (c.integer(n, where + ".ttl", ttl, 0, kMax)) soa.ttl = ttl;
  }
}

void parse_zone(Checker& c, const YAML::Node& node, std::size_t index, const std::string& file,
                const std::string& base_dir, dns::ZoneSource& z) {
  const std::string where = "zones[" + std::to_string(index) + "]";
  if (!c.keys(node, where, {"origin", "ttl", "soa", "ns", "records", "file"})) return;
  if (const auto n = node["origin"]; !n) {
    c.error(node, where + ".origin is required");
  } else if (c.string(n, where + ".origin", z.origin)) {
    if (auto name = dns::name_from_text(z.origin); !name)
      c.error(n, where + ".origin: " + name.error().message);
  }
  const std::string zone_where = where + " (" + z.origin + ")";
  if (const auto n = node["ttl"]) c.integer(n, zone_where + ".ttl", z.default_ttl, 0, 0x7FFFFFFF);
  if (const auto n = node["soa"]) {
    z.soa.emplace();
    parse_soa(c, n, zone_where + ".soa", *z.soa);
  }
  if (const auto ns = node["ns"]) {
    if (!ns.IsSequence()) {
      c.error(ns, zone_where + ".ns must be a list");
    } else {
      for (std::size_t i = 0; i < ns.size(); ++i) {
        const std::string ns_where = zone_where + ".ns[" + std::to_string(i) + "]";
        dns::NameServer server;
        const auto item = ns[i];
        if (item.IsScalar()) {
          server.name = item.Scalar();
        } else if (c.keys(item, ns_where, {"name", "addresses"})) {
          if (const auto n = item["name"]; !n) {
            c.error(item, ns_where + ".name is required");
          } else {
            c.string(n, ns_where + ".name", server.name);
          }
          if (const auto a = item["addresses"]) {
            if (!a.IsSequence()) {
              c.error(a, ns_where + ".addresses must be a list");
            } else {
              for (const auto& address : a) {
                std::string text;
                boost::system::error_code ec;
                if (!c.string(address, ns_where + ".addresses entry", text)) continue;
                boost::asio::ip::make_address(text, ec);
                if (ec) {
                  c.error(address, ns_where + ": \"" + text + "\" is not an IP address");
                } else {
                  server.addresses.push_back(text);
                }
              }
            }
          }
        }
        if (auto name = dns::name_from_text(server.name); !server.name.empty() && !name) {
          c.error(item, ns_where + ": " + name.error().message);
        }
        z.name_servers.push_back(std::move(server));
      }
    }
  }
  if (const auto n = node["records"]) {
    if (c.string(n, zone_where + ".records", z.records)) {
      z.records_location = file;
      z.records_first_line = c.content_line(n);
    }
  }
  if (const auto n = node["file"]) {
    if (c.string(n, zone_where + ".file", z.file) && !z.file.empty() && z.file.front() != '/') {
      z.file = base_dir + "/" + z.file;
    }
    if (!z.file.empty() && !std::ifstream(z.file)) c.error(n, zone_where + ".file: cannot read " + z.file);
  }
  if (z.file.empty() && !z.soa) c.error(node, zone_where + " needs soa: (or a master file with its SOA)");
}

void parse_schedule(Checker& c, const YAML::Node& node, const std::string& where, health::ProbeSpec& p);
void parse_probe(Checker& c, const YAML::Node& node, const std::string& where, health::ProbeSpec& p,
                 bool with_address = false);

void parse_cluster_health(Checker& c, const YAML::Node& node, const std::string& where, ClusterConfig& k) {
  if (!c.keys(node, where, {"api", "watch_max_age", "gateway"})) return;
  ClusterHealthConfig& h = k.health;
  if (const auto n = node["api"]) {
    if (n.IsScalar()) {
      try {
        h.api = n.as<bool>();
      } catch (const YAML::Exception&) {
        c.error(n, where + ".api must be false or a mapping (interval, timeout, rise, fall, ok)");
      }
    } else if (c.keys(n, where + ".api", {"interval", "timeout", "rise", "fall", "ok"})) {
      parse_schedule(c, n, where + ".api", h.api_check);
    }
    if (h.api && !k.manifests.empty()) c.error(n, where + ".api: a manifests cluster has no API to check");
  }
  if (const auto n = node["watch_max_age"]) {
    if (c.duration(n, where + ".watch_max_age", h.watch_max_age) && h.watch_max_age.count() != 0 &&
        h.watch_max_age < std::chrono::seconds(1)) {
      c.error(n, where + ".watch_max_age must be 0 (off) or at least 1s");
    }
    if (!k.manifests.empty()) c.error(n, where + ".watch_max_age: a manifests cluster has no watch");
  }
  if (const auto n = node["gateway"]) {
    health::ProbeSpec probe;
    parse_probe(c, n, where + ".gateway", probe, true);
    if (n.IsMap()) {
      if (const auto a = n["address"]; !a) {
        c.error(n, where + ".gateway.address is required");
      } else if (c.string(a, where + ".gateway.address", h.gateway_address)) {
        boost::system::error_code ec;
        boost::asio::ip::make_address(h.gateway_address, ec);
        if (ec) c.error(a, where + ".gateway.address \"" + h.gateway_address + "\" is not an IP address");
      }
      if (probe.port == 0) c.error(n, where + ".gateway.port is required");
    }
    h.gateway = probe;
  }
}

// How to reach an API server, as clusters[] and propagation both say it: kubeconfig (relative to the config
// file, and readable now), context, in_cluster.
void parse_api_access(Checker& c, const YAML::Node& node, const std::string& where,
                      const std::string& base_dir, std::string& kubeconfig, std::string& context,
                      bool& in_cluster) {
  if (const auto n = node["kubeconfig"]) {
    if (c.string(n, where + ".kubeconfig", kubeconfig) && !kubeconfig.empty() && kubeconfig.front() != '/')
      kubeconfig = base_dir + "/" + kubeconfig;
    if (!kubeconfig.empty() && !std::ifstream(kubeconfig))
      c.error(n, where + ".kubeconfig: cannot read " + kubeconfig);
  }
  if (const auto n = node["context"]) c.string(n, where + ".context", context);
  if (const auto n = node["in_cluster"]) {
    try {
      in_cluster = n.as<bool>();
    } catch (const YAML::Exception&) {
      c.error(n, where + ".in_cluster must be true or false");
    }
  }
}

void parse_cluster(Checker& c, const YAML::Node& node, std::size_t index, const std::string& base_dir,
                   ClusterConfig& k) {
  const std::string where = "clusters[" + std::to_string(index) + "]";
  if (!c.keys(node, where,
              {"name", "kubeconfig", "context", "in_cluster", "manifests", "manifests_poll", "region", "zone",
               "labels", "location", "weight", "health", "networks"})) {
    return;
  }
  if (const auto n = node["name"]; !n) {
    c.error(node, where + ".name is required");
  } else if (c.string(n, where + ".name", k.name) && !sync::is_dns_label(k.name)) {
    c.error(n, where + ".name \"" + k.name + "\" must be a DNS label (a-z, 0-9, '-', at most 63)");
  }
  const std::string cw = where + " (" + k.name + ")";
  parse_api_access(c, node, cw, base_dir, k.kubeconfig, k.context, k.in_cluster);
  if (const auto n = node["manifests"]) {
    if (c.string(n, cw + ".manifests", k.manifests) && !k.manifests.empty() && k.manifests.front() != '/') {
      k.manifests = base_dir + "/" + k.manifests;
    }
    std::error_code ec;
    if (!k.manifests.empty() && !std::filesystem::is_directory(k.manifests, ec)) {
      c.error(n, cw + ".manifests: " + k.manifests + " is not a readable directory");
    }
  }
  if (const auto n = node["manifests_poll"]) {
    if (c.duration(n, cw + ".manifests_poll", k.manifests_poll) && k.manifests_poll.count() < 10)
      c.error(n, cw + ".manifests_poll must be at least 10ms");
  }
  if (int(!k.kubeconfig.empty()) + int(k.in_cluster) + int(!k.manifests.empty()) != 1) {
    c.error(node, cw + " needs exactly one of kubeconfig:, in_cluster: true and manifests:");
  }
  if (const auto n = node["region"]) c.string(n, cw + ".region", k.region);
  if (const auto n = node["zone"]) c.string(n, cw + ".zone", k.zone);
  if (const auto n = node["labels"]) {
    if (!n.IsMap()) {
      c.error(n, cw + ".labels must be a mapping");
    } else {
      for (const auto& item : n) {
        std::string value;
        if (c.string(item.second, cw + ".labels." + item.first.as<std::string>(""), value)) {
          k.labels[item.first.as<std::string>("")] = value;
        }
      }
    }
  }
  if (const auto n = node["location"]) parse_coordinates(c, n, cw + ".location", k.latitude, k.longitude);
  if (const auto n = node["weight"]) c.integer(n, cw + ".weight", k.weight, 0, 1000000);
  if (const auto n = node["health"]) parse_cluster_health(c, n, cw + ".health", k);
  if (const auto n = node["networks"])
    c.strings(n, cw + ".networks", "a list of CIDRs (the cluster's pod and node networks)", k.networks);
  if (!k.manifests.empty()) k.health.api = false;  // no API to ask
}

void parse_catalog(Checker& c, const YAML::Node& node, CatalogConfig& k) {
  if (!c.keys(node, "catalog",
              {"zone", "ttl", "export_all_namespaces", "publish_address", "reverse_zones", "debounce",
               "startup_timeout", "stale_after", "export_status", "cluster_view_zone", "federation"})) {
    return;
  }
  if (const auto n = node["zone"]) {
    if (c.string(n, "catalog.zone", k.zone)) {
      if (auto name = dns::name_from_text(k.zone); !name) c.error(n, "catalog.zone: " + name.error().message);
    }
  }
  if (const auto n = node["ttl"]) c.integer(n, "catalog.ttl", k.ttl, 0, 86400);
  if (const auto n = node["export_all_namespaces"])
    c.strings(n, "catalog.export_all_namespaces", "a list", k.export_all_namespaces);
  if (const auto n = node["reverse_zones"]) {
    if (!n.IsSequence()) {
      c.error(n, "catalog.reverse_zones must be a list");
    } else {
      for (const auto& item : n) {
        std::string zone;
        if (!c.string(item, "catalog.reverse_zones entry", zone)) continue;
        auto name = dns::name_from_text(zone);
        if (!name) {
          c.error(item, "catalog.reverse_zones: " + name.error().message);
          continue;
        }
        std::string lower = *name;
        dns::fold_case(lower);
        static const std::string kV4 = std::string("\x07") + "in-addr" + "\x04" + "arpa";
        static const std::string kV6 = std::string("\x03") + "ip6" + "\x04" + "arpa";
        if (!lower.ends_with(kV4 + '\0') && !lower.ends_with(kV6 + '\0')) {
          c.error(item, "catalog.reverse_zones: " + zone + " is not under in-addr.arpa. or ip6.arpa.");
          continue;
        }
        k.reverse_zones.push_back(zone);
      }
    }
  }
  if (const auto n = node["publish_address"]) {
    if (c.string(n, "catalog.publish_address", k.publish_address)) {
      static const std::set<std::string> kKnown{"auto", "cluster-ip", "load-balancer", "external-ips",
                                                "endpoints"};
      if (!kKnown.contains(k.publish_address)) {
        c.error(n,
                "catalog.publish_address must be one of auto, cluster-ip, load-balancer, external-ips, "
                "endpoints");
      }
    }
  }
  if (const auto n = node["cluster_view_zone"]) {
    if (c.string(n, "catalog.cluster_view_zone", k.cluster_view_zone)) {
      if (auto name = dns::name_from_text(k.cluster_view_zone); !name)
        c.error(n, "catalog.cluster_view_zone: " + name.error().message);
    }
  }
  if (const auto n = node["federation"]; n && c.keys(n, "catalog.federation", {"name", "zone", "fallback"})) {
    CatalogConfig::Federation f;
    if (const auto name = n["name"]; !name) {
      c.error(n, "catalog.federation.name is required");
    } else if (c.string(name, "catalog.federation.name", f.name) &&
               (!sync::is_dns_label(f.name) || f.name == "svc")) {
      c.error(name, "catalog.federation.name \"" + f.name +
                        "\" must be a DNS label (a-z, 0-9, '-', at most 63) other than \"svc\"");
    }
    if (const auto zone = n["zone"]; !zone) {
      c.error(n, "catalog.federation.zone is required");
    } else if (c.string(zone, "catalog.federation.zone", f.zone)) {
      if (auto name = dns::name_from_text(f.zone); !name)
        c.error(zone, "catalog.federation.zone: " + name.error().message);
    }
    if (const auto fallback = n["fallback"]) {
      std::string mode;
      if (c.string(fallback, "catalog.federation.fallback", mode)) {
        if (mode != "inline" && mode != "cname")
          c.error(fallback, "catalog.federation.fallback must be inline or cname");
        f.cname_fallback = mode == "cname";
      }
    }
    k.federation = std::move(f);
  }
  if (const auto n = node["debounce"]) c.duration(n, "catalog.debounce", k.debounce);
  if (const auto n = node["startup_timeout"]) c.duration(n, "catalog.startup_timeout", k.startup_timeout);
  if (const auto n = node["stale_after"]) c.duration(n, "catalog.stale_after", k.stale_after);
  if (const auto n = node["export_status"]) {
    try {
      k.export_status = n.as<bool>();
    } catch (const YAML::Exception&) {
      c.error(n, "catalog.export_status must be true or false");
    }
  }
}

void parse_propagation(Checker& c, const YAML::Node& node, const std::string& base_dir,
                       PropagationConfig& p) {
  const std::string where = "propagation";
  if (!c.keys(node, where,
              {"kubeconfig", "context", "in_cluster", "namespace", "identity", "field_manager", "workers",
               "lease", "probe", "request_timeout"})) {
    return;
  }
  parse_api_access(c, node, where, base_dir, p.kubeconfig, p.context, p.in_cluster);
  if (p.kubeconfig.empty() == !p.in_cluster)
    c.error(node, where + " needs the host cluster: kubeconfig, or in_cluster: true (not both)");
  if (const auto n = node["namespace"]) {
    if (c.string(n, where + ".namespace", p.namespace_) && !sync::is_dns_label(p.namespace_))
      c.error(n, where + ".namespace \"" + p.namespace_ + "\" is not a namespace name");
  }
  if (const auto n = node["identity"]) c.string(n, where + ".identity", p.identity);
  if (const auto n = node["field_manager"]) {
    if (c.string(n, where + ".field_manager", p.field_manager) && p.field_manager.empty())
      c.error(n, where + ".field_manager must not be empty");
  }
  if (const auto n = node["workers"]) c.integer(n, where + ".workers", p.workers, 1, 64);
  if (const auto n = node["lease"];
      n && c.keys(n, where + ".lease", {"name", "duration", "renew_deadline", "retry_period"})) {
    if (const auto v = n["name"]) c.string(v, where + ".lease.name", p.lease_name);
    if (const auto v = n["duration"]) c.duration(v, where + ".lease.duration", p.lease_duration);
    if (const auto v = n["renew_deadline"]) c.duration(v, where + ".lease.renew_deadline", p.renew_deadline);
    if (const auto v = n["retry_period"]) c.duration(v, where + ".lease.retry_period", p.retry_period);
    // client-go's rule: a leader must give up before its lease can expire, with retries in between.
    if (!(p.lease_duration > p.renew_deadline &&
          p.renew_deadline.count() * 10 > p.retry_period.count() * 12)) {
      c.error(n,
              where + ".lease: duration must exceed renew_deadline, and renew_deadline 1.2 x retry_period");
    }
  }
  if (const auto n = node["probe"]; n && c.keys(n, where + ".probe", {"interval", "timeout", "fall"})) {
    if (const auto v = n["interval"]) c.duration(v, where + ".probe.interval", p.probe_interval);
    if (const auto v = n["timeout"]) c.duration(v, where + ".probe.timeout", p.probe_timeout);
    if (const auto v = n["fall"]) c.integer(v, where + ".probe.fall", p.probe_fall, 1, 100);
  }
  if (const auto n = node["request_timeout"]) c.duration(n, where + ".request_timeout", p.request_timeout);
}

// A probe; `address` (a gateway probe's target) is read by the caller when allowed.
void parse_probe(Checker& c, const YAML::Node& node, const std::string& where, health::ProbeSpec& p,
                 bool with_address) {
  std::set<std::string> known{"type",       "port",       "path",       "host",       "ok_codes",
                              "body_match", "tls_verify", "query_name", "query_type", "interval",
                              "timeout",    "jitter",     "rise",       "fall",       "ok"};
  if (with_address) known.insert("address");
  if (!c.keys(node, where, known)) return;
  if (const auto n = node["type"]; !n) {
    c.error(node, where + ".type is required (tcp, http, https or dns)");
  } else if (std::string type; c.string(n, where + ".type", type)) {
    if (type == "tcp") {
      p.kind = health::ProbeKind::kTcp;
    } else if (type == "http") {
      p.kind = health::ProbeKind::kHttp;
    } else if (type == "https") {
      p.kind = health::ProbeKind::kHttps;
    } else if (type == "dns") {
      p.kind = health::ProbeKind::kDns;
    } else {
      c.error(n, where + ".type must be tcp, http, https or dns");
    }
  }
  const bool dns = p.kind == health::ProbeKind::kDns;
  for (const char* key : {"query_name", "query_type"}) {
    if (node[key] && !dns) c.error(node[key], where + "." + key + " is for dns probes");
  }
  if (const auto n = node["query_name"]; n && c.string(n, where + ".query_name", p.query_name)) {
    if (auto name = dns::name_from_text(p.query_name); !name)
      c.error(n, where + ".query_name: " + name.error().message);
  }
  if (dns && p.query_name.empty()) c.error(node, where + ".query_name is required for dns probes");
  if (const auto n = node["query_type"]) {
    static const std::map<std::string, std::uint16_t> kTypes{{"A", 1},    {"NS", 2},    {"CNAME", 5},
                                                             {"SOA", 6},  {"PTR", 12},  {"MX", 15},
                                                             {"TXT", 16}, {"AAAA", 28}, {"SRV", 33}};
    std::string type;
    if (c.string(n, where + ".query_type", type)) {
      if (const auto it = kTypes.find(type); it != kTypes.end()) {
        p.query_type = it->second;
      } else {
        c.error(n, where + ".query_type must be one of A, AAAA, CNAME, MX, NS, PTR, SOA, SRV, TXT");
      }
    }
  }
  if (const auto n = node["port"]) c.integer(n, where + ".port", p.port, 1, 65535);
  const bool http = p.kind == health::ProbeKind::kHttp || p.kind == health::ProbeKind::kHttps;
  for (const char* key : {"path", "host", "ok_codes", "body_match"}) {
    if (node[key] && !http) c.error(node[key], where + "." + key + " is for http and https probes");
  }
  if (const auto n = node["tls_verify"]) {
    if (p.kind != health::ProbeKind::kHttps) c.error(n, where + ".tls_verify is for https probes");
    try {
      p.tls_verify = n.as<bool>();
    } catch (const YAML::Exception&) {
      c.error(n, where + ".tls_verify must be true or false");
    }
  }
  if (const auto n = node["path"]; n && c.string(n, where + ".path", p.path) && !p.path.starts_with('/'))
    c.error(n, where + ".path must start with /");
  if (const auto n = node["host"]) c.string(n, where + ".host", p.host);
  if (const auto n = node["body_match"]) c.string(n, where + ".body_match", p.body_match);
  if (const auto n = node["ok_codes"]) {
    if (!n.IsSequence() || n.size() == 0) {
      c.error(n, where + ".ok_codes must be a list of HTTP status codes");
    } else {
      p.ok_codes.clear();
      for (const auto& item : n) {
        int code = 0;
        if (c.integer(item, where + ".ok_codes entry", code, 100, 599)) p.ok_codes.push_back(code);
      }
    }
  }
  parse_schedule(c, node, where, p);
}

// When and how often a check runs, and its anti-flap thresholds (probes, cluster API checks).
void parse_schedule(Checker& c, const YAML::Node& node, const std::string& where, health::ProbeSpec& p) {
  if (const auto n = node["interval"];
      n && c.duration(n, where + ".interval", p.interval) && p.interval < std::chrono::milliseconds(100)) {
    c.error(n, where + ".interval must be at least 100ms");
  }
  if (const auto n = node["timeout"];
      n && c.duration(n, where + ".timeout", p.timeout) && p.timeout < std::chrono::milliseconds(10)) {
    c.error(n, where + ".timeout must be at least 10ms");
  }
  if (p.timeout > p.interval) {
    c.error(node, where + ": timeout (" + std::to_string(p.timeout.count()) +
                      " ms) must not exceed interval (" + std::to_string(p.interval.count()) +
                      " ms): probes of one target would overlap");
  }
  if (const auto n = node["jitter"]) c.number(n, where + ".jitter", 0, 0.5, p.jitter);
  if (const auto n = node["rise"]) c.integer(n, where + ".rise", p.thresholds.rise, 1, 1000);
  if (const auto n = node["fall"]) c.integer(n, where + ".fall", p.thresholds.fall, 1, 1000);
  if (const auto n = node["ok"]) c.integer(n, where + ".ok", p.thresholds.ok, 1, 1000);
}

// A health check's probe and fallback (a health.services entry, or a Service's annotation).
void parse_check(Checker& c, const YAML::Node& item, const std::string& where, HealthCheckConfig& check) {
  if (const auto n = item["probe"]; !n) {
    c.error(item, where + ".probe is required");
  } else {
    parse_probe(c, n, where + ".probe", check.probe);
  }
  if (const auto n = item["fallback"]) {
    std::string mode;
    if (c.string(n, where + ".fallback", mode)) {
      static const std::map<std::string, model::HealthFallback> kModes{
          {"open", model::HealthFallback::kOpen},
          {"closed", model::HealthFallback::kClosed},
          {"threshold", model::HealthFallback::kThreshold},
          {"hierarchy", model::HealthFallback::kHierarchy}};
      if (const auto it = kModes.find(mode); it != kModes.end()) {
        check.policy.fallback = it->second;
      } else {
        c.error(n, where + ".fallback must be open, closed, threshold or hierarchy");
      }
    }
  }
  if (const auto n = item["last_resort"]) {
    if (!n.IsSequence() || n.size() == 0 || n.size() > 8) {
      c.error(n, where + ".last_resort must be a list of 1 to 8 IP addresses");
    } else {
      for (const auto& a : n) {
        std::string text;
        boost::system::error_code ec;
        if (!c.string(a, where + ".last_resort entry", text)) continue;
        const auto ip = boost::asio::ip::make_address(text, ec);
        if (ec) {
          c.error(a, where + ".last_resort: \"" + text + "\" is not an IP address");
        } else {
          check.last_resort.push_back(ip.to_string());
        }
      }
    }
  }
  if (const auto n = item["threshold"]) {
    if (check.policy.fallback != model::HealthFallback::kThreshold) {
      c.error(n, where + ".threshold is for fallback: threshold");
    } else {
      c.integer(n, where + ".threshold", check.policy.threshold_percent, 1, 100);
    }
  }
}

void parse_geo(Checker& c, const YAML::Node& node, const std::string& base_dir, GeoConfig& g) {
  if (!c.keys(node, "geo", {"locations", "geoip", "countries", "latency"})) return;
  if (const auto map = node["latency"]) {
    if (!map.IsMap()) {
      c.error(map, "geo.latency must be a mapping of region -> {region: latency}, such as {eu: {us: 80ms}}");
    } else {
      for (const auto& from : map) {
        const std::string a = from.first.as<std::string>("");
        if (!from.second.IsMap()) {
          c.error(from.second, "geo.latency." + a + " must be a mapping such as {us: 80ms}");
          continue;
        }
        for (const auto& to : from.second) {
          GeoConfig::Latency l{a, to.first.as<std::string>(""), {}};
          if (c.duration(to.second, "geo.latency." + a + "." + l.to, l.latency)) g.latency.push_back(l);
        }
      }
    }
  }
  if (const auto map = node["countries"]) {
    if (!map.IsMap()) {
      c.error(map, "geo.countries must be a mapping such as {GB: eu, AU: ap}");
    } else {
      for (const auto& item : map) {
        std::string region;
        const std::string country = item.first.as<std::string>("");
        if (c.string(item.second, "geo.countries." + country, region)) g.countries[country] = region;
      }
    }
  }
  if (const auto list = node["locations"]) {
    if (!list.IsSequence()) {
      c.error(list, "geo.locations must be a list of {cidr, region, zone}");
    } else {
      for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string where = "geo.locations[" + std::to_string(i) + "]";
        if (!c.keys(list[i], where, {"cidr", "region", "zone", "location"})) continue;
        GeoConfig::Location l;
        if (const auto n = list[i]["cidr"]; !n) {
          c.error(list[i], where + ".cidr is required");
        } else {
          c.string(n, where + ".cidr", l.cidr);
        }
        if (const auto n = list[i]["region"]) c.string(n, where + ".region", l.region);
        if (const auto n = list[i]["zone"]) c.string(n, where + ".zone", l.zone);
        if (l.region.empty()) c.error(list[i], where + ".region is required");
        if (const auto n = list[i]["location"])
          parse_coordinates(c, n, where + ".location", l.latitude, l.longitude);
        g.locations.push_back(std::move(l));
      }
    }
  }
  if (const auto list = node["geoip"];
      list && c.strings(list, "geo.geoip", "a list of MaxMind-format database paths", g.geoip)) {
    for (auto& path : g.geoip) {
      if (!path.empty() && path.front() != '/') path = base_dir + "/" + path;
    }
  }
}

void parse_overrides(Checker& c, const YAML::Node& node, const std::string& base_dir, OverridesConfig& o) {
  if (!c.keys(node, "health.overrides", {"file", "poll", "token_file", "allow_remote"})) return;
  auto path = [&](const char* key, std::string& out) {
    if (const auto n = node[key];
        n && c.string(n, std::string("health.overrides.") + key, out) && !out.empty() && out.front() != '/') {
      out = base_dir + "/" + out;
    }
  };
  // The file may not exist yet (it is watched); the token must be readable now.
  path("file", o.file);
  path("token_file", o.token_file);
  if (!o.token_file.empty() && !std::ifstream(o.token_file))
    c.error(node["token_file"], "health.overrides.token_file: cannot read " + o.token_file);
  if (const auto n = node["poll"]; n && c.duration(n, "health.overrides.poll", o.poll) && o.poll.count() < 10)
    c.error(n, "health.overrides.poll must be at least 10ms");
  if (const auto n = node["allow_remote"]) {
    try {
      o.allow_remote = n.as<bool>();
    } catch (const YAML::Exception&) {
      c.error(n, "health.overrides.allow_remote must be true or false");
    }
  }
}

void parse_transfer(Checker& c, const YAML::Node& node, const std::string& base_dir, TransferConfig& t) {
  if (!c.keys(node, "transfer", {"keys", "secondaries"})) return;
  std::set<std::string> key_names;
  if (const auto keys = node["keys"]) {
    if (!keys.IsSequence()) {
      c.error(keys, "transfer.keys must be a list");
    } else {
      for (std::size_t i = 0; i < keys.size(); ++i) {
        const auto& n = keys[i];
        const std::string where = "transfer.keys[" + std::to_string(i) + "]";
        if (!c.keys(n, where, {"name", "algorithm", "secret", "secret_file"})) continue;
        TransferConfig::Key key;
        if (const auto v = n["name"]; !v || !c.string(v, where + ".name", key.name)) {
          if (!v) c.error(n, where + " needs a name");
          continue;
        }
        if (const auto v = n["algorithm"]) c.string(v, where + ".algorithm", key.algorithm);
        if (n["secret"] && n["secret_file"])
          c.error(n, where + ": secret and secret_file exclude each other");
        if (const auto v = n["secret"]) {
          c.string(v, where + ".secret", key.secret);
        } else if (const auto f = n["secret_file"]) {
          std::string path;
          if (c.string(f, where + ".secret_file", path)) {
            if (!path.empty() && path.front() != '/') path = base_dir + "/" + path;
            std::ifstream in(path);
            if (!in) {
              c.error(f, where + ".secret_file: cannot read " + path);
            } else {
              key.secret.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
            }
          }
        } else {
          c.error(n, where + " needs a secret (base64) or a secret_file");
        }
        if (!key.secret.empty()) {
          if (auto made = dns::make_tsig_key(key.name, key.algorithm, key.secret); !made)
            c.error(n, where + " (" + key.name + "): " + made.error().message);
        }
        if (!key_names.insert(key.name).second) c.error(n, where + ": key " + key.name + " is defined twice");
        t.keys.push_back(std::move(key));
      }
    }
  }
  if (const auto list = node["secondaries"]) {
    if (!list.IsSequence()) {
      c.error(list, "transfer.secondaries must be a list");
      return;
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto& n = list[i];
      const std::string where = "transfer.secondaries[" + std::to_string(i) + "]";
      if (!c.keys(n, where, {"name", "key", "zones", "from", "notify"})) continue;
      TransferConfig::Secondary secondary;
      secondary.name = "secondaries[" + std::to_string(i) + "]";
      if (const auto v = n["name"]) c.string(v, where + ".name", secondary.name);
      if (const auto v = n["key"]; !v) {
        c.error(n, where + " needs a key: transfers are signed (TSIG)");
      } else if (c.string(v, where + ".key", secondary.key) && !key_names.contains(secondary.key)) {
        c.error(v, where + ".key " + secondary.key + " is not one of transfer.keys");
      }
      if (const auto v = n["zones"]) c.strings(v, where + ".zones", "a list of zone names", secondary.zones);
      if (const auto v = n["from"];
          v && c.strings(v, where + ".from", "a list of networks (CIDR)", secondary.from)) {
        dns::CidrTable table;
        for (const auto& cidr : secondary.from) {
          if (auto added = table.add(cidr, {}); !added) c.error(v, where + ".from: " + added.error().message);
        }
      }
      if (const auto v = n["notify"]) {
        std::vector<std::string> targets;
        if (c.strings(v, where + ".notify", "a list of ADDR:PORT", targets)) {
          for (const auto& target : targets) {
            auto address = dns::parse_listen_address(target);
            if (!address) {
              c.error(v, where + ".notify: " + address.error().message);
            } else {
              secondary.notify.push_back(*address);
            }
          }
        }
      }
      t.secondaries.push_back(std::move(secondary));
    }
  }
}

void parse_health(Checker& c, const YAML::Node& node, const std::string& base_dir, HealthConfig& h) {
  if (!c.keys(node, "health", {"derive_ttl", "min_ttl", "max_ttl", "services", "overrides", "locality"}))
    return;
  if (const auto n = node["locality"]; n && c.keys(n, "health.locality", {"region", "zone"})) {
    if (const auto r = n["region"]) c.string(r, "health.locality.region", h.region);
    if (const auto z = n["zone"]) c.string(z, "health.locality.zone", h.zone);
    if (!h.zone.empty() && h.region.empty()) c.error(n, "health.locality.zone needs its region");
  }
  if (const auto n = node["overrides"]) parse_overrides(c, n, base_dir, h.overrides);
  if (const auto n = node["derive_ttl"]) {
    try {
      h.derive_ttl = n.as<bool>();
    } catch (const YAML::Exception&) {
      c.error(n, "health.derive_ttl must be true or false");
    }
  }
  if (const auto n = node["min_ttl"]) c.integer(n, "health.min_ttl", h.min_ttl, 0, 86400);
  if (const auto n = node["max_ttl"]) c.integer(n, "health.max_ttl", h.max_ttl, 0, 86400);
  if (h.min_ttl > h.max_ttl) c.error(node, "health.min_ttl must not exceed health.max_ttl");
  const auto services = node["services"];
  if (!services) return;
  if (!services.IsSequence()) {
    c.error(services, "health.services must be a list");
    return;
  }
  std::set<model::ServiceKey> seen;
  for (std::size_t i = 0; i < services.size(); ++i) {
    const YAML::Node item = services[i];
    const std::string where = "health.services[" + std::to_string(i) + "]";
    if (!c.keys(item, where, {"service", "probe", "fallback", "threshold", "last_resort"})) continue;
    HealthCheckConfig check;
    read_service_key(c, item, where, seen, "health checks", check.service);
    parse_check(c, item, where, check);
    h.services.push_back(std::move(check));
  }
}

}  // namespace

Result<Config> parse_config(const std::string& text, const std::string& name, const std::string& base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Error{name + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                 ": YAML syntax: " + e.msg};
  }
  Checker c(name, text);
  Config config;
  config.server.identity = default_identity();
  config.server.version = std::string("fedns ") + FEDNS_VERSION;
  config.server.listen = {*dns::parse_listen_address("127.0.0.1:53")};
  if (!root.IsMap()) {
    c.error(root, "the config must be a mapping with server: and zones:");
  } else if (c.keys(root, "the top level",
                    {"server", "zones", "clusters", "catalog", "health", "geo", "policies", "propagation",
                     "transfer"})) {
    if (const auto server = root["server"]) parse_server(c, server, config.server);
    if (const auto zones = root["zones"]) {
      if (!zones.IsSequence()) {
        c.error(zones, "zones must be a list");
      } else {
        std::set<std::string> origins;
        for (std::size_t i = 0; i < zones.size(); ++i) {
          dns::ZoneSource zone;
          parse_zone(c, zones[i], i, name, base_dir, zone);
          auto wire = dns::name_from_text(zone.origin);
          if (wire) {
            std::string folded = *wire;
            dns::fold_case(folded);
            if (!origins.insert(folded).second)
              c.error(zones[i],
                      "zones[" + std::to_string(i) + "]: zone " + zone.origin + " is defined twice");
          }
          config.zones.push_back(std::move(zone));
        }
      }
    }
  }
  if (root.IsMap()) {
    if (const auto n = root["catalog"]) parse_catalog(c, n, config.catalog);
    if (const auto n = root["health"]) parse_health(c, n, base_dir, config.health);
    if (const auto n = root["geo"]) parse_geo(c, n, base_dir, config.geo);
    if (const auto n = root["transfer"]) {
      parse_transfer(c, n, base_dir, config.transfer);
      // Secondaries name zones we serve.
      for (std::size_t i = 0; i < config.transfer.secondaries.size(); ++i) {
        for (const auto& zone_name : config.transfer.secondaries[i].zones) {
          auto wanted = dns::name_from_text(zone_name);
          const bool served =
              wanted && std::any_of(config.zones.begin(), config.zones.end(), [&](const auto& z) {
                auto origin = dns::name_from_text(z.origin);
                if (!origin) return false;
                dns::fold_case(*origin);
                dns::fold_case(*wanted);
                return *origin == *wanted;
              });
          if (!served)
            c.error(n["secondaries"][i]["zones"], "transfer.secondaries[" + std::to_string(i) +
                                                      "].zones: " + zone_name + " is not one of zones:");
        }
      }
    }
    if (const auto n = root["propagation"]) parse_propagation(c, n, base_dir, config.propagation.emplace());
    if (const auto clusters = root["clusters"]) {
      if (!clusters.IsSequence()) {
        c.error(clusters, "clusters must be a list");
      } else {
        std::set<std::string> names;
        for (std::size_t i = 0; i < clusters.size(); ++i) {
          ClusterConfig cluster;
          parse_cluster(c, clusters[i], i, base_dir, cluster);
          if (!cluster.name.empty() && !names.insert(cluster.name).second) {
            c.error(clusters[i],
                    "clusters[" + std::to_string(i) + "]: cluster " + cluster.name + " is defined twice");
          }
          config.clusters.push_back(std::move(cluster));
        }
      }
    }
    if (const auto policies = root["policies"]) {
      parse_policies(c, policies, config.policies);
      for (std::size_t i = 0; i < config.policies.size() && policies.IsSequence(); ++i) {
        const PolicyConfig& p = config.policies[i];
        const std::string where = "policies[" + std::to_string(i) + "] (" + p.service.text() + ")";
        for (const auto& problem : policy_problems(p, config.clusters, config.geo))
          c.error(policies[i], where + ": " + problem);
      }
    }
    if (!config.clusters.empty()) {
      // Zones the catalog writes into take their SOA, NS and static records from their entry in zones:.
      // Names that do not parse were reported where they were read.
      auto unlisted = [&](const std::string& zone_name) {
        auto wanted = dns::name_from_text(zone_name);
        if (!wanted) return false;
        dns::fold_case(*wanted);
        return std::none_of(config.zones.begin(), config.zones.end(), [&](const dns::ZoneSource& z) {
          auto origin = dns::name_from_text(z.origin);
          if (!origin) return false;
          dns::fold_case(*origin);
          return *origin == *wanted;
        });
      };
      if (unlisted(config.catalog.zone)) {
        c.error(root["clusters"],
                "catalog.zone " + config.catalog.zone +
                    " must also be listed in zones: (with its soa: and ns:), clusters publish into it");
      }
      for (const auto& reverse : config.catalog.reverse_zones) {
        if (unlisted(reverse)) {
          c.error(root["catalog"],
                  "catalog.reverse_zones: " + reverse +
                      " must also be listed in zones: (with its soa: and ns:), PTR records go there");
        }
      }
      // The zones the catalog generates names in, each for one purpose.
      std::map<std::string, std::string> generated_in;  // folded wire origin -> which setting
      auto generated_zone = [&](const std::string& zone_name, const std::string& setting) {
        if (setting != "catalog.zone" && unlisted(zone_name)) {  // catalog.zone was checked above
          c.error(root["catalog"],
                  setting + " " + zone_name +
                      " must also be listed in zones: (with its soa: and ns:), names go there");
        }
        auto wire = dns::name_from_text(zone_name);
        if (!wire) return;
        dns::fold_case(*wire);
        if (const auto [it, fresh] = generated_in.emplace(*wire, setting); !fresh)
          c.error(root["catalog"], setting + " " + zone_name + " is already " + it->second);
      };
      generated_zone(config.catalog.zone, "catalog.zone");
      if (!config.catalog.cluster_view_zone.empty())
        generated_zone(config.catalog.cluster_view_zone, "catalog.cluster_view_zone");
      if (config.catalog.federation) {
        generated_zone(config.catalog.federation->zone, "catalog.federation.zone");
        // Regions and zones become labels of the federation names; "svc" would make them ambiguous.
        const auto clusters = root["clusters"];
        for (std::size_t i = 0; i < config.clusters.size(); ++i) {
          const auto& k = config.clusters[i];
          const std::string cw = "clusters[" + std::to_string(i) + "] (" + k.name + ")";
          for (const auto& [field, value] : {std::pair{"region", &k.region}, std::pair{"zone", &k.zone}}) {
            if (!value->empty() && (!sync::is_dns_label(*value) || *value == "svc"))
              c.error(clusters[i][field],
                      cw + "." + field + " \"" + *value +
                          "\" must be a DNS label other than \"svc\": it names federation names");
          }
          if (!k.zone.empty() && k.region.empty())
            c.error(clusters[i], cw + ".zone needs a region: for the federation names");
        }
      }
    }
  }
  if (c.errors().empty() && config.zones.empty()) c.error("no zones configured: nothing to serve");
  if (!c.errors().empty()) {
    return Error::from_lines(c.errors());
  }
  return config;
}

Result<Config> load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{path + ": cannot open"};
  std::stringstream text;
  text << in.rdbuf();
  const auto slash = path.rfind('/');
  return parse_config(text.str(), path, slash == std::string::npos ? "." : path.substr(0, slash));
}

Result<HealthCheckConfig> parse_health_check_annotation(const std::string& text) {
  return parse_annotation<HealthCheckConfig>(
      text, {"probe", "fallback", "threshold", "last_resort"},
      [](Checker& c, const YAML::Node& root, HealthCheckConfig& check) {
        parse_check(c, root, "annotation", check);
      });
}

}  // namespace fedns::app
