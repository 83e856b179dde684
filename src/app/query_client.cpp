// One-off DNS queries (see query_client.hpp).
#include "app/query_client.hpp"

namespace fedns::app {
namespace {

struct ResolverDeleter {
  void operator()(ldns_resolver* r) const { ldns_resolver_deep_free(r); }
};

}  // namespace

Result<dns::ListenAddress> parse_server(const std::string& text, std::uint16_t default_port) {
  boost::system::error_code ec;
  const auto bare = boost::asio::ip::make_address(text, ec);
  if (!ec) return dns::ListenAddress{bare, default_port};
  return dns::parse_listen_address(text);
}

std::string server_from_config(const Config& config) {
  if (config.server.listen.empty()) return "127.0.0.1:53";
  const auto& listen = config.server.listen.front();
  const bool v6 = listen.address.is_v6();
  const std::string host =
      listen.address.is_unspecified() ? (v6 ? "::1" : "127.0.0.1") : listen.address.to_string();
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(listen.port);
}

PacketPtr make_query(const std::string& name, ldns_rr_type type, bool recursion_desired) {
  std::string absolute = name;
  if (!absolute.ends_with('.')) absolute += '.';
  ldns_rdf* qname = ldns_dname_new_frm_str(absolute.c_str());
  if (qname == nullptr) return nullptr;
  PacketPtr query(ldns_pkt_query_new(qname, type, LDNS_RR_CLASS_IN, recursion_desired ? LDNS_RD : 0));
  ldns_pkt_set_random_id(query.get());
  ldns_pkt_set_edns_udp_size(query.get(), 1232);
  return query;
}

Result<PacketPtr> send_query(const dns::ListenAddress& server, ldns_pkt* query,
                             std::chrono::seconds timeout) {
  std::unique_ptr<ldns_resolver, ResolverDeleter> resolver(ldns_resolver_new());
  const std::string host = server.address.to_string();
  ldns_rdf* address =
      ldns_rdf_new_frm_str(server.address.is_v6() ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, host.c_str());
  if (address == nullptr || ldns_resolver_push_nameserver(resolver.get(), address) != LDNS_STATUS_OK) {
    ldns_rdf_deep_free(address);
    return Error{"bad server address " + host};
  }
  ldns_rdf_deep_free(address);
  ldns_resolver_set_port(resolver.get(), server.port);
  ldns_resolver_set_timeout(resolver.get(), {static_cast<time_t>(timeout.count()), 0});
  ldns_resolver_set_retry(resolver.get(), 1);
  ldns_resolver_set_fallback(resolver.get(), true);  // TCP when the answer does not fit in UDP
  ldns_pkt* raw = nullptr;
  const ldns_status status = ldns_resolver_send_pkt(&raw, resolver.get(), query);
  PacketPtr reply(raw);
  if (status != LDNS_STATUS_OK || reply == nullptr)
    return Error{"no answer from " + server.to_string() + ": " + ldns_get_errorstr_by_id(status)};
  return reply;
}

}  // namespace fedns::app
