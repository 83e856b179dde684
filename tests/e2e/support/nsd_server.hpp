// A real NSD (Debian package) on 127.0.0.1 at a free port, as a secondary pulling zones from fedns with TSIG,
// accepting its NOTIFY, and letting anyone on loopback AXFR what it holds (so a test can compare).
#pragma once

#include <signal.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/dns_client.hpp"
#include "support/knot_server.hpp"
#include "support/process.hpp"

namespace fedns::e2e {

class NsdSecondary {
 public:
  // Waits until every zone has been transferred once (its SOA answers NOERROR).
  NsdSecondary(const TempDir& dir, const std::vector<std::string>& zones, const KnotPrimary& primary,
               std::uint16_t port = 0)
      : port_(port != 0 ? port : free_port()) {
    const std::string d = dir.path();
    std::string conf =
        "server:\n  ip-address: 127.0.0.1@" + std::to_string(port_) +
        "\n  server-count: 1\n  username: \"\"\n  zonesdir: \"" + d + "\"\n  pidfile: \"" + d +
        "/nsd.pid\"\n  database: \"\"\n  zonelistfile: \"" + d + "/zone.list\"\n  xfrdfile: \"" + d +
        "/xfrd.state\"\n  xfrdir: \"" + d + "\"\n  verbosity: 2\n" +
        "remote-control:\n  control-enable: no\n"
        "key:\n  name: " +
        primary.key_name + "\n  algorithm: " + primary.algorithm + "\n  secret: \"" + primary.secret + "\"\n";
    const std::string primary_address = "127.0.0.1@" + std::to_string(primary.port);
    for (const auto& zone : zones) {
      conf += "zone:\n  name: " + zone + "\n  zonefile: \"" + d + "/" + zone +
              ".zone\"\n  request-xfr: " + primary_address + " " + primary.key_name +
              "\n  allow-notify: 127.0.0.1 " + primary.key_name + "\n  provide-xfr: 127.0.0.1 NOKEY\n";
    }
    const std::string path = dir.write("nsd.conf", conf);
    process_ = std::make_unique<Process>(std::vector<std::string>{"/usr/sbin/nsd", "-d", "-c", path},
                                         d + "/nsd.log");
    wait_until_serving(*process_, port_, zones, "nsd");
  }
  ~NsdSecondary() {
    process_->signal(SIGTERM);
    process_->wait(std::chrono::seconds(10));
  }
  NsdSecondary(const NsdSecondary&) = delete;
  NsdSecondary& operator=(const NsdSecondary&) = delete;
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::string log() const { return process_->log(); }

 private:
  std::uint16_t port_;
  std::unique_ptr<Process> process_;
};

}  // namespace fedns::e2e
