// A real Knot DNS (knotd, Debian package) serving one zone from a zone file on 127.0.0.1 at a free port: the
// reference for the differential test, and the parent zone of the delegation preflight's test.
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

// Starts knotd and waits until it answers the zone's SOA; stops it (SIGTERM) when destroyed.
class KnotServer {
 public:
  KnotServer(const TempDir& dir, const std::string& zone, const std::string& zone_file) : port_(free_port()) {
    const std::string conf = dir.write("knot.conf",
                                       "server:\n"
                                       "    rundir: \"" +
                                           dir.path() +
                                           "\"\n"
                                           "    listen: 127.0.0.1@" +
                                           std::to_string(port_) +
                                           "\n"
                                           "log:\n"
                                           "  - target: stderr\n"
                                           "    any: warning\n"
                                           "database:\n"
                                           "    storage: \"" +
                                           dir.path() +
                                           "\"\n"
                                           "zone:\n"
                                           "  - domain: " +
                                           zone +
                                           "\n"
                                           "    file: \"" +
                                           zone_file +
                                           "\"\n"
                                           "    journal-content: none\n"
                                           "    zonefile-sync: -1\n");
    process_ = std::make_unique<Process>(std::vector<std::string>{"/usr/sbin/knotd", "-c", conf},
                                         dir.path() + "/knot.log");
    const Bytes probe = ldns_query(zone + ".", LDNS_RR_TYPE_SOA);
    for (int i = 0; i < 200; ++i) {
      if (auto r = udp_exchange("127.0.0.1", port_, probe, std::chrono::milliseconds(50));
          r && (*r)[3] == 0x00)
        return;  // NOERROR
      if (!process_->running()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    throw std::runtime_error("knotd did not start:\n" + process_->log());
  }
  ~KnotServer() {
    process_->signal(SIGTERM);
    process_->wait(std::chrono::seconds(10));
  }
  KnotServer(const KnotServer&) = delete;
  KnotServer& operator=(const KnotServer&) = delete;
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  std::uint16_t port_;
  std::unique_ptr<Process> process_;
};

}  // namespace fedns::e2e
