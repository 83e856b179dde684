// `fedns serve`: wires config, snapshot publication, DNS workers, the metrics endpoint and signals together.
#pragma once

#include <string>
#include <vector>

#include "dns/listen_address.hpp"

namespace fedns::app {

struct ServeOptions {
  std::string config_path;
  std::vector<dns::ListenAddress> listen_override;  // --listen, replaces server.listen
};

// Runs until SIGTERM/SIGINT; returns the process exit code.
int serve(const ServeOptions& options);

}  // namespace fedns::app
