// HTTP(S) GET probe (gdnsd's http_status, with a body match): healthy when the status is one of the expected
// codes and, if asked, the body contains a string. The whole exchange (TLS handshake included) shares one
// deadline, so a target that accepts and then stalls, never finishes TLS, trickles or sends garbage fails
// within the timeout.
#include <openssl/x509v3.h>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>

#include "health/probe.hpp"

namespace fedns::health {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// A health endpoint answers in a few bytes; reading more is a target wasting the control plane's time.
constexpr std::uint64_t kMaxBody = 64 * 1024;

ProbeResult failed(ProbeResult& result, const char* step, const boost::system::error_code& ec) {
  result.error = std::string(step) + ": " + (ec == beast::error::timeout ? "timed out" : ec.message());
  return result;
}

std::string host_header(const asio::ip::tcp::endpoint& target, const ProbeSpec& spec) {
  if (!spec.host.empty()) return spec.host;
  const auto address = target.address();
  std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(target.port());
}

// The request and the response, on a connected (and for HTTPS, handshaken) stream.
template <class Stream>
asio::awaitable<ProbeResult> exchange(Stream& stream, const asio::ip::tcp::endpoint& target,
                                      const ProbeSpec& spec, std::chrono::steady_clock::time_point start) {
  ProbeResult result;
  boost::system::error_code ec;
  http::request<http::empty_body> request{http::verb::get, spec.path.empty() ? "/" : spec.path, 11};
  request.set(http::field::host, host_header(target, spec));
  request.set(http::field::user_agent, "fedns-health");
  request.set(http::field::connection, "close");
  co_await http::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return failed(result, "request", ec);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxBody);
  parser.header_limit(16 * 1024);
  co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return failed(result, "response", ec);
  result.rtt =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
  const int status = static_cast<int>(parser.get().result_int());
  if (std::find(spec.ok_codes.begin(), spec.ok_codes.end(), status) == spec.ok_codes.end()) {
    result.error = "HTTP status " + std::to_string(status);
    co_return result;
  }
  if (!spec.body_match.empty()) {
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return failed(result, "body", ec);
    if (parser.get().body().find(spec.body_match) == std::string::npos) {
      result.error = "body does not contain \"" + spec.body_match + "\"";
      co_return result;
    }
  }
  result.ok = true;
  co_return result;
}

}  // namespace

asio::awaitable<ProbeResult> probe_http(asio::any_io_executor executor, asio::ip::tcp::endpoint target,
                                        const ProbeSpec& spec) {
  beast::tcp_stream stream(std::move(executor));
  stream.expires_after(spec.timeout);
  const auto start = std::chrono::steady_clock::now();
  ProbeResult result;
  boost::system::error_code ec;
  co_await stream.async_connect(target, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return failed(result, "connect", ec);
  result = co_await exchange(stream, target, spec, start);
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  co_return result;
}

asio::awaitable<ProbeResult> probe_https(asio::any_io_executor executor, asio::ip::tcp::endpoint target,
                                         const ProbeSpec& spec, asio::ssl::context& tls) {
  beast::ssl_stream<beast::tcp_stream> stream(std::move(executor), tls);
  auto& tcp = beast::get_lowest_layer(stream);
  tcp.expires_after(spec.timeout);  // one deadline for connect, handshake, request and response
  const auto start = std::chrono::steady_clock::now();
  ProbeResult result;
  boost::system::error_code ec;
  co_await tcp.async_connect(target, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return failed(result, "connect", ec);
  // SNI and, when verifying, the name the certificate must carry: `host` (without a port), else the address.
  std::string name = spec.host.empty() ? target.address().to_string() : spec.host;
  if (const auto colon = name.rfind(':'); !spec.host.empty() && colon != std::string::npos &&
                                          name.find(']') == std::string::npos && name.find(':') == colon)
    name.resize(colon);
  boost::system::error_code not_ip;
  asio::ip::make_address(name, not_ip);
  if (not_ip && !SSL_set_tlsext_host_name(stream.native_handle(), name.c_str())) {
    result.error = "TLS: cannot set the server name";
    co_return result;
  }
  if (spec.tls_verify) {
    // OpenSSL checks the name (or the address) during the handshake, against the chain the context verifies.
    X509_VERIFY_PARAM* param = SSL_get0_param(stream.native_handle());
    const int set = not_ip ? X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size())
                           : X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
    if (set != 1) {
      result.error = "TLS: cannot check the certificate against " + name;
      co_return result;
    }
  }
  co_await stream.async_handshake(asio::ssl::stream_base::client,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return failed(result, "TLS handshake", ec);
  result = co_await exchange(stream, target, spec, start);
  // No close_notify wait: the answer is in, and a target that never answers the shutdown must not hold us.
  tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  co_return result;
}

}  // namespace fedns::health
