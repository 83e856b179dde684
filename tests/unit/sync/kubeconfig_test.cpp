// kubeconfig resolution as client-go's clientcmd does it, with errors that name the file and the field.
#include "sync/kubeconfig.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace fedns::sync {
namespace {

class Kubeconfig : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("fedns-kubeconfig-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "certs");
    write("certs/ca.crt", "CA PEM\n");
    write("certs/user.crt", "CERT PEM\n");
    write("certs/user.key", "KEY PEM\n");
    write("token", "file-token\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }
  std::filesystem::path dir_;
};

constexpr const char* kTwoContexts = R"(apiVersion: v1
kind: Config
current-context: east
clusters:
- name: east-cluster
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority: certs/ca.crt
- name: west-cluster
  cluster:
    server: https://west.example:443
    certificate-authority-data: Q0EgREFUQQo=
    tls-server-name: api.west
users:
- name: east-user
  user:
    client-certificate: certs/user.crt
    client-key: certs/user.key
- name: west-user
  user:
    tokenFile: token
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: /usr/bin/get-token
      args: ["--cluster", "west"]
      env: [{name: REGION, value: eu}]
contexts:
- name: east
  context: {cluster: east-cluster, user: east-user}
- name: west
  context: {cluster: west-cluster, user: west-user}
)";

TEST_F(Kubeconfig, CurrentContextWithRelativeFiles) {
  auto creds = load_kubeconfig(write("config", kTwoContexts));
  ASSERT_TRUE(creds.ok()) << creds.error().message;
  EXPECT_EQ(creds->server, "https://127.0.0.1:6443");  // trailing slash dropped
  EXPECT_EQ(creds->ca_pem, "CA PEM\n");
  EXPECT_EQ(creds->client_cert_pem, "CERT PEM\n");
  EXPECT_EQ(creds->client_key_pem, "KEY PEM\n");
  EXPECT_FALSE(creds->exec);
  EXPECT_NE(creds->origin.find("context east"), std::string::npos);
}

TEST_F(Kubeconfig, NamedContextWithDataTokenFileAndExec) {
  auto creds = load_kubeconfig(write("config", kTwoContexts), "west");
  ASSERT_TRUE(creds.ok()) << creds.error().message;
  EXPECT_EQ(creds->ca_pem, "CA DATA\n");
  EXPECT_EQ(creds->tls_server_name, "api.west");
  EXPECT_EQ(creds->token_file, (dir_ / "token").string());
  ASSERT_TRUE(creds->exec);
  EXPECT_EQ(creds->exec->command, "/usr/bin/get-token");
  EXPECT_EQ(creds->exec->args, (std::vector<std::string>{"--cluster", "west"}));
  EXPECT_EQ(creds->exec->env.at(0), (std::pair<std::string, std::string>{"REGION", "eu"}));
}

TEST_F(Kubeconfig, ErrorsNameFileAndField) {
  const std::string path = write("config", kTwoContexts);
  auto missing = load_kubeconfig(path, "north");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "kubeconfig " + path + ": contexts: no entry named \"north\"");

  std::string broken = kTwoContexts;
  broken.replace(broken.find("certs/user.key"), 14, "certs/nope.key");
  auto no_key = load_kubeconfig(write("broken", broken));
  ASSERT_FALSE(no_key.ok());
  EXPECT_NE(no_key.error().message.find("users[east-user].user.client-key: cannot read"), std::string::npos)
      << no_key.error().message;

  std::string bad_data = kTwoContexts;
  bad_data.replace(bad_data.find("Q0EgREFUQQo="), 12, "Q0E$");
  auto bad = load_kubeconfig(write("bad", bad_data), "west");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("clusters[west-cluster].cluster.certificate-authority-data"),
            std::string::npos)
      << bad.error().message;

  auto not_yaml = load_kubeconfig(write("garbage", "a: b: c\n"));
  ASSERT_FALSE(not_yaml.ok());
  EXPECT_NE(not_yaml.error().message.find("YAML syntax"), std::string::npos);
}

TEST_F(Kubeconfig, PlainHttpServerGetsNoCredentials) {  // client-go: credentials only over TLS
  std::string http = kTwoContexts;
  http.replace(http.find("https://127.0.0.1:6443/"), 23, "http://127.0.0.1:8080");
  auto creds = load_kubeconfig(write("config", http));
  ASSERT_TRUE(creds.ok()) << creds.error().message;
  EXPECT_TRUE(creds->client_cert_pem.empty());
  EXPECT_TRUE(creds->token.empty());
}

TEST_F(Kubeconfig, InClusterServiceAccount) {
  write("ca.crt", "SA CA\n");
  ::setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto creds = load_in_cluster(dir_.string());
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  ::unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_TRUE(creds.ok()) << creds.error().message;
  EXPECT_EQ(creds->server, "https://[fd00::1]:443");
  EXPECT_EQ(creds->ca_pem, "SA CA\n");
  EXPECT_EQ(creds->token_file, (dir_ / "token").string());
  EXPECT_FALSE(load_in_cluster(dir_.string()).ok());  // outside a pod
}

TEST(Base64, DecodesWithPaddingAndRejectsGarbage) {
  EXPECT_EQ(*decode_base64("aGVsbG8="), "hello");
  EXPECT_EQ(*decode_base64("aGVs\nbG8h"), "hello!");
  EXPECT_EQ(*decode_base64("aGk="), "hi");
  EXPECT_FALSE(decode_base64("abc").ok());
  EXPECT_FALSE(decode_base64("a$c=").ok());
}

}  // namespace
}  // namespace fedns::sync
