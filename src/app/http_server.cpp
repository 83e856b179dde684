// HTTP endpoint serving: keep-alive sessions with a read deadline; GET/HEAD, and POST/PUT/DELETE with a small
// body for the endpoints that change something (the handler checks who may).
// prometheus-cpp's own exposer (civetweb) cannot serve /healthz and /readyz beside /metrics, hence Beast
// here.
#include "app/http_server.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>

namespace fedns::app {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

HttpServer::HttpServer(asio::io_context& io, Handler handler)
    : io_(io), handler_(std::move(handler)), acceptor_(io) {}

HttpServer::~HttpServer() {
  close();
}

Result<void> HttpServer::listen(const dns::ListenAddress& address) {
  boost::system::error_code ec;
  const asio::ip::tcp::endpoint endpoint(address.address, address.port);
  const std::string where = "metrics " + address.to_string();
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return Error{where + ": open: " + ec.message()};
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  acceptor_.bind(endpoint, ec);
  if (ec) return Error{where + ": bind: " + ec.message()};
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Error{where + ": listen: " + ec.message()};
  asio::co_spawn(io_, accept_loop(), asio::detached);
  return {};
}

void HttpServer::close() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

asio::awaitable<void> HttpServer::accept_loop() {
  for (;;) {
    boost::system::error_code ec;
    auto socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) continue;
    asio::co_spawn(io_, session(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> HttpServer::session(asio::ip::tcp::socket socket) {
  boost::system::error_code peer_ec;
  const auto peer = socket.remote_endpoint(peer_ec).address();
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    boost::system::error_code ec;
    http::request_parser<http::string_body> parser;
    parser.body_limit(kMaxBody);
    stream.expires_after(std::chrono::seconds(30));
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    http::request<http::string_body> request = parser.release();
    http::response<http::string_body> response;
    response.version(request.version());
    response.keep_alive(request.keep_alive());
    response.set(http::field::server, "fedns");
    const auto verb = request.method();
    if (verb != http::verb::get && verb != http::verb::head && verb != http::verb::post &&
        verb != http::verb::put && verb != http::verb::delete_) {
      response.result(http::status::method_not_allowed);
      response.set(http::field::allow, "GET, HEAD, POST, PUT, DELETE");
    } else {
      std::string_view path(request.target().data(), request.target().size());
      if (const auto q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
      const auto method = request.method_string();
      const auto authorization = request[http::field::authorization];
      const HttpRequest view{{method.data(), method.size()},
                             path,
                             {authorization.data(), authorization.size()},
                             request.body(),
                             peer};
      HttpReply reply = handler_(view);
      response.result(reply.status);
      response.set(http::field::content_type, reply.content_type);
      if (verb != http::verb::head) response.body() = std::move(reply.body);
    }
    response.prepare_payload();
    co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !response.keep_alive()) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace fedns::app
