// One-off DNS queries for the command-line tools (`fedns explain`, `fedns check-delegation`): ldns builds,
// sends (UDP, then TCP when the answer is truncated) and parses; a single query is what it is made for.
#pragma once

#include <ldns/ldns.h>

#include <chrono>
#include <memory>
#include <string>

#include "app/config.hpp"
#include "common/result.hpp"
#include "dns/listen_address.hpp"

namespace fedns::app {

struct PacketDeleter {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using PacketPtr = std::unique_ptr<ldns_pkt, PacketDeleter>;

// "ADDR:PORT", "[V6]:PORT", or a bare address (port `default_port`).
Result<dns::ListenAddress> parse_server(const std::string& text, std::uint16_t default_port = 53);

// The address a config's server answers on: its first listen address (a wildcard: loopback).
std::string server_from_config(const Config& config);

// A query for NAME TYPE IN with a random ID and EDNS (1232); RD as asked. Null when NAME is not a domain
// name.
PacketPtr make_query(const std::string& name, ldns_rr_type type, bool recursion_desired);

// Sends `query` to `server` and waits at most `timeout` (one retry); the reply, or why there is none.
Result<PacketPtr> send_query(const dns::ListenAddress& server, ldns_pkt* query,
                             std::chrono::seconds timeout = std::chrono::seconds(3));

}  // namespace fedns::app
