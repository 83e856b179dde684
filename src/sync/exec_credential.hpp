// Exec credential plugins (client.authentication.k8s.io v1 and v1beta1): run the configured command and read
// the ExecCredential it prints, as kubectl does for cloud-provider logins.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "sync/kubeconfig.hpp"

namespace fedns::sync {

struct ExecCredential {
  std::string token;
  std::string client_cert_pem;
  std::string client_key_pem;
  std::optional<std::chrono::system_clock::time_point> expires;  // empty: valid until the server says 401
};

// Parses an ExecCredential document; its apiVersion must be the one the plugin was configured with.
Result<ExecCredential> parse_exec_credential(std::string_view json, const std::string& api_version);

// Runs the plugin (environment plus its `env`, and KUBERNETES_EXEC_INFO as client-go sets it), waits at most
// `timeout`, and parses what it printed. Errors carry the exit status and the plugin's stderr.
Result<ExecCredential> run_exec_plugin(const ExecPlugin& plugin,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace fedns::sync
