// One UDP socket of one worker: waits for readability with Asio, then drains queued datagrams in batches
// with recvmmsg/sendmmsg, answering each from the current snapshot.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <memory>

#include "common/asio.hpp"
#include "common/result.hpp"
#include "common/snapshot.hpp"
#include "dns/listen_address.hpp"
#include "dns/serving_snapshot.hpp"
#include "dns/worker_counters.hpp"

namespace fedns::dns {

class UdpListener {
 public:
  UdpListener(boost::asio::io_context& io, ServingReader& snapshots, WorkerCounters& counters);
  ~UdpListener();
  UdpListener(const UdpListener&) = delete;
  UdpListener& operator=(const UdpListener&) = delete;

  // Binds with SO_REUSEPORT so every worker has its own socket on the same port and the kernel spreads load.
  Result<void> open(const ListenAddress& address);
  void start();
  void close();

 private:
  static constexpr std::size_t kBatch = 32;
  static constexpr std::size_t kQuerySize = 4096;     // larger datagrams are not DNS queries we answer
  static constexpr std::size_t kResponseSize = 4096;  // the EDNS payload we advertise is capped to this
  static constexpr std::size_t kControlSize = 64;     // room for IP_PKTINFO / IPV6_PKTINFO

  void wait();
  void on_readable();
  // Returns how many datagrams were received (0 when the socket is drained).
  std::size_t answer_batch() noexcept;

  boost::asio::ip::udp::socket socket_;
  ServingReader& snapshots_;
  WorkerCounters& counters_;
  bool v6_ = false;
  bool closed_ = false;

  // Batch buffers, allocated once per socket.
  struct Slot {
    std::uint8_t query[kQuerySize];
    std::uint8_t response[kResponseSize];
    sockaddr_storage peer;
    alignas(cmsghdr) std::uint8_t control[kControlSize];
    iovec rx_iov;
    iovec tx_iov;
  };
  std::unique_ptr<std::array<Slot, kBatch>> slots_;
  std::array<mmsghdr, kBatch> rx_{};
  std::array<mmsghdr, kBatch> tx_{};
};

}  // namespace fedns::dns
