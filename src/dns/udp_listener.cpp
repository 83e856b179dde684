// UDP serving: Asio tells us when the socket is readable; recvmmsg/sendmmsg move up to 32 datagrams per
// system call. IP_PKTINFO / IPV6_RECVPKTINFO let a socket bound to a wildcard address answer from the exact
// address the query was sent to.
#include "dns/udp_listener.hpp"

#include <cerrno>
#include <cstring>

#include "common/log.hpp"
#include "dns/responder.hpp"

namespace fedns::dns {

namespace asio = boost::asio;

UdpListener::UdpListener(asio::io_context& io, ServingReader& snapshots, WorkerCounters& counters)
    : socket_(io),
      snapshots_(snapshots),
      counters_(counters),
      slots_(std::make_unique<std::array<Slot, kBatch>>()) {}

UdpListener::~UdpListener() {
  close();
}

Result<void> UdpListener::open(const ListenAddress& address) {
  boost::system::error_code ec;
  const asio::ip::udp::endpoint endpoint(address.address, address.port);
  v6_ = address.address.is_v6();
  const std::string where = "udp " + address.to_string();
  socket_.open(endpoint.protocol(), ec);
  if (ec) return Error{where + ": open: " + ec.message()};
  const int one = 1;
  ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (v6_) socket_.set_option(asio::ip::v6_only(true), ec);
  // No path-MTU discovery: answers fit the EDNS payload we advertise (1232 by default), so DF and the
  // per-datagram PMTU bookkeeping buy nothing (gdnsd and NSD do the same); fragments are the client's choice.
  if (v6_) {
    const int omit = IPV6_PMTUDISC_OMIT;
    ::setsockopt(socket_.native_handle(), IPPROTO_IPV6, IPV6_MTU_DISCOVER, &omit, sizeof omit);
  } else {
    const int omit = IP_PMTUDISC_OMIT;
    ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_MTU_DISCOVER, &omit, sizeof omit);
  }
  // Only a wildcard bind needs the destination address per datagram (to answer from it); a specific bind
  // already answers from the right address and saves the control-message cost.
  if (address.address.is_unspecified()) {
    if (v6_) {
      ::setsockopt(socket_.native_handle(), IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
    } else {
      ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
    }
  }
  socket_.bind(endpoint, ec);
  if (ec) return Error{where + ": bind: " + ec.message()};
  socket_.non_blocking(true, ec);
  if (ec) return Error{where + ": non-blocking: " + ec.message()};
  return {};
}

void UdpListener::start() {
  wait();
}

void UdpListener::close() {
  closed_ = true;
  boost::system::error_code ec;
  socket_.close(ec);
}

void UdpListener::wait() {
  socket_.async_wait(asio::ip::udp::socket::wait_read, [this](const boost::system::error_code& ec) {
    if (ec || closed_) return;
    on_readable();
  });
}

void UdpListener::on_readable() {
  // Bounded work per wake-up so TCP sessions of this worker are not starved under a UDP flood.
  for (int round = 0; round < 16; ++round) {
    if (answer_batch() < kBatch) break;
  }
  wait();
}

std::size_t UdpListener::answer_batch() noexcept {
  auto& slots = *slots_;
  for (std::size_t i = 0; i < kBatch; ++i) {
    Slot& s = slots[i];
    s.rx_iov = {s.query, kQuerySize};
    msghdr& h = rx_[i].msg_hdr;
    h = {};
    h.msg_name = &s.peer;
    h.msg_namelen = sizeof s.peer;
    h.msg_iov = &s.rx_iov;
    h.msg_iovlen = 1;
    h.msg_control = s.control;
    h.msg_controllen = kControlSize;
    rx_[i].msg_len = 0;
  }
  const int received = ::recvmmsg(socket_.native_handle(), rx_.data(), kBatch, MSG_DONTWAIT, nullptr);
  if (received <= 0) return 0;

  const ServingSnapshot* snapshot = snapshots_.snapshot();
  std::size_t to_send = 0;
  for (int i = 0; i < received; ++i) {
    Slot& s = slots[static_cast<std::size_t>(i)];
    const msghdr& in = rx_[static_cast<std::size_t>(i)].msg_hdr;
    if ((in.msg_flags & MSG_TRUNC) != 0 || snapshot == nullptr) {
      counters_.dropped.add();
      continue;
    }
    const std::size_t size =
        respond({s.query, rx_[static_cast<std::size_t>(i)].msg_len}, {s.response, kResponseSize},
                RequestInfo{Transport::kUdp, snapshots_.health(), reinterpret_cast<const sockaddr*>(&s.peer)},
                *snapshot, counters_);
    if (size == 0) continue;
    s.tx_iov = {s.response, size};
    msghdr& out = tx_[to_send].msg_hdr;
    out = {};
    out.msg_name = &s.peer;
    out.msg_namelen = in.msg_namelen;
    out.msg_iov = &s.tx_iov;
    out.msg_iovlen = 1;
    // Reply from the address the query arrived at: hand the received packet info back as the source.
    if (in.msg_controllen > 0) {
      for (cmsghdr* c = CMSG_FIRSTHDR(const_cast<msghdr*>(&in)); c != nullptr;
           c = CMSG_NXTHDR(const_cast<msghdr*>(&in), c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
          auto* info = reinterpret_cast<in_pktinfo*>(CMSG_DATA(c));
          info->ipi_spec_dst = info->ipi_addr;
          info->ipi_ifindex = 0;
          out.msg_control = s.control;
          out.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
          std::memmove(s.control, c, CMSG_SPACE(sizeof(in_pktinfo)));
          break;
        }
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
          out.msg_control = s.control;
          out.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
          std::memmove(s.control, c, CMSG_SPACE(sizeof(in6_pktinfo)));
          break;
        }
      }
    }
    ++to_send;
  }
  std::size_t sent = 0;
  while (sent < to_send) {
    const int n =
        ::sendmmsg(socket_.native_handle(), tx_.data() + sent, static_cast<unsigned>(to_send - sent), 0);
    if (n <= 0) {
      // The first message failed (a full send buffer, an unreachable peer): it is lost, as over any UDP
      // server; count it and go on with the rest.
      if (n < 0 && errno == EINTR) continue;
      counters_.dropped.add();
      ++sent;
      continue;
    }
    sent += static_cast<std::size_t>(n);
  }
  return static_cast<std::size_t>(received);
}

}  // namespace fedns::dns
