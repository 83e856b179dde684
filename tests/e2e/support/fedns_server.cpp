// The fedns end-to-end fixture.
#include "support/fedns_server.hpp"

#include <signal.h>

#include <stdexcept>
#include <thread>

namespace fedns::e2e {

std::string standard_zones_yaml() {
  return R"(
  - origin: example.test.
    ttl: 300
    soa: {mname: ns1.example.test., rname: admin.example.test., serial: 2026112601, minimum: 60, ttl: 3600}
    ns:
      - {name: ns1.example.test., addresses: ["127.0.0.1", "::1"]}
    records: |
      www        IN A     192.0.2.1
      www        IN A     192.0.2.2
      www        IN AAAA  2001:db8::1
      alias      IN CNAME www
      chain      IN CNAME alias
      a.b.deep   IN TXT   "deep"
      *.wild     IN A     192.0.2.77
      sub        IN NS    ns.sub
      ns.sub     IN A     192.0.2.99
      _http._tcp.www IN SRV 0 5 80 www
)" + [] {
    // Eight 200-octet TXT strings: too big for 512-octet UDP, fine within 4096 or over TCP.
    std::string big;
    for (int i = 0; i < 8; ++i)
      big += "      big        IN TXT   \"" + std::string(200, static_cast<char>('a' + i)) + "\"\n";
    return big;
  }();
}

FednsServer::FednsServer(const std::string& zones, const std::string& server_extra)
    : port_(free_port()), metrics_port_(free_port()) {
  config_path_ = dir_.write("fedns.yaml", config_text(zones, server_extra));
  process_ = std::make_unique<Process>(
      std::vector<std::string>{FEDNS_BINARY, "serve", "--config", config_path_}, dir_.path() + "/fedns.log");
  // Ready when it answers (REFUSED for the root is an answer).
  const Bytes probe = ldns_query(".", LDNS_RR_TYPE_SOA);
  for (int i = 0; i < 200; ++i) {
    if (udp_exchange("127.0.0.1", port_, probe, std::chrono::milliseconds(50))) return;
    if (!process_->running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  throw std::runtime_error("fedns did not start:\n" + process_->log());
}

FednsServer::~FednsServer() {
  if (process_->running()) stop();
}

std::string FednsServer::config_text(const std::string& zones, const std::string& server_extra) const {
  const std::string p = std::to_string(port_);
  return "server:\n"
         "  listen: [\"127.0.0.1:" +
         p + "\", \"[::1]:" + p +
         "\"]\n"
         "  workers: 2\n"
         "  metrics: \"127.0.0.1:" +
         std::to_string(metrics_port_) + "\"\n" + server_extra + "zones:\n" + zones;
}

void FednsServer::rewrite_config(const std::string& zones, const std::string& server_extra) {
  (void)dir_.write("fedns.yaml", config_text(zones, server_extra));
}

CommandResult FednsServer::dig(const std::string& args) const {
  return run_command("dig @127.0.0.1 -p " + std::to_string(port_) + " +time=2 +tries=1 " + args);
}

CommandResult FednsServer::kdig(const std::string& args) const {
  return run_command("kdig @127.0.0.1 -p " + std::to_string(port_) + " +time=2 +retry=0 " + args);
}

Packet FednsServer::ask(const std::string& name, ldns_rr_type type, bool edns) const {
  auto reply = udp(ldns_query(name, type, LDNS_RR_CLASS_IN, edns));
  return reply ? parse(*reply) : nullptr;
}

int FednsServer::stop() {
  process_->signal(SIGTERM);
  return process_->wait(std::chrono::seconds(10));
}

}  // namespace fedns::e2e
