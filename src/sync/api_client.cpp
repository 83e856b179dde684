// Kubernetes API over HTTPS with Boost.Beast. TLS verification is done by OpenSSL during the handshake: the
// chain against the kubeconfig CA, and the server name or IP address against the certificate's SANs.
#include "sync/api_client.hpp"

#include <openssl/x509v3.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>

#include "common/log.hpp"

namespace fedns::sync {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

// Retry-After in seconds (the form the API server sends); an HTTP date or garbage is ignored and the caller
// backs off by itself.
template <class Fields>
std::optional<std::chrono::seconds> retry_after_of(const Fields& fields) {
  const auto it = fields.find(http::field::retry_after);
  if (it == fields.end()) return std::nullopt;
  int seconds = 0;
  const auto value = it->value();
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc{} || end != value.data() + value.size() || seconds < 0) return std::nullopt;
  return std::chrono::seconds(std::min(seconds, 600));
}

}  // namespace

// Keeps a connection in the list cancel_streams() closes, for as long as it is in use.
class ApiClient::Cancellable {
 public:
  Cancellable(std::vector<Connection*>& list, Connection* conn) : list_(list), conn_(conn) {
    list_.push_back(conn_);
  }
  ~Cancellable() { std::erase(list_, conn_); }
  Cancellable(const Cancellable&) = delete;
  Cancellable& operator=(const Cancellable&) = delete;

 private:
  std::vector<Connection*>& list_;
  Connection* conn_;
};

class ApiClient::Connection {
 public:
  Connection(asio::io_context& io, asio::ssl::context& tls) : stream(io, tls) {}
  beast::ssl_stream<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
};

Result<std::unique_ptr<ApiClient>> ApiClient::create(asio::io_context& io, ClusterCredentials credentials) {
  const std::string& server = credentials.server;
  const std::string where = credentials.origin.empty() ? server : credentials.origin;
  if (server.rfind("https://", 0) != 0) return Error{where + ": only https:// API servers are supported"};
  Endpoint endpoint;
  std::string rest = server.substr(8);
  const auto slash = rest.find('/');
  if (slash != std::string::npos) {
    endpoint.prefix = rest.substr(slash);
    rest = rest.substr(0, slash);
  }
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string::npos) return Error{where + ": bad server address " + server};
    endpoint.host = rest.substr(1, close - 1);
    endpoint.port = close + 1 < rest.size() && rest[close + 1] == ':' ? rest.substr(close + 2) : "443";
  } else {
    const auto colon = rest.rfind(':');
    endpoint.host = colon == std::string::npos ? rest : rest.substr(0, colon);
    endpoint.port = colon == std::string::npos ? "443" : rest.substr(colon + 1);
  }
  auto client = std::unique_ptr<ApiClient>(new ApiClient(io, std::move(credentials), std::move(endpoint)));
  if (client->credentials_.exec) {
    if (auto r = client->refresh_exec_credential(true); !r) return r.error().wrap(where);
  }
  if (auto r = client->init_tls(); !r) return r.error().wrap(where);
  return client;
}

ApiClient::ApiClient(asio::io_context& io, ClusterCredentials credentials, Endpoint endpoint)
    : io_(io), credentials_(std::move(credentials)), endpoint_(std::move(endpoint)) {}

ApiClient::~ApiClient() = default;

Result<void> ApiClient::init_tls() {
  tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  boost::system::error_code ec;
  tls_->set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                    asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  if (credentials_.insecure_skip_tls_verify) {
    log::warn(credentials_.origin +
              ": insecure-skip-tls-verify is set; the API server's identity is not checked");
    tls_->set_verify_mode(asio::ssl::verify_none);
  } else {
    tls_->set_verify_mode(asio::ssl::verify_peer);
    if (credentials_.ca_pem.empty()) {
      tls_->set_default_verify_paths(ec);
    } else {
      tls_->add_certificate_authority(asio::buffer(credentials_.ca_pem), ec);
    }
    if (ec) return Error{"certificate-authority: " + ec.message()};
  }
  if (!credentials_.client_cert_pem.empty()) {
    tls_->use_certificate_chain(asio::buffer(credentials_.client_cert_pem), ec);
    if (ec) return Error{"client-certificate: " + ec.message()};
    tls_->use_private_key(asio::buffer(credentials_.client_key_pem), asio::ssl::context::pem, ec);
    if (ec) return Error{"client-key: " + ec.message()};
  }
  return {};
}

Result<void> ApiClient::refresh_exec_credential(bool force) {
  const auto now = std::chrono::system_clock::now();
  const bool fresh = exec_credential_ && (!exec_credential_->expires ||
                                          *exec_credential_->expires - now > std::chrono::minutes(1));
  if (fresh && !force) return {};
  auto credential = run_exec_plugin(*credentials_.exec);
  if (!credential) return credential.error();
  const bool new_certificate =
      !credential->client_cert_pem.empty() && credential->client_cert_pem != credentials_.client_cert_pem;
  if (new_certificate) {
    credentials_.client_cert_pem = credential->client_cert_pem;
    credentials_.client_key_pem = credential->client_key_pem;
  }
  exec_credential_ = std::move(credential.value());
  if (new_certificate && tls_) {
    idle_.clear();
    if (auto r = init_tls(); !r) return r;
  }
  return {};
}

std::string ApiClient::authorization() {
  if (credentials_.exec) {
    if (auto r = refresh_exec_credential(false); !r)
      log::warn(credentials_.origin + ": " + r.error().message);
    if (exec_credential_ && !exec_credential_->token.empty()) return "Bearer " + exec_credential_->token;
  }
  if (!credentials_.token_file.empty()) {
    // Re-read a rotated token (projected service-account tokens are replaced in place).
    std::error_code ec;
    const auto mtime = std::filesystem::last_write_time(credentials_.token_file, ec);
    if (!ec && (token_cache_.empty() || mtime != token_mtime_)) {
      std::ifstream in(credentials_.token_file);
      std::stringstream text;
      text << in.rdbuf();
      std::string token = text.str();
      while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
        token.pop_back();
      if (!token.empty()) {
        token_cache_ = std::move(token);
        token_mtime_ = mtime;
      }
    }
    if (!token_cache_.empty()) return "Bearer " + token_cache_;
  }
  if (!credentials_.token.empty()) return "Bearer " + credentials_.token;
  return {};
}

asio::awaitable<Result<std::unique_ptr<ApiClient::Connection>>> ApiClient::connect(
    std::chrono::milliseconds timeout) {
  auto conn = std::make_unique<Connection>(io_, *tls_);
  boost::system::error_code ec;
  tcp::resolver resolver(io_);
  const auto endpoints = co_await resolver.async_resolve(endpoint_.host, endpoint_.port,
                                                         asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return Error{"resolve " + endpoint_.host + ": " + ec.message()};
  beast::get_lowest_layer(conn->stream).expires_after(timeout);
  co_await beast::get_lowest_layer(conn->stream)
      .async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return Error{"connect " + credentials_.server + ": " + ec.message()};

  SSL* ssl = conn->stream.native_handle();
  const std::string& name =
      credentials_.tls_server_name.empty() ? endpoint_.host : credentials_.tls_server_name;
  boost::system::error_code ip_ec;
  (void)asio::ip::make_address(name, ip_ec);
  const bool is_ip = !ip_ec;  // an IP literal is checked against IP SANs, a name against DNS SANs
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (is_ip) {
    X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
    SSL_set_tlsext_host_name(ssl, name.c_str());
  }
  co_await conn->stream.async_handshake(asio::ssl::stream_base::client,
                                        asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    std::string detail = ec.message();
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) detail += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
    co_return Error{"TLS handshake with " + credentials_.server + ": " + detail};
  }
  co_return conn;
}

asio::awaitable<Result<ApiResponse>> ApiClient::request(std::string method, std::string target,
                                                        std::string body, std::string content_type,
                                                        std::chrono::milliseconds timeout) {
  // A kept-alive connection may have been closed by the server meanwhile: one retry on a fresh one.
  for (int attempt = 0; attempt < 2; ++attempt) {
    // As in stream_lines: cancel_streams() while connecting or between two operations must end this too.
    const std::uint64_t generation = cancel_generation_;
    std::unique_ptr<Connection> conn;
    if (!idle_.empty()) {
      conn = std::move(idle_.back());
      idle_.pop_back();
    }
    const bool reused = conn != nullptr;
    if (!conn) {
      auto fresh = co_await connect(timeout);
      if (!fresh) co_return fresh.error();
      conn = std::move(fresh.value());
    }
    if (generation != cancel_generation_) co_return Error{method + " " + target + ": cancelled"};
    // Registered like a stream, so cancel_streams() also ends a request in flight (a prompt shutdown).
    const Cancellable registered(streams_, conn.get());
    http::request<http::string_body> req{http::string_to_verb(method), endpoint_.prefix + target, 11};
    req.set(http::field::host, endpoint_.host + ":" + endpoint_.port);
    req.set(http::field::user_agent, "fedns/" FEDNS_VERSION);
    req.set(http::field::accept, "application/json");
    if (const std::string auth = authorization(); !auth.empty()) req.set(http::field::authorization, auth);
    if (!body.empty()) {
      req.set(http::field::content_type, content_type);
      req.body() = body;
    }
    req.keep_alive(true);
    req.prepare_payload();
    boost::system::error_code ec;
    beast::get_lowest_layer(conn->stream).expires_after(timeout);
    co_await http::async_write(conn->stream, req, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && generation != cancel_generation_) co_return Error{method + " " + target + ": cancelled"};
    http::response<http::string_body> res;
    if (!ec) {
      http::response_parser<http::string_body> parser;
      parser.body_limit(256 * 1024 * 1024);  // a LIST page can be large; the cap keeps a lying server finite
      co_await http::async_read(conn->stream, conn->buffer, parser,
                                asio::redirect_error(asio::use_awaitable, ec));
      if (!ec) res = parser.release();
    }
    if (ec) {
      if (reused && attempt == 0) continue;
      co_return Error{method + " " + target + ": " + ec.message()};
    }
    ApiResponse out;
    out.status = res.result_int();
    out.body = std::move(res.body());
    out.retry_after = retry_after_of(res);
    if (res.keep_alive() && idle_.size() < kMaxIdle) idle_.push_back(std::move(conn));
    // client-go's rule: a 401 with an exec plugin means the credential went stale; refresh once and retry.
    if (out.status == 401 && credentials_.exec && attempt == 0) {
      if (auto r = refresh_exec_credential(true); r) continue;
    }
    co_return out;
  }
  co_return Error{method + " " + target + ": connection failed"};
}

asio::awaitable<Result<StreamEnd>> ApiClient::stream_lines(std::string target,
                                                           std::function<bool(std::string_view)> on_line,
                                                           std::chrono::milliseconds idle_timeout,
                                                           std::size_t max_line,
                                                           std::function<void()> on_open) {
  // cancel_streams() may run while this stream is still connecting, before it can be found in streams_.
  const std::uint64_t generation = cancel_generation_;
  auto fresh = co_await connect(idle_timeout);
  if (!fresh) co_return fresh.error();
  if (generation != cancel_generation_) co_return Error{"GET " + target + ": cancelled"};
  std::unique_ptr<Connection> conn = std::move(fresh.value());
  const Cancellable registered(streams_, conn.get());
  http::request<http::empty_body> req{http::verb::get, endpoint_.prefix + target, 11};
  req.set(http::field::host, endpoint_.host + ":" + endpoint_.port);
  req.set(http::field::user_agent, "fedns/" FEDNS_VERSION);
  req.set(http::field::accept, "application/json");
  if (const std::string auth = authorization(); !auth.empty()) req.set(http::field::authorization, auth);
  boost::system::error_code ec;
  beast::get_lowest_layer(conn->stream).expires_after(idle_timeout);
  co_await http::async_write(conn->stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return Error{"GET " + target + ": " + ec.message()};
  if (generation != cancel_generation_) co_return Error{"GET " + target + ": cancelled"};

  http::response_parser<http::buffer_body> parser;
  // A watch has no end; lines are capped below instead. Not boost::none: Boost 1.74 compares a Content-Length
  // against an empty optional as "over the limit" and refuses every non-chunked body.
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  co_await http::async_read_header(conn->stream, conn->buffer, parser,
                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return Error{"GET " + target + ": " + ec.message()};
  StreamEnd end;
  end.status = parser.get().result_int();
  end.retry_after = retry_after_of(parser.get());
  if (end.status != 200) {  // an error Status, not a stream of lines: keep (the start of) its body
    char chunk[16 * 1024];
    while (!parser.is_done() && end.error_body.size() < 64 * 1024) {
      parser.get().body().data = chunk;
      parser.get().body().size = sizeof chunk;
      co_await http::async_read_some(conn->stream, conn->buffer, parser,
                                     asio::redirect_error(asio::use_awaitable, ec));
      if (ec && ec != http::error::need_buffer) break;
      end.error_body.append(chunk, sizeof chunk - parser.get().body().size);
    }
    co_return end;
  }
  if (on_open) on_open();

  std::string pending;
  char chunk[64 * 1024];
  while (!parser.is_done()) {
    // A read that completed just before cancel_streams() ran had nothing left to cancel: without this check
    // the next read would wait for the idle timeout (seen in CI as a 90 s stop).
    if (generation != cancel_generation_) co_return Error{"GET " + target + ": cancelled"};
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    beast::get_lowest_layer(conn->stream).expires_after(idle_timeout);
    // read_some: deliver what arrived now; a plain read would wait to fill the whole chunk buffer.
    co_await http::async_read_some(conn->stream, conn->buffer, parser,
                                   asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};
    if (ec) co_return Error{"GET " + target + ": stream: " + ec.message()};
    pending.append(chunk, sizeof chunk - parser.get().body().size);
    std::size_t start = 0;
    for (std::size_t nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n', start)) {
      if (nl - start > max_line) {
        end.line_too_long = true;
        co_return end;
      }
      if (!on_line(std::string_view(pending).substr(start, nl - start))) co_return end;
      start = nl + 1;
    }
    pending.erase(0, start);
    if (pending.size() > max_line) {
      end.line_too_long = true;
      co_return end;
    }
  }
  if (!pending.empty()) on_line(pending);  // a last line without its newline
  co_return end;
}

void ApiClient::cancel_streams() {
  ++cancel_generation_;
  for (Connection* c : streams_)
    beast::get_lowest_layer(c->stream).cancel();
}

}  // namespace fedns::sync
