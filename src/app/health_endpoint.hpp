// The health endpoints on the metrics listener, for operators and scripts (docs/health.md):
//   GET    /health/overrides        the overrides in force (file and endpoint), JSON
//   POST   /health/overrides        sets one: {"cluster", "service", "address", "state", "for"|"until",
//   "reason"} DELETE /health/overrides/<id>   deletes one set through the endpoint ("api:N") GET
//   /health/clusters         each member cluster's health: checks, override, measured RTT GET /health/targets
//   every target: what it is, its probe state, what answers see, its RTT
// Writes need `Authorization: Bearer <token>` (health.overrides.token_file) and come from loopback unless
// health.overrides.allow_remote: whoever can drain a cluster can take a service off the air.
#pragma once

#include <optional>
#include <string>

#include "app/config.hpp"
#include "app/http_server.hpp"
#include "health/health_monitor.hpp"
#include "health/override_store.hpp"

namespace fedns::app {

class HealthEndpoint {
 public:
  HealthEndpoint(health::HealthMonitor& monitor, health::OverrideStore& overrides)
      : monitor_(monitor), overrides_(overrides) {}

  // The bearer token from health.overrides.token_file (empty when none is set); fails when the file cannot
  // be read or holds too short a token. Read before anything of a reload is applied.
  static Result<std::string> read_token(const OverridesConfig& config);
  void configure(std::string token, bool allow_remote) {
    token_ = std::move(token);
    allow_remote_ = allow_remote;
  }
  // The reply for a /health/ path; nullopt for any other path.
  std::optional<HttpReply> handle(const HttpRequest& request);

 private:
  [[nodiscard]] std::optional<HttpReply> refuse_write(const HttpRequest& request) const;
  [[nodiscard]] std::string overrides_json() const;
  [[nodiscard]] std::string clusters_json() const;
  [[nodiscard]] std::string targets_json() const;

  health::HealthMonitor& monitor_;
  health::OverrideStore& overrides_;
  std::string token_;
  bool allow_remote_ = false;
};

}  // namespace fedns::app
