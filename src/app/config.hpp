// The fedns configuration: YAML read with yaml-cpp, validated completely, every error reported with its
// place.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "dns/listen_address.hpp"
#include "dns/zone_source.hpp"

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
};

struct Config {
  ServerConfig server;
  std::vector<dns::ZoneSource> zones;
};

// Reads and validates a config file. On failure the error holds one line per problem, "FILE:LINE:COL: ...".
Result<Config> load_config(const std::string& path);
// The same for text already in memory; `name` stands for the file in messages.
Result<Config> parse_config(const std::string& text, const std::string& name,
                            const std::string& base_dir = ".");

}  // namespace fedns::app
