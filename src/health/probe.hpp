// What a probe checks and what it found. The probers (tcp_probe, http_probe, dns_probe) run on the control
// plane's io_context; every one ends within its timeout, whatever the target does (hangs, resets, garbage).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include "common/asio.hpp"
#include "health/target_state.hpp"

namespace fedns::health {

// kNone: a passive target, never probed (its state comes from cluster health and overrides only); kCustom: a
// check the owner supplies (a cluster's API /readyz, its watch freshness).
enum class ProbeKind : std::uint8_t { kTcp, kHttp, kDns, kNone, kCustom, kHttps };

struct ProbeSpec {
  ProbeKind kind = ProbeKind::kTcp;
  std::uint16_t port = 0;
  // HTTP: GET `path` with Host `host` (the target's address when empty); success is a status in `ok_codes`
  // and, when set, `body_match` found in the first 64 KiB of the body.
  std::string path = "/";
  std::string host;
  std::vector<int> ok_codes = {200};
  std::string body_match;
  // HTTPS: check the certificate against the system's CAs and `host` (else the address). Off by default, as
  // Route 53's HTTPS checks: a health check asks "does it answer", and internal endpoints often have private
  // or self-signed certificates.
  bool tls_verify = false;
  // DNS: a query for `query_name` `query_type` (through c-ares); healthy when the server answers NOERROR.
  std::string query_name;
  std::uint16_t query_type = 1;  // A
  // Defaults from KubeFed's cluster health check (period 10 s, timeout 3 s), as gdnsd's plugins use 3 s too.
  std::chrono::milliseconds interval{10000};
  std::chrono::milliseconds timeout{3000};
  // Each wait is interval x (1 +- jitter), so that probes started together spread out.
  double jitter = 0.1;
  Thresholds thresholds;

  bool operator==(const ProbeSpec&) const = default;
};

struct ProbeResult {
  bool ok = false;
  std::chrono::microseconds rtt{0};  // until the connection (TCP) or the response head (HTTP)
  std::string error;                 // why it failed, for logs
};

// Connects and closes.
boost::asio::awaitable<ProbeResult> probe_tcp(boost::asio::any_io_executor executor,
                                              boost::asio::ip::tcp::endpoint target,
                                              std::chrono::milliseconds timeout);
// GET over plain HTTP/1.1 (Beast), Connection: close.
boost::asio::awaitable<ProbeResult> probe_http(boost::asio::any_io_executor executor,
                                               boost::asio::ip::tcp::endpoint target, const ProbeSpec& spec);
// The same over TLS (SNI from `host` when it is a name). `tls` must verify peers when spec.tls_verify.
boost::asio::awaitable<ProbeResult> probe_https(boost::asio::any_io_executor executor,
                                                boost::asio::ip::tcp::endpoint target, const ProbeSpec& spec,
                                                boost::asio::ssl::context& tls);

}  // namespace fedns::health
