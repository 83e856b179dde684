// A raw DNS client for end-to-end tests: sends bytes we choose over UDP or TCP to a loopback server and
// returns what came back; replies are parsed by ldns, the independent oracle.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "oracle/ldns_oracle.hpp"

namespace fedns::e2e {

using Bytes = std::vector<std::uint8_t>;

using test::Packet;

// The wire form of a query built with ldns (so the query side is independent of our writer too).
Bytes ldns_query(const std::string& name, ldns_rr_type type, ldns_rr_class klass = LDNS_RR_CLASS_IN,
                 bool edns = false, std::uint16_t id = 0x4242);

// One datagram out, one back; nullopt on timeout.
std::optional<Bytes> udp_exchange(const std::string& host, std::uint16_t port, const Bytes& query,
                                  std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

// A TCP connection speaking two-octet length framing (RFC 7766 8).
class TcpClient {
 public:
  TcpClient(const std::string& host, std::uint16_t port);
  ~TcpClient();
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;

  [[nodiscard]] bool connected() const { return fd_ >= 0; }
  bool send_raw(const Bytes& bytes);
  bool send_framed(const Bytes& message);
  // Reads one framed message; nullopt on timeout or close.
  std::optional<Bytes> receive(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
  // True when the server closed the connection within the timeout.
  bool closed_by_peer(std::chrono::milliseconds timeout);

 private:
  bool read_exact(std::uint8_t* out, std::size_t n, std::chrono::milliseconds timeout);
  int fd_ = -1;
};

// The record lines of dig/kdig output (comments and blank lines left out), whitespace collapsed to single
// spaces: "NAME TTL IN TYPE DATA".
std::vector<std::string> record_lines(const std::string& dig_output);

// Parses with ldns; null when ldns rejects the message.
inline Packet parse(const Bytes& bytes) {
  return test::parse_with_ldns(bytes.data(), bytes.size());
}
inline std::vector<std::string> section(const ldns_rr_list* list) {
  return test::section_text(list);
}

}  // namespace fedns::e2e
