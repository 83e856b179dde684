// A small HTTP/1.1 server (Boost.Beast) on the control io_context for /metrics, /healthz and /readyz.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/asio.hpp"
#include "common/result.hpp"
#include "dns/listen_address.hpp"

namespace fedns::app {

struct HttpReply {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HttpServer {
 public:
  using Handler = std::function<HttpReply(std::string_view path)>;

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
