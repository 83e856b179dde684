// HTTP GET probe (gdnsd's http_status, with a body match): healthy when the status is one of the expected
// codes and, if asked, the body contains a string. The whole exchange shares one deadline, so a target that
// accepts and then stalls, trickles or sends garbage fails within the timeout.
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>

#include "health/probe.hpp"

namespace fedns::health {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// A health endpoint answers in a few bytes; reading more is a target wasting the control plane's time.
constexpr std::uint64_t kMaxBody = 64 * 1024;

std::string host_header(const asio::ip::tcp::endpoint& target, const ProbeSpec& spec) {
  if (!spec.host.empty()) return spec.host;
  const auto address = target.address();
  std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(target.port());
}

}  // namespace

asio::awaitable<ProbeResult> probe_http(asio::any_io_executor executor, asio::ip::tcp::endpoint target,
                                        const ProbeSpec& spec) {
  beast::tcp_stream stream(std::move(executor));
  stream.expires_after(spec.timeout);
  const auto start = std::chrono::steady_clock::now();
  ProbeResult result;
  auto failed = [&](const char* step, const boost::system::error_code& ec) {
    result.error = std::string(step) + ": " + (ec == beast::error::timeout ? "timed out" : ec.message());
    return result;
  };
  boost::system::error_code ec;
  co_await stream.async_connect(target, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return failed("connect", ec);

  http::request<http::empty_body> request{http::verb::get, spec.path.empty() ? "/" : spec.path, 11};
  request.set(http::field::host, host_header(target, spec));
  request.set(http::field::user_agent, "fedns-health");
  request.set(http::field::connection, "close");
  co_await http::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return failed("request", ec);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxBody);
  parser.header_limit(16 * 1024);
  co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return failed("response", ec);
  result.rtt =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
  const int status = static_cast<int>(parser.get().result_int());
  if (std::find(spec.ok_codes.begin(), spec.ok_codes.end(), status) == spec.ok_codes.end()) {
    result.error = "HTTP status " + std::to_string(status);
    co_return result;
  }
  if (!spec.body_match.empty()) {
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return failed("body", ec);
    if (parser.get().body().find(spec.body_match) == std::string::npos) {
      result.error = "body does not contain \"" + spec.body_match + "\"";
      co_return result;
    }
  }
  result.ok = true;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  co_return result;
}

}  // namespace fedns::health
