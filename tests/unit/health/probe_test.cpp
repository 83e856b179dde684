// The TCP and HTTP probers against real servers on loopback: answering, refusing, hanging, sending garbage.
#include <gtest/gtest.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "common/snapshot.hpp"
#include "dns/worker.hpp"
#include "dns/zone_builder.hpp"
#include "health/dns_probe.hpp"
#include "health/probe.hpp"

namespace fedns::health {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using namespace std::chrono_literals;

// How a test server treats each connection.
enum class Behaviour { kHttp, kHang, kGarbage };

struct TestServer {
  explicit TestServer(asio::io_context& io)
      : acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
  tcp::endpoint endpoint() const { return acceptor.local_endpoint(); }

  asio::awaitable<void> serve(Behaviour behaviour, int status = 200, std::string body = "ok") {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      ++connections;
      if (behaviour == Behaviour::kHang) {
        held.push_back(std::move(socket));  // accepted, never answered
        continue;
      }
      boost::beast::flat_buffer buffer;
      http::request<http::string_body> request;
      co_await http::async_read(socket, buffer, request, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) continue;
      last_host = std::string(request[http::field::host]);
      last_target = std::string(request.target());
      if (behaviour == Behaviour::kGarbage) {
        co_await asio::async_write(socket, asio::buffer(std::string("\x01\x02 not http\r\n\r\n")),
                                   asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      http::response<http::string_body> response{static_cast<http::status>(status), 11};
      response.body() = body;
      response.prepare_payload();
      co_await http::async_write(socket, response, asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  tcp::acceptor acceptor;
  std::vector<tcp::socket> held;
  int connections = 0;
  std::string last_host;
  std::string last_target;
};

// Runs one probe to completion on `io`, with the server's coroutine alongside.
ProbeResult run(asio::io_context& io, asio::awaitable<ProbeResult> probe) {
  std::optional<ProbeResult> result;
  asio::co_spawn(io, std::move(probe), [&](std::exception_ptr e, ProbeResult r) {
    if (e) std::rethrow_exception(e);
    result = std::move(r);
    io.stop();
  });
  io.run_for(10s);
  EXPECT_TRUE(result.has_value()) << "the probe never finished";
  return result.value_or(ProbeResult{});
}

// A client context that verifies against the system's CAs only.
asio::ssl::context& system_ca_verifying() {
  static asio::ssl::context context = [] {
    asio::ssl::context c(asio::ssl::context::tls_client);
    c.set_verify_mode(asio::ssl::verify_peer);
    c.set_default_verify_paths();
    return c;
  }();
  return context;
}

ProbeSpec http_spec(std::chrono::milliseconds timeout = 1000ms) {
  ProbeSpec spec;
  spec.kind = ProbeKind::kHttp;
  spec.timeout = timeout;
  spec.path = "/healthz";
  return spec;
}

TEST(TcpProbe, AnAcceptingPortIsHealthyAndAClosedOneIsNot) {
  asio::io_context io;
  TestServer server(io);
  asio::co_spawn(io, server.serve(Behaviour::kHang), asio::detached);
  const auto ok = run(io, probe_tcp(io.get_executor(), server.endpoint(), 1000ms));
  EXPECT_TRUE(ok.ok) << ok.error;
  EXPECT_GT(ok.rtt.count(), 0);

  tcp::endpoint closed;
  {
    tcp::acceptor gone(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    closed = gone.local_endpoint();
  }
  io.restart();
  const auto refused = run(io, probe_tcp(io.get_executor(), closed, 1000ms));
  EXPECT_FALSE(refused.ok);
  EXPECT_NE(refused.error.find("connect"), std::string::npos) << refused.error;
}

TEST(HttpProbe, ExpectedStatusAndBodyMatch) {
  asio::io_context io;
  TestServer server(io);
  asio::co_spawn(io, server.serve(Behaviour::kHttp, 200, "status: serving"), asio::detached);
  auto spec = http_spec();
  const auto ok = run(io, probe_http(io.get_executor(), server.endpoint(), spec));
  EXPECT_TRUE(ok.ok) << ok.error;
  EXPECT_EQ(server.last_target, "/healthz");
  EXPECT_EQ(server.last_host, "127.0.0.1:" + std::to_string(server.endpoint().port()));

  spec.body_match = "serving";
  spec.host = "web.example";
  io.restart();
  EXPECT_TRUE(run(io, probe_http(io.get_executor(), server.endpoint(), spec)).ok);
  EXPECT_EQ(server.last_host, "web.example");

  spec.body_match = "draining";
  io.restart();
  const auto mismatch = run(io, probe_http(io.get_executor(), server.endpoint(), spec));
  EXPECT_FALSE(mismatch.ok);
  EXPECT_NE(mismatch.error.find("draining"), std::string::npos) << mismatch.error;
}

TEST(HttpProbe, AnUnexpectedStatusFailsUnlessListed) {
  asio::io_context io;
  TestServer server(io);
  asio::co_spawn(io, server.serve(Behaviour::kHttp, 503, "down"), asio::detached);
  auto spec = http_spec();
  const auto down = run(io, probe_http(io.get_executor(), server.endpoint(), spec));
  EXPECT_FALSE(down.ok);
  EXPECT_EQ(down.error, "HTTP status 503");
  spec.ok_codes = {200, 503};
  io.restart();
  EXPECT_TRUE(run(io, probe_http(io.get_executor(), server.endpoint(), spec)).ok);
}

TEST(HttpProbe, AHangingOrLyingTargetFailsWithinTheTimeout) {
  asio::io_context io;
  TestServer hanging(io);
  asio::co_spawn(io, hanging.serve(Behaviour::kHang), asio::detached);
  const auto start = std::chrono::steady_clock::now();
  const auto hung = run(io, probe_http(io.get_executor(), hanging.endpoint(), http_spec(300ms)));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(hung.ok);
  EXPECT_NE(hung.error.find("timed out"), std::string::npos) << hung.error;
  EXPECT_GE(took, 290ms);
  EXPECT_LT(took, 2s);

  TestServer garbage(io);
  asio::co_spawn(io, garbage.serve(Behaviour::kGarbage), asio::detached);
  io.restart();
  const auto lied = run(io, probe_http(io.get_executor(), garbage.endpoint(), http_spec()));
  EXPECT_FALSE(lied.ok);
  EXPECT_NE(lied.error.find("response"), std::string::npos) << lied.error;
}

// A real TLS server (Asio over OpenSSL) with a certificate for probe.test and 127.0.0.1 made by the openssl
// command for this test: HTTPS probes with and without verification, and a target that never does TLS.
class TlsServer {
 public:
  explicit TlsServer(asio::io_context& io)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    if (mkdtemp(dir_.data()) == nullptr) return;
    const std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=probe.test -days 1 -addext "
        "subjectAltName=DNS:probe.test,IP:127.0.0.1 -keyout " +
        dir_ + "/key.pem -out " + dir_ + "/cert.pem 2>/dev/null";
    ok_ = std::system(cmd.c_str()) == 0;
    if (!ok_) return;
    context_.use_certificate_chain_file(cert());
    context_.use_private_key_file(dir_ + "/key.pem", asio::ssl::context::pem);
  }
  ~TlsServer() { std::filesystem::remove_all(dir_); }
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] std::string cert() const { return dir_ + "/cert.pem"; }
  [[nodiscard]] tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }

  asio::awaitable<void> serve() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      asio::ssl::stream<tcp::socket> tls(std::move(socket), context_);
      co_await tls.async_handshake(asio::ssl::stream_base::server,
                                   asio::redirect_error(asio::use_awaitable, ec));
      if (ec) continue;
      boost::beast::flat_buffer buffer;
      http::request<http::string_body> request;
      co_await http::async_read(tls, buffer, request, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) continue;
      last_host = std::string(request[http::field::host]);
      http::response<http::string_body> response{http::status::ok, 11};
      response.body() = "secure ok";
      response.prepare_payload();
      co_await http::async_write(tls, response, asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  std::string last_host;

 private:
  std::string dir_ = "/tmp/fedns-tls-XXXXXX";
  bool ok_ = false;
  tcp::acceptor acceptor_;
  asio::ssl::context context_{asio::ssl::context::tls_server};
};

TEST(HttpsProbe, AnswersOverTlsWithAndWithoutVerification) {
  asio::io_context io;
  TlsServer server(io);
  ASSERT_TRUE(server.ok()) << "the openssl command could not make a certificate";
  asio::co_spawn(io, server.serve(), asio::detached);
  asio::ssl::context insecure(asio::ssl::context::tls_client);
  insecure.set_verify_mode(asio::ssl::verify_none);
  asio::ssl::context verified(asio::ssl::context::tls_client);
  verified.set_verify_mode(asio::ssl::verify_peer);
  verified.load_verify_file(server.cert());

  auto spec = http_spec();
  spec.kind = ProbeKind::kHttps;
  spec.body_match = "secure";
  const auto plain = run(io, probe_https(io.get_executor(), server.endpoint(), spec, insecure));
  EXPECT_TRUE(plain.ok) << plain.error;

  spec.tls_verify = true;
  spec.host = "probe.test";
  io.restart();
  const auto checked = run(io, probe_https(io.get_executor(), server.endpoint(), spec, verified));
  EXPECT_TRUE(checked.ok) << checked.error;
  EXPECT_EQ(server.last_host, "probe.test");

  spec.host = "";  // the address, which the certificate also names
  io.restart();
  EXPECT_TRUE(run(io, probe_https(io.get_executor(), server.endpoint(), spec, verified)).ok);

  spec.host = "other.test:8443";
  io.restart();
  const auto wrong_name = run(io, probe_https(io.get_executor(), server.endpoint(), spec, verified));
  EXPECT_FALSE(wrong_name.ok);
  EXPECT_NE(wrong_name.error.find("TLS handshake"), std::string::npos) << wrong_name.error;

  spec.host = "probe.test";
  io.restart();
  const auto untrusted =
      run(io, probe_https(io.get_executor(), server.endpoint(), spec, system_ca_verifying()));
  EXPECT_FALSE(untrusted.ok) << "a self-signed certificate passed verification against the system's CAs";
}

TEST(HttpsProbe, ATargetThatNeverFinishesTlsFailsWithinTheTimeout) {
  asio::io_context io;
  TestServer hanging(io);
  asio::co_spawn(io, hanging.serve(Behaviour::kHang), asio::detached);
  asio::ssl::context tls(asio::ssl::context::tls_client);
  auto spec = http_spec(300ms);
  spec.kind = ProbeKind::kHttps;
  const auto start = std::chrono::steady_clock::now();
  const auto hung = run(io, probe_https(io.get_executor(), hanging.endpoint(), spec, tls));
  EXPECT_FALSE(hung.ok);
  EXPECT_NE(hung.error.find("TLS handshake: timed out"), std::string::npos) << hung.error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);

  // A plain-HTTP server on the other end: the handshake fails at once, it does not wait for the timeout.
  TestServer plain(io);
  asio::co_spawn(io, plain.serve(Behaviour::kHttp), asio::detached);
  io.restart();
  const auto wrong = run(io, probe_https(io.get_executor(), plain.endpoint(), http_spec(2000ms), tls));
  EXPECT_FALSE(wrong.ok);
}

// A real DNS server for the DNS probe: a fedns worker serving one zone on a free loopback port.
class DnsServer {
 public:
  DnsServer() {
    dns::ZoneSource zone;
    zone.origin = "probe.test.";
    zone.soa = dns::SoaFields{.serial = 1};
    zone.name_servers = {{"ns1.probe.test.", {"127.0.0.1"}}};
    zone.records = "www IN A 192.0.2.1\n";
    auto zones = dns::build_zone_set({zone});
    EXPECT_TRUE(zones.ok());
    auto snapshot = std::make_shared<dns::ServingSnapshot>();
    snapshot->zones = std::move(zones.value());
    publisher_.publish(snapshot);
    for (int attempt = 0; attempt < 20 && !worker_; ++attempt) {
      port_ = free_udp_port();
      auto worker = std::make_unique<dns::Worker>(publisher_, dns::TcpLimits{});
      if (worker->bind({*dns::parse_listen_address("127.0.0.1:" + std::to_string(port_))})) {
        worker->start(0);
        worker_ = std::move(worker);
      }
    }
  }
  ~DnsServer() {
    if (worker_) {
      worker_->stop();
      worker_->join();
    }
  }
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;
  [[nodiscard]] asio::ip::udp::endpoint endpoint() const {
    return {asio::ip::make_address("127.0.0.1"), port_};
  }

  static std::uint16_t free_udp_port() {
    asio::io_context io;
    asio::ip::udp::socket s(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    return s.local_endpoint().port();
  }

 private:
  SnapshotPublisher<dns::ServingSnapshot> publisher_;
  std::unique_ptr<dns::Worker> worker_;
  std::uint16_t port_ = 0;
};

ProbeSpec dns_spec(const std::string& name, std::uint16_t type = 1) {
  ProbeSpec spec;
  spec.kind = ProbeKind::kDns;
  spec.query_name = name;
  spec.query_type = type;
  spec.timeout = 300ms;
  return spec;
}

TEST(DnsProbe, ARealServerAnsweringIsHealthyWhateverTheRecords) {
  DnsServer server;
  asio::io_context io;
  DnsProber prober(io);
  const auto ok = run(io, prober.probe(server.endpoint(), dns_spec("www.probe.test")));
  EXPECT_TRUE(ok.ok) << ok.error;
  EXPECT_GT(ok.rtt.count(), 0);
  io.restart();
  const auto nodata = run(io, prober.probe(server.endpoint(), dns_spec("www.probe.test", 28)));  // AAAA
  EXPECT_TRUE(nodata.ok) << "NOERROR without records is an answer: " << nodata.error;
  io.restart();
  const auto refused = run(io, prober.probe(server.endpoint(), dns_spec("example.com")));  // not ours
  EXPECT_FALSE(refused.ok);
  EXPECT_NE(refused.error.find("DNS:"), std::string::npos) << refused.error;
  EXPECT_EQ(prober.channel_count(), 1u) << "one channel per server";
}

TEST(DnsProbe, SilenceAndClosedPortsFailWithinTheTimeout) {
  asio::io_context io;
  DnsProber prober(io);
  // A bound socket that never answers.
  asio::ip::udp::socket silent(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto start = std::chrono::steady_clock::now();
  const auto hung = run(io, prober.probe(silent.local_endpoint(), dns_spec("www.probe.test")));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(hung.ok);
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 2s);
  // Nothing bound at all.
  io.restart();
  const auto closed = run(io, prober.probe({asio::ip::make_address("127.0.0.1"), DnsServer::free_udp_port()},
                                           dns_spec("www.probe.test")));
  EXPECT_FALSE(closed.ok);
  EXPECT_FALSE(closed.error.empty());
}

}  // namespace
}  // namespace fedns::health
