// Toxiproxy control over its HTTP API (curl), started and stopped by PID.
#include "support/toxiproxy.hpp"

#include <signal.h>

#include <stdexcept>
#include <thread>

namespace fedns::e2e {

Toxiproxy::Toxiproxy(const std::string& bin, const std::string& upstream)
    : api_port_(free_port()), proxy_port_(free_port()), dir_(std::make_unique<TempDir>()) {
  server_ =
      std::make_unique<Process>(std::vector<std::string>{bin + "/toxiproxy-server", "-host", "127.0.0.1",
                                                         "-port", std::to_string(api_port_)},
                                dir_->path() + "/toxiproxy.log");
  for (int i = 0; i < 100; ++i) {
    if (api("GET", "/version", "").exit_code == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto created = api("POST", "/proxies",
                           R"({"name":"api","listen":"127.0.0.1:)" + std::to_string(proxy_port_) +
                               R"(","upstream":")" + upstream + R"(","enabled":true})");
  if (created.exit_code != 0) throw std::runtime_error("toxiproxy: cannot create proxy: " + created.output);
}

Toxiproxy::~Toxiproxy() {
  server_->signal(SIGTERM);
  server_->wait(std::chrono::seconds(5));
}

CommandResult Toxiproxy::api(const std::string& method, const std::string& path,
                             const std::string& body) const {
  return run_command("curl -sf -X " + method + " http://127.0.0.1:" + std::to_string(api_port_) + path +
                     (body.empty() ? "" : " -d '" + body + "'"));
}

void Toxiproxy::add_toxic(const std::string& json) const {
  const auto r = api("POST", "/proxies/api/toxics", json);
  if (r.exit_code != 0) throw std::runtime_error("toxiproxy: cannot add toxic " + json + ": " + r.output);
}

void Toxiproxy::remove_toxic(const std::string& name) const {
  (void)api("DELETE", "/proxies/api/toxics/" + name, "");
}

void Toxiproxy::set_enabled(bool enabled) const {
  (void)api("POST", "/proxies/api", std::string(R"({"enabled":)") + (enabled ? "true" : "false") + "}");
}

}  // namespace fedns::e2e
