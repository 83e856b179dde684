// Exec credential plugins: a child process with pipes, a deadline, and nlohmann/json for the ExecCredential.
#include "sync/exec_credential.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <nlohmann/json.hpp>
#include <vector>

namespace fedns::sync {
namespace {

// RFC 3339 "2026-11-26T12:00:00Z" (fractions and offsets accepted) to a time point.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(const std::string& text) {
  std::tm tm{};
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return std::nullopt;
  if (*rest == '.') {
    ++rest;
    while (*rest >= '0' && *rest <= '9')
      ++rest;
  }
  long offset = 0;
  if (*rest == '+' || *rest == '-') {
    const int sign = *rest == '-' ? -1 : 1;
    int hours = 0;
    int minutes = 0;
    if (std::sscanf(rest + 1, "%2d:%2d", &hours, &minutes) != 2) return std::nullopt;
    offset = sign * (hours * 3600L + minutes * 60L);
  } else if (*rest != 'Z' && *rest != 'z') {
    return std::nullopt;
  }
  return std::chrono::system_clock::from_time_t(timegm(&tm) - offset);
}

}  // namespace

Result<ExecCredential> parse_exec_credential(std::string_view json, const std::string& api_version) {
  const auto doc = nlohmann::json::parse(json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return Error{"ExecCredential: output is not a JSON object"};
  if (doc.value("kind", "") != "ExecCredential") return Error{"ExecCredential: kind is not ExecCredential"};
  if (doc.value("apiVersion", "") != api_version) {
    return Error{"ExecCredential: apiVersion \"" + doc.value("apiVersion", "") +
                 "\" differs from the configured \"" + api_version + "\""};
  }
  const auto status = doc.find("status");
  if (status == doc.end() || !status->is_object()) return Error{"ExecCredential: no status"};
  ExecCredential out;
  out.token = status->value("token", "");
  out.client_cert_pem = status->value("clientCertificateData", "");
  out.client_key_pem = status->value("clientKeyData", "");
  if (out.token.empty() && out.client_cert_pem.empty()) {
    return Error{"ExecCredential: status has neither token nor clientCertificateData"};
  }
  if (out.client_cert_pem.empty() != out.client_key_pem.empty()) {
    return Error{"ExecCredential: clientCertificateData and clientKeyData come together"};
  }
  if (const std::string expiry = status->value("expirationTimestamp", ""); !expiry.empty()) {
    out.expires = parse_rfc3339(expiry);
    if (!out.expires) return Error{"ExecCredential: expirationTimestamp \"" + expiry + "\" is not RFC 3339"};
  }
  return out;
}

Result<ExecCredential> run_exec_plugin(const ExecPlugin& plugin, std::chrono::milliseconds timeout) {
  const std::string what = "exec plugin " + plugin.command;
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return Error{what + ": pipe failed"};
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return Error{what + ": pipe failed"};
  }
  // Everything the child needs is prepared before fork: only async-signal-safe calls happen after it.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e)
    env_strings.emplace_back(*e);
  for (const auto& [name, value] : plugin.env)
    env_strings.push_back(name + "=" + value);
  env_strings.push_back(R"(KUBERNETES_EXEC_INFO={"apiVersion":")" + plugin.api_version +
                        R"(","kind":"ExecCredential","spec":{"interactive":false}})");
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (auto& s : env_strings)
    envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> arg_strings{plugin.command};
  arg_strings.insert(arg_strings.end(), plugin.args.begin(), plugin.args.end());
  std::vector<char*> argv;
  argv.reserve(arg_strings.size() + 1);
  for (auto& s : arg_strings)
    argv.push_back(s.data());
  argv.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) return Error{what + ": fork failed"};
  if (pid == 0) {
    ::setpgid(0, 0);  // its own process group, so a timeout ends the plugin's children too
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    if (plugin.command.find('/') != std::string::npos) {
      ::execve(argv[0], argv.data(), envp.data());
    } else {
      ::execvpe(argv[0], argv.data(), envp.data());
    }
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  std::string out;
  std::string err;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::array<pollfd, 2> fds{{{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}}};
  int open_fds = 2;
  bool timed_out = false;
  while (open_fds > 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    if (::poll(fds.data(), fds.size(), static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[4096];
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        (i == 0 ? out : err).append(buffer, static_cast<std::size_t>(n));
        if (out.size() > (1u << 20)) timed_out = true;  // no credential is a megabyte; stop a runaway plugin
      } else {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
    if (timed_out) break;
  }
  for (auto& f : fds) {
    if (f.fd >= 0) ::close(f.fd);
  }
  if (timed_out) ::kill(-pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  while (!err.empty() && (err.back() == '\n' || err.back() == '\r'))
    err.pop_back();
  if (timed_out) return Error{what + ": no credential within " + std::to_string(timeout.count()) + " ms"};
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string code =
        WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status)) : "killed";
    return Error{what + ": " + code + (err.empty() ? "" : ": " + err)};
  }
  auto credential = parse_exec_credential(out, plugin.api_version);
  if (!credential) return credential.error().wrap(what);
  return credential;
}

}  // namespace fedns::sync
