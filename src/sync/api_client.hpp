// HTTPS client for one Kubernetes API server (Boost.Beast + OpenSSL on the control io_context): verified TLS,
// bearer-token or client-certificate authentication, keep-alive reuse, timeouts, and line-by-line streaming
// of chunked watch responses.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/asio.hpp"
#include "common/result.hpp"
#include "sync/exec_credential.hpp"
#include "sync/kubeconfig.hpp"

// After common/asio.hpp, which must come first (see there).
#include <boost/asio/ssl.hpp>

namespace fedns::sync {

struct ApiResponse {
  unsigned status = 0;
  std::string body;
  std::optional<std::chrono::seconds> retry_after;  // from a 429/503 Retry-After header
};

// How a stream_lines call ended.
struct StreamEnd {
  unsigned status = 0;                              // the response status
  std::optional<std::chrono::seconds> retry_after;  // from a 429/503 Retry-After header
  std::string error_body;                           // a non-200 response's body (a Status object)
  bool line_too_long = false;                       // dropped because a line exceeded max_line
};

class ApiClient {
 public:
  // One watch event is one object; etcd refuses objects over 1.5 MiB, so this is generous.
  static constexpr std::size_t kDefaultMaxLine = 16 * 1024 * 1024;

  // Fails when the credentials cannot make a TLS context (a CA or client key that OpenSSL rejects).
  static Result<std::unique_ptr<ApiClient>> create(boost::asio::io_context& io,
                                                   ClusterCredentials credentials);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // One request on a kept-alive connection (reconnecting when needed). `target` is the path and query, e.g.
  // "/api/v1/services?limit=500". Transport errors and timeouts are errors; any HTTP status is a response.
  boost::asio::awaitable<Result<ApiResponse>> request(
      std::string method, std::string target, std::string body = {},
      std::string content_type = "application/json",
      std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // A streaming GET on its own connection: `on_line` gets every newline-terminated line of the body and
  // returns false to stop. Ends when the server ends the stream, `on_line` stops it, or a line grows past
  // `max_line` bytes (the stream is dropped then: a lying server cannot make us buffer without end); an error
  // when no byte arrived for `idle_timeout` or the connection broke. `on_open` (optional) runs once the
  // server has accepted the stream (200 headers received).
  boost::asio::awaitable<Result<StreamEnd>> stream_lines(std::string target,
                                                         std::function<bool(std::string_view)> on_line,
                                                         std::chrono::milliseconds idle_timeout,
                                                         std::size_t max_line = kDefaultMaxLine,
                                                         std::function<void()> on_open = {});

  // Closes every open stream and request in flight of this client; those calls end with an error.
  void cancel_streams();

  [[nodiscard]] const ClusterCredentials& credentials() const { return credentials_; }
  [[nodiscard]] boost::asio::io_context& io() const { return io_; }

 private:
  struct Endpoint {
    bool tls = true;
    std::string host;  // without brackets
    std::string port;
    std::string prefix;  // path prefix of the server URL
  };
  class Connection;
  class Cancellable;

  ApiClient(boost::asio::io_context& io, ClusterCredentials credentials, Endpoint endpoint);
  Result<void> init_tls();
  boost::asio::awaitable<Result<std::unique_ptr<Connection>>> connect(std::chrono::milliseconds timeout);
  std::string authorization();
  // Runs the exec plugin when there is no credential yet or it expires within a minute; installs a returned
  // client certificate by rebuilding the TLS context.
  Result<void> refresh_exec_credential(bool force);

  boost::asio::io_context& io_;
  ClusterCredentials credentials_;
  Endpoint endpoint_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  // Kept-alive connections between requests. Concurrent requests (the propagation engine's workers) each take
  // one; without a pool every request but one would pay a TLS handshake (client-go keeps 25 per host).
  static constexpr std::size_t kMaxIdle = 16;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::string token_cache_;
  std::filesystem::file_time_type token_mtime_{};
  std::optional<ExecCredential> exec_credential_;
  std::vector<Connection*> streams_;     // open stream_lines connections, for cancel_streams()
  std::uint64_t cancel_generation_ = 0;  // bumped by cancel_streams(), so a stream still connecting ends too
};

}  // namespace fedns::sync
