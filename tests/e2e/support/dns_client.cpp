// Raw DNS client over loopback sockets.
#include "support/dns_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

namespace fedns::e2e {

namespace {

bool make_address(const std::string& host, std::uint16_t port, sockaddr_storage& out, socklen_t& len) {
  std::memset(&out, 0, sizeof out);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out);
  if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

bool wait_readable(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
}

}  // namespace

Bytes ldns_query(const std::string& name, ldns_rr_type type, ldns_rr_class klass, bool edns,
                 std::uint16_t id) {
  ldns_pkt* pkt = nullptr;
  ldns_pkt_query_new_frm_str(&pkt, name.c_str(), type, klass, LDNS_RD);
  ldns_pkt_set_id(pkt, id);
  if (edns) {
    ldns_pkt_set_edns_udp_size(pkt, 1232);
    ldns_pkt_set_edns_data(pkt, nullptr);
  }
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  ldns_pkt2wire(&wire, pkt, &size);
  Bytes out(wire, wire + size);
  free(wire);  // NOLINT(cppcoreguidelines-no-malloc): ldns allocates with malloc
  ldns_pkt_free(pkt);
  return out;
}

std::optional<Bytes> udp_exchange(const std::string& host, std::uint16_t port, const Bytes& query,
                                  std::chrono::milliseconds timeout) {
  sockaddr_storage address{};
  socklen_t len = 0;
  if (!make_address(host, port, address, len)) return std::nullopt;
  const int fd = ::socket(address.ss_family, SOCK_DGRAM, 0);
  if (fd < 0) return std::nullopt;
  std::optional<Bytes> result;
  if (::sendto(fd, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&address), len) ==
          static_cast<ssize_t>(query.size()) &&
      wait_readable(fd, timeout)) {
    Bytes buffer(65535);
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n >= 0) {
      buffer.resize(static_cast<std::size_t>(n));
      result = std::move(buffer);
    }
  }
  ::close(fd);
  return result;
}

TcpClient::TcpClient(const std::string& host, std::uint16_t port) {
  sockaddr_storage address{};
  socklen_t len = 0;
  if (!make_address(host, port, address, len)) return;
  fd_ = ::socket(address.ss_family, SOCK_STREAM, 0);
  if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&address), len) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

TcpClient::~TcpClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool TcpClient::send_raw(const Bytes& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

bool TcpClient::send_framed(const Bytes& message) {
  Bytes framed = {static_cast<std::uint8_t>(message.size() >> 8), static_cast<std::uint8_t>(message.size())};
  framed.insert(framed.end(), message.begin(), message.end());
  return send_raw(framed);
}

bool TcpClient::read_exact(std::uint8_t* out, std::size_t n, std::chrono::milliseconds timeout) {
  std::size_t done = 0;
  while (done < n) {
    if (!wait_readable(fd_, timeout)) return false;
    const ssize_t r = ::recv(fd_, out + done, n - done, 0);
    if (r <= 0) return false;
    done += static_cast<std::size_t>(r);
  }
  return true;
}

std::optional<Bytes> TcpClient::receive(std::chrono::milliseconds timeout) {
  std::uint8_t length[2];
  if (!read_exact(length, 2, timeout)) return std::nullopt;
  Bytes message(static_cast<std::size_t>((length[0] << 8) | length[1]));
  if (!read_exact(message.data(), message.size(), timeout)) return std::nullopt;
  return message;
}

bool TcpClient::closed_by_peer(std::chrono::milliseconds timeout) {
  if (!wait_readable(fd_, timeout)) return false;
  std::uint8_t byte = 0;
  const ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK);
  return n == 0 || (n < 0 && errno == ECONNRESET);  // a close with our bytes unread is a reset
}

std::vector<std::string> record_lines(const std::string& dig_output) {
  std::vector<std::string> lines;
  std::istringstream in(dig_output);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == ';') continue;
    std::istringstream words(line);
    std::string word;
    std::string joined;
    while (words >> word)
      joined += (joined.empty() ? "" : " ") + word;
    if (!joined.empty()) lines.push_back(joined);
  }
  return lines;
}

}  // namespace fedns::e2e
