// `fedns explain NAME --client IP [--ecs PREFIX] [--type A|AAAA] [--server ADDR:PORT | --config FILE]`:
// asks a running server for TXT <label>.NAME with the client as an EDNS Client Subnet option, and prints the
// trace lines in order (the query goes out through query_client.hpp).
#include "app/explain_command.hpp"

#include <ldns/ldns.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "app/query_client.hpp"
#include "dns/client_location.hpp"
#include "dns/listen_address.hpp"

namespace fedns::app {
namespace {

// The ECS option (RFC 7871 6): family, source prefix, scope 0, the address's first ceil(prefix/8) octets.
std::vector<std::uint8_t> ecs_option(const dns::ClientAddress& client) {
  const unsigned octets = (client.prefix + 7U) / 8U;
  std::vector<std::uint8_t> option;
  option.reserve(8 + octets);
  for (const unsigned byte : {0U, 8U, 0U, 4U + octets, 0U, client.v6 ? 2U : 1U, unsigned{client.prefix}, 0U})
    option.push_back(static_cast<std::uint8_t>(byte));
  for (unsigned i = 0; i < octets; ++i) {
    const unsigned left = client.prefix - i * 8;
    option.push_back(static_cast<std::uint8_t>(client.bytes[i] & (left >= 8 ? 0xFF : 0xFF << (8 - left))));
  }
  return option;
}

// The type a trace line is about ("A", "AAAA"), or empty for lines about the whole query.
std::string line_type(const std::string& line, const std::string& current) {
  for (const std::string prefix : {"answer ", "result ", ""}) {
    if (line.rfind(prefix, 0) != 0) continue;
    const std::string rest = line.substr(prefix.size());
    if (rest.rfind("AAAA", 0) == 0) return "AAAA";
    if (rest.rfind("A ", 0) == 0 || rest.rfind("A:", 0) == 0) return "A";
  }
  if (line.rfind("  ", 0) == 0 || line.rfind("step ", 0) == 0) return current;
  return "";
}

}  // namespace

int explain_command(const ExplainArguments& args) {
  std::string server = args.server;
  std::string label = "_explain";
  if (!args.config.empty()) {
    auto config = load_config(args.config);
    if (!config) {
      std::cerr << config.error().message << "\n";
      return 1;
    }
    if (config->server.explain_label.empty()) {
      std::cerr << "fedns explain: " << args.config << " turns explain off (server.explain: false)\n";
      return 1;
    }
    label = config->server.explain_label;
    if (server.empty()) server = server_from_config(*config);
  }
  if (server.empty()) server = "127.0.0.1:53";
  auto at = dns::parse_listen_address(server);
  if (!at) {
    std::cerr << "fedns explain: --server: " << at.error().message << "\n";
    return 2;
  }
  auto client = dns::ClientAddress::parse(args.client);
  if (!client) {
    std::cerr << "fedns explain: --client \"" << args.client << "\" is not an IPv4 or IPv6 address\n";
    return 2;
  }
  if (args.ecs_prefix >= 0) {
    if (args.ecs_prefix > (client->v6 ? 128 : 32)) {
      std::cerr << "fedns explain: --ecs " << args.ecs_prefix << " is longer than the address\n";
      return 2;
    }
    client->prefix = static_cast<std::uint8_t>(args.ecs_prefix);
  }

  PacketPtr query = make_query(label + "." + args.name, LDNS_RR_TYPE_TXT, false);
  if (query == nullptr) {
    std::cerr << "fedns explain: \"" << args.name << "\" is not a domain name\n";
    return 2;
  }
  const auto option = ecs_option(*client);
  ldns_pkt_set_edns_data(query.get(),
                         ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, option.size(), option.data()));

  auto sent = send_query(*at, query.get());
  if (!sent) {
    std::cerr << "fedns explain: " << sent.error().message << "\n";
    return 1;
  }
  const PacketPtr reply = std::move(*sent);
  std::vector<std::string> lines;
  const ldns_rr_list* answer = ldns_pkt_answer(reply.get());
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(answer); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(answer, i);
    if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TXT) continue;
    std::string line;
    for (std::size_t j = 0; j < ldns_rr_rd_count(rr); ++j) {
      const ldns_rdf* rdf = ldns_rr_rdf(rr, j);
      const auto* data = ldns_rdf_data(rdf);
      if (ldns_rdf_size(rdf) > 0)
        line.append(reinterpret_cast<const char*>(data) + 1, ldns_rdf_size(rdf) - 1);
    }
    lines.push_back(std::move(line));
  }
  if (lines.empty()) {
    std::cerr
        << "fedns explain: " << server << " answered " << ldns_pkt_rcode2str(ldns_pkt_get_rcode(reply.get()))
        << " without a trace (explain off, or this address not in server.explain.allow, or no such zone)\n";
    return 1;
  }
  // Numbered "01 ", "02 ", ...: caches may reorder a set.
  std::sort(lines.begin(), lines.end(), [](const std::string& a, const std::string& b) {
    return std::atoi(a.c_str()) < std::atoi(b.c_str());
  });
  std::string current;
  for (const auto& numbered : lines) {
    const std::string line = numbered.substr(std::min<std::size_t>(numbered.find(' ') + 1, numbered.size()));
    current = line_type(line, current);
    if (!args.type.empty() && !current.empty() && current != args.type) continue;
    std::cout << line << "\n";
  }
  return 0;
}

}  // namespace fedns::app
