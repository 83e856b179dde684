// UDP serving: one thread per socket, blocking in recvmmsg, up to 32 datagrams per system call each way.
// IP_PKTINFO / IPV6_RECVPKTINFO let a socket bound to a wildcard address answer from the exact address the
// query was sent to.
#include "dns/udp_listener.hpp"

#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/log.hpp"
#include "dns/responder.hpp"

namespace fedns::dns {

UdpListener::UdpListener(const SnapshotPublisher<ServingSnapshot>& zones,
                         const SnapshotPublisher<model::HealthTable>* health)
    : snapshots_(zones, health), slots_(std::make_unique<std::array<Slot, kBatch>>()) {}

UdpListener::~UdpListener() {
  close();
  join();
  if (fd_ >= 0) ::close(fd_);
}

Result<void> UdpListener::open(const ListenAddress& address) {
  const boost::asio::ip::udp::endpoint endpoint(address.address, address.port);
  v6_ = address.address.is_v6();
  const std::string where = "udp " + address.to_string();
  fd_ = ::socket(v6_ ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return Error{where + ": socket: " + std::strerror(errno)};
  const int one = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (v6_) ::setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  // Only a wildcard bind needs the destination address per datagram (to answer from it); a specific bind
  // already answers from the right address and saves the control-message cost.
  control_size_ = address.address.is_unspecified() ? kControlSize : 0;
  if (address.address.is_unspecified()) {
    if (v6_) {
      ::setsockopt(fd_, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
    } else {
      ::setsockopt(fd_, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
    }
  }
  if (::bind(fd_, endpoint.data(), static_cast<socklen_t>(endpoint.size())) != 0)
    return Error{where + ": bind: " + std::strerror(errno)};
  // The receive wait ends this often so that the thread sees close().
  const timeval wait{0, kStopCheckMs * 1000};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  for (std::size_t i = 0; i < kBatch; ++i)
    arm_receive(i);
  return {};
}

void UdpListener::arm_receive(std::size_t i) noexcept {
  Slot& s = (*slots_)[i];
  s.rx_iov = {s.query, kQuerySize};
  msghdr& h = rx_[i].msg_hdr;
  h = {};
  h.msg_name = &s.peer;
  h.msg_namelen = sizeof s.peer;
  h.msg_iov = &s.rx_iov;
  h.msg_iovlen = 1;
  h.msg_control = control_size_ != 0 ? s.control : nullptr;
  h.msg_controllen = control_size_;
  rx_[i].msg_len = 0;
}

void UdpListener::set_fragmentation(std::uint16_t edns_udp_payload) noexcept {
  // Path-MTU discovery stays off either way: answers never shrink on the word of an ICMP "fragmentation
  // needed", which anyone can forge. PROBE: DF set, answers up to the interface MTU. OMIT: DF clear, answers
  // above the interface MTU fragmented here.
  const bool unfragmented = edns_udp_payload <= kUnfragmentedPayload;
  if (v6_) {
    const int mode = unfragmented ? IPV6_PMTUDISC_PROBE : IPV6_PMTUDISC_OMIT;
    ::setsockopt(fd_, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &mode, sizeof mode);
  } else {
    const int mode = unfragmented ? IP_PMTUDISC_PROBE : IP_PMTUDISC_OMIT;
    ::setsockopt(fd_, IPPROTO_IP, IP_MTU_DISCOVER, &mode, sizeof mode);
  }
  fragmentation_for_ = edns_udp_payload;
}

void UdpListener::start(const std::string& name) {
  finished_.store(false, std::memory_order_relaxed);
  thread_ = std::thread([this, name] {
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
    run();
  });
}

void UdpListener::join() {
  if (thread_.joinable()) thread_.join();
}

void UdpListener::run() noexcept {
  while (!stop_.load(std::memory_order_relaxed))
    answer_batch();
  finished_.store(true, std::memory_order_release);
}

std::size_t UdpListener::answer_batch() noexcept {
  auto& slots = *slots_;
  const int received = ::recvmmsg(fd_, rx_.data(), kBatch, MSG_WAITFORONE, nullptr);
  if (received <= 0) return 0;

  const ServingSnapshot* snapshot = snapshots_.snapshot();
  if (snapshot != nullptr && snapshot->options.edns_udp_payload != fragmentation_for_)
    set_fragmentation(snapshot->options.edns_udp_payload);
  const auto count = static_cast<std::size_t>(received);
  const auto usable = [&](std::size_t i) noexcept {
    return snapshot != nullptr && (rx_[i].msg_hdr.msg_flags & MSG_TRUNC) == 0;
  };
  // Parse the whole batch and start loading what each answer will read, then answer (responder.hpp).
  for (std::size_t i = 0; i < count; ++i) {
    if (usable(i)) prepare({slots[i].query, rx_[i].msg_len}, *snapshot, slots[i].prepared);
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (usable(i)) prefetch(slots[i].prepared);
  }
  const model::HealthTable* health = snapshots_.health();
  std::size_t to_send = 0;
  for (std::size_t i = 0; i < count; ++i) {
    Slot& s = slots[i];
    const msghdr& in = rx_[i].msg_hdr;
    if (!usable(i)) {
      counters_.dropped.add();
      continue;
    }
    const std::size_t size =
        respond(s.prepared, {s.query, rx_[i].msg_len}, {s.response, kResponseSize},
                RequestInfo{Transport::kUdp, health, reinterpret_cast<const sockaddr*>(&s.peer), nullptr,
                            &locations_},
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
    const int n = ::sendmmsg(fd_, tx_.data() + sent, static_cast<unsigned>(to_send - sent), MSG_DONTWAIT);
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
  // Only the headers the kernel filled need their lengths back.
  for (std::size_t i = 0; i < count; ++i)
    arm_receive(i);
  return static_cast<std::size_t>(received);
}

}  // namespace fedns::dns
