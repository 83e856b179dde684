// A real Toxiproxy (built by tests/cluster-fixture) between a client and an API server, for fault injection.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "support/process.hpp"

namespace fedns::e2e {

class Toxiproxy {
 public:
  // Starts toxiproxy-server from `bin` and one proxy on a free loopback port to `upstream`
  // ("127.0.0.1:6443").
  Toxiproxy(const std::string& bin, const std::string& upstream);
  ~Toxiproxy();
  Toxiproxy(const Toxiproxy&) = delete;
  Toxiproxy& operator=(const Toxiproxy&) = delete;

  [[nodiscard]] std::uint16_t port() const { return proxy_port_; }
  // Adds a toxic: `json` is Toxiproxy's toxic object, e.g. {"name":"slow","type":"latency",...}.
  void add_toxic(const std::string& json) const;
  void remove_toxic(const std::string& name) const;
  // A disabled proxy refuses new connections and closes open ones.
  void set_enabled(bool enabled) const;

 private:
  [[nodiscard]] CommandResult api(const std::string& method, const std::string& path,
                                  const std::string& body) const;
  std::uint16_t api_port_;
  std::uint16_t proxy_port_;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<Process> server_;
};

}  // namespace fedns::e2e
