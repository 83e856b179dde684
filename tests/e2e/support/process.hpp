// End-to-end support: free loopback ports, temporary directories, child processes we start and stop by PID,
// and running command-line clients such as dig and kdig.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace fedns::e2e {

// A port free for both UDP and TCP on 127.0.0.1 and ::1 right now.
std::uint16_t free_port();

// A fresh directory under /tmp, removed with everything in it when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

// A child process; stderr and stdout go to `log_path`.
class Process {
 public:
  Process(std::vector<std::string> argv, std::string log_path);
  ~Process();  // SIGKILL if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  void signal(int sig) const;
  // Waits for exit; returns the exit status (128+signal when killed), or -1 on timeout.
  int wait(std::chrono::milliseconds timeout);
  [[nodiscard]] bool running();
  [[nodiscard]] std::string log() const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  int status_ = -1;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// True when `text` contains `needle` (for checking command output).
inline bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// Runs a shell command line (with a timeout enforced by `timeout`), capturing its output.
CommandResult run_command(const std::string& command_line, int timeout_seconds = 20);

}  // namespace fedns::e2e
