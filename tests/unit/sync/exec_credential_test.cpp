// Exec credential plugins: parsing ExecCredential (v1, v1beta1) and running real child processes.
#include "sync/exec_credential.hpp"

#include <gtest/gtest.h>

namespace fedns::sync {
namespace {

using namespace std::chrono_literals;

constexpr const char* kV1 = "client.authentication.k8s.io/v1";

ExecPlugin shell(const std::string& script) {
  return ExecPlugin{kV1, "/bin/sh", {"-c", script}, {{"PLUGIN_TOKEN", "from-env"}}};
}

TEST(ExecCredential, ParsesTokenAndExpiry) {
  auto c = parse_exec_credential(R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
      "status":{"token":"abc","expirationTimestamp":"2026-11-26T12:00:00Z"}})",
                                 kV1);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->token, "abc");
  ASSERT_TRUE(c->expires);
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*c->expires), 1795694400);
  auto offset =
      parse_exec_credential(R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
      "status":{"token":"abc","expirationTimestamp":"2026-11-26T13:00:00.123+01:00"}})",
                            kV1);
  ASSERT_TRUE(offset.ok()) << offset.error().message;
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*offset->expires), 1795694400);
}

TEST(ExecCredential, RejectsWhatIsNotACredential) {
  EXPECT_FALSE(parse_exec_credential("not json", kV1).ok());
  EXPECT_FALSE(parse_exec_credential(R"({"kind":"Pod"})", kV1).ok());
  auto other_version = parse_exec_credential(
      R"({"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"x"}})",
      kV1);
  ASSERT_FALSE(other_version.ok());
  EXPECT_NE(other_version.error().message.find("differs"), std::string::npos);
  EXPECT_FALSE(
      parse_exec_credential(R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
      "status":{}})",
                            kV1)
          .ok());
  EXPECT_FALSE(
      parse_exec_credential(R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
      "status":{"token":"x","expirationTimestamp":"tomorrow"}})",
                            kV1)
          .ok());
}

TEST(ExecCredential, RunsThePluginWithItsEnvironmentAndExecInfo) {
  auto c = run_exec_plugin(shell(
      R"(case "$KUBERNETES_EXEC_INFO" in *'"interactive":false'*) ;; *) exit 3;; esac
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$PLUGIN_TOKEN")"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->token, "from-env");
  EXPECT_FALSE(c->expires);
}

TEST(ExecCredential, FailureCarriesExitStatusAndStderr) {
  auto c = run_exec_plugin(shell("echo 'login expired, run cloud login' >&2; exit 4"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "exec plugin /bin/sh: exit status 4: login expired, run cloud login");
  auto missing = run_exec_plugin(ExecPlugin{kV1, "/nonexistent/plugin", {}, {}});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("exit status 127"), std::string::npos) << missing.error().message;
}

TEST(ExecCredential, HangingPluginIsKilledAtTheDeadline) {
  const auto start = std::chrono::steady_clock::now();
  auto c = run_exec_plugin(shell("sleep 30 & wait"), 300ms);  // the plugin and its own children
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("no credential within 300 ms"), std::string::npos) << c.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

}  // namespace
}  // namespace fedns::sync
