// Starts the real fedns binary on free loopback ports with a config written for the test, and stops it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "support/dns_client.hpp"
#include "support/process.hpp"

namespace fedns::e2e {

// The zone every end-to-end test can rely on (example.test.), as a YAML `zones:` list.
std::string standard_zones_yaml();

class FednsServer {
 public:
  // `server_extra` is YAML added under `server:` (indented two spaces); `zones` is the `zones:` list.
  explicit FednsServer(const std::string& zones = standard_zones_yaml(),
                       const std::string& server_extra = "");
  ~FednsServer();
  FednsServer(const FednsServer&) = delete;
  FednsServer& operator=(const FednsServer&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::uint16_t metrics_port() const { return metrics_port_; }
  [[nodiscard]] const std::string& config_path() const { return config_path_; }
  [[nodiscard]] const TempDir& dir() const { return dir_; }
  Process& process() { return *process_; }

  // Rewrites the config (same ports) for a reload test.
  void rewrite_config(const std::string& zones, const std::string& server_extra = "");

  // dig against this server: `dig @127.0.0.1 -p PORT ARGS`.
  CommandResult dig(const std::string& args) const;
  CommandResult kdig(const std::string& args) const;

  std::optional<Bytes> udp(const Bytes& query) const { return udp_exchange("127.0.0.1", port_, query); }
  Packet ask(const std::string& name, ldns_rr_type type, bool edns = false) const;

  // SIGTERM and wait; returns the exit status.
  int stop();

 private:
  [[nodiscard]] std::string config_text(const std::string& zones, const std::string& server_extra) const;
  TempDir dir_;
  std::uint16_t port_;
  std::uint16_t metrics_port_;
  std::string config_path_;
  std::unique_ptr<Process> process_;
};

}  // namespace fedns::e2e
