// A small HTTP/1.1 server (Boost.Beast) on the control io_context for /metrics, /healthz, /readyz and the
// health endpoints (overrides, targets, clusters).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/asio.hpp"
#include "common/result.hpp"
#include "dns/listen_address.hpp"

namespace fedns::app {

struct HttpRequest {
  std::string_view method;  // GET, HEAD, POST, PUT or DELETE (others are refused before the handler)
  std::string_view path;    // without the query
  std::string_view authorization;
  std::string_view body;  // at most kMaxBody bytes
  boost::asio::ip::address peer;
};

struct HttpReply {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HttpServer {
 public:
  using Handler = std::function<HttpReply(const HttpRequest& request)>;
  static constexpr std::size_t kMaxBody = 64 * 1024;

  HttpServer(boost::asio::io_context& io, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  Result<void> listen(const dns::ListenAddress& address);
  void close();

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& io_;
  Handler handler_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace fedns::app
