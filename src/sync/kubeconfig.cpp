// kubeconfig resolution, following client-go's clientcmd: context -> cluster + user, *-data fields win over
// file paths, relative paths are relative to the kubeconfig's directory, a plain http:// server gets no
// credentials.
#include "sync/kubeconfig.hpp"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace fedns::sync {
namespace {

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"cannot read " + path};
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return base_dir + "/" + path;
}

// Finds the entry named `name` in a kubeconfig list (clusters, users, contexts) and returns its inner
// mapping.
Result<YAML::Node> named(const YAML::Node& root, const std::string& list, const std::string& inner,
                         const std::string& name) {
  const YAML::Node items = root[list];
  if (items && items.IsSequence()) {
    for (const auto& item : items) {
      if (item["name"] && item["name"].as<std::string>("") == name) {
        if (!item[inner] || !item[inner].IsMap())
          return Error{list + "[" + name + "]." + inner + " is missing"};
        return item[inner];
      }
    }
  }
  return Error{list + ": no entry named \"" + name + "\""};
}

std::string scalar(const YAML::Node& node, const char* key) {
  const YAML::Node value = node[key];
  return value && value.IsScalar() ? value.Scalar() : std::string{};
}

// A PEM value from "<key>-data" (base64) or "<key>" (a file path).
Result<std::string> pem(const YAML::Node& node, const std::string& key, const std::string& base_dir,
                        const std::string& field) {
  if (const std::string data = scalar(node, (key + "-data").c_str()); !data.empty()) {
    auto decoded = decode_base64(data);
    if (!decoded) return decoded.error().wrap(field + "-data");
    return decoded;
  }
  if (const std::string file = scalar(node, key.c_str()); !file.empty()) {
    auto text = read_file(resolve(base_dir, file));
    if (!text) return text.error().wrap(field);
    return text;
  }
  return std::string{};
}

Result<ExecPlugin> exec_plugin(const YAML::Node& node, const std::string& field) {
  ExecPlugin plugin;
  plugin.api_version = scalar(node, "apiVersion");
  plugin.command = scalar(node, "command");
  if (plugin.command.empty()) return Error{field + ".command is missing"};
  if (plugin.api_version != "client.authentication.k8s.io/v1" &&
      plugin.api_version != "client.authentication.k8s.io/v1beta1") {
    return Error{field + ".apiVersion \"" + plugin.api_version +
                 "\" is not client.authentication.k8s.io/v1 or v1beta1"};
  }
  if (const YAML::Node args = node["args"]; args && args.IsSequence()) {
    for (const auto& a : args)
      plugin.args.push_back(a.as<std::string>(""));
  }
  if (const YAML::Node env = node["env"]; env && env.IsSequence()) {
    for (const auto& e : env)
      plugin.env.emplace_back(scalar(e, "name"), scalar(e, "value"));
  }
  return plugin;
}

}  // namespace

Result<std::string> decode_base64(const std::string& text) {
  std::string compact;
  for (const char c : text) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') compact.push_back(c);
  }
  if (compact.size() % 4 != 0) return Error{"not valid base64 (length)"};
  std::string out(compact.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(compact.data()),
                                static_cast<int>(compact.size()));
  if (n < 0) return Error{"not valid base64"};
  // EVP_DecodeBlock counts the padding as zero bytes; drop them.
  std::size_t size = static_cast<std::size_t>(n);
  if (!compact.empty() && compact.back() == '=') --size;
  if (compact.size() > 1 && compact[compact.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

Result<ClusterCredentials> load_kubeconfig(const std::string& path, const std::string& context_name) {
  auto text = read_file(path);
  if (!text) return text.error().wrap("kubeconfig " + path);
  const auto slash = path.rfind('/');
  const std::string base_dir = slash == std::string::npos ? "." : path.substr(0, slash);
  return parse_kubeconfig(*text, "kubeconfig " + path, base_dir, context_name);
}

Result<ClusterCredentials> parse_kubeconfig(const std::string& text, const std::string& where,
                                            const std::string& base_dir, const std::string& context_name) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Error{where + ":" + std::to_string(e.mark.line + 1) + ": YAML syntax: " + e.msg};
  }
  if (!root.IsMap()) return Error{where + ": not a kubeconfig (expected a mapping)"};

  const std::string context = context_name.empty() ? scalar(root, "current-context") : context_name;
  if (context.empty()) return Error{where + ": no context given and no current-context set"};
  auto ctx = named(root, "contexts", "context", context);
  if (!ctx) return ctx.error().wrap(where);
  const std::string cluster_name = scalar(*ctx, "cluster");
  const std::string user_name = scalar(*ctx, "user");
  auto cluster = named(root, "clusters", "cluster", cluster_name);
  if (!cluster) return cluster.error().wrap(where + ": context " + context);

  ClusterCredentials creds;
  creds.origin = where + ", context " + context;
  const std::string cfield = "clusters[" + cluster_name + "].cluster";
  creds.server = scalar(*cluster, "server");
  while (!creds.server.empty() && creds.server.back() == '/')
    creds.server.pop_back();
  if (creds.server.rfind("https://", 0) != 0 && creds.server.rfind("http://", 0) != 0) {
    return Error{where + ": " + cfield + ".server \"" + creds.server + "\" is not an http(s) URL"};
  }
  creds.insecure_skip_tls_verify = scalar(*cluster, "insecure-skip-tls-verify") == "true";
  creds.tls_server_name = scalar(*cluster, "tls-server-name");
  auto ca = pem(*cluster, "certificate-authority", base_dir, cfield + ".certificate-authority");
  if (!ca) return ca.error().wrap(where);
  creds.ca_pem = std::move(*ca);

  // client-go sends no credentials to a plain-http server (clientcmd/client_config.go).
  if (creds.server.rfind("http://", 0) == 0 || user_name.empty()) return creds;
  auto user = named(root, "users", "user", user_name);
  if (!user) return user.error().wrap(where + ": context " + context);
  const std::string ufield = "users[" + user_name + "].user";
  creds.token = scalar(*user, "token");
  if (const std::string file = scalar(*user, "tokenFile"); !file.empty()) {
    creds.token_file = resolve(base_dir, file);
    if (auto t = read_file(creds.token_file); !t) return t.error().wrap(where + ": " + ufield + ".tokenFile");
  }
  auto cert = pem(*user, "client-certificate", base_dir, ufield + ".client-certificate");
  if (!cert) return cert.error().wrap(where);
  auto key = pem(*user, "client-key", base_dir, ufield + ".client-key");
  if (!key) return key.error().wrap(where);
  if (cert->empty() != key->empty()) {
    return Error{where + ": " + ufield + " needs both client-certificate and client-key, or neither"};
  }
  creds.client_cert_pem = std::move(*cert);
  creds.client_key_pem = std::move(*key);
  if (const YAML::Node exec = (*user)["exec"]; exec && exec.IsMap()) {
    auto plugin = exec_plugin(exec, ufield + ".exec");
    if (!plugin) return plugin.error().wrap(where);
    creds.exec = std::move(*plugin);
  }
  return creds;
}

Result<ClusterCredentials> load_in_cluster(const std::string& secrets_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr) {
    return Error{"in-cluster config: KUBERNETES_SERVICE_HOST/PORT are not set (not running in a pod?)"};
  }
  ClusterCredentials creds;
  const std::string h = host;
  creds.server = "https://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + port;
  creds.token_file = secrets_dir + "/token";
  if (auto t = read_file(creds.token_file); !t) return t.error().wrap("in-cluster config: token");
  auto ca = read_file(secrets_dir + "/ca.crt");
  if (!ca) return ca.error().wrap("in-cluster config: CA");
  creds.ca_pem = std::move(*ca);
  creds.origin = "in-cluster service account";
  return creds;
}

}  // namespace fedns::sync
