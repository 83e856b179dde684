// A real Knot DNS (knotd, Debian package) on 127.0.0.1 at a free port: serving one zone from a zone file (the
// reference for the differential test, the parent zone of the delegation preflight's test), or a secondary
// pulling zones from fedns (the zone transfer test).
#pragma once

#include <signal.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/dns_client.hpp"
#include "support/process.hpp"

namespace fedns::e2e {

// Waits until the name server `process` on 127.0.0.1:`port` answers each zone's SOA with NOERROR (loaded; for
// a secondary, transferred once), for up to 15 s; throws with its log when it does not, or when it exits.
inline void wait_until_serving(Process& process, std::uint16_t port, const std::vector<std::string>& zones,
                               const std::string& what) {
  for (const auto& zone : zones) {
    const Bytes probe = ldns_query(zone + ".", LDNS_RR_TYPE_SOA);
    bool answered = false;
    for (int i = 0; i < 600 && !answered && process.running(); ++i) {
      const auto r = udp_exchange("127.0.0.1", port, probe, std::chrono::milliseconds(50));
      answered = r && (*r)[3] == 0x00;
      if (!answered) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    if (!answered) throw std::runtime_error(what + " did not serve " + zone + ":\n" + process.log());
  }
}

// The primary a Knot secondary pulls from (fedns on 127.0.0.1), with the TSIG key both sides hold.
struct KnotPrimary {
  std::uint16_t port = 0;
  std::string key_name;
  std::string algorithm = "hmac-sha256";
  std::string secret;  // base64
};

// Starts knotd and waits until it answers the zone's SOA; stops it (SIGTERM) when destroyed.
class KnotServer {
 public:
  // Serves `zone` from `zone_file`.
  KnotServer(const TempDir& dir, const std::string& zone, const std::string& zone_file) : port_(free_port()) {
    start(dir,
          "zone:\n"
          "  - domain: " +
              zone + "\n    file: \"" + zone_file + "\"\n    journal-content: none\n    zonefile-sync: -1\n",
          {zone});
  }
  // A secondary of `zones`: pulls them from `primary` with its key (refresh, IXFR/AXFR), takes its NOTIFYs,
  // and lets anyone on loopback AXFR it (so a test can compare what it got). Listens on `port` (0: a free
  // one); waits until every zone has been transferred once.
  KnotServer(const TempDir& dir, const std::vector<std::string>& zones, const KnotPrimary& primary,
             std::uint16_t port = 0)
      : port_(port != 0 ? port : free_port()) {
    std::string conf = "key:\n  - id: " + primary.key_name + "\n    algorithm: " + primary.algorithm +
                       "\n    secret: " + primary.secret +
                       "\n"
                       "remote:\n  - id: primary\n    address: 127.0.0.1@" +
                       std::to_string(primary.port) + "\n    key: " + primary.key_name +
                       "\n"
                       "acl:\n"
                       "  - id: notify-from-primary\n    address: 127.0.0.1\n    key: " +
                       primary.key_name +
                       "\n    action: notify\n"
                       "  - id: transfer-to-tests\n    address: 127.0.0.1\n    action: transfer\n"
                       "zone:\n";
    for (const auto& zone : zones) {
      conf += "  - domain: " + zone +
              "\n    master: primary\n    acl: [notify-from-primary, transfer-to-tests]\n" + "    file: \"" +
              dir.path() + "/" + zone + ".zone\"\n    journal-content: none\n" + "    zonefile-sync: -1\n";
    }
    start(dir, conf, zones);
  }
  ~KnotServer() {
    process_->signal(SIGTERM);
    process_->wait(std::chrono::seconds(10));
  }
  KnotServer(const KnotServer&) = delete;
  KnotServer& operator=(const KnotServer&) = delete;
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::string log() const { return process_->log(); }

 private:
  void start(const TempDir& dir, const std::string& zones_conf, const std::vector<std::string>& zones) {
    const std::string conf = dir.write("knot.conf",
                                       "server:\n"
                                       "    rundir: \"" +
                                           dir.path() + "\"\n    listen: 127.0.0.1@" + std::to_string(port_) +
                                           "\n"
                                           "log:\n"
                                           "  - target: stderr\n"
                                           "    any: info\n"
                                           "database:\n"
                                           "    storage: \"" +
                                           dir.path() + "\"\n" + zones_conf);
    process_ = std::make_unique<Process>(std::vector<std::string>{"/usr/sbin/knotd", "-c", conf},
                                         dir.path() + "/knot.log");
    wait_until_serving(*process_, port_, zones, "knotd");
  }

  std::uint16_t port_;
  std::unique_ptr<Process> process_;
};

}  // namespace fedns::e2e
