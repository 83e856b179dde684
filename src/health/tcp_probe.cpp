// TCP connect probe: a target is healthy when it accepts a connection within the timeout (gdnsd's
// tcp_connect). Nothing is sent.
#include <boost/beast/core.hpp>

#include "health/probe.hpp"

namespace fedns::health {

namespace asio = boost::asio;
namespace beast = boost::beast;

asio::awaitable<ProbeResult> probe_tcp(asio::any_io_executor executor, asio::ip::tcp::endpoint target,
                                       std::chrono::milliseconds timeout) {
  beast::tcp_stream stream(std::move(executor));
  stream.expires_after(timeout);
  const auto start = std::chrono::steady_clock::now();
  boost::system::error_code ec;
  co_await stream.async_connect(target, asio::redirect_error(asio::use_awaitable, ec));
  ProbeResult result;
  result.rtt =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
  if (ec) {
    result.error = ec == beast::error::timeout ? "connect timed out" : "connect: " + ec.message();
    co_return result;
  }
  result.ok = true;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  co_return result;
}

}  // namespace fedns::health
