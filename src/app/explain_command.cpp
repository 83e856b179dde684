// `fedns explain NAME --client IP [--ecs PREFIX] [--type A|AAAA] [--server ADDR:PORT | --config FILE]`:
// asks a running server for TXT <label>.NAME with the client as an EDNS Client Subnet option, and prints the
// trace lines in order. ldns builds, sends (UDP, TCP when truncated) and parses: a one-off query is what it
// is made for.
#include "app/explain_command.hpp"

#include <ldns/ldns.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "dns/client_location.hpp"
#include "dns/listen_address.hpp"

namespace fedns::app {
namespace {

struct PacketDeleter {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
struct ResolverDeleter {
  void operator()(ldns_resolver* r) const { ldns_resolver_deep_free(r); }
};
using PacketPtr = std::unique_ptr<ldns_pkt, PacketDeleter>;

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
    if (server.empty() && !config->server.listen.empty()) {
      const auto& listen = config->server.listen.front();
      const bool v6 = listen.address.is_v6();
      const std::string host =
          listen.address.is_unspecified() ? (v6 ? "::1" : "127.0.0.1") : listen.address.to_string();
      server = (v6 ? "[" + host + "]" : host) + ":" + std::to_string(listen.port);
    }
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

  std::string name = args.name;
  if (!name.ends_with('.')) name += '.';
  ldns_rdf* qname = ldns_dname_new_frm_str((label + "." + name).c_str());
  if (qname == nullptr) {
    std::cerr << "fedns explain: \"" << args.name << "\" is not a domain name\n";
    return 2;
  }
  PacketPtr query(ldns_pkt_query_new(qname, LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, 0));
  ldns_pkt_set_random_id(query.get());
  ldns_pkt_set_edns_udp_size(query.get(), 1232);
  const auto option = ecs_option(*client);
  ldns_pkt_set_edns_data(query.get(),
                         ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, option.size(), option.data()));

  std::unique_ptr<ldns_resolver, ResolverDeleter> resolver(ldns_resolver_new());
  const std::string host = at->address.to_string();
  ldns_rdf* address =
      ldns_rdf_new_frm_str(at->address.is_v6() ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, host.c_str());
  if (address == nullptr || ldns_resolver_push_nameserver(resolver.get(), address) != LDNS_STATUS_OK) {
    ldns_rdf_deep_free(address);
    std::cerr << "fedns explain: bad server address " << host << "\n";
    return 2;
  }
  ldns_rdf_deep_free(address);
  ldns_resolver_set_port(resolver.get(), at->port);
  ldns_resolver_set_timeout(resolver.get(), {3, 0});
  ldns_resolver_set_retry(resolver.get(), 1);
  ldns_resolver_set_fallback(resolver.get(), true);  // TCP when the trace does not fit in UDP
  ldns_pkt* raw = nullptr;
  const ldns_status status = ldns_resolver_send_pkt(&raw, resolver.get(), query.get());
  PacketPtr reply(raw);
  if (status != LDNS_STATUS_OK || reply == nullptr) {
    std::cerr << "fedns explain: no answer from " << server << ": " << ldns_get_errorstr_by_id(status)
              << "\n";
    return 1;
  }
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
