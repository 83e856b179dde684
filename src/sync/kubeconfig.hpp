// Kubernetes client configuration: a kubeconfig file (clusters, users, contexts) or the in-cluster service
// account, resolved to what one connection to one API server needs.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace fedns::sync {

// An exec credential plugin (client.authentication.k8s.io): a command that prints an ExecCredential.
struct ExecPlugin {
  std::string api_version;
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
};

struct ClusterCredentials {
  std::string server;  // "https://host:port" (a path prefix is kept)
  std::string ca_pem;  // empty: the system trust store
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;  // overrides the name checked against the serving certificate
  std::string token;            // static bearer token
  std::string token_file;       // re-read when it changes (rotation)
  std::string client_cert_pem;
  std::string client_key_pem;
  std::optional<ExecPlugin> exec;
  std::string origin;  // where this came from, for messages: "kubeconfig /path, context ctx"
};

// Resolves the named context (or current-context) of a kubeconfig file. Relative file paths in it are
// relative to the kubeconfig's directory, as kubectl does. Errors name the file and the field.
Result<ClusterCredentials> load_kubeconfig(const std::string& path, const std::string& context = {});

// The same from kubeconfig text (a Secret's `kubeconfig` key): `where` names it in errors, relative file
// paths are taken from `base_dir`.
Result<ClusterCredentials> parse_kubeconfig(const std::string& text, const std::string& where,
                                            const std::string& base_dir, const std::string& context = {});

// The in-cluster configuration: KUBERNETES_SERVICE_HOST/PORT and the service account's token and CA under
// `secrets_dir` (normally /var/run/secrets/kubernetes.io/serviceaccount).
Result<ClusterCredentials> load_in_cluster(
    const std::string& secrets_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

// Standard base64 (kubeconfig *-data fields), decoded with OpenSSL.
Result<std::string> decode_base64(const std::string& text);

}  // namespace fedns::sync
